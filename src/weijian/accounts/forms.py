from django import forms
from django.utils.translation import gettext_lazy as _

from weijian.core.forms import StyledForm


class LoginForm(StyledForm):
    username = forms.CharField(label=_("用户名"), max_length=150,
                               widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}))
    password = forms.CharField(label=_("密码"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class TotpForm(StyledForm):
    code = forms.CharField(label=_("动态验证码"), min_length=6, max_length=6,
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                                         "autofocus": True}))


class PasswordChangeForm(StyledForm):
    old_password = forms.CharField(label=_("原密码"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    new_password = forms.CharField(label=_("新密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                   help_text=_("至少10位，包含大写字母、小写字母、数字、符号中的至少三类；有效期90天。"))
    new_password2 = forms.CharField(label=_("确认新密码"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password") != data.get("new_password2"):
            self.add_error("new_password2", _("两次输入的新密码不一致"))
        return data


class TokenForm(StyledForm):
    name = forms.CharField(label=_("令牌名称"), max_length=64)
    days = forms.IntegerField(label=_("有效天数"), min_value=1, max_value=365, initial=90)

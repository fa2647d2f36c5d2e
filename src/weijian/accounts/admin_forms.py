"""Forms for account administration. They parse input; accounts.services holds the rules."""

from django import forms
from django.core.validators import RegexValidator
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from weijian.accounts.roles import ROLE_SCOPE, Role, Scope
from weijian.core.forms import StyledForm

PASSWORD_HELP = _("至少10位，包含大写字母、小写字母、数字、符号中的至少三类，不能与用户名相近。")


class UserFilterForm(StyledForm):
    q = forms.CharField(label=_("用户名或姓名"), required=False, max_length=150,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("输入关键字")}))
    role = forms.ChoiceField(label=_("角色"), required=False,
                             choices=[("", _("全部")), ("none", _("（未分配）")), *Role.choices])
    active = forms.ChoiceField(label=_("状态"), required=False,
                               choices=[("", _("全部")), ("1", pgettext_lazy("account state", "启用")), ("0", pgettext_lazy("account state", "停用"))])
    locked = forms.ChoiceField(label=_("锁定"), required=False,
                               choices=[("", _("全部")), ("1", _("仅锁定中"))])


class _PasswordPair(StyledForm):
    password = forms.CharField(label=_("初始密码"), strip=False, help_text=PASSWORD_HELP,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("确认密码"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", _("两次输入的密码不一致"))
        return data


class UserCreateForm(_PasswordPair):
    username = forms.CharField(
        label=_("用户名"), min_length=3, max_length=150,
        help_text=_("3–150位，可用字母、数字及 . _ @ + -；创建后不可修改。"),
        validators=[RegexValidator(r"^[A-Za-z0-9_.@+-]+$", _("用户名只能包含字母、数字及 . _ @ + -"))],
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    display_name = forms.CharField(label=_("姓名"), max_length=64, required=False)

    field_order = ["username", "display_name", "password", "password2"]


class PasswordResetForm(_PasswordPair):
    password = forms.CharField(label=_("新密码"), strip=False,
                               help_text=format_lazy("{} {}", PASSWORD_HELP, _("用户下次登录时须自行修改。")),
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))


ANCHOR_FIELD = {Scope.DISTRICT: "district", Scope.INSTITUTION: "institution", Scope.SELF: "worker"}
ANCHOR_MISSING = {
    "district": _("该角色须选择所属区县"),
    "institution": _("该角色须填写所属机构的统一社会信用代码"),
    "worker": _("该角色须填写对应卫生人员的身份证号"),
}


class RoleAssignForm(StyledForm):
    role = forms.ChoiceField(label=_("角色"), choices=[("", _("请选择角色")), *Role.choices])
    district = forms.ChoiceField(label=_("所属区县"), required=False,
                                 help_text=_("区（县）卫健局账户必填"))
    institution = forms.CharField(label=_("所属机构统一社会信用代码"), required=False, max_length=18,
                                  help_text=_("机构科教科账户必填；18位"),
                                  widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    worker = forms.CharField(label=_("对应卫生人员身份证号"), required=False, max_length=18,
                             help_text=_("卫生人员账户必填；按身份证号精确匹配，仅显示姓名与脱敏号码，查找将记录审计日志"),
                             widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))

    def __init__(self, *args, districts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = [("", _("请选择区县")),
                                           *[(d.code, f"{d.name}（{d.code}）") for d in districts]]
        for name in ANCHOR_FIELD.values():  # shown or hidden by role in the page (see role_form.html)
            self.fields[name].widget.attrs["data-anchor"] = name
        self.fields["role"].widget.attrs["data-role-select"] = "1"

    @property
    def anchor(self) -> str:
        """Which anchor field the chosen role needs ("" when none)."""
        role = self.cleaned_data.get("role") if hasattr(self, "cleaned_data") else self.data.get("role")
        return ANCHOR_FIELD.get(ROLE_SCOPE.get(role), "") if role else ""

    def clean(self):
        data = super().clean()
        needed = self.anchor
        if needed and not data.get(needed):
            self.add_error(needed, ANCHOR_MISSING[needed])
        return data


class UnlockForm(StyledForm):
    username = forms.CharField(label=_("用户名"), max_length=150)

"""The forms that create a code system, a value set or a concept map from the dictionary pages.

They only parse input: every rule (URL shape, (url, version) uniqueness, which codes a value set may list,
which institution's map the user may keep) is checked by the service the view calls. The choices come
from the scoped selectors, so a form never offers what the user may not use.
"""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from weijian.accounts.access import concept_map_in_write_scope
from weijian.core.forms import StyledForm
from weijian.orgs import selectors as org_selectors
from weijian.terminology import selectors
from weijian.terminology.errors import TerminologyErrorCode as E
from weijian.terminology.models import CodeSystemContent, ResourceStatus

CODE_SEPARATORS = re.compile(r"[\s,，、;；]+")


class _ResourceForm(StyledForm):
    """The fields every FHIR terminology resource has: identity (url, version), names, status, description."""

    name = forms.CharField(label=_("名称"), max_length=128, error_messages={"required": E.NAME_REQUIRED.message},
                           help_text=_("机读名称，如 LabTests；中文名称请填“标题”"))
    title = forms.CharField(label=_("标题"), max_length=255, required=False)
    url = forms.CharField(label=_("规范地址"), max_length=255, error_messages={"required": _("规范地址不能为空")},
                          help_text=_("全局唯一，以 http://、https:// 或 urn: 开头"))
    version = forms.CharField(label=_("版本"), max_length=32, required=False)
    status = forms.ChoiceField(label=_("状态"), choices=ResourceStatus.choices, initial=ResourceStatus.ACTIVE)
    description = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class CodeSystemCreateForm(_ResourceForm):
    standard = forms.CharField(label=_("标准号"), max_length=64, required=False)
    publisher = forms.CharField(label=_("发布者"), max_length=128, required=False)
    is_case_sensitive = forms.BooleanField(label=_("区分大小写"), required=False, initial=True)
    content = forms.ChoiceField(label=_("内容范围"), choices=CodeSystemContent.choices,
                                initial=CodeSystemContent.COMPLETE)


class _CodeSystemChoice:
    @staticmethod
    def label_from_instance(system) -> str:
        return f"{system}｜{system.url}"


class CodeSystemMultipleChoiceField(_CodeSystemChoice, forms.ModelMultipleChoiceField):
    pass


class CodeSystemChoiceField(_CodeSystemChoice, forms.ModelChoiceField):
    pass


class ValueSetCreateForm(_ResourceForm):
    code_systems = CodeSystemMultipleChoiceField(
        label=_("包含的代码系统"), queryset=None, widget=forms.SelectMultiple(attrs={"size": 8}),
        error_messages={"required": E.INCLUDE_REQUIRED.message, "invalid_choice": E.CODE_SYSTEM_NOT_FOUND.message,
                        "invalid_pk_value": E.CODE_SYSTEM_NOT_FOUND.message},
        help_text=_("可多选（按住 Ctrl 键）"))
    codes = forms.CharField(
        label=_("列出的代码（可选）"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("不填则包含所选代码系统的全部代码；填写时值集只包含这些代码，用逗号、空格或换行分隔"))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code_systems"].queryset = selectors.code_system_list(actor=actor).order_by("url", "version")

    def clean_codes(self) -> list[str]:
        return [code for code in CODE_SEPARATORS.split(self.cleaned_data["codes"]) if code]


class ConceptMapCreateForm(_ResourceForm):
    source_system = forms.CharField(label=_("源代码系统"), max_length=255,
                                    error_messages={"required": _("源代码系统不能为空")},
                                    help_text=_("本地代码所在代码系统的规范地址，如 http://hospital.example/CodeSystem/local-sex"))
    target_system = CodeSystemChoiceField(
        label=_("目标代码系统"), queryset=None,
        error_messages={"required": _("请选择目标代码系统"), "invalid_choice": E.CODE_SYSTEM_NOT_FOUND.message})
    source_institution = forms.ModelChoiceField(
        label=_("来源机构"), queryset=None,
        error_messages={"required": _("请选择来源机构"), "invalid_choice": E.INSTITUTION_OUT_OF_SCOPE.message})

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_system"].queryset = selectors.code_system_list(actor=actor).order_by("url", "version")
        institution = self.fields["source_institution"]
        institution.queryset = org_selectors.institution_choices(actor=actor).order_by("name")
        if concept_map_in_write_scope(actor, None):  # may keep city-wide maps: the institution is optional
            institution.required, institution.empty_label = False, _("全市通用")
        else:  # an institution keeps the maps of its own local codes only
            institution.empty_label = None
            institution.help_text = _("映射表归本机构维护")

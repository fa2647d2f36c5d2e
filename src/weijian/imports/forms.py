from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from weijian.core.forms import StyledForm
from weijian.imports.models import JobStatus
from weijian.imports.registry import all_specs


class UploadForm(StyledForm):
    file = forms.FileField(
        label=_("选择文件"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
        error_messages={"required": _("请选择要上传的文件"), "empty": _("文件为空")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = settings.IMPORT_MAX_BYTES // (1024 * 1024)
        self.fields["file"].help_text = _("支持 .xlsx 与 .csv（UTF-8 或 GB18030 编码），不超过 %(mb)s MB。") % {"mb": limit}


class JobFilterForm(StyledForm):
    entity = forms.ChoiceField(label=_("导入对象"), required=False)
    status = forms.ChoiceField(label=_("状态"), required=False, choices=[("", _("全部")), *JobStatus.choices])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entity"].choices = [("", _("全部")), *((s.entity, s.title) for s in all_specs())]

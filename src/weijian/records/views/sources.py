"""Data sources (数据来源): the hospitals and platforms registered to upload records, with their machine accounts.

The information centre registers a source for an institution and suspends or resumes it; a district reads
its own district's sources. Writes go through `records.sources`, which checks the role and audits.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from weijian.accounts.access import access_object, can, require, scoped_queryset
from weijian.accounts.pages import get_or_404
from weijian.core.errors import BusinessError
from weijian.core.forms import StyledForm
from weijian.orgs.models import Institution
from weijian.records import sources
from weijian.records.models import Source, SourceKind, SourceStatus
from weijian.records.searchparams import SUPPORTED_TYPES

ENTITY = "record-source"
PAGE = 50

TYPE_LABELS = {
    "Patient": gettext_lazy("居民"), "Practitioner": gettext_lazy("医务人员"), "Organization": gettext_lazy("机构"),
    "Encounter": gettext_lazy("就诊"), "Condition": gettext_lazy("诊断"), "Observation": gettext_lazy("检验检查"),
    "Procedure": gettext_lazy("手术及操作"), "MedicationRequest": gettext_lazy("处方"),
    "MedicationDispense": gettext_lazy("发药"), "Immunization": gettext_lazy("免疫接种"),
    "AllergyIntolerance": gettext_lazy("过敏"), "DiagnosticReport": gettext_lazy("检查报告"),
    "ImagingStudy": gettext_lazy("影像检查"), "DocumentReference": gettext_lazy("文档"),
    "CarePlan": gettext_lazy("健康计划"), "Provenance": gettext_lazy("数据溯源"),
}


def type_label(type_: str) -> str:
    label = TYPE_LABELS.get(type_)
    return f"{label}（{type_}）" if label else type_


@login_required
def source_list_view(request):
    require(request.user, ENTITY, "list")
    rows = scoped_queryset(request.user, Source, "list").select_related("institution", "institution__district",
                                                                          "account")
    page = Paginator(rows.order_by("institution__district_id", "name", "pk"), PAGE).get_page(request.GET.get("page"))
    return render(request, "records/sources.html", {
        "title": _("数据来源"), "page": page, "writer": can(request.user, ENTITY, "update"),
        "creator": can(request.user, ENTITY, "create"),
        "rows": [(s, "、".join(str(TYPE_LABELS.get(t, t)) for t in s.allowed_types)) for s in page],
    })


class SourceForm(StyledForm):
    institution = forms.ModelChoiceField(label=gettext_lazy("所属机构"), queryset=None)
    kind = forms.ChoiceField(label=gettext_lazy("来源类别"), choices=SourceKind.choices)
    name = forms.CharField(label=gettext_lazy("来源名称"), required=False, max_length=128,
                           help_text=gettext_lazy("不填则用机构名称"))
    allowed_types = forms.MultipleChoiceField(
        label=gettext_lazy("允许上传的资源类型"), required=False,
        choices=[(t, type_label(t)) for t in SUPPORTED_TYPES],
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text=gettext_lazy("按住 Ctrl（Mac 为 ⌘）可多选；不选表示允许全部类型。"))

    def __init__(self, *args, institutions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institutions


@login_required
def source_create_view(request):
    require(request.user, ENTITY, "create")
    institutions = scoped_queryset(request.user, Institution, "list").filter(is_active=True).select_related(
        "district").order_by("district_id", "name")
    form = SourceForm(request.POST or None, institutions=institutions)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            source = sources.source_register(actor=request.user, institution=data["institution"], kind=data["kind"],
                                             name=data["name"].strip(), allowed_types=data["allowed_types"])
        except BusinessError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("已登记数据来源：%(name)s（接口账号 %(account)s，请为其签发 API 令牌）")
                             % {"name": source.name, "account": source.account.username})
            return redirect("records:source-list")
    return render(request, "records/form.html", {
        "title": _("登记数据来源"), "form": form, "submit_label": _("登记"),
        "crumbs": [(reverse("records:source-list"), _("数据来源"))], "cancel_url": reverse("records:source-list"),
    }, status=422 if form.errors else 200)


@login_required
@require_POST
def source_status_view(request, pk: int):
    require(request.user, ENTITY, "update")
    source = get_or_404(access_object, request.user, Source, pk, "update")
    status = request.POST.get("status")
    if status not in SourceStatus.values:
        messages.error(request, _("无效的状态"))
        return redirect("records:source-list")
    sources.source_set_status(actor=request.user, source=source, status=status)
    if status == SourceStatus.SUSPENDED:
        messages.success(request, _("已暂停数据来源：%(name)s，其上传将被拒绝") % {"name": source.name})
    else:
        messages.success(request, _("已恢复数据来源：%(name)s") % {"name": source.name})
    return redirect("records:source-list")


urlpatterns = [
    path("sources/", source_list_view, name="source-list"),
    path("sources/new/", source_create_view, name="source-create"),
    path("sources/<int:pk>/status/", source_status_view, name="source-status"),
]

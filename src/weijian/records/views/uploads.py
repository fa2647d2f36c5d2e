"""Upload batches (上传批次): what each source sent, when, and how it went, with the entries refused and why.

Operational metadata, no clinical content: the information centre sees the city, a district its institutions'
sources, an institution its own, a data source account its own batches (`SCOPE_RULES["records.upload"]`).
"""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from weijian.accounts.access import access_object, can, require, scoped_queryset
from weijian.accounts.pages import ScopedListPage, get_or_404
from weijian.core.forms import StyledForm
from weijian.core.pages import Col, display
from weijian.mpi.selectors import upload_link_counts
from weijian.records.models import Source, Upload, UploadKind, UploadStatus

ENTITY = "record-upload"
ISSUE_PAGE = 50
STATUS_BADGE = {"queued": "secondary", "running": "info", "done": "success", "failed": "danger"}


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _blank(choices):
    return [("", _("全部")), *choices]


class UploadFilterForm(StyledForm):
    source = forms.TypedChoiceField(label=gettext_lazy("来源"), required=False, coerce=int, empty_value=None)
    kind = forms.ChoiceField(label=gettext_lazy("方式"), required=False)
    status = forms.ChoiceField(label=gettext_lazy("状态"), required=False)
    date_from = forms.DateField(label=gettext_lazy("起始日期"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=gettext_lazy("截止日期"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, sources=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = _blank(list(sources))
        self.fields["kind"].choices = _blank(UploadKind.choices)
        self.fields["status"].choices = _blank(UploadStatus.choices)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("截止日期不能早于起始日期"))
        return data


class UploadListView(ScopedListPage):
    entity = ENTITY
    title = gettext_lazy("上传批次")
    export_name = "record-uploads"
    default_sort = "-received_at"
    columns = (
        Col(gettext_lazy("批次号"), lambda u: u.pk, sort="id", link=True),
        Col(gettext_lazy("来源"), lambda u: u.source.name, sort="source__name"),
        Col(gettext_lazy("方式"), lambda u: display(u, "kind"), sort="kind"),
        Col(gettext_lazy("数据集 / 文件"), lambda u: " ".join(p for p in (u.dataset, u.file_name) if p) or "—"),
        Col(gettext_lazy("状态"), lambda u: display(u, "status"), sort="status"),
        Col(gettext_lazy("条目数"), lambda u: u.total, sort="total"),
        Col(gettext_lazy("新增"), lambda u: u.created, sort="created"),
        Col(gettext_lazy("更新"), lambda u: u.updated, sort="updated"),
        Col(gettext_lazy("未变化"), lambda u: u.unchanged),
        Col(gettext_lazy("拒收"), lambda u: u.rejected, sort="rejected"),
        Col(gettext_lazy("接收时间"), lambda u: _when(u.received_at), sort="received_at"),
        Col(gettext_lazy("完成时间"), lambda u: _when(u.finished_at), sort="finished_at"),
    )

    def filter_form(self, data):
        sources = scoped_queryset(self.request.user, Source, "list") if can(self.request.user, "record-source", "list") \
            else Source.objects.filter(pk__in=scoped_queryset(self.request.user, Upload).values("source_id"))
        return UploadFilterForm(data, sources=sources.order_by("name").values_list("pk", "name"))

    def get_queryset(self, request, filters):
        qs = scoped_queryset(request.user, Upload, "list").select_related("source")
        if filters.get("source"):
            qs = qs.filter(source_id=filters["source"])
        for name in ("kind", "status"):
            if filters.get(name):
                qs = qs.filter(**{name: filters[name]})
        if filters.get("date_from"):
            qs = qs.filter(received_at__date__gte=filters["date_from"])
        if filters.get("date_to"):
            qs = qs.filter(received_at__date__lte=filters["date_to"])
        return qs

    def extra_context(self, request) -> dict:
        return {"empty_text": _("暂无上传批次"), "hide_export": not can(request.user, ENTITY, "export")}

    def row_url(self, obj):
        return reverse("records:upload-detail", args=[obj.pk])


@login_required
@require_safe
def upload_detail_view(request, pk: int):
    require(request.user, ENTITY, "view")
    upload = get_or_404(access_object, request.user, Upload, pk, "view")
    issues = Paginator(upload.issues.all(), ISSUE_PAGE).get_page(request.GET.get("page"))
    return render(request, "records/upload_detail.html", {
        "title": _("上传批次 #%(pk)s") % {"pk": upload.pk}, "upload": upload, "issues": issues,
        "status_badge": STATUS_BADGE.get(upload.status, "secondary"),
        "counts": [(_("条目数"), upload.total), (_("新增"), upload.created), (_("更新"), upload.updated),
                   (_("未变化"), upload.unchanged), (_("拒收"), upload.rejected)],
        "patients": upload_link_counts(upload.pk),
    })


urlpatterns = [
    path("uploads/", UploadListView.as_view(), name="upload-list"),
    path("uploads/<int:pk>/", upload_detail_view, name="upload-detail"),
]

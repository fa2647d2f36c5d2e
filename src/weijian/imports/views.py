"""Import pages: job list, upload, job page with live progress, dry-run summary, confirm and cancel.

Thin wrappers over imports.services and imports.selectors; a user only ever sees their own jobs
(others get 404), and uploads are allowed by `require(actor, entity, "import")`.
"""

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from weijian.accounts.access import can, require
from weijian.accounts.pages import ScopedListPage, get_or_404
from weijian.core.errors import BusinessError
from weijian.core.pages import Col
from weijian.imports import progress, selectors, services
from weijian.imports.forms import JobFilterForm, UploadForm
from weijian.imports.models import ImportJob, JobStatus
from weijian.imports.registry import ImportSpec, all_specs, get_spec
from weijian.imports.reports import template_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PREVIEW_ROWS = 20
RECENT_JOBS = 5


def _spec_or_404(entity: str) -> ImportSpec:
    try:
        return get_spec(entity)
    except KeyError:
        raise Http404 from None


def _entity_title(entity: str) -> str:
    try:
        return get_spec(entity).title
    except KeyError:
        return entity


def _count(job: ImportJob, value: int) -> str:
    return "" if job.status in (JobStatus.VALIDATING, JobStatus.REJECTED) else value


class ImportJobListView(ScopedListPage):
    entity = "import-job"
    title = gettext_lazy("数据导入")
    filter_form = JobFilterForm
    default_sort = "-created_at"
    columns = (
        Col(gettext_lazy("文件名"), lambda j: j.filename, link=True),
        Col(gettext_lazy("导入对象"), lambda j: _entity_title(j.entity), sort="entity"),
        Col(gettext_lazy("状态"), lambda j: j.get_status_display(), sort="status"),
        Col(gettext_lazy("数据行"), lambda j: _count(j, j.total_rows), sort="total_rows"),
        Col(gettext_lazy("新增"), lambda j: _count(j, j.create_count)),
        Col(gettext_lazy("更新"), lambda j: _count(j, j.update_count)),
        Col(gettext_lazy("无变化"), lambda j: _count(j, j.unchanged_count)),
        Col(gettext_lazy("错误行"), lambda j: _count(j, j.error_rows), sort="error_rows"),
        Col(gettext_lazy("上传时间"), lambda j: timezone.localtime(j.created_at).strftime("%Y-%m-%d %H:%M"),
            sort="created_at"),
    )

    def get_queryset(self, request, filters):
        return selectors.import_job_list(actor=request.user, **filters)

    def row_url(self, obj):
        return reverse("imports:job-detail", args=[obj.pk])

    def extra_context(self, request):
        return {"hide_export": True}

    @property
    def actions(self):
        return tuple((_("导入%(title)s") % {"title": spec.title}, reverse("imports:upload", args=[spec.entity]))
                     for spec in all_specs() if can(self.request.user, spec.entity, "import"))


@login_required
def template_view(request, entity: str):
    spec = _spec_or_404(entity)
    require(request.user, entity, "import")
    response = HttpResponse(template_xlsx(spec), content_type=XLSX)
    response["Content-Disposition"] = _attachment(f"{spec.title}导入模板.xlsx", f"{entity}-import-template.xlsx")
    return response


def _attachment(filename: str, ascii_name: str) -> str:
    """A Chinese file name for browsers (RFC 6266 filename*), an ASCII one for the rest."""
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


@login_required
def upload_view(request, entity: str):
    spec = _spec_or_404(entity)
    require(request.user, entity, "import")
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.import_upload(actor=request.user, entity=entity, filename=upload.name,
                                         chunks=upload.chunks())
        except BusinessError as exc:
            form.add_error("file", exc.message)
        else:
            return redirect("imports:job-detail", pk=job.pk)
    recent = selectors.import_job_list(actor=request.user, entity=entity).order_by("-created_at")[:RECENT_JOBS]
    return render(request, "imports/upload.html", {
        "title": _("批量导入：%(title)s") % {"title": spec.title}, "spec": spec, "form": form,
        "recent": recent, "columns": spec.columns,
    }, status=422 if form.errors else 200)


def _job_context(request, job: ImportJob, *, error: str = "", only_valid: bool = False) -> dict:
    live = progress.read(job.pk) if job.is_running else None
    percent = None
    if live and live.get("total"):
        percent = min(100, round(100 * live["done"] / max(live["total"], 1)))
    return {
        "title": job.filename, "job": job, "spec_title": _entity_title(job.entity),
        "live": live, "percent": percent, "preview": job.errors_preview[:PREVIEW_ROWS],
        "preview_limited": job.error_rows > PREVIEW_ROWS or len(job.errors_preview) > PREVIEW_ROWS,
        "confirm_error": error, "only_valid_checked": only_valid,
        "can_confirm": job.status == JobStatus.VALIDATED and job.valid_rows > 0,
        "can_cancel": job.status in (JobStatus.VALIDATING, JobStatus.VALIDATED),
    }


@login_required
def job_detail_view(request, pk):
    job = get_or_404(selectors.import_job_get, actor=request.user, pk=pk)
    return render(request, "imports/job_detail.html", _job_context(request, job))


@login_required
def job_progress_view(request, pk):
    """The htmx partial polled every second while the job runs; it stops polling once it is done."""
    job = get_or_404(selectors.import_job_get, actor=request.user, pk=pk)
    return render(request, "imports/partials/_job_body.html", _job_context(request, job))


@login_required
@require_POST
def job_confirm_view(request, pk):
    job = get_or_404(selectors.import_job_get, actor=request.user, pk=pk)
    only_valid = request.POST.get("only_valid") in ("1", "on", "true")
    try:
        services.import_confirm(actor=request.user, job=job, only_valid=only_valid)
    except BusinessError as exc:
        job.refresh_from_db()
        template = "imports/partials/_job_body.html" if request.htmx else "imports/job_detail.html"
        return render(request, template, _job_context(request, job, error=exc.message, only_valid=only_valid),
                      status=422)
    messages.success(request, _("已确认导入，正在后台写入数据。"))
    return redirect("imports:job-detail", pk=job.pk)


@login_required
@require_POST
def job_cancel_view(request, pk):
    job = get_or_404(selectors.import_job_get, actor=request.user, pk=pk)
    try:
        services.import_cancel(actor=request.user, job=job)
    except BusinessError as exc:
        messages.error(request, exc.message)
    else:
        messages.info(request, _("已取消本次导入，上传的文件已删除。"))
    return redirect("imports:job-detail", pk=job.pk)


@login_required
def job_report_view(request, pk):
    """The row-error report. It shows ID numbers masked, so downloading it is not audited as a read
    of personal data (the upload and the apply are audited)."""
    job = get_or_404(selectors.import_job_get, actor=request.user, pk=pk)
    report = services.import_report_bytes(job)
    if report is None:
        raise Http404
    stamp = timezone.localtime(job.created_at).strftime("%Y%m%d%H%M")
    response = HttpResponse(report, content_type=XLSX)
    response["Content-Disposition"] = _attachment(f"{_entity_title(job.entity)}导入错误报告-{stamp}.xlsx",
                                                  f"import-errors-{stamp}.xlsx")
    return response

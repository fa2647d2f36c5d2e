"""CME pages: credits. Thin views: parse, call one service or selector, render.

The transcript (a worker's own at /cme/transcript/, anyone's in scope at /cme/workers/<pk>/transcript/),
its PDF certificate, self-reporting with evidence, the verification queues and the credit list. The activity
catalogue, requirements, exemptions, the annual audit and the cycle certification are in `ledger`.
"""

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from weijian.accounts.access import can, require
from weijian.accounts.pages import ScopedListPage, get_or_404
from weijian.accounts.roles import Role, Scope
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record
from weijian.cme import selectors, services
from weijian.cme.forms import CreditFilterForm, CreditReportForm, EvidenceForm, ReviewForm
from weijian.cme.models import Verification
from weijian.core.errors import BusinessError, NotFoundOrForbidden
from weijian.core.pages import Col, display
from weijian.workforce.selectors import worker_get


def _iso(day) -> str:
    return day.isoformat() if day else ""


def _this_year() -> int:
    return timezone.localdate().year


def _year_param(request, default: int | None = None) -> int:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return default or _this_year()
    return year if 2000 <= year <= 2100 else (default or _this_year())


def _add_error(form, exc: BusinessError):
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _form_page(request, form, title, *, back=None, intro="", confirm="", multipart=False, submit_label=None):
    return render(request, "cme/credits/form.html", {
        "form": form, "title": title, "back": back, "intro": intro, "confirm": confirm, "multipart": multipart,
        "submit_label": submit_label or _("保存"),
    }, status=422 if form.errors else 200)


def _with_actor(form_class, request):
    def build(data):
        return form_class(data, actor=request.user)

    return build


# ---- transcript and certificate --------------------------------------------------------------

def _transcript_context(request, worker, year):
    transcript = selectors.worker_transcript(actor=request.user, worker=worker, year=year)
    counted = [r for r in transcript.records if r.status == Verification.VERIFIED]
    return {
        "title": _("%(name)s 的学分档案") % {"name": worker.name},
        "t": transcript, "worker": worker, "year": year, "counted": counted,
        "own": request.user.scope == Scope.SELF,
        "can_report": request.user.scope == Scope.SELF and can(request.user, "cme-credit", "create"),
    }


@login_required
@require_safe
@never_cache
def my_transcript_view(request):
    """The logged-in health worker's own transcript."""
    require(request.user, "cme-credit", "view")
    if request.user.scope != Scope.SELF or request.user.worker_id is None:
        raise PermissionDenied
    worker = get_or_404(worker_get, actor=request.user, pk=request.user.worker_id)
    return render(request, "cme/credits/transcript.html", _transcript_context(request, worker, _year_param(request)))


@login_required
@require_safe
@never_cache
def worker_transcript_view(request, pk: int):
    """Another person's transcript, for business readers in scope; the read is audited."""
    require(request.user, "cme-credit", "view")
    worker = get_or_404(worker_get, actor=request.user, pk=pk)
    year = _year_param(request)
    services.transcript_view(actor=request.user, worker=worker, year=year)
    return render(request, "cme/credits/transcript.html", _transcript_context(request, worker, year))


@login_required
@require_safe
@never_cache
def transcript_pdf_view(request, pk: int):
    """The year's certificate (学分证明) as PDF, audited as an export."""
    require(request.user, "cme-credit", "view")
    worker = get_or_404(worker_get, actor=request.user, pk=pk)
    year = _year_param(request)
    transcript = selectors.worker_transcript(actor=request.user, worker=worker, year=year)
    body = _certificate_pdf(transcript)
    audit_record(actor=request.user, action=AuditAction.EXPORT, entity="cme-transcript", entity_id=worker.pk,
                 summary=f"下载 {worker.name} {year}年度学分证明（PDF）")
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f"attachment; filename=cme-transcript-{worker.pk}-{year}.pdf"
    return response


def _certificate_pdf(t) -> bytes:
    """Built offline with reportlab's built-in CID font, so no font file is needed."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    font = "STSong-Light"
    if font not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    title = ParagraphStyle("title", fontName=font, fontSize=18, leading=24, alignment=1)
    text = ParagraphStyle("text", fontName=font, fontSize=10.5, leading=16)
    worker = t.worker
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm,
                            title=f"{worker.name} {t.year}年度继续医学教育学分证明")
    story = [Paragraph(_("继续医学教育学分证明"), title), Spacer(1, 6 * mm),
             Paragraph(_("姓名：%(name)s　　所在机构：%(inst)s　　年度：%(year)s") % {
                 "name": worker.name, "inst": worker.institution.name, "year": t.year}, text),
             Paragraph(_("职业类别：%(p)s　　职称级别：%(l)s") % {
                 "p": worker.get_profession_display(), "l": worker.get_title_level_display()}, text),
             Spacer(1, 4 * mm)]
    rows = [[_("获得日期"), _("内容"), _("类别"), _("来源"), _("学分")]]
    for record in t.records:
        if record.status == Verification.VERIFIED:
            rows.append([_iso(record.earned_on), Paragraph((record.title or record.get_category_display())[:60], text),
                         record.get_credit_class_display(), record.get_category_display(), str(record.credits)])
    if len(rows) == 1:
        rows.append(["", _("本年度无已审核学分"), "", "", ""])
    table = Table(rows, colWidths=[24 * mm, 70 * mm, 18 * mm, 28 * mm, 18 * mm], repeatRows=1)
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), 9.5),
                               ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    story += [table, Spacer(1, 5 * mm)]
    o = t.outcome
    if o is None:
        story.append(Paragraph(_("本年度未设定该职称组的学分要求。"), text))
    else:
        story.append(Paragraph(_("计入学分：I类 %(i)s 分，II类 %(ii)s 分，合计 %(total)s 分（其中远程 %(r)s 分）") % {
            "i": o.class_i, "ii": o.class_ii, "total": o.counted_total, "r": o.remote_counted}, text))
        verdict = (_("豁免") if o.exempt else _("达标")) if o.passed else _("未达标")
        detail = "" if o.reason == "达标" else f"（{o.reason}）"
        story.append(Paragraph(_("审验结论：%(v)s") % {"v": verdict} + detail, text))
    story += [Spacer(1, 10 * mm),
              Paragraph(_("出具日期：%(d)s　　本证明由卫健平台根据已审核学分记录生成。") % {
                  "d": timezone.localdate().isoformat()}, text)]
    doc.build(story)
    return buffer.getvalue()


# ---- self-report and the record page ---------------------------------------------------------

@login_required
@never_cache
def credit_report_view(request):
    """A health worker reports an activity for himself, with its evidence."""
    require(request.user, "cme-credit", "create")
    if request.user.scope != Scope.SELF or request.user.worker_id is None:
        raise PermissionDenied
    worker = get_or_404(worker_get, actor=request.user, pk=request.user.worker_id)
    activities = selectors.activity_type_list(actor=request.user, active_only=True).order_by("code")
    form = CreditReportForm(request.POST or None, request.FILES or None, activities=activities)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():  # a refused file leaves no record behind
                record = services.credit_record_create(
                    actor=request.user, worker=worker, activity_type=form.activities[data["activity_type"]],
                    quantity=data["quantity"], earned_on=data["earned_on"], title=data["title"])
                if data["evidence"]:
                    services.credit_evidence_add(actor=request.user, record=record, uploaded_file=data["evidence"])
        except BusinessError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("已提交，学分 %(c)s 分，等待科室审核") % {"c": record.credits})
            return redirect("cme:credit-detail", pk=record.pk)
    return _form_page(request, form, _("申报学分"), back=reverse("cme:my-transcript"), multipart=True,
                      submit_label=_("提交申报"))


def _record_page(request, record, review_form=None, evidence_form=None, status=200):
    actor = request.user
    may_upload = record.status == Verification.PENDING and (
        (actor.scope == Scope.SELF and record.worker_id == actor.worker_id)
        or (actor.role == Role.INSTITUTION and record.worker.institution_id == actor.institution_id))
    context = {
        "title": _("学分记录"), "record": record,
        "stage": services.current_stage(record) if record.status == Verification.PENDING else None,
        "reviews": record.reviews.select_related("reviewer").order_by("pk"),
        "evidence": record.evidence.order_by("pk"),
        "can_review": can(actor, "cme-credit", "verify") and services.can_review(actor, record),
        "may_upload": may_upload,
        "review_form": review_form or ReviewForm(),
        "evidence_form": evidence_form or EvidenceForm(),
        "can_view_transcript": actor.scope != Scope.SELF,
    }
    return render(request, "cme/credits/record_detail.html", context, status=status)


@login_required
@require_safe
@never_cache
def credit_detail_view(request, pk: int):
    require(request.user, "cme-credit", "view")
    record = get_or_404(services.credit_record_view, actor=request.user, pk=pk)
    return _record_page(request, record)


@login_required
@require_POST
def credit_review_view(request, pk: int):
    require(request.user, "cme-credit", "verify")
    record = get_or_404(selectors.credit_record_get, actor=request.user, pk=pk, action="verify")
    form = ReviewForm(request.POST)
    approve = request.POST.get("decision") == "approve"
    if form.is_valid():
        try:
            services.credit_review(actor=request.user, record=record, approve=approve,
                                   comment=form.cleaned_data["comment"])
        except NotFoundOrForbidden:
            raise Http404 from None
        except BusinessError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("已审核通过") if approve else _("已退回"))
            return redirect("cme:credit-queue")
    record = get_or_404(selectors.credit_record_get, actor=request.user, pk=pk)
    return _record_page(request, record, review_form=form, status=422)


@login_required
@require_POST
def evidence_add_view(request, pk: int):
    require(request.user, "cme-credit", "create")
    record = get_or_404(selectors.credit_record_get, actor=request.user, pk=pk)
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            _, created = services.credit_evidence_add(actor=request.user, record=record,
                                                      uploaded_file=form.cleaned_data["file"])
        except BusinessError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("已上传证明材料") if created else _("该文件已上传过"))
            return redirect("cme:credit-detail", pk=record.pk)
    return _record_page(request, record, evidence_form=form, status=422)


@login_required
@require_safe
@never_cache
def evidence_download_view(request, pk: int):
    require(request.user, "cme-credit", "view")
    evidence = get_or_404(selectors.evidence_get, actor=request.user, pk=pk)
    data = services.credit_evidence_open(actor=request.user, evidence=evidence)
    response = HttpResponse(data, content_type=evidence.content_type)
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[evidence.content_type]
    response["Content-Disposition"] = f"inline; filename=evidence-{evidence.pk}.{extension}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ---- credit list and the verification queue --------------------------------------------------

def _record_columns():
    return (
        Col(gettext_lazy("人员"), lambda r: r.worker.name, sort="worker__name", link=True),
        Col(gettext_lazy("所在机构"), lambda r: r.worker.institution.name, sort="worker__institution__name"),
        Col(gettext_lazy("年度"), lambda r: r.year, sort="year"),
        Col(gettext_lazy("获得日期"), lambda r: _iso(r.earned_on), sort="earned_on"),
        Col(gettext_lazy("内容"), lambda r: r.title or display(r, "category")),
        Col(gettext_lazy("学分类别"), lambda r: display(r, "credit_class"), sort="credit_class"),
        Col(gettext_lazy("学分来源类别"), lambda r: display(r, "category"), sort="category"),
        Col(gettext_lazy("学分"), lambda r: r.credits, sort="credits"),
        Col(gettext_lazy("审核状态"), lambda r: display(r, "status"), sort="status"),
        Col(gettext_lazy("审核环节"), lambda r: display(r, "stage") if r.status == Verification.PENDING else "",
            sort="stage"),
    )


class CreditListView(ScopedListPage):
    entity = "cme-credit"
    title = gettext_lazy("学分记录")
    export_name = "cme-credits"
    default_sort = "-earned_on"
    columns = _record_columns()

    @property
    def filter_form(self):
        return _with_actor(CreditFilterForm, self.request)

    def get_queryset(self, request, filters):
        return selectors.credit_record_list(actor=request.user, **filters)

    def row_url(self, obj):
        return reverse("cme:credit-detail", args=[obj.pk])

    @property
    def actions(self):
        buttons = []
        if self.request.user.scope == Scope.SELF and can(self.request.user, "cme-credit", "create"):
            buttons.append((_("申报学分"), reverse("cme:credit-report")))
        if can(self.request.user, "cme-credit", "verify"):
            buttons.append((_("待我审核"), reverse("cme:credit-queue")))
        return tuple(buttons)

    def extra_context(self, request):
        return {"hide_export": not can(request.user, "cme-credit", "export")}


class CreditQueueView(ScopedListPage):
    entity = "cme-credit"
    title = gettext_lazy("学分审核")
    export_name = "cme-credit-queue"
    default_sort = "earned_on"
    columns = _record_columns()

    def authorize(self, request, action):
        require(request.user, "cme-credit", "verify" if action == "list" else action)

    def get_queryset(self, request, filters):
        return selectors.credit_queue(actor=request.user)

    def row_url(self, obj):
        return reverse("cme:credit-detail", args=[obj.pk])

    def extra_context(self, request):
        return {"hide_export": not can(request.user, "cme-credit", "export")}


urlpatterns = [
    path("transcript/", my_transcript_view, name="my-transcript"),
    path("workers/<int:pk>/transcript/", worker_transcript_view, name="worker-transcript"),
    path("workers/<int:pk>/transcript/pdf/", transcript_pdf_view, name="transcript-pdf"),
    path("credits/", CreditListView.as_view(), name="credit-list"),
    path("credits/report/", credit_report_view, name="credit-report"),
    path("credits/queue/", CreditQueueView.as_view(), name="credit-queue"),
    path("credits/<int:pk>/", credit_detail_view, name="credit-detail"),
    path("credits/<int:pk>/review/", credit_review_view, name="credit-review"),
    path("credits/<int:pk>/evidence/", evidence_add_view, name="evidence-add"),
    path("evidence/<int:pk>/", evidence_download_view, name="evidence-download"),
]

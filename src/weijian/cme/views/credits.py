"""CME pages: credits. Thin views: parse, call one service or selector, render.

The transcript (a worker's own at /cme/transcript/, anyone's in scope at /cme/workers/<pk>/transcript/),
its PDF certificate, self-reporting with evidence, the verification queues, the credit list, the activity
catalogue, requirements, exemptions, the annual audit and the cycle certification.
"""

import io

from django import forms
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
from weijian.cme.models import (
    CreditCategory,
    CreditClass,
    CreditRule,
    TitleGroup,
    Verification,
)
from weijian.core.errors import BusinessError, NotFoundOrForbidden
from weijian.core.forms import StyledForm
from weijian.core.pages import Col, display
from weijian.orgs.models import DivisionLevel
from weijian.orgs.selectors import division_list, institution_list
from weijian.workforce.models import Profession
from weijian.workforce.selectors import worker_get, worker_list


def _blank(choices):
    return [("", gettext_lazy("全部")), *choices]


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


class _PlaceFilters(StyledForm):
    """Institution and district choices limited to the actor's scope; dropped when there is nothing to pick."""

    institution = forms.ChoiceField(label=gettext_lazy("所在机构"), required=False)
    district = forms.ChoiceField(label=gettext_lazy("区县"), required=False)

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        institutions = institution_list(actor=actor).select_related(None).only("pk", "name").order_by("name")
        districts = division_list(actor=actor, level=DivisionLevel.DISTRICT)
        self.fields["institution"].choices = _blank([(str(i.pk), i.name) for i in institutions])
        self.fields["district"].choices = _blank([(str(d.pk), d.name) for d in districts])
        for name in ("institution", "district"):
            if len(self.fields[name].choices) <= 2:
                del self.fields[name]


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
    if worker.pk != request.user.worker_id:
        audit_record(actor=request.user, action=AuditAction.VIEW_PERSONAL, entity="cme-transcript",
                     entity_id=worker.pk, summary=f"查看 {worker.name} {year}年度学分档案")
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

class CreditReportForm(StyledForm):
    activity_type = forms.ChoiceField(label=gettext_lazy("活动类别"))
    quantity = forms.DecimalField(label=gettext_lazy("数量"), min_value=0, max_digits=8, decimal_places=1,
                                  required=False, help_text=gettext_lazy("按所选类别的计量单位填写；固定学分的类别可不填"))
    earned_on = forms.DateField(label=gettext_lazy("获得日期"),
                                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    title = forms.CharField(label=gettext_lazy("内容"), max_length=200, required=False,
                            help_text=gettext_lazy("如论文题目、刊物名称、讲座主题"))
    evidence = forms.FileField(label=gettext_lazy("证明材料"), required=False,
                               help_text=gettext_lazy("PDF、JPEG 或 PNG，不超过 10 MB"))

    def __init__(self, *args, activities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.activities = {str(a.pk): a for a in activities}
        self.fields["activity_type"].choices = [("", _("请选择"))] + [
            (pk, f"{a.name}（{a.get_credit_class_display()}，{a.credits_per_unit} 分/{a.unit or _('项')}"
                 + (f"，{_('每年最高')} {a.max_per_year} 分" if a.max_per_year else "") + "）")
            for pk, a in self.activities.items()]


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


class ReviewForm(StyledForm):
    comment = forms.CharField(label=gettext_lazy("审核意见"), max_length=500, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))


class EvidenceForm(StyledForm):
    file = forms.FileField(label=gettext_lazy("证明材料"), help_text=gettext_lazy("PDF、JPEG 或 PNG，不超过 10 MB"))


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
    record = get_or_404(selectors.credit_record_get, actor=request.user, pk=pk)
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

class CreditFilterForm(_PlaceFilters):
    year = forms.IntegerField(label=gettext_lazy("年度"), required=False, min_value=2000, max_value=2100)
    status = forms.ChoiceField(label=gettext_lazy("审核状态"), required=False, choices=_blank(Verification.choices))
    credit_class = forms.ChoiceField(label=gettext_lazy("学分类别"), required=False,
                                     choices=_blank(CreditClass.choices))
    field_order = ["year", "status", "credit_class", "institution", "district"]


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


# ---- activity catalogue ----------------------------------------------------------------------

class ActivityTypeListView(ScopedListPage):
    entity = "cme-activity-type"
    title = gettext_lazy("学分活动类别")
    export_name = "cme-activity-types"
    default_sort = "code"
    columns = (
        Col(gettext_lazy("代码"), lambda a: a.code, sort="code", link=True),
        Col(gettext_lazy("活动名称"), lambda a: a.name, sort="name"),
        Col(gettext_lazy("学分类别"), lambda a: display(a, "credit_class"), sort="credit_class"),
        Col(gettext_lazy("学分来源类别"), lambda a: display(a, "category"), sort="category"),
        Col(gettext_lazy("计分规则"), lambda a: display(a, "rule")),
        Col(gettext_lazy("计量单位"), lambda a: a.unit),
        Col(gettext_lazy("每单位学分"), lambda a: a.credits_per_unit),
        Col(gettext_lazy("每年最高学分"), lambda a: a.max_per_year if a.max_per_year is not None else "—"),
        Col(gettext_lazy("远程学分"), lambda a: _("是") if a.is_remote else _("否")),
        Col(gettext_lazy("须上传证明材料"), lambda a: _("是") if a.needs_evidence else _("否")),
        Col(gettext_lazy("启用"), lambda a: _("是") if a.is_active else _("否"), sort="is_active"),
    )

    def authorize(self, request, action):
        require(request.user, self.entity, "list" if action == "export" else action)

    def get_queryset(self, request, filters):
        return selectors.activity_type_list(actor=request.user)

    def row_url(self, obj):
        return reverse("cme:activity-type-update", args=[obj.pk]) if can(
            self.request.user, self.entity, "update") else ""

    @property
    def actions(self):
        if can(self.request.user, self.entity, "create"):
            return ((_("新增类别"), reverse("cme:activity-type-create")),
                    (_("载入默认类别"), reverse("cme:activity-catalogue-seed")))
        return ()


class ActivityTypeForm(StyledForm):
    code = forms.CharField(label=gettext_lazy("代码"), max_length=32)
    name = forms.CharField(label=gettext_lazy("活动名称"), max_length=100)
    credit_class = forms.ChoiceField(label=gettext_lazy("学分类别"), choices=CreditClass.choices,
                                     initial=CreditClass.II)
    category = forms.ChoiceField(label=gettext_lazy("学分来源类别"), choices=[
        c for c in CreditCategory.choices if c[0] != CreditCategory.PROJECT])
    rule = forms.ChoiceField(label=gettext_lazy("计分规则"), choices=CreditRule.choices)
    unit = forms.CharField(label=gettext_lazy("计量单位"), max_length=16, required=False)
    credits_per_unit = forms.CharField(label=gettext_lazy("每单位学分"), max_length=8)
    max_per_year = forms.CharField(label=gettext_lazy("每年最高学分"), max_length=8, required=False,
                                   help_text=gettext_lazy("留空表示不设上限"))
    is_remote = forms.BooleanField(label=gettext_lazy("远程学分"), required=False)
    needs_evidence = forms.BooleanField(label=gettext_lazy("须上传证明材料"), required=False, initial=True)
    is_active = forms.BooleanField(label=gettext_lazy("启用"), required=False, initial=True)


@login_required
@never_cache
def activity_type_create_view(request):
    require(request.user, "cme-activity-type", "create")
    form = ActivityTypeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.activity_type_create(actor=request.user, **form.cleaned_data)
        except BusinessError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("cme:activity-type-list")
    return _form_page(request, form, _("新增学分活动类别"), back=reverse("cme:activity-type-list"))


@login_required
@never_cache
def activity_type_update_view(request, pk: int):
    require(request.user, "cme-activity-type", "update")
    activity = get_or_404(selectors.activity_type_get, actor=request.user, pk=pk, action="update")
    initial = {f: getattr(activity, f) for f in ActivityTypeForm.base_fields}
    initial["max_per_year"] = activity.max_per_year or ""
    form = ActivityTypeForm(request.POST or None, initial=initial)
    form.fields["code"].disabled = True
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if k != "code"}
        try:
            services.activity_type_update(actor=request.user, activity_type=activity, **changes)
        except BusinessError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("cme:activity-type-list")
    return _form_page(request, form, _("编辑学分活动类别"), back=reverse("cme:activity-type-list"),
                      intro=_("修改计分规则只影响此后的申报，已申报的记录学分不变。"))


@login_required
@never_cache
def activity_catalogue_seed_view(request):
    """GET: what will happen; POST: create the default activities that are missing."""
    require(request.user, "cme-activity-type", "create")
    if request.method == "POST":
        created = services.activity_catalogue_seed(actor=request.user)
        messages.success(request, _("已载入 %(n)s 个默认类别") % {"n": created})
        return redirect("cme:activity-type-list")
    return _form_page(request, StyledForm(), _("载入默认学分活动类别"), back=reverse("cme:activity-type-list"),
                      intro=_("将按代码补充缺少的默认类别（论文、授课、自学、远程课程等）；已有类别保持不变。"),
                      submit_label=_("载入"))


# ---- requirements ----------------------------------------------------------------------------

class RequirementFilterForm(StyledForm):
    year = forms.IntegerField(label=gettext_lazy("年度"), required=False, min_value=2000, max_value=2100)


class RequirementListView(ScopedListPage):
    entity = "cme-requirement"
    title = gettext_lazy("年度学分要求")
    export_name = "cme-requirements"
    default_sort = "-year"
    filter_form = RequirementFilterForm
    columns = (
        Col(gettext_lazy("年度"), lambda r: r.year, sort="year"),
        Col(gettext_lazy("职称组"), lambda r: display(r, "title_group"), sort="title_group"),
        Col(gettext_lazy("职业类别"), lambda r: display(r, "profession") or _("全部职业"), sort="profession"),
        Col(gettext_lazy("总学分"), lambda r: r.total),
        Col(gettext_lazy("I类最低学分"), lambda r: r.min_class_i),
        Col(gettext_lazy("II类最低学分"), lambda r: r.min_class_ii),
        Col(gettext_lazy("远程学分计入上限"), lambda r: r.remote_cap),
    )

    def authorize(self, request, action):
        require(request.user, self.entity, "list" if action == "export" else action)

    def get_queryset(self, request, filters):
        return selectors.requirement_list(actor=request.user, year=filters.get("year"))

    @property
    def actions(self):
        if can(self.request.user, self.entity, "update"):
            return ((_("设定学分要求"), reverse("cme:requirement-set")),)
        return ()


class RequirementForm(StyledForm):
    year = forms.IntegerField(label=gettext_lazy("年度"), min_value=2000, max_value=2100)
    title_group = forms.ChoiceField(label=gettext_lazy("职称组"), choices=TitleGroup.choices)
    profession = forms.ChoiceField(label=gettext_lazy("职业类别"), required=False,
                                   choices=[("", gettext_lazy("全部职业")), *Profession.choices])
    total = forms.CharField(label=gettext_lazy("总学分"), max_length=8)
    min_class_i = forms.CharField(label=gettext_lazy("I类最低学分"), max_length=8)
    min_class_ii = forms.CharField(label=gettext_lazy("II类最低学分"), max_length=8)
    remote_cap = forms.CharField(label=gettext_lazy("远程学分计入上限"), max_length=8)


@login_required
@never_cache
def requirement_set_view(request):
    require(request.user, "cme-requirement", "update")
    form = RequirementForm(request.POST or None, initial={"year": _this_year()})
    if request.method == "POST" and form.is_valid():
        try:
            services.requirement_set(actor=request.user, **form.cleaned_data)
        except BusinessError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("cme:requirement-list")
    return _form_page(request, form, _("设定学分要求"), back=reverse("cme:requirement-list"),
                      intro=_("同一年度、职称组、职业类别只有一条要求，再次设定即修改。"))


# ---- exemptions ------------------------------------------------------------------------------

class ExemptionFilterForm(_PlaceFilters):
    year = forms.IntegerField(label=gettext_lazy("年度"), required=False, min_value=2000, max_value=2100)
    status = forms.ChoiceField(label=gettext_lazy("审批状态"), required=False, choices=_blank(Verification.choices))
    field_order = ["year", "status", "institution", "district"]


class ExemptionListView(ScopedListPage):
    entity = "cme-exemption"
    title = gettext_lazy("学分豁免")
    export_name = "cme-exemptions"
    default_sort = "-year"
    columns = (
        Col(gettext_lazy("人员"), lambda e: e.worker.name, sort="worker__name", link=True),
        Col(gettext_lazy("所在机构"), lambda e: e.worker.institution.name, sort="worker__institution__name"),
        Col(gettext_lazy("年度"), lambda e: e.year, sort="year"),
        Col(gettext_lazy("豁免理由"), lambda e: e.reason),
        Col(gettext_lazy("审批状态"), lambda e: display(e, "status"), sort="status"),
        Col(gettext_lazy("审批意见"), lambda e: e.decision_reason),
        Col(gettext_lazy("审批人"), lambda e: str(e.approved_by or "")),
    )

    @property
    def filter_form(self):
        return _with_actor(ExemptionFilterForm, self.request)

    def authorize(self, request, action):
        require(request.user, self.entity, "list" if action == "export" else action)

    def get_queryset(self, request, filters):
        return selectors.exemption_page_list(actor=request.user, **filters)

    def row_url(self, obj):
        return reverse("cme:exemption-decide", args=[obj.pk]) if can(
            self.request.user, self.entity, "approve") and obj.status == Verification.PENDING else ""

    @property
    def actions(self):
        if can(self.request.user, self.entity, "create"):
            return ((_("申请豁免"), reverse("cme:exemption-request")),)
        return ()


class ExemptionRequestForm(StyledForm):
    worker = forms.ChoiceField(label=gettext_lazy("人员"))
    year = forms.IntegerField(label=gettext_lazy("年度"), min_value=2000, max_value=2100)
    reason = forms.CharField(label=gettext_lazy("豁免理由"), max_length=200,
                             help_text=gettext_lazy("如长期病假、出国进修、产假"))

    def __init__(self, *args, workers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.workers = {str(w.pk): w for w in workers}
        self.fields["worker"].choices = [(pk, f"{w.name}（{w.institution.name}）") for pk, w in self.workers.items()]


@login_required
@never_cache
def exemption_request_view(request):
    require(request.user, "cme-exemption", "create")
    workers = worker_list(actor=request.user, status="active").order_by("institution__name", "name")[:500]
    form = ExemptionRequestForm(request.POST or None, initial={"year": _this_year()}, workers=workers)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.exemption_request(actor=request.user, worker=form.workers[data["worker"]], year=data["year"],
                                       reason=data["reason"])
        except BusinessError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("豁免申请已提交，等待区县或卫健委审批"))
            return redirect("cme:exemption-list")
    return _form_page(request, form, _("申请学分豁免"), back=reverse("cme:exemption-list"),
                      submit_label=_("提交申请"))


class ExemptionDecideForm(StyledForm):
    reason = forms.CharField(label=gettext_lazy("审批意见"), max_length=200, required=False,
                             help_text=gettext_lazy("驳回时必填"))


@login_required
@never_cache
def exemption_decide_view(request, pk: int):
    require(request.user, "cme-exemption", "approve")
    exemption = get_or_404(selectors.exemption_get, actor=request.user, pk=pk, action="approve")
    form = ExemptionDecideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        approve = request.POST.get("decision") == "approve"
        try:
            services.exemption_decide(actor=request.user, exemption=exemption, approve=approve,
                                      reason=form.cleaned_data["reason"])
        except BusinessError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("已批准") if approve else _("已驳回"))
            return redirect("cme:exemption-list")
    return render(request, "cme/credits/exemption_decide.html",
                  {"title": _("审批学分豁免"), "form": form, "exemption": exemption},
                  status=422 if form.errors else 200)


# ---- annual audit and cycle certification ----------------------------------------------------

class RunForm(StyledForm):
    year = forms.IntegerField(label=gettext_lazy("年度"), min_value=2000, max_value=2100)
    district = forms.ChoiceField(label=gettext_lazy("区县"), required=False)

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.districts = {str(d.pk): d for d in division_list(actor=actor, level=DivisionLevel.DISTRICT)}
        self.fields["district"].choices = [("", gettext_lazy("全部（我的管辖范围）")),
                                           *[(pk, d.name) for pk, d in self.districts.items()]]


class AuditFilterForm(_PlaceFilters):
    year = forms.IntegerField(label=gettext_lazy("年度"), required=False, min_value=2000, max_value=2100)
    passed = forms.ChoiceField(label=gettext_lazy("结论"), required=False, choices=[
        ("", gettext_lazy("全部")), ("1", gettext_lazy("达标")), ("0", gettext_lazy("未达标"))])
    field_order = ["year", "passed", "institution", "district"]


def _passed(filters: dict) -> dict:
    if "passed" in filters:
        filters["passed"] = filters["passed"] == "1"
    return filters


class AuditListView(ScopedListPage):
    entity = "cme-audit"
    title = gettext_lazy("年度学分审验")
    export_name = "cme-annual-audit"
    default_sort = "worker__name"
    columns = (
        Col(gettext_lazy("人员"), lambda a: a.worker.name, sort="worker__name", link=True),
        Col(gettext_lazy("所在机构"), lambda a: a.institution.name, sort="institution__name"),
        Col(gettext_lazy("年度"), lambda a: a.year, sort="year"),
        Col(gettext_lazy("职称组"), lambda a: display(a, "title_group"), sort="title_group"),
        Col(gettext_lazy("计入总学分"), lambda a: a.counted_total, sort="counted_total"),
        Col(gettext_lazy("计入I类学分"), lambda a: a.class_i),
        Col(gettext_lazy("计入II类学分"), lambda a: a.class_ii),
        Col(gettext_lazy("计入远程学分"), lambda a: a.remote_counted),
        Col(gettext_lazy("差额"), lambda a: a.shortfall, sort="shortfall"),
        Col(gettext_lazy("结论"), lambda a: _("达标") if a.passed else _("未达标"), sort="passed"),
        Col(gettext_lazy("结论说明"), lambda a: a.reason),
    )

    @property
    def filter_form(self):
        return _with_actor(AuditFilterForm, self.request)

    def get_queryset(self, request, filters):
        filters = _passed(dict(filters))
        year = filters.pop("year", None) or _year_param(request, _this_year() - 1)
        return selectors.annual_audit_list(actor=request.user, year=year, **filters)

    def row_url(self, obj):
        if self.request.user.scope == Scope.SELF:
            return reverse("cme:my-transcript") + f"?year={obj.year}"
        return reverse("cme:worker-transcript", args=[obj.worker_id]) + f"?year={obj.year}"

    @property
    def actions(self):
        if can(self.request.user, self.entity, "run"):
            return ((_("执行审验"), reverse("cme:audit-run")),)
        return ()

    def extra_context(self, request):
        return {"hide_export": not can(request.user, self.entity, "export")}


@login_required
@never_cache
def audit_run_view(request):
    require(request.user, "cme-audit", "run")
    form = RunForm(request.POST or None, initial={"year": _this_year() - 1}, actor=request.user)
    if request.method == "POST" and form.is_valid():
        district = form.districts.get(form.cleaned_data["district"] or "")
        try:
            result = services.annual_audit_run(actor=request.user, year=form.cleaned_data["year"],
                                               district=district)
        except BusinessError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("%(y)s年度审验完成：%(n)s人，达标%(p)s人，未达标%(f)s人") % {
                "y": result.year, "n": result.audited, "p": result.passed, "f": result.failed})
            return redirect(reverse("cme:audit-list") + f"?year={result.year}")
    return _form_page(request, form, _("执行年度学分审验"), back=reverse("cme:audit-list"),
                      intro=_("按已审核学分和年度要求逐人判定；重新执行将替换范围内人员该年度的审验结果。"),
                      confirm=_("确定执行审验？将替换范围内人员该年度已有的审验结果。"), submit_label=_("执行审验"))


class CycleFilterForm(_PlaceFilters):
    last_year = forms.IntegerField(label=gettext_lazy("周期结束年度"), required=False, min_value=2000, max_value=2100)
    passed = forms.ChoiceField(label=gettext_lazy("结论"), required=False, choices=[
        ("", gettext_lazy("全部")), ("1", gettext_lazy("合格")), ("0", gettext_lazy("不合格"))])
    field_order = ["last_year", "passed", "institution", "district"]


class CycleListView(ScopedListPage):
    entity = "cme-cycle"
    title = gettext_lazy("周期验证")
    export_name = "cme-cycles"
    default_sort = "worker__name"
    columns = (
        Col(gettext_lazy("人员"), lambda c: c.worker.name, sort="worker__name", link=True),
        Col(gettext_lazy("所在机构"), lambda c: c.institution.name, sort="institution__name"),
        Col(gettext_lazy("周期"), lambda c: f"{c.first_year}—{c.last_year}", sort="last_year"),
        Col(gettext_lazy("达标年数"), lambda c: c.years_passed, sort="years_passed"),
        Col(gettext_lazy("周期计入总学分"), lambda c: c.counted_total, sort="counted_total"),
        Col(gettext_lazy("结论"), lambda c: _("合格") if c.passed else _("不合格"), sort="passed"),
        Col(gettext_lazy("结论说明"), lambda c: c.reason),
    )

    @property
    def filter_form(self):
        return _with_actor(CycleFilterForm, self.request)

    def get_queryset(self, request, filters):
        return selectors.cycle_list(actor=request.user, **_passed(dict(filters)))

    def row_url(self, obj):
        if self.request.user.scope == Scope.SELF:
            return reverse("cme:my-transcript") + f"?year={obj.last_year}"
        return reverse("cme:worker-transcript", args=[obj.worker_id]) + f"?year={obj.last_year}"

    @property
    def actions(self):
        if can(self.request.user, self.entity, "run"):
            return ((_("执行周期验证"), reverse("cme:cycle-run")),)
        return ()

    def extra_context(self, request):
        return {"hide_export": not can(request.user, self.entity, "export")}


@login_required
@never_cache
def cycle_run_view(request):
    require(request.user, "cme-cycle", "run")
    form = RunForm(request.POST or None, initial={"year": _this_year() - 1}, actor=request.user)
    form.fields["year"].label = _("周期结束年度")
    if request.method == "POST" and form.is_valid():
        district = form.districts.get(form.cleaned_data["district"] or "")
        try:
            result = services.cycle_certify_run(actor=request.user, last_year=form.cleaned_data["year"],
                                                district=district)
        except BusinessError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("%(a)s—%(b)s年周期验证完成：%(n)s人，合格%(p)s人，不合格%(f)s人") % {
                "a": result.first_year, "b": result.last_year, "n": result.certified, "p": result.passed,
                "f": result.failed})
            return redirect(reverse("cme:cycle-list") + f"?last_year={result.last_year}")
    return _form_page(request, form, _("执行周期验证"), back=reverse("cme:cycle-list"),
                      intro=_("周期长度取该结束年度的参数设置；周期内每个设有要求的年度都须达标（豁免视为达标）。"),
                      confirm=_("确定执行周期验证？将替换范围内人员该周期已有的验证结果。"), submit_label=_("执行验证"))


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
    path("activity-types/", ActivityTypeListView.as_view(), name="activity-type-list"),
    path("activity-types/new/", activity_type_create_view, name="activity-type-create"),
    path("activity-types/<int:pk>/edit/", activity_type_update_view, name="activity-type-update"),
    path("activity-types/seed/", activity_catalogue_seed_view, name="activity-catalogue-seed"),
    path("requirements/", RequirementListView.as_view(), name="requirement-list"),
    path("requirements/set/", requirement_set_view, name="requirement-set"),
    path("exemptions/", ExemptionListView.as_view(), name="exemption-list"),
    path("exemptions/request/", exemption_request_view, name="exemption-request"),
    path("exemptions/<int:pk>/decide/", exemption_decide_view, name="exemption-decide"),
    path("audits/", AuditListView.as_view(), name="audit-list"),
    path("audits/run/", audit_run_view, name="audit-run"),
    path("cycles/", CycleListView.as_view(), name="cycle-list"),
    path("cycles/run/", cycle_run_view, name="cycle-run"),
]

"""CME pages: projects. Thin views: parse, call one service or selector, render.

The catalogue, a project's page (application, deadlines, the next steps the user may take, check-in
windows with their QR codes), the application form, the commission's review queue, the overdue lists,
the year's policy, the worker's check-in page, per-project attendance, and spot checks.
"""

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from weijian.accounts.access import can, require
from weijian.accounts.pages import ScopedListPage, get_or_404
from weijian.accounts.roles import Scope
from weijian.cme import selectors, services
from weijian.cme.errors import CmeErrorCode as E
from weijian.cme.forms import (
    DistrictFilterForm,
    DrawForm,
    FileForm,
    FindingsForm,
    PolicyForm,
    ProjectFilterForm,
    ProjectForm,
    ReasonForm,
    ReportForm,
    WindowForm,
)
from weijian.cme.models import ProjectStatus, SpotCheckResult
from weijian.core.errors import BusinessError, NotFoundOrForbidden
from weijian.core.pages import Col, display
from weijian.orgs.models import DivisionLevel
from weijian.orgs.selectors import division_list, institution_choices
from weijian.workforce.services import worker_find_by_id_number


def _iso(day) -> str:
    return day.isoformat() if day else ""


def _districts(actor):
    return division_list(actor=actor, level=DivisionLevel.DISTRICT) if can(actor, "division", "list") else []


EDIT_FIELDS = ("name", "discipline", "credits", "credit_class", "delivery", "start_date", "end_date",
               "lead_teacher", "audience", "schedule", "budget", "expected_attendees")


def _error(form, exc: BusinessError) -> None:
    field = "lead_id_number" if exc.field == "lead_worker" else exc.field  # the form finds the lead by ID number
    form.add_error(field if field in form.fields else None, exc.message)


def _form_page(request, template, context, form):
    return render(request, template, context, status=422 if form.errors else 200)


# ---- the catalogue and its lists -------------------------------------------------------------

STATUS_BADGE = {
    ProjectStatus.DRAFT: "secondary", ProjectStatus.ENDORSED: "info", ProjectStatus.APPROVED: "primary",
    ProjectStatus.REJECTED: "danger", ProjectStatus.HELD: "success", ProjectStatus.CANCELLED: "dark",
}

PROJECT_COLUMNS = (
    Col(gettext_lazy("项目编号"), lambda p: p.number, sort="number", link=True),
    Col(gettext_lazy("项目名称"), lambda p: p.name, sort="name"),
    Col(gettext_lazy("项目级别"), lambda p: display(p, "level"), sort="level"),
    Col(gettext_lazy("主办机构"), lambda p: p.host.name, sort="host__name"),
    Col(gettext_lazy("所属区县"), lambda p: p.host.district.name, sort="host__district__code"),
    Col(gettext_lazy("学分"), lambda p: f"{display(p, 'credit_class')} {p.credits}", sort="credits"),
    Col(gettext_lazy("开始日期"), lambda p: _iso(p.start_date), sort="start_date"),
    Col(gettext_lazy("结束日期"), lambda p: _iso(p.end_date), sort="end_date"),
    Col(gettext_lazy("状态"), lambda p: display(p, "status"), sort="status"),
)


class _ProjectListBase(ScopedListPage):
    entity = "cme-project"
    columns = PROJECT_COLUMNS
    default_sort = "-start_date"

    def row_url(self, obj):
        return reverse("cme:project-detail", args=[obj.pk])


class ProjectListView(_ProjectListBase):
    title = gettext_lazy("继续医学教育项目")
    export_name = "cme-projects"

    def filter_form(self, data):
        return ProjectFilterForm(data, districts=_districts(self.request.user))

    def get_queryset(self, request, filters):
        return selectors.project_list(actor=request.user, **filters)

    @property
    def actions(self):
        actor, buttons = self.request.user, []
        if can(actor, "cme-project", "create"):
            buttons.append((_("申报项目"), reverse("cme:project-create")))
        if can(actor, "cme-project", "approve"):
            buttons.append((_("待审核项目"), reverse("cme:project-review")))
        buttons.append((_("逾期未备案"), reverse("cme:project-overdue-filings")))
        buttons.append((_("逾期未报告"), reverse("cme:project-overdue-reports")))
        return tuple(buttons)


class ProjectReviewView(_ProjectListBase):
    title = gettext_lazy("待审核项目")
    export_name = "cme-projects-review"
    default_sort = "start_date"

    def authorize(self, request, action):
        require(request.user, self.entity, "approve")
        super().authorize(request, action)

    def get_queryset(self, request, filters):
        return selectors.review_queue(actor=request.user)


class _OverdueView(_ProjectListBase):
    default_sort = "start_date"
    selector = None
    deadline = None

    def filter_form(self, data):
        return DistrictFilterForm(data, districts=_districts(self.request.user))

    @property
    def columns(self):
        return (*PROJECT_COLUMNS, Col(gettext_lazy("截止日期"), lambda p: _iso(type(self).deadline(p))))

    def get_queryset(self, request, filters):
        return type(self).selector(actor=request.user, today=timezone.localdate(), **filters)


class OverdueFilingsView(_OverdueView):
    title = gettext_lazy("逾期未备案项目")
    export_name = "cme-overdue-filings"
    selector = staticmethod(selectors.overdue_filings)
    deadline = staticmethod(selectors.filing_deadline)


class OverdueReportsView(_OverdueView):
    title = gettext_lazy("逾期未提交执行情况报告的项目")
    export_name = "cme-overdue-reports"
    default_sort = "end_date"
    selector = staticmethod(selectors.overdue_reports)
    deadline = staticmethod(selectors.report_deadline)


# ---- one project -----------------------------------------------------------------------------

def _qr_svg(url: str) -> str:
    return mark_safe(segno.make(url).svg_inline(scale=4))  # noqa: S308 -- segno's own SVG of our own URL


def _detail(request, project, *, status=200, **forms_):
    actor, today = request.user, timezone.localdate()
    actions = selectors.project_actions(actor=actor, project=project)
    windows = []
    if can(actor, "cme-checkin", "view"):
        for window in selectors.checkin_window_list(actor=actor, project=project):
            url = request.build_absolute_uri(reverse("cme:checkin", args=[window.token]))
            windows.append({"window": window, "url": url, "qr": _qr_svg(url),
                            "open": window.opens_at <= timezone.now() < window.closes_at})
    context = {
        "title": project.name, "project": project, "actions": actions, "badge": STATUS_BADGE.get(project.status),
        "filing_deadline": selectors.filing_deadline(project), "report_deadline": selectors.report_deadline(project),
        "filed_late": selectors.is_filed_late(project), "reported_late": selectors.is_reported_late(project),
        "filing_overdue": selectors.is_filing_overdue(project, today),
        "report_overdue": selectors.is_report_overdue(project, today),
        "windows": windows,
        "can_attendance": can(actor, "cme-attendance", "list"),
        "approve_form": forms_.get("approve_form") or ReasonForm(prefix="approve"),
        "reject_form": forms_.get("reject_form") or ReasonForm(prefix="reject"),
        "cancel_form": forms_.get("cancel_form") or ReasonForm(prefix="cancel"),
        "file_form": forms_.get("file_form") or FileForm(prefix="file"),
        "window_form": forms_.get("window_form") or WindowForm(prefix="window"),
    }
    return render(request, "cme/projects/detail.html", context, status=status)


def _project(request, pk):
    require(request.user, "cme-project", "view")
    return get_or_404(selectors.project_get, actor=request.user, pk=pk)


@login_required
def project_detail_view(request, pk: int):
    return _detail(request, _project(request, pk))


def _lead(actor, id_number: str):
    """The lead's worker record, found by ID number through the blind index within the actor's scope."""
    if not id_number:
        return None
    worker = worker_find_by_id_number(actor=actor, id_number=id_number)
    if worker is None:
        raise BusinessError(E.LEAD_NOT_FOUND, field="lead_id_number")
    return worker


def _hosts(actor):
    return institution_choices(actor=actor).order_by("name")


@login_required
def project_create_view(request):
    actor = request.user
    require(actor, "cme-project", "create")
    hosts = _hosts(actor)
    form = ProjectForm(request.POST or None, hosts=hosts, city=actor.scope == Scope.CITY,
                       initial={"host": actor.institution_id} if actor.institution_id else None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        host = hosts.filter(pk=data.pop("host")).first()
        try:
            project = services.project_create(actor=actor, host=host,
                                              lead_worker=_lead(actor, data.pop("lead_id_number")), **data)
        except BusinessError as exc:
            _error(form, exc)
        else:
            messages.success(request, _("项目已登记：%(name)s") % {"name": project.name})
            return redirect("cme:project-detail", pk=project.pk)
    return _form_page(request, "cme/projects/form.html",
                      {"form": form, "title": _("申报继续医学教育项目"), "cancel_url": reverse("cme:project-list")}, form)


@login_required
def project_update_view(request, pk: int):
    actor = request.user
    require(actor, "cme-project", "update")
    project = _project(request, pk)
    if "update" not in selectors.project_actions(actor=actor, project=project):
        raise PermissionDenied
    initial = {name: getattr(project, name) for name in ("number", "level", "host_id", *EDIT_FIELDS)}
    initial["host"] = initial.pop("host_id")
    form = ProjectForm(request.POST or None, initial=initial, hosts=[project.host], city=actor.scope == Scope.CITY,
                       editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            lead = _lead(actor, form.cleaned_data["lead_id_number"])
            services.project_update(actor=actor, project=project, **({"lead_worker": lead} if lead else {}),
                                    **{name: form.cleaned_data[name] for name in EDIT_FIELDS})
        except BusinessError as exc:
            _error(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("cme:project-detail", pk=project.pk)
    return _form_page(request, "cme/projects/form.html",
                      {"form": form, "title": _("编辑项目申报"), "project": project,
                       "cancel_url": reverse("cme:project-detail", args=[project.pk])}, form)


def _act(request, pk, call, done: str, form_name: str = "", form_class=ReasonForm, **kwargs):
    """Run one workflow step from the project page; on a business error re-render the page with it (422)."""
    project = _project(request, pk)
    form = form_class(request.POST, prefix=form_name.removesuffix("_form")) if form_name else None
    if form is not None and not form.is_valid():
        return _detail(request, project, status=422, **{form_name: form})
    values = form.cleaned_data if form is not None else {}
    try:
        call(actor=request.user, project=project, **values, **kwargs)
    except NotFoundOrForbidden:
        raise PermissionDenied from None
    except BusinessError as exc:
        if form is None:
            messages.error(request, exc.message)
            return _detail(request, project, status=422)
        _error(form, exc)
        return _detail(request, project, status=422, **{form_name: form})
    messages.success(request, done)
    return redirect("cme:project-detail", pk=project.pk)


@login_required
@require_POST
def project_endorse_view(request, pk: int):
    return _act(request, pk, services.project_endorse, _("已推荐至卫健委"))


@login_required
@require_POST
def project_approve_view(request, pk: int):
    return _act(request, pk, services.project_approve, _("项目已批准"), "approve_form")


@login_required
@require_POST
def project_reject_view(request, pk: int):
    return _act(request, pk, services.project_reject, _("已驳回"), "reject_form")


@login_required
@require_POST
def project_cancel_view(request, pk: int):
    return _act(request, pk, services.project_cancel, _("项目已取消"), "cancel_form")


@login_required
@require_POST
def project_file_view(request, pk: int):
    return _act(request, pk, services.project_file, _("已备案"), "file_form", FileForm)


@login_required
@require_POST
def checkin_window_create_view(request, pk: int):
    project = _project(request, pk)
    require(request.user, "cme-checkin", "create")
    form = WindowForm(request.POST, prefix="window")
    if form.is_valid():
        try:
            services.checkin_window_open(actor=request.user, project=project, **form.cleaned_data)
        except NotFoundOrForbidden:
            raise PermissionDenied from None
        except BusinessError as exc:
            _error(form, exc)
        else:
            messages.success(request, _("签到场次已创建"))
            return redirect("cme:project-detail", pk=project.pk)
    return _detail(request, project, status=422, window_form=form)


@login_required
def project_report_view(request, pk: int):
    actor = request.user
    require(actor, "cme-project", "update")
    project = _project(request, pk)
    if "report" not in selectors.project_actions(actor=actor, project=project):
        raise PermissionDenied
    form = ReportForm(request.POST or None, initial={
        "held_from": project.start_date, "held_to": project.end_date,
        "attendee_count": selectors.attendance_list(actor=actor, project=project).count() or ""})
    if request.method == "POST" and form.is_valid():
        try:
            services.project_report(actor=actor, project=project, **form.cleaned_data)
        except BusinessError as exc:
            _error(form, exc)
        else:
            messages.success(request, _("执行情况报告已提交"))
            return redirect("cme:project-detail", pk=project.pk)
    return _form_page(request, "cme/projects/form.html",
                      {"form": form, "title": _("执行情况报告"), "project": project, "submit_label": _("提交报告"),
                       "cancel_url": reverse("cme:project-detail", args=[project.pk])}, form)


class ProjectAttendanceView(ScopedListPage):
    entity = "cme-attendance"
    export_name = "cme-attendance"
    default_sort = "worker__name"
    columns = (
        Col(gettext_lazy("姓名"), lambda a: a.worker.name, sort="worker__name"),
        Col(gettext_lazy("所在机构"), lambda a: a.worker.institution.name, sort="worker__institution__name"),
        Col(gettext_lazy("参加日期"), lambda a: _iso(a.attended_on), sort="attended_on"),
        Col(gettext_lazy("登记方式"), lambda a: display(a, "method"), sort="method"),
    )

    @property
    def title(self):
        return _("参加人员：%(name)s") % {"name": self.project.name}

    def get(self, request, pk):
        self.project = _project(request, pk)
        return super().get(request)

    def get_queryset(self, request, filters):
        return selectors.attendance_list(actor=request.user, project=self.project)

    def extra_context(self, request):
        return {"project": self.project}


# ---- policy ----------------------------------------------------------------------------------

@login_required
def policy_view(request):
    actor = request.user
    require(actor, "cme-policy", "list")
    year = timezone.localdate().year
    try:
        year = int(request.GET.get("year") or year)
    except ValueError:
        pass
    current = selectors.policy_for(year)
    can_update = can(actor, "cme-policy", "update")
    form = None
    if can_update:
        form = PolicyForm(request.POST or None, initial={
            "year": year, "filing_days_before": current.filing_days_before,
            "report_days_after": current.report_days_after, "spot_check_rate": current.spot_check_rate,
            "cycle_years": current.cycle_years})
    elif request.method == "POST":
        raise PermissionDenied
    if request.method == "POST" and form.is_valid():
        try:
            policy = services.policy_set(actor=actor, **form.cleaned_data)
        except BusinessError as exc:
            _error(form, exc)
        else:
            messages.success(request, _("%(year)s年度参数已保存") % {"year": policy.year})
            return redirect(f"{reverse('cme:policy')}?year={policy.year}")
    return render(request, "cme/projects/policy.html", {
        "title": _("继续医学教育年度参数"), "year": year, "current": current,
        "policies": selectors.policy_list(actor=actor), "form": form,
    }, status=422 if form is not None and form.errors else 200)


# ---- check-in --------------------------------------------------------------------------------

@login_required
def checkin_view(request, token: str):
    actor = request.user
    window = get_or_404(selectors.checkin_window_for_token, actor=actor, token=token)
    error, attendance, created, status = "", None, None, 200
    if request.method == "POST":
        try:
            attendance, created = services.checkin(actor=actor, token=token)
        except BusinessError as exc:
            error, status = exc.message, 422
    now = timezone.now()
    return render(request, "cme/projects/checkin.html", {
        "title": _("扫码签到"), "window": window, "project": window.project, "error": error,
        "attendance": attendance, "created": created,
        "state": "early" if now < window.opens_at else "closed" if now >= window.closes_at else "open",
    }, status=status)


# ---- spot checks -----------------------------------------------------------------------------

class SpotCheckListView(ScopedListPage):
    entity = "cme-spot-check"
    title = gettext_lazy("项目抽查")
    export_name = "cme-spot-checks"
    default_sort = "-period_end"
    columns = (
        Col(gettext_lazy("抽查批次"), lambda d: d.name, sort="name", link=True),
        Col(gettext_lazy("期间起"), lambda d: _iso(d.period_start), sort="period_start"),
        Col(gettext_lazy("期间止"), lambda d: _iso(d.period_end), sort="period_end"),
        Col(gettext_lazy("抽查比例"), lambda d: f"{d.rate:.1%}", sort="rate"),
        Col(gettext_lazy("项目总数"), lambda d: d.population, sort="population"),
        Col(gettext_lazy("按风险加权"), lambda d: _("是") if d.risk_weighted else _("否")),
        Col(gettext_lazy("随机种子"), lambda d: str(d.seed)),
        Col(gettext_lazy("抽取时间"), lambda d: timezone.localtime(d.created_at).strftime("%Y-%m-%d %H:%M"),
            sort="created_at"),
    )

    def get_queryset(self, request, filters):
        return selectors.spot_check_draw_list(actor=request.user)

    def row_url(self, obj):
        return reverse("cme:spot-check-detail", args=[obj.pk])

    @property
    def actions(self):
        if can(self.request.user, "cme-spot-check", "create"):
            return ((_("抽取项目"), reverse("cme:spot-check-create")),)
        return ()


@login_required
def spot_check_create_view(request):
    require(request.user, "cme-spot-check", "create")
    form = DrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["rate"] = data["rate"] or None
        try:
            draw = services.spot_check_draw(actor=request.user, **data)
        except BusinessError as exc:
            _error(form, exc)
        else:
            messages.success(request, _("已抽取 %(n)s 个项目") % {"n": draw.items.count()})
            return redirect("cme:spot-check-detail", pk=draw.pk)
    return _form_page(request, "cme/projects/form.html",
                      {"form": form, "title": _("抽取抽查项目"), "submit_label": _("抽取"),
                       "cancel_url": reverse("cme:spot-check-list")}, form)


@login_required
def spot_check_detail_view(request, pk: int):
    actor = request.user
    require(actor, "cme-spot-check", "view")
    draw = get_or_404(selectors.spot_check_draw_get, actor=actor, pk=pk)
    items = list(selectors.spot_check_item_list(actor=actor, draw=draw))
    total = draw.items.count()
    return render(request, "cme/projects/spot_check_detail.html", {
        "title": draw.name, "draw": draw, "items": items, "total": total,
        "achieved": (total / draw.population) if draw.population else 0,
        "can_record": can(actor, "cme-spot-check", "update"),
    })


@login_required
def spot_check_record_view(request, pk: int):
    actor = request.user
    require(actor, "cme-spot-check", "update")
    item = get_or_404(selectors.spot_check_item_get, actor=actor, pk=pk, action="update")
    form = FindingsForm(request.POST or None, initial={
        "result": item.result if item.result != SpotCheckResult.PENDING else "",
        "findings": item.findings, "inspected_on": item.inspected_on or timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.spot_check_record(actor=actor, item=item, **form.cleaned_data)
        except BusinessError as exc:
            _error(form, exc)
        else:
            messages.success(request, _("检查结论已保存"))
            return redirect("cme:spot-check-detail", pk=item.draw_id)
    return _form_page(request, "cme/projects/form.html",
                      {"form": form, "title": _("记录检查结论：%(name)s") % {"name": item.project.name},
                       "cancel_url": reverse("cme:spot-check-detail", args=[item.draw_id])}, form)


urlpatterns = [
    path("projects/", ProjectListView.as_view(), name="project-list"),
    path("projects/new/", project_create_view, name="project-create"),
    path("projects/review/", ProjectReviewView.as_view(), name="project-review"),
    path("projects/overdue-filings/", OverdueFilingsView.as_view(), name="project-overdue-filings"),
    path("projects/overdue-reports/", OverdueReportsView.as_view(), name="project-overdue-reports"),
    path("projects/<int:pk>/", project_detail_view, name="project-detail"),
    path("projects/<int:pk>/edit/", project_update_view, name="project-update"),
    path("projects/<int:pk>/endorse/", project_endorse_view, name="project-endorse"),
    path("projects/<int:pk>/approve/", project_approve_view, name="project-approve"),
    path("projects/<int:pk>/reject/", project_reject_view, name="project-reject"),
    path("projects/<int:pk>/file/", project_file_view, name="project-file"),
    path("projects/<int:pk>/report/", project_report_view, name="project-report"),
    path("projects/<int:pk>/cancel/", project_cancel_view, name="project-cancel"),
    path("projects/<int:pk>/attendance/", ProjectAttendanceView.as_view(), name="project-attendance"),
    path("projects/<int:pk>/checkin-windows/", checkin_window_create_view, name="checkin-window-create"),
    path("checkin/<str:token>/", checkin_view, name="checkin"),
    path("policy/", policy_view, name="policy"),
    path("spot-checks/", SpotCheckListView.as_view(), name="spot-check-list"),
    path("spot-checks/new/", spot_check_create_view, name="spot-check-create"),
    path("spot-checks/<int:pk>/", spot_check_detail_view, name="spot-check-detail"),
    path("spot-checks/items/<int:pk>/record/", spot_check_record_view, name="spot-check-record"),
]

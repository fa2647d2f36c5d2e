"""CME pages: the ledger's rules and outcomes. Thin views: parse, call one service or selector, render.

The activity catalogue, the yearly requirements, exemptions, the annual audit and the cycle certification.
Credit records, the review queue, evidence and transcripts are in `credits`.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from weijian.accounts.access import can, require
from weijian.accounts.pages import ScopedListPage, get_or_404
from weijian.accounts.roles import Scope
from weijian.cme import selectors, services
from weijian.cme.forms import (
    ActivityTypeForm,
    AuditFilterForm,
    CycleFilterForm,
    ExemptionDecideForm,
    ExemptionFilterForm,
    ExemptionRequestForm,
    RequirementFilterForm,
    RequirementForm,
    RunForm,
)
from weijian.cme.models import Verification
from weijian.cme.views.credits import _add_error, _form_page, _this_year, _with_actor, _year_param
from weijian.core.errors import BusinessError
from weijian.core.forms import StyledForm
from weijian.core.pages import Col, display
from weijian.workforce.selectors import worker_list

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
        return _transcript_url(self.request.user, obj.worker_id, obj.year)

    @property
    def actions(self):
        if can(self.request.user, self.entity, "run"):
            return ((_("执行审验"), reverse("cme:audit-run")),)
        return ()

    def extra_context(self, request):
        return {"hide_export": not can(request.user, self.entity, "export")}


def _transcript_url(user, worker_id: int, year: int) -> str:
    """A worker's transcript for that year: his own page for the worker himself."""
    if user.scope == Scope.SELF:
        return reverse("cme:my-transcript") + f"?year={year}"
    return reverse("cme:worker-transcript", args=[worker_id]) + f"?year={year}"


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
        return _transcript_url(self.request.user, obj.worker_id, obj.last_year)

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

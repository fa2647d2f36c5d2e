"""Research pages: applications (申报书). Thin views: parse, call one service or selector, render.

The list (scoped by role, filters, export), the application's page (the form, its team, status, version,
history, and the steps the viewer may take: the PI edits, adds members and submits; the institution
endorses or returns; the commission decides with the experts' scores in front of it), the PI's form.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from weijian.accounts.access import can, require
from weijian.accounts.pages import get_or_404
from weijian.accounts.roles import Role
from weijian.core.errors import BusinessError, NotFoundOrForbidden
from weijian.core.pages import Col, display
from weijian.research import attachments, recommendations, rules, selectors, services
from weijian.research.completeness import BUDGET_HEADS
from weijian.research.forms import (
    ApplicationFilterForm,
    ApplicationForm,
    AttachmentForm,
    DecideForm,
    EndorseForm,
    ExternalResultForm,
    ReturnForm,
    SubmitForm,
    TeamMemberForm,
    WithdrawForm,
)
from weijian.research.models import EDITABLE, ApplicationStatus, ExternalResult
from weijian.research.views import APPLICATION_BADGE, ASSIGNMENT_BADGE, ResearchListPage, add_error, form_page
from weijian.research.views.calls import _call

EVENT_LABELS = {"submit": gettext_lazy("提交"), "return": gettext_lazy("退回修改"), "endorse": gettext_lazy("单位推荐"),
                "approve": gettext_lazy("立项"), "reject": gettext_lazy("不予立项"), "withdraw": gettext_lazy("撤回")}


# ---- the list --------------------------------------------------------------------------------------

class ApplicationListView(ResearchListPage):
    entity = "research-application"
    export_entity = "research-application"
    title = gettext_lazy("项目申报书")
    export_name = "research-applications"
    empty_text = gettext_lazy("暂无申报书")
    default_sort = "-created_at"
    columns = (
        Col(gettext_lazy("申报编号"), lambda a: a.number, sort="number", link=True),
        Col(gettext_lazy("项目名称"), lambda a: a.title, sort="title"),
        Col(gettext_lazy("申报通知"), lambda a: a.call.title, sort="call__opens_on"),
        Col(pgettext_lazy("research", "项目负责人"), lambda a: a.pi.name, sort="pi__name"),
        Col(gettext_lazy("申报单位"), lambda a: a.institution.name, sort="institution__name"),
        Col(gettext_lazy("学科专业"), lambda a: a.specialty, sort="specialty"),
        Col(gettext_lazy("申请经费（万元）"), lambda a: str(a.budget_total), sort="budget_total"),
        Col(gettext_lazy("状态"), lambda a: display(a, "status"), sort="status"),
        Col(gettext_lazy("版本"), lambda a: a.version),
        Col(gettext_lazy("评审得分"), lambda a: "" if a.score is None else str(a.score), sort="score"),
    )

    def filter_form(self, data):
        return ApplicationFilterForm(data, actor=self.request.user)

    def get_queryset(self, request, filters):
        return selectors.application_list(actor=request.user, **filters)

    def row_url(self, obj):
        return reverse("research:application-detail", args=[obj.pk])


# ---- one application -------------------------------------------------------------------------------

def _application(request, pk, action: str = "view"):
    require(request.user, "research-application", action)
    return get_or_404(selectors.application_get, actor=request.user, pk=pk)


def _scores(actor, application):
    """The experts' scores as the viewer may see them: the commission with names while it decides and after;
    the PI without names once decided; nobody else (services.review_scores would refuse and audit)."""
    decided = application.decided_at is not None
    in_review = application.status == ApplicationStatus.IN_REVIEW
    if can(actor, "research-application", "decide") and (decided or in_review):
        named = True
    elif selectors.is_pi(actor, application) and decided:
        named = False
    else:
        return None
    rows = services.review_scores(actor=actor, application=application)
    return {"rows": [{**row, "expert": row["expert"] if named else _("专家%(n)s") % {"n": i}} for i, row in enumerate(rows, 1)],
            "named": named, "aggregate": rules.aggregate_scores([row["total"] for row in rows])}


def _form_parts(actor, application, forms_) -> dict:
    """The budget by heads, the milestones, the attachments (with the PI's upload form while he may edit)
    and, for a recommended project, the result from above (with the commission's form)."""
    kinds = attachments.attached_kinds(application)
    parts = {
        "budget_rows": [(label, application.budget_lines[head]) for head, label in BUDGET_HEADS
                        if head in application.budget_lines],
        "attachments": application.attachments.all(),
        "missing_attachments": [k for k in application.call.required_attachments if k not in kinds],
        "recommended": recommendations.is_recommendation(application),
    }
    if selectors.is_pi(actor, application) and application.status in EDITABLE:
        parts["attachment_form"] = forms_.get("attachment_form") or AttachmentForm(
            prefix="attachment", kinds=attachments.attachment_kinds(application))
    if (parts["recommended"] and application.status == ApplicationStatus.APPROVED
            and actor.role == Role.COMMISSION_SCIENCE):
        parts["external_form"] = forms_.get("external_form") or ExternalResultForm(prefix="external", initial={
            "level": application.external_level or "provincial", "result": application.external_result or "won",
            "funding": application.external_funding, "decided_on": application.external_decided_on})
    return parts


def _detail(request, application, *, status: int = 200, **forms_):
    actor = request.user
    actions = selectors.application_actions(actor=actor, application=application)
    candidates = selectors.team_candidates(actor=actor, application=application) if "team" in actions else []
    context = {
        "title": application.title, "application": application,
        "badge": APPLICATION_BADGE.get(application.status, "secondary"),
        "actions": actions, "team": selectors.application_team(actor=actor, application=application),
        "history": [(event, EVENT_LABELS.get(event.action, event.action))
                    for event in selectors.application_history(actor=actor, application=application)],
        "scores": _scores(actor, application),
        "is_pi": selectors.is_pi(actor, application),
        "team_form": forms_.get("team_form") or TeamMemberForm(prefix="team", candidates=candidates),
        "submit_form": forms_.get("submit_form") or SubmitForm(prefix="submit"),
        "endorse_form": forms_.get("endorse_form") or EndorseForm(prefix="endorse"),
        "return_form": forms_.get("return_form") or ReturnForm(prefix="return"),
        "withdraw_form": forms_.get("withdraw_form") or WithdrawForm(prefix="withdraw"),
        "decide_form": forms_.get("decide_form") or DecideForm(prefix="decide", initial={
            "decision": "approve", "funded_amount": application.budget_total}),
    }
    context |= _form_parts(actor, application, forms_)
    if can(actor, "research-review", "assign"):
        context["assignments"] = [(a, ASSIGNMENT_BADGE.get(a.status))
                                  for a in selectors.review_queue(actor=actor, application=application)]
    if (application.human_subjects or application.human_genetic_resources) and can(actor, "research-ethics", "list"):
        context["ethics"] = selectors.ethics_list(actor=actor, application=application)
    return render(request, "research/applications/detail.html", context, status=status)


@login_required
def application_detail_view(request, pk: int):
    return _detail(request, _application(request, pk))


@login_required
def application_create_view(request, pk: int):
    """The logged-in health worker starts his application to an open call."""
    actor = request.user
    require(actor, "research-application", "create")
    call = _call(request, pk)
    form = ApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            application = services.application_create(actor=actor, call=call, **form.for_service())
        except BusinessError as exc:
            add_error(form, exc)
        else:
            messages.success(request, _("申报书已保存（%(number)s），请添加团队成员后提交单位审核")
                             % {"number": application.number})
            return redirect("research:application-detail", pk=application.pk)
    return form_page(request, form, title=_("新建申报书"), submit_label=_("保存草稿"),
                     crumbs=[(reverse("research:call-list"), _("申报通知")),
                             (reverse("research:call-detail", args=[call.pk]), call.title)],
                     cancel_url=reverse("research:call-detail", args=[call.pk]),
                     intro=_("申报通知：%(title)s（申报期 %(opens)s 至 %(closes)s，单项资助上限 %(ceiling)s 万元）") % {
                         "title": call.title, "opens": f"{call.opens_on:%Y-%m-%d}", "closes": f"{call.closes_on:%Y-%m-%d}",
                         "ceiling": call.budget_ceiling})


@login_required
def application_update_view(request, pk: int):
    """The PI edits his application while it is a draft or returned; any other state is refused by the
    service, in the user's language, on this form."""
    actor = request.user
    require(actor, "research-application", "update")
    application = _application(request, pk)
    if request.method != "POST" and not selectors.is_pi(actor, application):
        raise PermissionDenied
    form = ApplicationForm(request.POST or None, initial=ApplicationForm.initial_for(application))
    if request.method == "POST" and form.is_valid():
        try:
            services.application_update(actor=actor, application=application, **form.for_service())
        except BusinessError as exc:
            add_error(form, exc)
        else:
            messages.success(request, _("申报书已保存"))
            return redirect("research:application-detail", pk=application.pk)
    detail = reverse("research:application-detail", args=[application.pk])
    warning = "" if application.status in EDITABLE else \
        _("申报书当前状态为“%(status)s”，不能修改；如需修改，请由单位科教部门退回。") % {
            "status": application.get_status_display()}
    return form_page(request, form, title=_("修改申报书"), submit_label=_("保存"),
                     crumbs=[(reverse("research:application-list"), _("项目申报书")), (detail, application.number)],
                     cancel_url=detail, warning=warning)


def _act(request, application, step, done: str, form_name: str, form_class, values=dict, **form_kwargs):
    """Run one step from the application's page. A refusal re-renders the page (422) with the reason on the
    step's form, or as a message when the step is no longer offered there."""
    form = form_class(request.POST, prefix=form_name.removesuffix("_form"), **form_kwargs)
    offered = form_name.removesuffix("_form") in selectors.application_actions(actor=request.user,
                                                                              application=application)
    if form.is_valid():
        try:
            step(actor=request.user, application=application, **values(form.cleaned_data))
        except NotFoundOrForbidden:
            raise PermissionDenied from None
        except BusinessError as exc:
            add_error(form, exc)
        else:
            messages.success(request, done)
            return redirect("research:application-detail", pk=application.pk)
    if not offered:
        for errors in form.errors.values():
            messages.error(request, "；".join(errors))
    return _detail(request, application, status=422, **{form_name: form})


@login_required
@require_POST
def team_member_add_view(request, pk: int):
    require(request.user, "research-application", "update")
    application = _application(request, pk)
    candidates = selectors.team_candidates(actor=request.user, application=application)

    def values(data):
        return {"worker": candidates.get(pk=data["worker"]), "role": data["role"]}

    return _act(request, application, services.team_member_add, _("已添加团队成员"), "team_form", TeamMemberForm,
                values, candidates=candidates)


@login_required
@require_POST
def application_submit_view(request, pk: int):
    require(request.user, "research-application", "update")
    return _act(request, _application(request, pk), services.application_submit,
                _("申报书已提交，等待单位科教部门审核"), "submit_form", SubmitForm)


@login_required
@require_POST
def application_withdraw_view(request, pk: int):
    require(request.user, "research-application", "update")
    return _act(request, _application(request, pk), services.application_withdraw, _("申报书已撤回"),
                "withdraw_form", WithdrawForm)


@login_required
@require_POST
def application_endorse_view(request, pk: int):
    require(request.user, "research-application", "endorse")
    return _act(request, _application(request, pk), services.application_endorse, _("已推荐至卫健委"),
                "endorse_form", EndorseForm)


@login_required
@require_POST
def application_return_view(request, pk: int):
    require(request.user, "research-application", "endorse")
    return _act(request, _application(request, pk), services.application_return, _("已退回项目负责人修改"),
                "return_form", ReturnForm)


@login_required
@require_POST
def application_decide_view(request, pk: int):
    require(request.user, "research-application", "decide")

    def values(data):
        return {"approve": data["decision"] == "approve", "funded_amount": data["funded_amount"],
                "comment": data["comment"]}

    approve = request.POST.get("decide-decision") == "approve"
    return _act(request, _application(request, pk), services.application_decide,
                _("已立项") if approve else _("已决定不予立项"), "decide_form", DecideForm, values)


@login_required
@require_POST
def application_external_view(request, pk: int):
    """The commission records what the province or the nation decided on a recommended project."""
    require(request.user, "research-application", "decide")

    def values(data):
        return {"level": data["level"], "won": data["result"] == ExternalResult.WON, "funding": data["funding"],
                "decided_on": data["decided_on"]}

    return _act(request, _application(request, pk), recommendations.external_result_record, _("已登记上级评审结果"),
                "external_form", ExternalResultForm, values)


urlpatterns = [
    path("applications/", ApplicationListView.as_view(), name="application-list"),
    path("calls/<int:pk>/apply/", application_create_view, name="application-create"),
    path("applications/<int:pk>/", application_detail_view, name="application-detail"),
    path("applications/<int:pk>/edit/", application_update_view, name="application-update"),
    path("applications/<int:pk>/team/", team_member_add_view, name="team-member-add"),
    path("applications/<int:pk>/submit/", application_submit_view, name="application-submit"),
    path("applications/<int:pk>/withdraw/", application_withdraw_view, name="application-withdraw"),
    path("applications/<int:pk>/endorse/", application_endorse_view, name="application-endorse"),
    path("applications/<int:pk>/return/", application_return_view, name="application-return"),
    path("applications/<int:pk>/decide/", application_decide_view, name="application-decide"),
    path("applications/<int:pk>/external/", application_external_view, name="application-external"),
]

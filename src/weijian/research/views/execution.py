"""Research pages: a funded project's execution and closure (项目执行与结题), and the clean-up list.

One page per project shows the task agreement, mid-term checks, changes, outputs and the closure, with
the steps the viewer may take: the commission issues the agreement, records mid-term checks, decides
changes, records the acceptance verdict or terminates; the PI asks for changes, records outputs and
submits the closure report. Every POST calls one service; a refusal comes back as a message.
"""


from collections import Counter

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views.decorators.http import require_POST

from weijian.accounts.access import access_object
from weijian.accounts.pages import get_or_404
from weijian.accounts.roles import Role
from weijian.core.errors import BusinessError
from weijian.core.forms import StyledForm
from weijian.core.pages import Col
from weijian.research import documents, execution, indicators, recommendations, reminders
from weijian.research.completeness import milestones_text
from weijian.research.execution_forms import (
    AcceptanceForm,
    AgreementForm,
    ChangeDecisionForm,
    ChangeForm,
    ClosureForm,
    MidTermForm,
    OutputForm,
    TerminateForm,
)
from weijian.research.models import Application, ApplicationStatus, ChangeStatus
from weijian.research.views import ResearchListPage, form_page

FUNDED_VIEW = (ApplicationStatus.APPROVED, ApplicationStatus.EXECUTING, ApplicationStatus.CLOSED,
               ApplicationStatus.TERMINATED)


def _project(request, pk) -> Application:
    project = get_or_404(access_object, request.user, Application, pk)
    if project.status not in FUNDED_VIEW:
        raise Http404
    return project


def _steps(user, project: Application) -> set[str]:
    """What the viewer may do now (the services still decide; this only chooses the forms shown)."""
    steps = set()
    commission, pi = user.role == Role.COMMISSION_SCIENCE, user.worker_id == project.pi_id
    closure = getattr(project, "closure", None)
    if (commission and project.status == ApplicationStatus.APPROVED
            and not recommendations.is_recommendation(project)):
        steps |= {"agreement", "terminate"}
    if project.status == ApplicationStatus.EXECUTING:
        if commission:
            steps |= {"midterm", "terminate"}
            if closure is not None and not closure.verdict:
                steps.add("accept")
        if pi and user.role == Role.HEALTH_WORKER:
            steps |= {"change", "output", "closure"}
    return steps


@login_required
def project_detail(request, pk):
    project = _project(request, pk)
    # The agreement's targets start from the milestones of the application.
    targets = milestones_text(project.milestones)
    forms = {"agreement": AgreementForm(initial={"milestones": targets}), "midterm": MidTermForm(), "change": ChangeForm(),
             "output": OutputForm(initial={"achieved_on": timezone.localdate()}), "closure": ClosureForm(),
             "accept": AcceptanceForm(), "terminate": TerminateForm(), "decide": ChangeDecisionForm()}
    return _page(request, project, forms)


def _page(request, project, forms, status=200):
    return render(request, "research/execution/detail.html", {
        "project": project, "agreement": getattr(project, "agreement", None),
        "closure": getattr(project, "closure", None), "steps": _steps(request.user, project),
        "checks": project.midterm_checks.select_related("checked_by"), "outputs": project.outputs.all(),
        "changes": project.changes.select_related("requested_by", "decided_by"),
        "can_decide_changes": request.user.role == Role.COMMISSION_SCIENCE, "forms": forms,
        "pending": ChangeStatus.PENDING, "reminders": list(reminders.reminders_of(project)[:10]),
        "open_statuses": reminders.OPEN,
    }, status=status)


def _post(request, pk, form_class, key: str, call):
    """Bind the form, call the service, and either go back to the page or show it again with the error."""
    project = _project(request, pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            message = call(project, form)
        except BusinessError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            if key not in _steps(request.user, project) and key != "decide":  # its form is not on this page
                messages.error(request, exc.message)
        else:
            messages.success(request, message)
            return redirect("research:project-detail", pk=project.pk)
    forms = {name: cls() for name, cls in (("agreement", AgreementForm), ("midterm", MidTermForm),
                                           ("change", ChangeForm), ("output", OutputForm), ("closure", ClosureForm),
                                           ("accept", AcceptanceForm), ("terminate", TerminateForm),
                                           ("decide", ChangeDecisionForm))}
    forms[key] = form
    return _page(request, project, forms, status=422)


@login_required
@require_POST
def agreement_issue(request, pk):
    def call(project, form):
        execution.agreement_issue(actor=request.user, application=project, starts_on=form.cleaned_data["starts_on"],
                                  ends_on=form.cleaned_data["ends_on"], milestones=form.milestone_list())
        return _("已下达任务书，项目进入执行阶段。")
    return _post(request, pk, AgreementForm, "agreement", call)


@login_required
@require_POST
def midterm_record(request, pk):
    def call(project, form):
        execution.midterm_record(actor=request.user, application=project, **form.cleaned_data)
        return _("已登记中期检查。")
    return _post(request, pk, MidTermForm, "midterm", call)


@login_required
@require_POST
def change_request(request, pk):
    def call(project, form):
        data = form.cleaned_data
        execution.change_request(actor=request.user, application=project, kind=data["kind"], reason=data["reason"],
                                 new_ends_on=data["new_ends_on"], new_funding=data["new_funding"])
        return _("已提交变更申请，等待卫健委审批。")
    return _post(request, pk, ChangeForm, "change", call)


@login_required
@require_POST
def change_decide(request, pk, change_pk):
    def call(project, form):
        change = project.changes.filter(pk=change_pk).first()  # the project was fetched through the gate
        if change is None:
            raise Http404
        execution.change_decide(actor=request.user, change=change, approve=form.cleaned_data["approve"],
                                comment=form.cleaned_data["comment"])
        return _("已审批项目变更。")
    return _post(request, pk, ChangeDecisionForm, "decide", call)


@login_required
@require_POST
def output_add(request, pk):
    def call(project, form):
        execution.output_add(actor=request.user, application=project, **form.cleaned_data)
        return _("已登记项目成果。")
    return _post(request, pk, OutputForm, "output", call)


@login_required
@require_POST
def closure_submit(request, pk):
    def call(project, form):
        execution.closure_submit(actor=request.user, application=project, summary=form.cleaned_data["summary"])
        return _("已提交结题报告，等待验收。")
    return _post(request, pk, ClosureForm, "closure", call)


@login_required
@require_POST
def closure_accept(request, pk):
    def call(project, form):
        closure = execution.closure_accept(actor=request.user, application=project, **form.cleaned_data)
        return _("已登记结题验收：%(verdict)s。") % {"verdict": closure.get_verdict_display()}
    return _post(request, pk, AcceptanceForm, "accept", call)


@login_required
@require_POST
def project_terminate(request, pk):
    def call(project, form):
        execution.project_terminate(actor=request.user, application=project, reason=form.cleaned_data["reason"])
        return _("项目已终止。")
    return _post(request, pk, TerminateForm, "terminate", call)


@login_required
def document(request, pk, kind: str):
    """The task agreement or the closure certificate as PDF (404 until the project has one)."""
    project = _project(request, pk)
    build = {"agreement": documents.task_agreement_pdf, "certificate": documents.closure_certificate_pdf}.get(kind)
    if build is None:
        raise Http404
    try:
        data = build(project)
    except ValueError:
        raise Http404 from None
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f"attachment; filename=research-{kind}-{project.number}.pdf"
    return response


class CleanupView(ResearchListPage):
    """清理：every project approved in the last three years that is not closed (indicators.cleanup_projects)."""

    entity = "research-application"
    export_entity = "research-application"
    title = gettext_lazy("近三年立项未结题项目清理")
    export_name = "research-cleanup"
    empty_text = gettext_lazy("近三年立项的项目均已结题")
    default_sort = "agreement__ends_on"
    columns = (
        Col(gettext_lazy("项目编号"), lambda a: a.number, sort="number", link=True),
        Col(gettext_lazy("项目名称"), lambda a: a.title),
        Col(gettext_lazy("承担单位"), lambda a: a.institution.name, sort="institution__name"),
        Col(pgettext_lazy("research", "项目负责人"), lambda a: a.pi.name, sort="pi__name"),
        Col(gettext_lazy("状态"), lambda a: a.get_status_display(), sort="status"),
        Col(gettext_lazy("结题期限"), lambda a: indicators.due_on(a).isoformat(), sort="agreement__ends_on"),
        Col(gettext_lazy("是否逾期"), lambda a: _("逾期") if indicators.due_on(a) < timezone.localdate() else _("未到期")),
        Col(gettext_lazy("最近提醒"), lambda a: reminders.label_of(a.latest_reminder) or "—"),
    )

    def extra_context(self, request) -> dict:
        context = super().extra_context(request)
        if request.user.role == Role.COMMISSION_SCIENCE:
            context["actions"] = ((_("发送结题提醒"), "research:project-reminders"),)
        return context

    def get_queryset(self, request, filters: dict):
        pks = [project.pk for project, _late in indicators.cleanup_projects(actor=request.user,
                                                                            on=timezone.localdate())]
        return (Application.objects.filter(pk__in=pks)  # already scoped by the selector above
                .select_related("agreement", "institution", "pi")
                .annotate(latest_reminder=reminders.latest_reminder()))

    def row_url(self, obj) -> str:
        return reverse("research:project-detail", args=[obj.pk])


class SendRemindersForm(StyledForm):
    confirm = forms.BooleanField(label=gettext_lazy("确认发送以上提醒"), error_messages={"required": gettext_lazy("请勾选确认")})


@login_required
def reminders_send(request):
    """The commission sends the closure reminders due today (the same job cron runs daily): a preview of
    what would go out, then a confirmed POST."""
    if request.user.role != Role.COMMISSION_SCIENCE:
        raise Http404
    form = SendRemindersForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            counts = reminders.closure_reminders_send(actor=request.user)
        except BusinessError as exc:
            messages.error(request, exc.message)
        else:
            detail = pgettext("list separator", "，").join(
                _("%(stage)s %(count)s 条") % {"stage": reminders.STAGE_LABELS[k], "count": v}
                for k, v in counts.items() if v)
            total = sum(counts.values())
            messages.success(request, _("已发送结题提醒 %(total)s 条：%(detail)s") % {"total": total, "detail": detail}
                             if detail else _("已发送结题提醒 %(total)s 条") % {"total": total})
        return redirect("research:project-cleanup")
    due = Counter(r.stage for r in reminders.due_reminders(today=timezone.localdate()))
    preview = pgettext("list separator", "；").join(_("%(stage)s %(count)s 项") % {"stage": label, "count": due[stage]}
                                                  for stage, label in reminders.STAGE_LABELS.items())
    total = sum(due.values())
    return form_page(request, form, title=_("发送结题提醒"), submit_label=_("发送"),
                     crumbs=((reverse("research:project-cleanup"), _("结题清理")),),
                     cancel_url=reverse("research:project-cleanup"),
                     intro=_("今天应发送的结题提醒共 %(total)s 条（%(preview)s）。提醒写入项目记录，项目负责人在项目页面可见；"
                             "每个阶段每个项目只发送一次，重复发送不会产生重复提醒。") % {"total": total, "preview": preview},
                     warning="" if total else _("今天没有需要发送的提醒。"))


urlpatterns = [
    path("projects/cleanup/", CleanupView.as_view(), name="project-cleanup"),
    path("projects/cleanup/reminders/", reminders_send, name="project-reminders"),
    path("projects/<int:pk>/", project_detail, name="project-detail"),
    path("projects/<int:pk>/agreement/", agreement_issue, name="project-agreement"),
    path("projects/<int:pk>/midterm/", midterm_record, name="project-midterm"),
    path("projects/<int:pk>/changes/", change_request, name="project-change"),
    path("projects/<int:pk>/changes/<int:change_pk>/decide/", change_decide, name="project-change-decide"),
    path("projects/<int:pk>/outputs/", output_add, name="project-output"),
    path("projects/<int:pk>/closure/", closure_submit, name="project-closure"),
    path("projects/<int:pk>/closure/accept/", closure_accept, name="project-accept"),
    path("projects/<int:pk>/terminate/", project_terminate, name="project-terminate"),
    path("projects/<int:pk>/<str:kind>.pdf", document, name="project-document"),
]

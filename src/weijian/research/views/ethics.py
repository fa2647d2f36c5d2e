"""Research pages: ethics review (伦理审查). Thin views: parse, call one service or selector, render.

- 伦理审查: the submissions the viewer may see (filters, export), and one submission's page with the
  steps its status allows: the committee accepts and chooses the review type, records recusals, decides
  an expedited review or puts the submission on a meeting's agenda, records the votes and decides; the
  PI withdraws; everyone who may see it downloads the letter once decided.
- 提交伦理审查: the PI's form, from his application's page.
- 伦理委员会: the committees, one committee with its members (增加委员), the form to set one up.
- 伦理会议: the meetings, one meeting with its attendance and agenda (the quorum of each item, with the
  reason when it is not met), the form to schedule one.
Every POST calls one service; a refusal comes back on the page, in the user's language, with status 422.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from weijian.accounts.access import can, require
from weijian.accounts.pages import get_or_404
from weijian.core.errors import BusinessError
from weijian.core.pages import Col, display
from weijian.orgs.selectors import institution_list
from weijian.research import documents, ethics
from weijian.research import ethics_selectors as selectors
from weijian.research import selectors as research_selectors
from weijian.research.errors import ResearchErrorCode as E
from weijian.research.ethics_forms import (
    AcceptForm,
    AgendaAddForm,
    AgendaForm,
    AttendanceForm,
    CommitteeFilterForm,
    CommitteeForm,
    DecideForm,
    ExpeditedForm,
    MeetingFilterForm,
    MeetingForm,
    MemberForm,
    RecusalForm,
    SubmissionFilterForm,
    SubmissionForm,
    VotesForm,
    WithdrawForm,
)
from weijian.research.models import EthicsDecision, EthicsMeetingStatus, EthicsSubmissionStatus
from weijian.research.views import ResearchListPage, add_error, form_page, iso

SUBMISSION, COMMITTEE, MEETING = "research-ethics-submission", "research-ethics-committee", "research-ethics-meeting"
SUBMISSION_BADGE = {
    EthicsSubmissionStatus.SUBMITTED: "info", EthicsSubmissionStatus.ACCEPTED: "primary",
    EthicsSubmissionStatus.IN_MEETING: "warning", EthicsSubmissionStatus.DECIDED: "success",
    EthicsSubmissionStatus.WITHDRAWN: "dark",
}
DECISIONS = dict(EthicsDecision.choices)
DECISION_BADGE = {"approved": "success", "approved_with_changes": "success", "rejected": "danger",
                  "suspended": "danger", "terminated": "danger"}


# ---- submissions: the list -------------------------------------------------------------------------

class SubmissionListView(ResearchListPage):
    entity = SUBMISSION
    export_entity = SUBMISSION
    title = gettext_lazy("伦理审查")
    export_name = "research-ethics"
    empty_text = gettext_lazy("暂无伦理审查申请")
    default_sort = "-submitted_at"
    columns = (
        Col(gettext_lazy("申报编号"), lambda s: s.application.number, sort="application__number", link=True),
        Col(gettext_lazy("项目名称"), lambda s: s.application.title),
        Col(pgettext_lazy("research", "项目负责人"), lambda s: s.application.pi.name, sort="application__pi__name"),
        Col(gettext_lazy("伦理委员会"), lambda s: s.committee.name, sort="committee__name"),
        Col(gettext_lazy("审查类别"), lambda s: display(s, "kind"), sort="kind"),
        Col(gettext_lazy("审查方式"), lambda s: display(s, "review_type") or "—", sort="review_type"),
        Col(gettext_lazy("状态"), lambda s: display(s, "status"), sort="status"),
        Col(gettext_lazy("提交时间"), lambda s: timezone.localtime(s.submitted_at).strftime("%Y-%m-%d"), sort="submitted_at"),
        Col(gettext_lazy("审查决定"), lambda s: display(s, "decision") or "—", sort="decision"),
        Col(gettext_lazy("批件/意见书编号"), lambda s: s.letter_number or "—", sort="letter_number"),
    )

    def filter_form(self, data):
        return SubmissionFilterForm(data, committees=selectors.committee_list(actor=self.request.user)
                                    .select_related(None).only("pk", "name"))

    def get_queryset(self, request, filters):
        return selectors.submission_list(actor=request.user, **filters)

    def row_url(self, obj):
        return reverse("research:ethics-detail", args=[obj.pk])


# ---- one submission ---------------------------------------------------------------------------------

def _submission(request, pk):
    require(request.user, SUBMISSION, "view")
    return get_or_404(selectors.submission_get, actor=request.user, pk=pk)


def _forms(submission, item, members, recused) -> dict:
    kind = submission.kind
    reviewers = [m for m in members if m.votes and m.pk not in recused]
    return {
        "accept": AcceptForm(prefix="accept", initial={"review_type": submission.review_type or "meeting"}),
        "withdraw": WithdrawForm(prefix="withdraw"),
        "agenda": AgendaForm(prefix="agenda", meetings=selectors.open_meetings(submission.committee)),
        "recusal": RecusalForm(prefix="recusal", members=[m for m in members if m.pk not in recused]),
        "expedited": ExpeditedForm(prefix="expedited", members=reviewers, kind=kind),
        "votes": VotesForm(prefix="votes", voters=item.voters if item else (), kind=kind,
                           initial={f"vote_{pk}": choice for pk, choice in (item.votes if item else {}).items()}),
        "decide": DecideForm(prefix="decide"),
    }


def _detail(request, submission, *, status: int = 200, bound: dict | None = None):
    actor = request.user
    members = selectors.committee_members(submission.committee)
    names = {m.pk: m.name for m in members}
    item = selectors.agenda_item(submission, members=members) if submission.meeting_id else None
    recused = item.recused if item else selectors.recusals(submission)
    forms = {**_forms(submission, item, members, recused), **(bound or {})}
    application = submission.application
    is_pi = research_selectors.is_pi(actor, application)
    votes = item.votes if item else dict(submission.votes.values_list("member_id", "choice"))
    return render(request, "research/ethics/detail.html", {
        "title": f"{application.number} {submission.get_kind_display()}", "submission": submission,
        "application": application, "team": application.team.select_related("worker"),
        "badge": SUBMISSION_BADGE.get(submission.status, "secondary"),
        "decision_badge": DECISION_BADGE.get(submission.decision, "secondary"),
        "steps": selectors.submission_actions(actor=actor, submission=submission), "forms": forms,
        "item": item, "recusals": [(names.get(pk, "—"), reason) for pk, reason in recused.items()],
        "votes": [(names.get(pk, "—"), DECISIONS.get(choice, choice)) for pk, choice in votes.items()],
        "tally": [(DECISIONS.get(c, c), n) for c, n in (item.tally.items() if item else ())],
        "show_names": not is_pi,  # the PI sees the tally, never who voted how
        "approvals": selectors.submission_approvals(submission),
    }, status=status)


@login_required
def submission_detail(request, pk):
    return _detail(request, _submission(request, pk))


def _run(request, submission, key, form, call):
    if form.is_valid():
        try:
            message = call(submission, form)
        except BusinessError as exc:
            add_error(form, exc)
            if key not in selectors.submission_actions(actor=request.user, submission=submission):
                messages.error(request, exc.message)  # its form is not on this page
        else:
            messages.success(request, message)
            return redirect("research:ethics-detail", pk=submission.pk)
    return _detail(request, submission, status=422, bound={key: form})


def _member(submission, raw):
    """A member of the submission's committee, by id from a form (the submission came through the gate)."""
    member = submission.committee.members.filter(pk=raw).first()
    if member is None:
        raise BusinessError(E.ETHICS_MEMBER_INVALID, _("该委员不属于本委员会"))
    return member


@login_required
@require_POST
def submission_accept(request, pk):
    submission = _submission(request, pk)

    def call(submission, form):
        ethics.submission_accept(actor=request.user, submission=submission,
                                 review_type=form.cleaned_data["review_type"])
        return _("已受理，%(review_type)s。") % {"review_type": submission.get_review_type_display()}
    return _run(request, submission, "accept", AcceptForm(request.POST, prefix="accept"), call)


@login_required
@require_POST
def submission_withdraw(request, pk):
    submission = _submission(request, pk)

    def call(submission, form):
        ethics.submission_withdraw(actor=request.user, submission=submission, reason=form.cleaned_data["reason"])
        return _("已撤回伦理审查申请。")
    return _run(request, submission, "withdraw", WithdrawForm(request.POST, prefix="withdraw"), call)


@login_required
@require_POST
def recusal_declare(request, pk):
    submission = _submission(request, pk)
    form = RecusalForm(request.POST, prefix="recusal", members=selectors.committee_members(submission.committee))

    def call(submission, form):
        member = _member(submission, form.cleaned_data["member"])
        ethics.recusal_declare(actor=request.user, submission=submission, member=member,
                               reason=form.cleaned_data["reason"])
        return _("已登记 %(name)s 回避。") % {"name": member.name}
    return _run(request, submission, "recusal", form, call)


@login_required
@require_POST
def agenda_put(request, pk):
    submission = _submission(request, pk)
    form = AgendaForm(request.POST, prefix="agenda", meetings=selectors.open_meetings(submission.committee))

    def call(submission, form):
        meeting = selectors.open_meetings(submission.committee).filter(pk=form.cleaned_data["meeting"]).first()
        if meeting is None:
            raise BusinessError(E.ETHICS_MEETING_INVALID, field="meeting")
        ethics.meeting_agenda_add(actor=request.user, meeting=meeting, submission=submission)
        return _("已列入 %(date)s 的审查会议。") % {"date": f"{meeting.held_on:%Y-%m-%d}"}
    return _run(request, submission, "agenda", form, call)


@login_required
@require_POST
def expedited_decide(request, pk):
    submission = _submission(request, pk)
    form = ExpeditedForm(request.POST, prefix="expedited", members=selectors.committee_members(submission.committee),
                         kind=submission.kind)

    def call(submission, form):
        opinions = {_member(submission, pk): opinion for pk, opinion in form.opinions().items()}
        decided = ethics.submission_decide_expedited(actor=request.user, submission=submission, opinions=opinions,
                                                     opinion=form.cleaned_data["opinion"],
                                                     valid_until=form.cleaned_data["valid_until"])
        return _("快速审查已作出决定：%(decision)s（%(letter)s）。") % {
            "decision": decided.get_decision_display(), "letter": decided.letter_number}
    return _run(request, submission, "expedited", form, call)


@login_required
@require_POST
def votes_record(request, pk):
    submission = _submission(request, pk)
    item = selectors.agenda_item(submission) if submission.meeting_id else None
    form = VotesForm(request.POST, prefix="votes", voters=item.voters if item else (), kind=submission.kind)

    def call(submission, form):
        votes = {_member(submission, pk): choice for pk, choice in form.votes().items()}
        ethics.votes_record(actor=request.user, submission=submission, votes=votes)
        return _("已登记 %(count)s 名委员的表决意见。") % {"count": len(votes)}
    return _run(request, submission, "votes", form, call)


@login_required
@require_POST
def meeting_decide(request, pk):
    submission = _submission(request, pk)

    def call(submission, form):
        decided = ethics.submission_decide(actor=request.user, submission=submission,
                                           opinion=form.cleaned_data["opinion"],
                                           valid_until=form.cleaned_data["valid_until"])
        return _("会议审查已作出决定：%(decision)s（%(letter)s）。") % {
            "decision": decided.get_decision_display(), "letter": decided.letter_number}
    return _run(request, submission, "decide", DecideForm(request.POST, prefix="decide"), call)


@login_required
def letter(request, pk):
    """The decision letter as PDF (404 until decided)."""
    submission = _submission(request, pk)
    try:
        data = documents.ethics_letter_pdf(submission)
    except ValueError:
        raise Http404 from None
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f"attachment; filename=ethics-letter-{submission.letter_number}.pdf"
    return response


# ---- the PI submits ------------------------------------------------------------------------------------

@login_required
def submission_create(request, pk):
    """提交伦理审查, from the PI's application page."""
    actor = request.user
    require(actor, SUBMISSION, "submit")
    application = get_or_404(research_selectors.application_get, actor=actor, pk=pk)
    if not research_selectors.is_pi(actor, application):
        raise PermissionDenied
    committees = selectors.submission_committees(actor=actor)
    form = SubmissionForm(request.POST or None, committees=committees)
    if request.method == "POST" and form.is_valid():
        committee = committees.filter(pk=form.cleaned_data["committee"]).first()
        try:
            submission = ethics.submission_create(actor=actor, application=application, committee=committee,
                                                  kind=form.cleaned_data["kind"], content=form.cleaned_data["content"])
        except BusinessError as exc:
            add_error(form, exc)
        else:
            messages.success(request, _("已提交%(kind)s，等待%(committee)s受理。") % {
                "kind": submission.get_kind_display(), "committee": committee.name})
            return redirect("research:ethics-detail", pk=submission.pk)
    detail = reverse("research:application-detail", args=[application.pk])
    return form_page(request, form, title=_("提交伦理审查"), submit_label=_("提交"),
                     crumbs=[(reverse("research:application-list"), _("项目申报书")), (detail, application.number)],
                     cancel_url=detail, intro=_("项目：%(number)s %(title)s") % {"number": application.number, "title": application.title})


# ---- committees -----------------------------------------------------------------------------------------

class CommitteeListView(ResearchListPage):
    entity = COMMITTEE
    export_entity = COMMITTEE
    title = gettext_lazy("伦理委员会")
    export_name = "research-ethics-committees"
    empty_text = gettext_lazy("暂无伦理委员会")
    default_sort = "name"
    filter_form = CommitteeFilterForm
    columns = (
        Col(gettext_lazy("名称"), lambda c: c.name, sort="name", link=True),
        Col(gettext_lazy("所属机构"), lambda c: c.institution.name, sort="institution__name"),
        Col(gettext_lazy("备案号"), lambda c: c.filing_number or "—", sort="filing_number"),
        Col(gettext_lazy("在任委员"), lambda c: c.member_count, sort="member_count"),
        Col(gettext_lazy("状态"), lambda c: _("受理审查") if c.is_active else _("停止受理"), sort="is_active"),
    )

    def get_queryset(self, request, filters):
        return selectors.committee_list(actor=request.user, **filters)

    def row_url(self, obj):
        return reverse("research:ethics-committee-detail", args=[obj.pk])

    @property
    def actions(self):
        if can(self.request.user, COMMITTEE, "create"):
            return ((_("设立伦理委员会"), reverse("research:ethics-committee-create")),)
        return ()


def _committee(request, pk):
    require(request.user, COMMITTEE, "view")
    return get_or_404(selectors.committee_get, actor=request.user, pk=pk)


def _committee_page(request, committee, *, member_form=None, status=200):
    actor = request.user
    return render(request, "research/ethics/committee.html", {
        "title": committee.name, "committee": committee,
        "members": selectors.member_list(actor=actor, committee=committee).select_related("user"),
        "may_keep": selectors.may_keep_members(actor, committee),
        "member_form": member_form or MemberForm(prefix="member"),
        "meetings": (selectors.meeting_list(actor=actor, committee=committee)[:10]
                     if can(actor, MEETING, "list") else None),
        "counts": [(label, n) for label, n in _status_counts(actor, committee) if n],
    }, status=status)


def _status_counts(actor, committee):
    counts = {}
    for status in selectors.submission_list(actor=actor, committee=committee).values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return [(label, counts.get(value, 0)) for value, label in EthicsSubmissionStatus.choices]


@login_required
def committee_detail(request, pk):
    return _committee_page(request, _committee(request, pk))


@login_required
@require_POST
def member_add(request, pk):
    committee = _committee(request, pk)
    require(request.user, COMMITTEE, "update")
    form = MemberForm(request.POST, prefix="member")
    if form.is_valid():
        try:
            member = ethics.member_add(actor=request.user, committee=committee, **form.cleaned_data)
        except BusinessError as exc:
            add_error(form, exc)
        else:
            messages.success(request, _("已增加委员：%(member)s") % {"member": member})
            return redirect("research:ethics-committee-detail", pk=committee.pk)
    return _committee_page(request, committee, member_form=form, status=422)


@login_required
@require_POST
def member_deactivate(request, pk, member_pk):
    committee = _committee(request, pk)
    require(request.user, COMMITTEE, "update")
    member = committee.members.filter(pk=member_pk, is_active=True).first()  # the committee came through the gate
    if member is None:
        raise Http404
    try:
        ethics.member_deactivate(actor=request.user, member=member)
    except BusinessError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(name)s已离任。") % {"name": member.name})
    return redirect("research:ethics-committee-detail", pk=committee.pk)


@login_required
def committee_create(request):
    actor = request.user
    require(actor, COMMITTEE, "create")
    institutions = institution_list(actor=actor).select_related(None).only("pk", "name").order_by("name")
    form = CommitteeForm(request.POST or None, institutions=institutions)
    if request.method == "POST" and form.is_valid():
        institution = institutions.filter(pk=form.cleaned_data["institution"]).first()
        try:
            committee = ethics.committee_create(actor=actor, institution=institution, name=form.cleaned_data["name"],
                                                filing_number=form.cleaned_data["filing_number"])
        except BusinessError as exc:
            add_error(form, exc)
        else:
            messages.success(request, _("已设立%(name)s，请增加委员（含代表委员会办理事项的秘书账号）。") % {
                "name": committee.name})
            return redirect("research:ethics-committee-detail", pk=committee.pk)
    return form_page(request, form, title=_("设立伦理委员会"), crumbs=[(reverse("research:ethics-committee-list"), _("伦理委员会"))],
                     cancel_url=reverse("research:ethics-committee-list"), submit_label=_("设立"))


# ---- meetings ---------------------------------------------------------------------------------------

class MeetingListView(ResearchListPage):
    entity = MEETING
    export_entity = MEETING
    title = gettext_lazy("伦理审查会议")
    export_name = "research-ethics-meetings"
    empty_text = gettext_lazy("暂无审查会议")
    default_sort = "-held_on"
    columns = (
        Col(gettext_lazy("会议日期"), lambda m: iso(m.held_on), sort="held_on", link=True),
        Col(gettext_lazy("伦理委员会"), lambda m: m.committee.name, sort="committee__name"),
        Col(gettext_lazy("地点"), lambda m: m.location or "—"),
        Col(gettext_lazy("状态"), lambda m: display(m, "status"), sort="status"),
        Col(gettext_lazy("审查事项"), lambda m: m.items, sort="items"),
        Col(gettext_lazy("到会委员"), lambda m: m.present, sort="present"),
    )

    def filter_form(self, data):
        return MeetingFilterForm(data, committees=selectors.committee_list(actor=self.request.user)
                                 .select_related(None).only("pk", "name"))

    def get_queryset(self, request, filters):
        return selectors.meeting_list(actor=request.user, **filters)

    def row_url(self, obj):
        return reverse("research:ethics-meeting-detail", args=[obj.pk])

    @property
    def actions(self):
        if can(self.request.user, MEETING, "create"):
            return ((_("安排会议"), reverse("research:ethics-meeting-create")),)
        return ()


def _meeting(request, pk):
    require(request.user, MEETING, "view")
    return get_or_404(selectors.meeting_get, actor=request.user, pk=pk)


def _meeting_page(request, meeting, *, status=200, attendance_form=None, agenda_form=None):
    actor = request.user
    members = selectors.committee_members(meeting.committee)
    present = set(meeting.attendance.values_list("member_id", flat=True))
    agenda = [selectors.agenda_item(s, members=members, present_ids=present)
              for s in meeting.agenda.select_related("application", "committee").order_by("pk")]
    acts = selectors.acts_for(actor, meeting.committee)
    decided = any(item.submission.status == EthicsSubmissionStatus.DECIDED for item in agenda)
    return render(request, "research/ethics/meeting.html", {
        "title": f"{meeting.committee.name} {meeting.held_on:%Y-%m-%d}", "meeting": meeting,
        "members": members, "present": present, "agenda": agenda,
        "decisions": DECISIONS,
        "can_attend": acts and not decided and meeting.held_on <= timezone.localdate(),
        "can_add": acts and meeting.status == EthicsMeetingStatus.PLANNED,
        "attendance_form": attendance_form or AttendanceForm(prefix="attendance", members=members,
                                                             initial={"members": [str(pk) for pk in present]}),
        "agenda_form": agenda_form or AgendaAddForm(prefix="agenda", submissions=selectors.waiting_for_meeting(meeting)),
    }, status=status)


@login_required
def meeting_detail(request, pk):
    return _meeting_page(request, _meeting(request, pk))


@login_required
@require_POST
def meeting_attendance(request, pk):
    meeting = _meeting(request, pk)
    members = selectors.committee_members(meeting.committee)
    form = AttendanceForm(request.POST, prefix="attendance", members=members)
    if form.is_valid():
        chosen = {int(pk) for pk in form.cleaned_data["members"]}
        try:
            ethics.meeting_attendance_record(actor=request.user, meeting=meeting,
                                             members=[m for m in members if m.pk in chosen])
        except BusinessError as exc:
            add_error(form, exc)
        else:
            messages.success(request, _("已登记到会委员 %(count)s 人。") % {"count": len(chosen)})
            return redirect("research:ethics-meeting-detail", pk=meeting.pk)
    return _meeting_page(request, meeting, status=422, attendance_form=form)


@login_required
@require_POST
def meeting_agenda(request, pk):
    meeting = _meeting(request, pk)
    waiting = selectors.waiting_for_meeting(meeting)
    form = AgendaAddForm(request.POST, prefix="agenda", submissions=waiting)
    if form.is_valid():
        submission = waiting.get(pk=form.cleaned_data["submission"])
        try:
            ethics.meeting_agenda_add(actor=request.user, meeting=meeting, submission=submission)
        except BusinessError as exc:
            add_error(form, exc)
        else:
            messages.success(request, _("已列入会议：%(number)s") % {"number": submission.application.number})
            return redirect("research:ethics-meeting-detail", pk=meeting.pk)
    return _meeting_page(request, meeting, status=422, agenda_form=form)


@login_required
def meeting_create(request):
    actor = request.user
    require(actor, MEETING, "create")
    committees = [c for c in selectors.committee_list(actor=actor) if selectors.acts_for(actor, c)]
    form = MeetingForm(request.POST or None, committees=committees,
                       initial={"held_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        committee = next(c for c in committees if str(c.pk) == form.cleaned_data["committee"])
        try:
            meeting = ethics.meeting_create(actor=actor, committee=committee, held_on=form.cleaned_data["held_on"],
                                            location=form.cleaned_data["location"])
        except BusinessError as exc:
            add_error(form, exc)
        else:
            messages.success(request, _("已安排 %(date)s 的审查会议，请将已受理的申请列入会议。") % {
                "date": f"{meeting.held_on:%Y-%m-%d}"})
            return redirect("research:ethics-meeting-detail", pk=meeting.pk)
    return form_page(request, form, title=_("安排伦理审查会议"), submit_label=_("安排"),
                     crumbs=[(reverse("research:ethics-meeting-list"), _("伦理审查会议"))],
                     cancel_url=reverse("research:ethics-meeting-list"))


urlpatterns = [
    path("ethics/", SubmissionListView.as_view(), name="ethics-list"),
    path("ethics/<int:pk>/", submission_detail, name="ethics-detail"),
    path("ethics/<int:pk>/accept/", submission_accept, name="ethics-accept"),
    path("ethics/<int:pk>/withdraw/", submission_withdraw, name="ethics-withdraw"),
    path("ethics/<int:pk>/recusal/", recusal_declare, name="ethics-recusal"),
    path("ethics/<int:pk>/agenda/", agenda_put, name="ethics-agenda"),
    path("ethics/<int:pk>/expedited/", expedited_decide, name="ethics-expedited"),
    path("ethics/<int:pk>/votes/", votes_record, name="ethics-votes"),
    path("ethics/<int:pk>/decide/", meeting_decide, name="ethics-decide"),
    path("ethics/<int:pk>/letter.pdf", letter, name="ethics-letter"),
    path("applications/<int:pk>/ethics/new/", submission_create, name="ethics-submit"),
    path("ethics/committees/", CommitteeListView.as_view(), name="ethics-committee-list"),
    path("ethics/committees/new/", committee_create, name="ethics-committee-create"),
    path("ethics/committees/<int:pk>/", committee_detail, name="ethics-committee-detail"),
    path("ethics/committees/<int:pk>/members/", member_add, name="ethics-member-add"),
    path("ethics/committees/<int:pk>/members/<int:member_pk>/leave/", member_deactivate,
         name="ethics-member-deactivate"),
    path("ethics/meetings/", MeetingListView.as_view(), name="ethics-meeting-list"),
    path("ethics/meetings/new/", meeting_create, name="ethics-meeting-create"),
    path("ethics/meetings/<int:pk>/", meeting_detail, name="ethics-meeting-detail"),
    path("ethics/meetings/<int:pk>/attendance/", meeting_attendance, name="ethics-meeting-attendance"),
    path("ethics/meetings/<int:pk>/agenda/", meeting_agenda, name="ethics-meeting-agenda"),
]

"""CME writes: who may do what, on which rows; what is written and audited."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from tests.cme.conftest import verify_through_chain
from weijian.audit.models import AuditEvent
from weijian.cme import services
from weijian.cme.models import Attendance, CreditRecord, CreditRequirement, Exemption
from weijian.core.errors import BusinessError, NotFoundOrForbidden

from .conftest import YEAR

D = dt.date


def _code(call, **kwargs):
    with pytest.raises(BusinessError) as exc:
        call(**kwargs)
    return exc.value.code


def _project(world, key="institution_a1", host=None, number="510100-2025-100", **extra):
    fields = dict(number=number, name="院内感染防控新进展", level="municipal", host=host or world.inst_a1,
                  credits="5", start_date=D(2025, 9, 1), end_date=D(2025, 9, 2))
    return services.project_create(actor=world.user(key), **{**fields, **extra})


# ---- projects --------------------------------------------------------------------------------

def test_municipal_project_goes_draft_endorsed_approved_held(world):
    project = _project(world)
    assert project.status == "draft"
    project = services.project_endorse(actor=world.user("institution_a1"), project=project)
    project = services.project_approve(actor=world.user("commission_science"), project=project)
    project = services.project_mark_held(actor=world.user("institution_a1"), project=project,
                                         reported_on=D(2025, 9, 10))
    assert (project.status, project.reported_on) == ("held", D(2025, 9, 10))
    events = AuditEvent.objects.filter(entity="cme-project", entity_id=str(project.pk)).order_by("id")
    assert [(e.action, (e.after or {}).get("status")) for e in events] == [
        ("create", "draft"), ("submit", "endorsed"), ("approve", "approved"), ("submit", "held")]


def test_only_the_commission_approves_or_rejects(world):
    project = services.project_endorse(actor=world.user("institution_a1"), project=_project(world))
    for key in ("district_a", "institution_a1", "commission_info", "worker_a1"):
        with pytest.raises(PermissionDenied):
            services.project_approve(actor=world.user(key), project=project)
        with pytest.raises(PermissionDenied):
            services.project_reject(actor=world.user(key), project=project, reason="重复申报")
    science = world.user("commission_science")
    assert _code(services.project_reject, actor=science, project=project, reason=" ") == "reason_required"
    project = services.project_reject(actor=science, project=project, reason="与已批准项目重复")
    assert (project.status, project.decision_reason) == ("rejected", "与已批准项目重复")
    # Once decided, it cannot be approved behind the decision.
    assert _code(services.project_approve, actor=science, project=project) == "status_invalid"


def test_a_draft_cannot_be_approved_before_endorsement(world):
    project = _project(world)
    assert _code(services.project_approve, actor=world.user("commission_science"), project=project) == (
        "status_invalid")


def test_institutions_act_only_on_their_own_projects(world):
    project = _project(world, key="institution_b1", host=world.inst_b1)
    # Another institution's draft is invisible: not found, not "forbidden".
    with pytest.raises(NotFoundOrForbidden):
        services.project_endorse(actor=world.user("institution_a1"), project=project)
    with pytest.raises(NotFoundOrForbidden):
        services.project_endorse(actor=world.user("district_a"), project=project)
    code = _code(_project, world=world, key="institution_a1", host=world.inst_b1, number="X-1")
    assert code == "host_out_of_scope"


def test_national_projects_are_entered_by_the_commission_only(world):
    code = _code(_project, world=world, key="institution_a1", number="N-1", level="national")
    assert code == "municipal_only"
    project = _project(world, key="commission_science", number="N-1", level="national")
    assert project.status == "approved"


@pytest.mark.parametrize(("extra", "code"), [
    ({"credits": "-1"}, "credits_invalid"),
    ({"credits": "abc"}, "credits_invalid"),
    ({"credits": "1.25"}, "credits_invalid"),
    ({"credits": "0"}, "credits_invalid"),
    ({"end_date": D(2025, 8, 1)}, "dates_invalid"),
    ({"name": "  "}, "name_required"),
    ({"level": "county"}, "choice_invalid"),
])
def test_project_bad_input(world, extra, code):
    assert _code(_project, world=world, **extra) == code


def test_project_number_is_unique(world):
    _project(world)
    assert _code(_project, world=world) == "number_taken"


# ---- attendance ------------------------------------------------------------------------------

def test_attendance_creates_a_verified_class_i_credit_once(cme):
    inst = cme.user("institution_a1")
    before = CreditRecord.objects.count(), AuditEvent.objects.count()
    # a1 already attended P1 in the world: recording again changes nothing.
    attendance, created = services.attendance_record(actor=inst, project=cme.p1, worker=cme.a1,
                                                     attended_on=D(2025, 3, 3))
    assert not created and attendance.attended_on == D(2025, 3, 2)
    assert (CreditRecord.objects.count(), AuditEvent.objects.count()) == before
    record = CreditRecord.objects.get(worker=cme.a1, project=cme.p1)
    assert (record.credit_class, record.credits, record.status, record.year, record.is_remote) == (
        "I", 10, "verified", YEAR, False)
    assert record.verified_by == inst
    remote = CreditRecord.objects.get(worker=cme.a2, project=cme.p2)
    assert remote.is_remote


def test_an_institution_cannot_record_another_institutions_worker(cme):
    count = Attendance.objects.count()
    code = _code(services.attendance_record, actor=cme.user("institution_a1"), project=cme.p2,
                 worker=cme.b1, attended_on=D(2025, 5, 2))
    assert code == "worker_out_of_scope"
    code = _code(services.attendance_record, actor=cme.user("district_a"), project=cme.p2,
                 worker=cme.b2, attended_on=D(2025, 5, 2))
    assert code == "worker_out_of_scope"
    assert Attendance.objects.count() == count


def test_attendance_bad_input(cme, world):
    inst = cme.user("institution_a1")
    draft = _project(world)
    assert _code(services.attendance_record, actor=inst, project=draft, worker=cme.a1,
                 attended_on=D(2025, 9, 1)) == "project_not_open"
    assert _code(services.attendance_record, actor=inst, project=cme.p2, worker=cme.a1,
                 attended_on=D(2025, 6, 1)) == "date_outside_project"
    future = services.project_create(actor=cme.user("commission_science"), number="N-F", name="未来项目",
                                     level="national", host=world.inst_a1, credits="2",
                                     start_date=D(2099, 1, 1), end_date=D(2099, 1, 2))
    assert _code(services.attendance_record, actor=inst, project=future, worker=cme.a1,
                 attended_on=D(2099, 1, 1)) == "date_in_future"
    with pytest.raises(PermissionDenied):
        services.attendance_record(actor=cme.user("worker_a1"), project=cme.p2, worker=cme.a1,
                                   attended_on=D(2025, 5, 2))


# ---- credits ---------------------------------------------------------------------------------

def test_a_worker_reports_his_own_credit_pending(world):
    record = services.credit_record_create(actor=world.user("worker_a1"), worker=world.worker_a1,
                                           credit_class="II", category="paper", credits="2.5",
                                           earned_on=D(2025, 4, 1), title="论文一篇")
    assert (record.status, record.source, record.year, str(record.credits)) == ("pending", "self", 2025, "2.5")
    assert AuditEvent.objects.filter(entity="cme-credit", entity_id=str(record.pk), action="create").exists()
    assert _code(services.credit_record_create, actor=world.user("worker_a1"), worker=world.worker_a2,
                 credit_class="II", category="paper", credits="1", earned_on=D(2025, 4, 1)) == (
        "worker_out_of_scope")


@pytest.mark.parametrize(("extra", "code"), [
    ({"credits": "-2"}, "credits_invalid"),
    ({"credits": "两分"}, "credits_invalid"),
    ({"category": "project"}, "category_not_self_reported"),
    ({"credit_class": "III"}, "choice_invalid"),
    ({"earned_on": D(2099, 1, 1)}, "date_in_future"),
])
def test_credit_bad_input(world, extra, code):
    fields = dict(actor=world.user("institution_a1"), worker=world.worker_a1, credit_class="II",
                  category="self_study", credits="1", earned_on=D(2025, 4, 1))
    assert _code(services.credit_record_create, **{**fields, **extra}) == code
    assert not CreditRecord.objects.exists()


def test_an_institution_cannot_record_credits_for_another_institutions_worker(world):
    code = _code(services.credit_record_create, actor=world.user("institution_a1"), worker=world.worker_b1,
                 credit_class="II", category="self_study", credits="1", earned_on=D(2025, 4, 1))
    assert code == "worker_out_of_scope"
    assert not CreditRecord.objects.exists()


def test_verification_is_scoped_and_ends_once_verified(cme):
    record = cme.pending_a2
    with pytest.raises(NotFoundOrForbidden):
        services.credit_review(actor=cme.user("institution_b1"), record=record, approve=True)
    for outsider in ("district_a", "worker_a1"):  # the district has no step in the chain
        with pytest.raises(PermissionDenied):
            services.credit_review(actor=cme.user(outsider), record=record, approve=True)
    verified = verify_through_chain(cme.base, record)
    assert (verified.status, verified.stage, verified.verified_by) == ("verified", "done",
                                                                        cme.user("commission_science"))
    assert _code(services.credit_review, actor=cme.user("commission_science"), record=record,
                 approve=True) == "already_verified"


# ---- requirements and exemptions -------------------------------------------------------------

def test_requirements_are_set_by_the_commission(cme):
    with pytest.raises(PermissionDenied):
        services.requirement_set(actor=cme.user("district_a"), year=YEAR, title_group="junior_and_below",
                                 total="1", min_class_i="0", min_class_ii="0", remote_cap="0")
    science = cme.user("commission_science")
    assert _code(services.requirement_set, actor=science, year=YEAR, title_group="junior_and_below",
                 total="20", min_class_i="12", min_class_ii="10", remote_cap="5") == "requirement_invalid"
    requirement = services.requirement_set(actor=science, year=YEAR, title_group="junior_and_below",
                                           total="20", min_class_i="5", min_class_ii="10", remote_cap="8")
    assert CreditRequirement.objects.filter(year=YEAR).count() == 2  # updated, not duplicated
    event = AuditEvent.objects.filter(entity="cme-requirement", entity_id=str(requirement.pk)).latest("id")
    assert (event.action, event.before, event.after) == ("update", {"remote_cap": "10.0"}, {"remote_cap": "8.0"})


def test_exemptions_are_granted_by_the_commission_or_the_workers_district(cme):
    with pytest.raises(PermissionDenied):
        services.exemption_grant(actor=cme.user("institution_a1"), worker=cme.a1, year=YEAR, reason="病假")
    assert _code(services.exemption_grant, actor=cme.user("district_b"), worker=cme.a1, year=YEAR,
                 reason="病假") == "worker_out_of_scope"
    assert _code(services.exemption_grant, actor=cme.user("district_a"), worker=cme.a1, year=YEAR,
                 reason="") == "reason_required"
    exemption = services.exemption_grant(actor=cme.user("district_a"), worker=cme.a1, year=YEAR, reason="长期病假")
    assert (exemption.status, exemption.approved_by) == ("verified", cme.user("district_a"))
    assert Exemption.objects.filter(year=YEAR).count() == 2

"""Research integrity sanctions bar a person from hosting CME projects (主办继续医学教育项目) while they
last: at the application, the endorsement and the approval, on the day before, the first day, the
last day and the day after the sanction."""

import datetime as dt

import pytest
from django.urls import reverse

from tests import factories
from weijian.audit.models import AuditEvent
from weijian.cme import services
from weijian.cme.errors import CmeErrorCode
from weijian.cme.models import CmeProject
from weijian.core.errors import BusinessError
from weijian.research.models import IntegrityCase

D = dt.date
START, END = D(2025, 3, 1), D(2025, 8, 31)


def _sanction(world, worker, kind="ban_all", starts_on=START, ends_on=END):
    return IntegrityCase.objects.create(worker=worker, number=f"XS-{kind}-{starts_on}", finding="数据造假",
                                        sanction=kind, starts_on=starts_on, ends_on=ends_on,
                                        recorded_by=world.user("commission_science"))


def _fields(world, number="510100-2025-300"):
    return dict(number=number, name="危重症护理新进展", level="municipal", host=world.inst_a1, credits="4",
                start_date=D(2025, 10, 1), end_date=D(2025, 10, 2))


def _denied(world, key):
    return AuditEvent.objects.filter(actor=world.user(key), entity="cme-project", outcome="denied")


@pytest.mark.parametrize(("today", "blocked"), [
    (START - dt.timedelta(days=1), False), (START, True), (END, True), (END + dt.timedelta(days=1), False)])
def test_a_sanctioned_lead_cannot_apply_exactly_while_the_sanction_lasts(world, today, blocked):
    _sanction(world, world.worker_a1)
    create = dict(actor=world.user("institution_a1"), lead_worker=world.worker_a1, today=today, **_fields(world))
    if blocked:
        with pytest.raises(BusinessError) as exc:
            services.project_create(**create)
        assert exc.value.code == CmeErrorCode.LEAD_SANCTIONED and exc.value.field == "lead_worker"
        assert "张医生" in exc.value.message and "2025-08-31" in exc.value.message
        assert not CmeProject.objects.exists()
        assert "主办继续医学教育项目" in _denied(world, "institution_a1").get().summary
    else:
        project = services.project_create(**create)
        assert (project.lead_worker, project.lead_teacher) == (world.worker_a1, "张医生")
        assert not _denied(world, "institution_a1").exists()


def test_sanctions_that_do_not_cover_hosting_leave_the_gate_open(world):
    _sanction(world, world.worker_a1, kind="ban_review")
    _sanction(world, world.worker_a1, kind="ban_apply", starts_on=D(2025, 1, 1))
    project = services.project_create(actor=world.user("institution_a1"), lead_worker=world.worker_a1,
                                      today=D(2025, 4, 1), **_fields(world))
    assert project.lead_worker == world.worker_a1


def test_a_sanction_that_starts_after_the_application_stops_endorsement_and_approval(world):
    project = services.project_create(actor=world.user("institution_a1"), lead_worker=world.worker_a1,
                                      today=D(2025, 2, 1), **_fields(world))
    _sanction(world, world.worker_a1)
    with pytest.raises(BusinessError) as exc:
        services.project_endorse(actor=world.user("institution_a1"), project=project, today=START)
    assert exc.value.code == CmeErrorCode.LEAD_SANCTIONED
    project = services.project_endorse(actor=world.user("institution_a1"), project=project,
                                       today=START - dt.timedelta(days=1))
    with pytest.raises(BusinessError):
        services.project_approve(actor=world.user("commission_science"), project=project, today=END)
    assert _denied(world, "commission_science").count() == 1
    assert CmeProject.objects.get(pk=project.pk).status == "endorsed"
    project = services.project_approve(actor=world.user("commission_science"), project=project,
                                       today=END + dt.timedelta(days=1))
    assert project.status == "approved"


def test_changing_the_lead_to_a_sanctioned_worker_is_refused(world):
    project = services.project_create(actor=world.user("institution_a1"), today=START, **_fields(world))
    _sanction(world, world.worker_a1, ends_on=None)  # indefinite
    with pytest.raises(BusinessError) as exc:
        services.project_update(actor=world.user("institution_a1"), project=project, lead_worker=world.worker_a1,
                                today=D(2030, 1, 1))
    assert "无限期" in exc.value.message
    assert CmeProject.objects.get(pk=project.pk).lead_worker is None


def test_the_application_page_finds_the_lead_by_id_number_and_explains_the_block(world, client_for):
    id_no = factories.unique_id_number()
    lead = factories.worker(actor=world.user("commission_info"), institution=world.inst_a1, name="赵主任",
                            id_no=id_no)
    client = client_for(world.user("institution_a1"))
    data = dict(number="510100-2025-301", name="临床营养支持", level="municipal", host=world.inst_a1.pk,
                credits="2", credit_class="I", delivery="face_to_face", start_date="2025-10-10",
                end_date="2025-10-11", lead_id_number=id_no)
    response = client.post(reverse("cme:project-create"), {**data, "lead_id_number": "123"})
    assert response.status_code == 422 and "身份证号应为18位" in response.content.decode()
    other = factories.unique_id_number()
    response = client.post(reverse("cme:project-create"), {**data, "lead_id_number": other})
    assert response.status_code == 422 and "未在您管辖范围内的人员中找到该身份证号" in response.content.decode()

    _sanction(world, lead, starts_on=D(2020, 1, 1), ends_on=None)
    response = client.post(reverse("cme:project-create"), data)
    body = response.content.decode()
    assert response.status_code == 422 and "赵主任：科研失信惩戒期内（无限期），不能主办继续医学教育项目" in body
    assert id_no not in body  # the number typed is not echoed back into the page
    assert not CmeProject.objects.filter(number="510100-2025-301").exists()

    IntegrityCase.objects.filter(worker=lead).update(ends_on=D(2020, 12, 31))
    response = client.post(reverse("cme:project-create"), data)
    project = CmeProject.objects.get(number="510100-2025-301")
    assert response.status_code == 302 and (project.lead_worker, project.lead_teacher) == (lead, "赵主任")

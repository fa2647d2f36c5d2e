"""Re-linking: the plan moves only automatic links, respects rejections, and the train → compare → activate
jobs run with progress and leave manual decisions alone."""

import pytest
from django.core.exceptions import PermissionDenied

from tests.linkage.test_model_synthetic import synthetic_records
from weijian.audit.actions import AuditAction
from weijian.audit.models import AuditEvent
from weijian.mpi import matching, relink, services
from weijian.mpi.models import (
    LinkageModel,
    LinkageModelStatus,
    LinkEvent,
    LinkEventKind,
    LinkState,
    MpiJob,
    MpiJobStatus,
    Person,
    ReviewItem,
    ReviewStatus,
    SourceIdentity,
)

SAME = {"name": "周建国", "surname": "周", "given_name": "建国", "name_pinyin": "zhou jian guo",
        "name_pinyin_key": "zhoujianguo", "surname_pinyin": "zhou", "placeholder_name": False,
        "id_number": "510104196001010037", "id_status": "valid", "id_birth_date": "1960-01-01", "id_sex": "1",
        "birth_date": "1960-01-01", "birth_date_from_id": False, "sex": "1", "id_consistent": True,
        "phone": "13912345678", "address": "锦江区督院街1号", "address_district": "510104", "address_street": "",
        "problems": []}


def _identity(local, state=LinkState.NEW, **changes):
    return services.identity_create(source_code="S", local_id=local, record={**SAME, **changes}, state=state)


def _plan():
    records, where = relink._identities()
    return relink.plan(matching.active_model(), records, where)


def test_two_persons_of_one_resident_are_joined_and_the_emptied_one_points_on(db):
    a, b = _identity("1"), _identity("2", phone="13900001111")
    planned = _plan()
    assert len(planned.moves) == 1
    moved = relink.apply(planned, actor=None, model_version="test")
    assert moved == 1
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.person_id == b.person_id
    emptied = Person.objects.get(active=False)
    assert emptied.merged_into_id == a.person_id
    assert LinkEvent.objects.filter(kind=LinkEventKind.RELINK).count() == 1
    assert _plan().moves == {}  # applying again changes nothing


def test_manual_decisions_and_rejections_are_kept(db):
    a = _identity("1")
    _identity("2", state=LinkState.MANUAL_NO_MATCH)
    c = _identity("3")
    ReviewItem.objects.create(identity=c, candidate=a.person, match_weight=5, match_probability=0.9,
                              status=ReviewStatus.REJECTED)
    planned = _plan()
    assert planned.moves == {}  # "2" is manual; "3" was rejected against a's person


def test_train_compare_and_activate_as_jobs(world, django_capture_on_commit_callbacks):
    info = world.user("commission_info")
    with django_capture_on_commit_callbacks(execute=True):
        too_few = relink.model_train(actor=info)
    too_few.refresh_from_db()
    assert too_few.status == MpiJobStatus.FAILED and "少于训练所需" in too_few.error

    for record in synthetic_records(450, seed=5):
        services.identity_create(source_code=record["source"], local_id=record["record_id"],
                                 record={k: v for k, v in record.items() if k not in ("record_id", "person")})
    assert SourceIdentity.objects.count() >= relink.MIN_TRAINING_RECORDS
    with django_capture_on_commit_callbacks(execute=True):
        job = relink.model_train(actor=info)
    job.refresh_from_db()
    assert job.status == MpiJobStatus.DONE, job.error
    candidate = job.model
    assert candidate.status == LinkageModelStatus.CANDIDATE
    assert candidate.comparison["identities"] == SourceIdentity.objects.count()
    # every identity started on a person of its own: the new model would join the duplicates
    assert candidate.comparison["moves_new"] > 0

    manual = SourceIdentity.objects.order_by("pk").first()
    manual.link_state = LinkState.MANUAL_NO_MATCH
    manual.save()
    with django_capture_on_commit_callbacks(execute=True):
        relinking = relink.model_activate(actor=info, model=candidate)
    relinking.refresh_from_db()
    assert relinking.status == MpiJobStatus.DONE, relinking.error
    assert relinking.result["moved"] > 0
    assert matching.active_model().version == candidate.version
    assert SourceIdentity.objects.get(pk=manual.pk).person_id == manual.person_id
    assert LinkageModel.objects.get(pk=candidate.pk).status == LinkageModelStatus.ACTIVE
    assert AuditEvent.objects.filter(action=AuditAction.MPI_RELINK).exists()
    assert MpiJob.objects.count() == 3


def test_the_model_page_shows_parameters_and_refuses_others(client_for, world):
    page = client_for(world.user("commission_info")).get("/mpi/models/").content.decode()
    assert matching.active_model().version in page and "自动关联阈值" in page
    with pytest.raises(PermissionDenied):
        relink.model_train(actor=world.user("district_a"))

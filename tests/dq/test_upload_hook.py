"""Every record upload is checked once stored: a run of that upload, over its source's data."""

from tests.records.conftest import record_sources  # noqa: F401 - the fixture
from weijian.dq import services as dq_services
from weijian.dq.models import DqResult, DqRun, DqTicket
from weijian.records import services as record_services

BUNDLE = {"resourceType": "Bundle", "type": "batch", "entry": [
    {"resource": {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1980-01-01",
                  "name": [{"text": "甲"}]}, "request": {"method": "PUT", "url": "Patient/p1"}},
    {"resource": {"resourceType": "Patient", "id": "p2", "gender": "male", "name": [{"text": "乙"}]},
     "request": {"method": "PUT", "url": "Patient/p2"}},
]}


def test_an_upload_is_checked_after_it_is_stored(world, record_sources, django_capture_on_commit_callbacks):  # noqa: F811
    dq_services.seed_default_rules(actor=world.user("commission_info"))
    with django_capture_on_commit_callbacks(execute=True):
        _response, upload = record_services.bundle_submit(actor=record_sources.a1_user, bundle=BUNDLE)
    run = DqRun.objects.get(upload=upload)
    assert run.status == "done" and run.resources == 2
    birth = DqResult.objects.get(run=run, rule__code="patient-birth-present")
    assert (birth.passed, birth.failed, birth.source_id) == (1, 1, record_sources.a1.pk)
    assert DqTicket.objects.filter(rule__code="patient-birth-present", source=record_sources.a1,
                                   closed_at__isnull=True).exists()


def test_without_active_rules_nothing_runs(world, record_sources, django_capture_on_commit_callbacks):  # noqa: F811
    with django_capture_on_commit_callbacks(execute=True):
        record_services.bundle_submit(actor=record_sources.a1_user, bundle=BUNDLE)
    assert not DqRun.objects.exists()


def test_a_check_that_already_saw_the_upload_is_not_repeated(world, record_sources,  # noqa: F811
                                                             django_capture_on_commit_callbacks):
    info = world.user("commission_info")
    dq_services.seed_default_rules(actor=info)
    _response, upload = record_services.bundle_submit(actor=record_sources.a1_user, bundle=BUNDLE)  # hook not run
    dq_services.run_checks(actor=info)  # a full run after the upload finished
    assert dq_services.check_upload(upload.pk) is None
    assert DqRun.objects.filter(upload=upload).count() == 0

"""Stored resources read back for the engine: current ones only, filtered, with aware times."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from weijian.dq import engine
from weijian.dq.defaults import DEFAULT_RULES
from weijian.dq.loading import stored_resources
from weijian.records.models import Resource, Source


@pytest.fixture
def stored(world):
    sources = [Source.objects.create(code=f"S{i}", name=f"来源{i}", kind="hospital", institution=inst,
                                     allowed_types=["Patient"]) for i, inst in enumerate((world.inst_a1, world.inst_b1))]
    now = timezone.now()
    rows = [("Patient", {"resourceType": "Patient", "gender": "female"}, sources[0], False),
            ("Patient", {"resourceType": "Patient", "gender": "M"}, sources[1], False),
            ("Patient", {"resourceType": "Patient", "gender": "male"}, sources[1], True),  # deleted
            ("Encounter", {"resourceType": "Encounter", "class": {"code": "AMB"}}, sources[0], False)]
    for n, (kind, body, source, deleted) in enumerate(rows):
        Resource.objects.create(type=kind, fhir_id=f"r{n}", version=1, updated=now, deleted=deleted,
                                content=json.dumps(body), content_hash=str(n), source=source)
    return sources


def test_current_resources_with_aware_times(stored):
    frame = stored_resources()
    assert sorted(frame["type"]) == ["Encounter", "Patient", "Patient"]
    assert str(frame["updated"].dt.tz) == "UTC"
    assert (timezone.now() - frame["updated"].max().to_pydatetime()) < dt.timedelta(minutes=5)
    assert len(stored_resources(types=("Patient",), source_ids=(stored[1].pk,))) == 1


def test_default_rules_run_on_what_was_loaded(stored):
    result = engine.check(stored_resources(), DEFAULT_RULES)
    assert result.counts["patient-gender-valid", stored[0].pk] == engine.Counts(1, 0, 0)
    assert result.counts["patient-gender-valid", stored[1].pk] == engine.Counts(0, 1, 0)
    assert result.counts["encounter-start-present", stored[0].pk] == engine.Counts(0, 1, 0)

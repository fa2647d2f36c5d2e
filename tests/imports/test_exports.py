"""Files the platform hands out never carry live formulas (CSV/formula injection, OWASP)."""

import io

import pytest
from django.urls import reverse

from tests import factories
from tests.imports.helpers import read_xlsx
from weijian.core.spreadsheets import csv_bytes, xlsx_bytes
from weijian.orgs import services as org_services

EVIL = ["=CMD|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "＝1"]


def test_xlsx_and_csv_writers_neutralise_formula_like_text():
    rows = [[value, "正常"] for value in EVIL]
    sheet = read_xlsx(xlsx_bytes(["值", "说明"], rows))["数据"]
    assert [r[0] for r in sheet[1:]] == ["'" + v for v in EVIL]
    text = csv_bytes(["值", "说明"], rows).decode("utf-8-sig")
    import csv

    parsed = list(csv.reader(io.StringIO(text)))
    assert [r[0] for r in parsed[1:]] == ["'" + v for v in EVIL]
    assert read_xlsx(xlsx_bytes(["数"], [[-5], [3.5]]))["数据"][1:] == [(-5,), (3.5,)]  # numbers stay numbers


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_list_exports_neutralise_formula_like_names(world, login, fmt):
    org_services.institution_create(actor=world.user("commission_info"), uscc=factories.uscc(8001),
                                    name="=HYPERLINK(\"http://evil\",\"点我\")", type="general_hospital",
                                    ownership="public", division=world.district_a)
    response = login("commission_info").get(reverse("orgs:institution-list"), {"export": fmt})
    assert response.status_code == 200
    if fmt == "xlsx":
        names = [r[0] for r in read_xlsx(response.content)["医疗卫生机构"][1:]]
    else:
        import csv

        names = [r[0] for r in csv.reader(io.StringIO(response.content.decode("utf-8-sig")))][1:]
    assert "'=HYPERLINK(\"http://evil\",\"点我\")" in names
    assert not any(str(n).startswith("=") for n in names)

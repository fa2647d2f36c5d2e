"""CME list pages and exports issue a fixed number of queries, whatever the number of rows
(conventions rule 14).

Each case builds its rows through the CME services: first one row, then N in all (spread over
institutions and districts, so a missing select_related on worker, institution, district, host or
approver would show). The page (or export) must list exactly those rows, and the query count is pinned
for 1 row and must be the same for N rows. A warm-up request runs first so one-off caches (content types,
the session) do not enter the count.
"""

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from tests import factories
from tests.cme.conftest import set_requirements
from weijian.cme import services

D = dt.date
YEAR = 2025
N = 5


def _measure(client, url):
    """(queries, response) of one GET after a warm-up GET."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response


def _rows(response) -> int:
    if response["Content-Type"].startswith("application/vnd.openxmlformats"):
        sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
        return sum(1 for _ in sheet.iter_rows(min_row=2))
    return len(response.context["rows"])


def _pin(client, url, add_row, pinned: int):
    """add_row(i) adds the i-th row (i = 0 .. N-1); the count is `pinned` for 1 row and for N rows."""
    add_row(0)
    one, response = _measure(client, url)
    assert _rows(response) == 1
    for i in range(1, N):
        add_row(i)
    many, response = _measure(client, url)
    assert _rows(response) == N
    assert (one, many) == (pinned, pinned)


def _new_worker(world, i, **fields):
    """A fresh worker, cycling over the three institutions (two districts)."""
    institution = (world.inst_a1, world.inst_a2, world.inst_b1)[i % 3]
    return factories.worker(actor=world.user("commission_info"), institution=institution, **fields)


def _district_user(world, worker):
    return world.user("district_a" if worker.institution_id in (world.inst_a1.pk, world.inst_a2.pk)
                      else "district_b")


# ---- projects --------------------------------------------------------------------------------

def _project(world, i, *, endorsed=False):
    """A national project (commission) or, endorsed, a municipal one from inst_a1 sent to the commission."""
    start = D(YEAR, 3, 1) + dt.timedelta(days=10 * i)
    if endorsed:
        inst_a1 = world.user("institution_a1")
        project = services.project_create(actor=inst_a1, number=f"510100-{YEAR}-{i + 1:03d}",
                                          name=f"待审项目{i}", level="municipal", host=world.inst_a1,
                                          credits="4", start_date=start, end_date=start)
        return services.project_endorse(actor=inst_a1, project=project)
    host = (world.inst_a1, world.inst_a2, world.inst_b1)[i % 3]
    return services.project_create(actor=world.user("commission_science"), number=f"N{YEAR}-QC-{i}",
                                   name=f"项目{i}", level="national", host=host, credits="4",
                                   start_date=start, end_date=start)


@pytest.mark.parametrize(("url", "pinned"), [("/cme/projects/", 8), ("/cme/projects/?export=xlsx", 8)])
def test_project_catalogue(world, client_for, url, pinned):
    client = client_for(world.user("commission_science"))
    _pin(client, url, lambda i: _project(world, i), pinned)


@pytest.mark.parametrize(("url", "pinned"), [("/cme/projects/review/", 7),
                                             ("/cme/projects/review/?export=xlsx", 7)])
def test_project_review_queue(world, client_for, url, pinned):
    client = client_for(world.user("commission_science"))
    _pin(client, url, lambda i: _project(world, i, endorsed=True), pinned)


# ---- credits ---------------------------------------------------------------------------------

def _pending_credit(world, worker):
    return services.credit_record_create(actor=_district_user(world, worker), worker=worker, credit_class="II",
                                         category="self_study", credits="2", earned_on=D(YEAR, 6, 1))


@pytest.mark.parametrize(("url", "pinned"), [("/cme/credits/", 9), ("/cme/credits/?export=xlsx", 9)])
def test_credit_list(world, client_for, url, pinned):
    client = client_for(world.user("commission_science"))
    _pin(client, url, lambda i: _pending_credit(world, _new_worker(world, i)), pinned)


@pytest.mark.parametrize(("url", "pinned"), [("/cme/credits/queue/", 8), ("/cme/credits/queue/?export=xlsx", 7)])
def test_credit_review_queue(world, client_for, url, pinned):
    """institution_a1 checks the department step of inst_a1's records."""
    client = client_for(world.user("institution_a1"))
    _pin(client, url, lambda i: _pending_credit(world, _new_worker(world, 0)), pinned)


# ---- exemptions ------------------------------------------------------------------------------

def _exemption(world, i):
    """Pending, granted and rejected requests in turn, by the worker's institution and district users."""
    worker = _new_worker(world, i)
    district = _district_user(world, worker)
    if i % 3 == 1:
        return services.exemption_grant(actor=district, worker=worker, year=YEAR, reason="出国进修")
    requester = world.user("institution_b1" if worker.institution_id == world.inst_b1.pk else "district_a")
    exemption = services.exemption_request(actor=requester, worker=worker, year=YEAR, reason="长期病假")
    if i % 3 == 2:
        exemption = services.exemption_decide(actor=district, exemption=exemption, approve=False,
                                              reason="材料不全")
    return exemption


@pytest.mark.parametrize(("url", "pinned"), [("/cme/exemptions/", 9), ("/cme/exemptions/?export=xlsx", 9)])
def test_exemption_list(world, client_for, url, pinned):
    client = client_for(world.user("commission_science"))
    _pin(client, url, lambda i: _exemption(world, i), pinned)


# ---- annual audit ----------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "pinned"), [(f"/cme/audits/?year={YEAR}", 10),
                                             (f"/cme/audits/?year={YEAR}&export=xlsx", 10)])
def test_annual_audit_list(world, client_for, url, pinned):
    """institution_b1 sees its own workers: worker_b1 first, then four more, each audit re-run."""
    science = world.user("commission_science")
    set_requirements(science)

    def add(i):
        if i:
            factories.worker(actor=world.user("commission_info"), institution=world.inst_b1)
        services.annual_audit_run(actor=science, year=YEAR)

    _pin(client_for(world.user("institution_b1")), url, add, pinned)


# ---- spot checks -----------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "pinned"), [("/cme/spot-checks/", 7), ("/cme/spot-checks/?export=xlsx", 7)])
def test_spot_check_list(world, client_for, url, pinned):
    science = world.user("commission_science")
    project = services.project_create(actor=science, number="N-QC", name="已举办项目", level="national",
                                      host=world.inst_a1, credits="4", start_date=D(YEAR, 3, 1),
                                      end_date=D(YEAR, 3, 1))
    services.project_report(actor=world.user("institution_a1"), project=project, held_from=D(YEAR, 3, 1),
                            held_to=D(YEAR, 3, 1), attendee_count=40, out_of_city_count=0, today=D(YEAR, 12, 31))

    def add(i):
        services.spot_check_draw(actor=science, name=f"{YEAR}年度抽查{i}", period_start=D(YEAR, 1, 1),
                                 period_end=D(YEAR, 12, 31), seed=i)

    _pin(client_for(science), url, add, pinned)


# ---- the institution's reminder list ---------------------------------------------------------

@pytest.mark.parametrize("key", ["institution_b1", "commission_science"])
def test_institution_reminder_export(world, client_for, key):
    """No credits in 2025, so every active worker of inst_b1 with a requirement is short: worker_b1, then
    four more."""
    set_requirements(world.user("commission_science"))
    url = reverse("cme:institution", args=[world.inst_b1.pk]) + f"?year={YEAR}&export=xlsx"

    def add(i):
        if i:
            factories.worker(actor=world.user("commission_info"), institution=world.inst_b1)

    _pin(client_for(world.user(key)), url, add, 12)

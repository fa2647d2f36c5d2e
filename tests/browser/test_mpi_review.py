"""Acceptance (master patient index): a reviewer of the information centre resolves a possible match in the
review queue (side by side, each field's weight), then undoes the merge from the person page; the audit
administrator finds both decisions in the audit log. Screenshots at each step.

Two hospitals' patients are uploaded through the real record pipeline in the server's own database before
the browser starts (`seed_possible_match`): the second hospital registered the resident without her ID card
and with a relative's phone, so the real-time matcher queues her for review.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser.conftest import _server_env

REVIEWER, AUDITOR = "commission_info", "audit_admin"
ROOT = Path(__file__).resolve().parents[2]


def seed_possible_match() -> dict:
    """Run inside the server's environment (Django set up). Idempotent."""
    from weijian.accounts.models import User
    from weijian.mpi.models import ReviewItem, ReviewStatus
    from weijian.orgs.models import Institution
    from weijian.records import services, sources
    from weijian.records.identity import CITIZEN_ID_SYSTEM, patient_system
    from weijian.records.models import Source

    info = User.objects.get(username="commission_info")
    hospitals = list(Institution.objects.filter(name__endswith="人民医院").order_by("district_id", "uscc")[:2])

    def source_of(institution):
        return Source.objects.filter(institution=institution).first() or \
            sources.source_register(actor=info, institution=institution)

    first, second = source_of(hospitals[0]), source_of(hospitals[1])

    def send(source, local, **extra):
        patient = {"resourceType": "Patient", "identifier": [{"system": patient_system(source.code), "value": local},
                                                             *extra.pop("ids", [])],
                   "name": [{"text": "韩淑芬"}], "gender": "female", "birthDate": "1957-04-18", **extra}
        bundle = {"resourceType": "Bundle", "type": "batch",
                  "entry": [{"resource": patient, "request": {"method": "POST", "url": "Patient"}}]}
        services.bundle_submit(actor=source.account, bundle=bundle)

    send(first, "MZ0001", ids=[{"system": CITIZEN_ID_SYSTEM, "value": "510104195704180024"}],
         telecom=[{"system": "phone", "value": "13881112233"}], address=[{"text": "成都市锦江区督院街12号"}])
    send(second, "ZY0420", telecom=[{"system": "phone", "value": "13512345678"}])  # a relative's phone
    item = ReviewItem.objects.filter(status=ReviewStatus.OPEN, identity__local_id="ZY0420").get()
    return {"item": item.pk, "identity": str(item.identity), "candidate": item.candidate.empi,
            "own": item.identity.person.empi}


def seed_twins() -> dict:
    """Twins without ID cards: 李小亮 twice, 李小明 once (merged by a reviewer as a typo), then 李小明
    again — held back from the person although its weight may be above the auto-link threshold."""
    from weijian.accounts.models import User
    from weijian.mpi import services as mpi_services
    from weijian.mpi.models import ReviewItem, ReviewStatus, SourceIdentity
    from weijian.orgs.models import Institution
    from weijian.records import services, sources
    from weijian.records.identity import patient_system
    from weijian.records.models import Source

    info = User.objects.get(username="commission_info")
    hospitals = list(Institution.objects.filter(name__endswith="人民医院").order_by("district_id", "uscc")[:2])
    first, second = (Source.objects.filter(institution=h).first() or sources.source_register(actor=info, institution=h)
                     for h in hospitals)

    def send(source, local, name):
        patient = {"resourceType": "Patient", "identifier": [{"system": patient_system(source.code), "value": local}],
                   "name": [{"text": name}], "gender": "male", "birthDate": "2016-05-09",
                   "telecom": [{"system": "phone", "value": "13880007777"}],
                   "address": [{"text": "成都市锦江区督院街31号"}]}
        bundle = {"resourceType": "Bundle", "type": "batch",
                  "entry": [{"resource": patient, "request": {"method": "POST", "url": "Patient"}}]}
        services.bundle_submit(actor=source.account, bundle=bundle)
        return SourceIdentity.objects.get(source_code=source.code, local_id=local)

    person = send(first, "TW-1", "李小亮").person
    send(second, "TW-2", "李小亮")
    typo = send(first, "TW-3", "李小明")
    if typo.person_id != person.pk:
        item = ReviewItem.objects.get(identity=typo, candidate=person, status=ReviewStatus.OPEN)
        mpi_services.review_accept(actor=info, item=item, reason="电话与住址核实为同一人")
    twin = send(second, "TW-4", "李小明")
    item = ReviewItem.objects.get(identity=twin, candidate=person, status=ReviewStatus.OPEN)
    return {"item": item.pk, "identity": str(item.identity), "kept_apart": item.kept_apart}


def _seed(tmp_path_factory, function: str) -> dict:
    data_dir = next(path for path in tmp_path_factory.getbasetemp().glob("weijian-browser*")
                    if (path / "weijian.sqlite3").exists())
    code = ("import django, json, sys; django.setup(); "
            f"from tests.browser.test_mpi_review import {function}; "
            f"sys.stdout.write(json.dumps({function}()))")
    result = subprocess.run([sys.executable, "-c", code], env=_server_env(data_dir), cwd=ROOT, capture_output=True,
                            text=True, timeout=300, stdin=subprocess.DEVNULL)
    if result.returncode:
        pytest.fail(f"seeding ({function}) failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def queued(server, tmp_path_factory) -> dict:
    return _seed(tmp_path_factory, "seed_possible_match")


@pytest.fixture(scope="module")
def twins(server, tmp_path_factory) -> dict:
    return _seed(tmp_path_factory, "seed_twins")


def test_a_reviewer_resolves_a_possible_match_then_unmerges_it_and_the_audit_shows_both(page, login, screenshot,
                                                                                      queued):
    page.on("dialog", lambda dialog: dialog.accept())  # destructive actions ask for confirmation

    # 1. The queue lists the possible match; its page shows both sides with each field's weight.
    login(page, REVIEWER)
    page.get_by_role("link", name="主索引与健康卡").click()
    page.wait_for_url("**/mpi/review/**")
    row = page.locator("table tbody tr", has_text=queued["identity"])
    assert row.count() == 1
    screenshot(page, "mpi-01-review-queue")
    row.get_by_role("link", name=queued["identity"]).click()
    page.wait_for_url(f"**/mpi/review/{queued['item']}/")
    table = page.get_by_test_id("side-by-side")
    shown = table.inner_text()
    assert "韩淑芬" in shown and "****" in shown and "510104195704180024" not in shown  # the ID number masked
    assert table.locator("tbody tr").count() >= 4
    screenshot(page, "mpi-02-side-by-side")

    # 2. Without a reason the decision is refused; with one, the identity joins the candidate person.
    page.get_by_role("button", name="提交审核结论").click()
    page.wait_for_load_state("domcontentloaded")
    assert page.get_by_text("请填写理由（至少4个字）").count() >= 1
    page.get_by_label("确认匹配").check()
    page.get_by_label("审核理由").fill("姓名、出生日期、性别一致，电话回访核实为同一居民")
    page.get_by_role("button", name="提交审核结论").click()
    page.wait_for_url("**/mpi/review/")
    assert page.get_by_text(f"已并入主索引 {queued['candidate']}").count() == 1
    screenshot(page, "mpi-03-accepted")

    # 3. On the person page, undo the merge.
    page.goto(f"/mpi/persons/{queued['candidate']}/")
    identities = page.get_by_test_id("identities")
    assert queued["identity"].split(":")[1] in identities.inner_text()
    merged = page.get_by_test_id(f"merged-{queued['own']}")
    merged.locator("summary").click()
    merged.get_by_label("撤销理由").fill("家属来电更正：并非同一居民")
    merged.get_by_role("button", name="确认撤销合并").click()
    page.wait_for_load_state("domcontentloaded")
    assert page.get_by_text(f"已撤销合并：{queued['own']} 恢复为独立的主索引").count() == 1
    assert queued["identity"].split(":")[1] not in page.get_by_test_id("identities").inner_text()
    screenshot(page, "mpi-04-unmerged")

    # 4. The audit administrator sees the review decision and the unmerge.
    page.context.clear_cookies()
    login(page, AUDITOR)
    page.goto("/audit/")
    text = page.locator("table").first.inner_text()
    assert "审核疑似匹配" in text and "拆分主索引" in text
    screenshot(page, "mpi-05-audit")


def test_a_twin_held_back_from_a_person_says_why_in_the_queue_and_on_its_page(page, login, screenshot, twins):
    assert twins["kept_apart"] == "name"
    login(page, REVIEWER)
    page.goto("/mpi/review/")
    row = page.locator("table tbody tr", has_text=twins["identity"])
    assert "候选已有两条记录的另一姓名" in row.inner_text()
    row.get_by_role("link", name=twins["identity"]).click()
    page.wait_for_url(f"**/mpi/review/{twins['item']}/")
    alert = page.get_by_test_id("kept-apart")
    assert "另一姓名登记在两条或以上记录上" in alert.inner_text()
    screenshot(page, "mpi-06-twin-held-back")

"""The research API: calls, applications through their routing, the experts' own reviews, scores as the
service lets each reader see them, indicators and the clean-up list.

A role matrix like test_matrix.py (each write in a rolled-back savepoint), then the rules the matrix does
not show: refusals with the service's code and an audit row, sealed and anonymous scores, filters,
pagination, query counts and the schema.
"""

import datetime as dt
from types import SimpleNamespace

import pytest
import yaml
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import factories
from tests.api.helpers import assert_error
from tests.conftest import ROLE_USERS
from tests.research.test_services import COMPLETE
from weijian.accounts import services as account_services
from weijian.accounts.roles import Role
from weijian.audit.models import AuditEvent
from weijian.research import rules, services
from weijian.research.models import Application, ApplicationStatus, Expert, ReviewAssignment

pytestmark = pytest.mark.django_db

URL = "/api/v1/research"
ROLES = list(ROLE_USERS)
CITY = ("commission_science", "commission_info")
SCORES = {"innovation": "8", "rigor": "7", "feasibility": "9", "foundation": "6", "benefit": "10"}  # 78.50
EXPERT_NAMES = ("周启明", "吴思远")


def today() -> dt.date:
    return timezone.localdate()


def _expert(user, name: str) -> Expert:
    return Expert.objects.create(name=name, user=user, specialties=["心血管内科"], load_cap=10)


def _apply(pi, call, title="基层高血压管理路径研究", **fields) -> Application:
    return services.application_create(actor=pi, call=call, title=title, specialty="心血管内科",
                                       **{**COMPLETE, **fields})


def _submit(pi, application) -> Application:
    return services.application_submit(actor=pi, application=application, sign_integrity=True)


@pytest.fixture
def rw(world):
    """The research world: an open and a draft call; in district A worker_a1's draft, submitted and in-review
    applications; in district B an approved project. Two experts (the world's `expert` and a second one) review
    both endorsed applications; only the second has scored district A's so far."""
    science = world.user("commission_science")
    call_open = services.call_publish(actor=science, call=services.call_create(
        actor=science, year=today().year, title="市卫健委医学科研课题", category="general", budget_ceiling="20",
        opens_on=today() - dt.timedelta(days=10), closes_on=today() + dt.timedelta(days=30),
        experts_per_application=2))
    call_draft = services.call_create(
        actor=science, year=today().year, title="青年项目（草稿）", category="youth", budget_ceiling="10",
        opens_on=today() + dt.timedelta(days=40), closes_on=today() + dt.timedelta(days=70), youth_age_limit=40)
    pi_a = world.user("worker_a1")
    pi_b = account_services.user_create(actor=None, bootstrap=True, username="worker_b1",
                                        password=factories.PASSWORD, role=Role.HEALTH_WORKER, worker=world.worker_b1)
    second_user = account_services.user_create(actor=None, bootstrap=True, username="expert_2",
                                               password=factories.PASSWORD, role=Role.EXPERT)
    expert_1, expert_2 = _expert(world.user("expert"), EXPERT_NAMES[0]), _expert(second_user, EXPERT_NAMES[1])

    a_review = _submit(pi_a, _apply(pi_a, call_open, title="社区糖尿病早筛研究"))
    services.application_endorse(actor=world.user("institution_a1"), application=a_review)
    b_app = _submit(pi_b, _apply(pi_b, call_open, title="药学门诊干预研究"))
    services.application_endorse(actor=world.user("institution_b1"), application=b_app)
    services.reviews_assign(actor=science, call=call_open, due_on=today() + dt.timedelta(days=14))

    def assignment(application, expert):
        return ReviewAssignment.objects.get(application=application, expert=expert)

    for application, expert in ((a_review, expert_2), (b_app, expert_1), (b_app, expert_2)):
        services.review_submit(actor=expert.user, assignment=assignment(application, expert), scores=SCORES)
    services.application_decide(actor=science, application=b_app, approve=True, funded_amount="12")
    a_submitted = _submit(pi_a, _apply(pi_a, call_open, title="胸痛中心质控研究"))
    a_draft = _apply(pi_a, call_open, title="基层卒中康复研究")
    for application in (a_review, b_app, a_submitted, a_draft):
        application.refresh_from_db()
    return SimpleNamespace(
        world=world, science=science, call_open=call_open, call_draft=call_draft, pi_a=pi_a, pi_b=pi_b,
        expert_1=expert_1, expert_2=expert_2, a_review=a_review, b_app=b_app, a_submitted=a_submitted,
        a_draft=a_draft, rev_1a=assignment(a_review, expert_1), rev_1b=assignment(b_app, expert_1),
        rev_2a=assignment(a_review, expert_2))


# ---- the role matrix --------------------------------------------------------------------------------

def cells(default, **overrides):
    row = dict.fromkeys(ROLES, default)
    row.update(overrides)
    assert set(row) == set(ROLES)
    return row


def city(value):
    return dict.fromkeys(CITY, value)


ALL_APPS = {"a_draft", "a_submitted", "a_review", "b_app"}
A_APPS = {"a_draft", "a_submitted", "a_review"}
OUT_OF_SCOPE = {"district_b": 404, "institution_b1": 404}
NOT_THE_PI = (400, "not_the_pi")

MATRIX = {
    ("call", "list"): cells(403, **city({"call_open", "call_draft"}), district_a={"call_open"},
                            district_b={"call_open"}, institution_a1={"call_open"}, institution_b1={"call_open"},
                            worker_a1={"call_open"}),
    ("call", "detail"): cells(403, **city(200), district_a=404, district_b=404, institution_a1=404,
                              institution_b1=404, worker_a1=404),  # a draft: the commission's alone
    ("application", "list"): cells(403, **city(ALL_APPS), district_a=A_APPS, institution_a1=A_APPS,
                                   worker_a1=A_APPS, district_b={"b_app"}, institution_b1={"b_app"}),
    ("application", "detail"): cells(403, **city(200), district_a=200, institution_a1=200, worker_a1=200,
                                     **OUT_OF_SCOPE),
    ("application", "create"): cells(403, worker_a1=201),
    ("application", "update"): cells(403, **city(NOT_THE_PI), district_a=NOT_THE_PI, institution_a1=NOT_THE_PI,
                                     worker_a1=200, **OUT_OF_SCOPE),
    ("application", "submit"): cells(403, **city(NOT_THE_PI), district_a=NOT_THE_PI, institution_a1=NOT_THE_PI,
                                     worker_a1=200, **OUT_OF_SCOPE),
    ("application", "endorse"): cells(403, institution_a1=200, **OUT_OF_SCOPE),
    ("application", "return"): cells(403, institution_a1=200, **OUT_OF_SCOPE),
    ("application", "decide"): cells(403, commission_science=200, commission_info=(400, "status_invalid"),
                                     district_a=(400, "status_invalid"), institution_a1=(400, "status_invalid"),
                                     worker_a1=(400, "status_invalid"), **OUT_OF_SCOPE),
    ("application", "scores"): cells(403, commission_science=200, worker_a1=(400, "scores_not_yet"),
                                     expert=(400, "scores_sealed"),
                                     commission_info=(400, "not_your_review"), district_a=(400, "not_your_review"),
                                     institution_a1=(400, "not_your_review"), **OUT_OF_SCOPE),
    ("review", "list"): cells(403, expert={"rev_1a", "rev_1b"}),
    ("review", "detail"): cells(403, commission_science=200, expert=200),
    ("review", "submit"): cells(403, expert=200),
    ("indicators", "view"): cells(403, **city(200), district_a=200, district_b=200, institution_a1=200,
                                  institution_b1=200),
    ("cleanup", "list"): cells(403, **city({"b_app"}), district_b={"b_app"}, institution_b1={"b_app"},
                               district_a=set(), institution_a1=set(), worker_a1=set()),
}
WRITES = {"create", "update", "submit", "endorse", "return", "decide"} | {("review", "submit")}
DENIED_CODES = {"not_the_pi", "status_invalid", "scores_sealed", "scores_not_yet", "not_your_review"}  # the service audits these
ERROR_CODES = {403: "permission_denied", 404: "not_found"}


def _requests(rw):
    app = f"{URL}/applications"
    return {
        ("call", "list"): ("get", f"{URL}/calls/", None),
        ("call", "detail"): ("get", f"{URL}/calls/{rw.call_draft.pk}/", None),
        ("application", "list"): ("get", f"{app}/", None),
        ("application", "detail"): ("get", f"{app}/{rw.a_review.pk}/", None),
        ("application", "create"): ("post", f"{app}/", {"call": rw.call_open.pk, "title": "新课题",
                                                        "specialty": "全科医学", "budget_total": "10"}),
        ("application", "update"): ("patch", f"{app}/{rw.a_draft.pk}/", {"title": "基层卒中康复路径研究"}),
        ("application", "submit"): ("post", f"{app}/{rw.a_draft.pk}/submit/", {"sign_integrity": True}),
        ("application", "endorse"): ("post", f"{app}/{rw.a_submitted.pk}/endorse/", {}),
        ("application", "return"): ("post", f"{app}/{rw.a_submitted.pk}/return/", {"comment": "预算依据不足"}),
        ("application", "decide"): ("post", f"{app}/{rw.a_review.pk}/decide/", {"approve": True,
                                                                                "funded_amount": "12"}),
        ("application", "scores"): ("get", f"{app}/{rw.a_review.pk}/scores/", None),
        ("review", "list"): ("get", f"{URL}/reviews/", None),
        ("review", "detail"): ("get", f"{URL}/reviews/{rw.rev_1a.pk}/", None),
        ("review", "submit"): ("post", f"{URL}/reviews/{rw.rev_1a.pk}/scores/", {"scores": SCORES}),
        ("indicators", "view"): ("get", f"{URL}/indicators/", None),
        ("cleanup", "list"): ("get", f"{URL}/projects/cleanup/", None),
    }


def _is_write(key) -> bool:
    return key[1] in WRITES or key in WRITES


def _check(rw, response, expected) -> str | None:
    if isinstance(expected, set):
        if response.status_code != 200:
            return f"status {response.status_code}, expected 200: {response.content[:160]!r}"
        got = {r["id"] for r in response.json()["results"]}
        want = {getattr(rw, name).pk for name in expected}
        return None if got == want else f"rows {sorted(got)}, expected {sorted(want)}"
    status, code = expected if isinstance(expected, tuple) else (expected, ERROR_CODES.get(expected))
    if response.status_code != status:
        return f"status {response.status_code}, expected {status}: {response.content[:160]!r}"
    if code is not None:
        try:
            assert_error(response, status, code)
        except AssertionError:
            return f"body {response.content[:160]!r}, expected code {code}"
    return None


def _audit_rows(key, response) -> tuple[int, str]:
    """A successful write audits once (outcome ok); a refusal the service explains, once (outcome denied)."""
    if response.status_code < 300:
        return (1, "ok") if _is_write(key) else (0, "")
    if response.status_code == 400 and response.json()["code"] in DENIED_CODES:
        return 1, "denied"
    return 0, ""


def test_matrix_covers_every_role_and_route():
    assert all(set(row) == set(ROLES) for row in MATRIX.values())
    # Roles without research business are refused everything.
    assert all(MATRIX[key][role] == 403 for key in MATRIX
               for role in ("ethics", "system_admin", "security_admin", "audit_admin"))


@pytest.mark.parametrize("key", list(MATRIX), ids=lambda k: "-".join(k))
def test_role_matrix(rw, api, key):
    method, url, body = _requests(rw)[key]
    clients = {role: api(role) for role in ROLES}  # tokens issued (and audited) before counting
    mismatches = []
    for role, expected in MATRIX[key].items():
        with transaction.atomic():
            before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            response = getattr(clients[role], method)(url, **({} if body is None else {"data": body}))
            problem = _check(rw, response, expected)
            rows = list(AuditEvent.objects.filter(pk__gt=before).values_list("outcome", flat=True))
            want, outcome = _audit_rows(key, response)
            if not problem and (len(rows) != want or any(o != outcome for o in rows)):
                problem = f"audit rows {rows}, expected {want} {outcome}"
            transaction.set_rollback(True)
        if problem:
            mismatches.append(f"{role}: {problem}")
    assert not mismatches, "\n".join(mismatches)


# ---- applications ------------------------------------------------------------------------------------

def test_the_pi_creates_a_draft_and_edits_it(rw, api):
    client = api("worker_a1")
    created = client.post(f"{URL}/applications/", {"call": rw.call_open.pk, "title": " 家庭医生签约研究 ",
                                                   "specialty": "全科医学", "summary": "摘要", "budget_total": "8.5",
                                                   "human_subjects": True})
    assert created.status_code == 201, created.content
    data = created.json()
    assert (data["status"], data["title"], data["budget_total"], data["human_subjects"], data["pi"]) == (
        "draft", "家庭医生签约研究", "8.50", True, rw.world.worker_a1.pk)
    assert data["number"].startswith(f"KY{today().year}-") and data["team"] == [] and data["history"] == []
    assert set(data["actions"]) == {"edit", "team", "submit", "withdraw"}
    assert AuditEvent.objects.filter(action="create", entity="research-application",
                                     entity_id=str(data["id"])).count() == 1

    edited = client.patch(f"{URL}/applications/{data['id']}/", {"plan": "两年", "budget_total": "9"})
    assert edited.status_code == 200, edited.content
    assert (edited.json()["plan"], edited.json()["budget_total"], edited.json()["summary"]) == ("两年", "9.00", "摘要")


def test_create_refuses_a_call_that_is_not_open_and_bad_input(rw, api):
    client = api("worker_a1")
    for call in (rw.call_draft.pk, 999999):
        body = assert_error(client.post(f"{URL}/applications/", {"call": call, "title": "x", "specialty": "y"}),
                            400, "call_not_open", field="call")
        assert body["message"] == "申报通知不存在或未发布"
    invalid = assert_error(client.post(f"{URL}/applications/", {"call": rw.call_open.pk}), 400, "validation_error")
    assert set(invalid["extra"]["fields"]) == {"title", "specialty"}
    assert_error(client.post(f"{URL}/applications/", {"call": rw.call_open.pk, "title": "x", "specialty": "y",
                                                      "budget_total": "-1"}), 400, "amount_invalid")
    assert not Application.objects.filter(title="x").exists()


def test_a_pi_patch_after_submission_is_refused_with_the_business_code_and_audited(rw, api):
    response = api("worker_a1").patch(f"{URL}/applications/{rw.a_submitted.pk}/", {"title": "改个名字"})
    body = assert_error(response, 400, "not_editable")
    assert "待单位审核" in body["message"]
    event = AuditEvent.objects.get(outcome="denied", actor=rw.pi_a)
    assert (event.entity, event.entity_id) == ("research-application", str(rw.a_submitted.pk))
    rw.a_submitted.refresh_from_db()
    assert rw.a_submitted.title == "胸痛中心质控研究"


def test_submit_needs_the_integrity_commitment(rw, api):
    client, url = api("worker_a1"), f"{URL}/applications/{rw.a_draft.pk}/submit/"
    assert "sign_integrity" in assert_error(client.post(url, {}), 400, "validation_error")["extra"]["fields"]
    assert_error(client.post(url, {"sign_integrity": False}), 400, "integrity_required", field="sign_integrity")
    response = client.post(url, {"sign_integrity": True})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "submitted" and data["integrity_signed_at"] and data["submitted_at"]
    assert [(e["version"], e["action"], e["actor_role"]) for e in data["history"]] == [(1, "submit", "health_worker")]
    assert_error(client.post(url, {"sign_integrity": True}), 400, "not_editable")


def test_the_institution_returns_with_comments_and_the_next_version_starts(rw, api):
    url = f"{URL}/applications/{rw.a_submitted.pk}"
    assert_error(api("institution_a1").post(f"{url}/return/", {}), 400, "comment_required", field="comment")
    returned = api("institution_a1").post(f"{url}/return/", {"comment": "预算依据不足"})
    assert returned.status_code == 200, returned.content
    assert (returned.json()["status"], returned.json()["version"]) == ("returned", 2)
    history = api("worker_a1").get(f"{url}/").json()["history"]
    assert [(e["version"], e["action"], e["comment"], e["actor_role"]) for e in history] == [
        (1, "submit", "", "health_worker"), (1, "return", "预算依据不足", "institution")]
    assert api("worker_a1").patch(f"{url}/", {"budget_total": "12"}).status_code == 200
    # Another institution cannot see it, let alone endorse it.
    assert_error(api("institution_b1").post(f"{url}/endorse/", {}), 404, "not_found")


def test_an_institution_calling_decide_is_refused_and_audited(rw, api):
    body = assert_error(api("institution_a1").post(f"{URL}/applications/{rw.a_review.pk}/decide/",
                                                   {"approve": True}), 400, "status_invalid")
    assert body["message"] == "只有卫健委科教处可以决定立项"
    event = AuditEvent.objects.get(outcome="denied", actor=rw.world.user("institution_a1"))
    assert (event.entity, event.entity_id) == ("research-application", str(rw.a_review.pk))
    rw.a_review.refresh_from_db()
    assert rw.a_review.status == ApplicationStatus.IN_REVIEW


def test_the_commission_decides_within_the_rules(rw, api):
    client, url = api("commission_science"), f"{URL}/applications/{rw.a_review.pk}/decide/"
    assert_error(client.post(url, {"approve": True, "funded_amount": "25"}), 400, "amount_invalid",
                 field="funded_amount")
    assert_error(client.post(url, {"approve": False}), 400, "comment_required", field="comment")
    assert_error(client.post(url, {}), 400, "validation_error")
    decided = client.post(url, {"approve": True, "funded_amount": "12"})
    assert decided.status_code == 200, decided.content
    data = decided.json()
    assert (data["status"], data["funded_amount"], data["score"]) == ("approved", "12.00", "78.50")
    assert_error(client.post(url, {"approve": False, "comment": "再议"}), 400, "status_invalid")


# ---- reviews and scores --------------------------------------------------------------------------------

def test_an_expert_cannot_read_or_score_another_experts_assignment(rw, api):
    client = api("expert")
    theirs = rw.rev_2a.pk
    assert_error(client.get(f"{URL}/reviews/{theirs}/"), 404, "not_found")
    assert_error(client.post(f"{URL}/reviews/{theirs}/scores/", {"scores": SCORES}), 404, "not_found")
    listed = {r["id"] for r in client.get(f"{URL}/reviews/").json()["results"]}
    assert listed == {rw.rev_1a.pk, rw.rev_1b.pk}
    mine = client.get(f"{URL}/reviews/{rw.rev_1a.pk}/").json()
    assert (mine["application"], mine["status"], mine["pi_name"], mine["scores"]) == (
        rw.a_review.pk, "assigned", "张医生", None)
    rw.rev_2a.refresh_from_db()
    assert rw.rev_2a.total is not None and rw.rev_2a.comment == ""


def test_the_expert_scores_his_assignment_once(rw, api):
    client, url = api("expert"), f"{URL}/reviews/{rw.rev_1a.pk}/scores/"
    assert_error(client.post(url, {"scores": {**SCORES, "innovation": "11"}}), 400, "scores_invalid", field="scores")
    missing = assert_error(client.post(url, {"scores": {"innovation": "8"}}), 400, "scores_invalid")
    assert missing["message"] == "科学性未评分"
    assert_error(client.post(url, {"comment": "好"}), 400, "validation_error")
    response = client.post(url, {"scores": SCORES, "comment": "设计合理"})
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["total"], response.json()["comment"]) == (
        "submitted", "78.50", "设计合理")
    assert AuditEvent.objects.filter(action="submit", entity="research-review", entity_id=str(rw.rev_1a.pk)).exists()
    assert_error(client.post(url, {"scores": SCORES}), 400, "review_closed")
    submitted = client.get(f"{URL}/reviews/", {"status": "submitted"}).json()["results"]
    assert {r["id"] for r in submitted} == {rw.rev_1a.pk, rw.rev_1b.pk}
    assert client.get(f"{URL}/reviews/", {"status": "assigned"}).json()["count"] == 0


def test_the_pi_sees_scores_and_history_without_reviewer_identities(rw, api):
    client = api("worker_a1")
    assert_error(client.get(f"{URL}/applications/{rw.a_review.pk}/scores/"), 400, "scores_not_yet")
    services.application_decide(actor=rw.science, application=rw.a_review, approve=False, comment="创新性不足")
    detail = client.get(f"{URL}/applications/{rw.a_review.pk}/")
    scores = client.get(f"{URL}/applications/{rw.a_review.pk}/scores/")
    assert detail.status_code == 200 and scores.status_code == 200, (detail.content, scores.content)
    for response in (detail, scores):
        text = response.content.decode()
        assert not any(name in text for name in (*EXPERT_NAMES, "expert_2", "expert_reviewer")), text
    assert scores.json() == {"application": rw.a_review.pk, "aggregate": "78.50",
                             "scores": [{"expert": None, "total": "78.50", "comment": ""}]}
    named = api("commission_science").get(f"{URL}/applications/{rw.a_review.pk}/scores/").json()
    assert [row["expert"] for row in named["scores"]] == [EXPERT_NAMES[1]]


def test_an_expert_sees_the_panels_scores_only_after_every_due_date(rw, api):
    pi, science = rw.pi_a, rw.science
    late = _submit(pi, _apply(pi, rw.call_open, title="慢阻肺管理研究"))
    services.application_endorse(actor=rw.world.user("institution_a1"), application=late)
    past = today() - dt.timedelta(days=1)
    services.reviews_assign(actor=science, call=rw.call_open, due_on=past, today=past - dt.timedelta(days=1))
    for expert in (rw.expert_1, rw.expert_2):
        services.review_submit(actor=expert.user, assignment=ReviewAssignment.objects.get(application=late,
                                                                                          expert=expert),
                               scores=SCORES, today=past)
    response = api("expert").get(f"{URL}/applications/{late.pk}/scores/")
    assert response.status_code == 200, response.content
    assert [row["expert"] for row in response.json()["scores"]] == [None, None]
    # Sealed while a due date lies ahead; refused outright for an application he does not review.
    assert_error(api("expert").get(f"{URL}/applications/{rw.a_review.pk}/scores/"), 400, "scores_sealed")
    assert_error(api("expert").get(f"{URL}/applications/{rw.a_submitted.pk}/scores/"), 404, "not_found")


# ---- lists: filters, pagination, indicators, clean-up ------------------------------------------------------

def test_call_filters_and_pagination(rw, api):
    science = rw.science
    for n, category in enumerate(("major", "youth", "general")):
        services.call_create(actor=science, year=today().year - 1, title=f"往年通知{n}", category=category,
                             budget_ceiling="30", opens_on=dt.date(today().year - 1, 3, 1),
                             closes_on=dt.date(today().year - 1, 4, 30))
    client = api("commission_science")

    def ids(**params):
        return {r["title"] for r in client.get(f"{URL}/calls/", params).json()["results"]}

    assert ids(year=today().year - 1) == {"往年通知0", "往年通知1", "往年通知2"}
    assert ids(category="youth") == {"往年通知1", "青年项目（草稿）"}
    assert ids(status="open") == {"市卫健委医学科研课题"}
    assert ids(year=today().year, status="draft") == {"青年项目（草稿）"}
    first = client.get(f"{URL}/calls/", {"page_size": 2}).json()
    assert first["count"] == 5 and len(first["results"]) == 2 and "page=2" in first["next"]
    last = client.get(f"{URL}/calls/", {"page_size": 2, "page": 3}).json()
    assert len(last["results"]) == 1 and last["next"] is None
    assert_error(client.get(f"{URL}/calls/", {"status": "nope"}), 400, "validation_error")
    assert_error(client.get(f"{URL}/calls/", {"page": 9}), 404, "not_found")
    detail = client.get(f"{URL}/calls/{rw.call_draft.pk}/").json()
    assert (detail["status"], detail["youth_age_limit"], detail["budget_ceiling"]) == ("draft", 40, "10.00")


def test_application_filters(rw, api):
    client = api("commission_science")

    def ids(**params):
        response = client.get(f"{URL}/applications/", params)
        assert response.status_code == 200, response.content
        return {r["id"] for r in response.json()["results"]}

    everything = {rw.a_draft.pk, rw.a_submitted.pk, rw.a_review.pk, rw.b_app.pk}
    assert ids(call=rw.call_open.pk) == everything and ids(call=rw.call_draft.pk) == set()
    assert ids(status="in_review") == {rw.a_review.pk}
    assert ids(institution=rw.world.inst_b1.pk) == {rw.b_app.pk}
    assert ids(year=today().year) == everything and ids(year=today().year - 1) == set()
    assert ids(institution=rw.world.inst_a1.pk, status="draft") == {rw.a_draft.pk}
    # A filter never widens the scope.
    assert {r["id"] for r in api("district_b").get(f"{URL}/applications/", {"institution": rw.world.inst_a1.pk})
            .json()["results"]} == set()
    page = client.get(f"{URL}/applications/", {"page_size": 3}).json()
    assert page["count"] == 4 and len(page["results"]) == 3
    row = next(r for r in page["results"] + client.get(f"{URL}/applications/", {"page_size": 3, "page": 2})
               .json()["results"] if r["id"] == rw.b_app.pk)
    assert (row["pi_name"], row["institution_name"], row["status"], row["funded_amount"], row["year"]) == (
        "王药师", "青羊区人民医院", "approved", "12.00", today().year)
    assert_error(client.get(f"{URL}/applications/", {"year": "x"}), 400, "validation_error")


def test_indicators_follow_the_readers_scope(rw, api):
    def indicators(role, **params):
        response = api(role).get(f"{URL}/indicators/", params)
        assert response.status_code == 200, response.content
        return response.json()

    city_view = indicators("commission_science")
    assert (city_view["year"], city_view["on"]) == (today().year, today().isoformat())
    cards = {card["code"]: card for card in city_view["indicators"]}
    assert set(cards) == {"research-funded", "research-provincial-won", "research-closure-rate", "research-overdue",
                          "research-ethics-approvals", "research-integrity-cases"}
    assert cards["research-funded"]["actual"] == 1
    assert (cards["research-closure-rate"]["numerator"], cards["research-closure-rate"]["denominator"],
            cards["research-closure-rate"]["actual"]) == (0, 1, 0)
    assert city_view["transferred"] == 0 and city_view["awards_national"] == 0
    district_a = {card["code"]: card for card in indicators("district_a")["indicators"]}
    assert set(district_a) == {"research-funded", "research-provincial-won", "research-closure-rate", "research-overdue"}
    assert district_a["research-funded"]["actual"] == 0 and district_a["research-closure-rate"]["actual"] is None
    assert {card["code"]: card["actual"] for card in indicators("institution_b1")["indicators"]}[
        "research-funded"] == 1
    last_year = indicators("commission_science", year=today().year - 1)
    assert last_year["on"] == f"{today().year - 1}-12-31"
    assert {c["code"]: c["actual"] for c in last_year["indicators"]}["research-funded"] == 0
    assert_error(api("commission_science").get(f"{URL}/indicators/", {"year": today().year + 1}), 400,
                 "validation_error")


def test_the_cleanup_list_shows_projects_not_yet_closed(rw, api):
    response = api("district_b").get(f"{URL}/projects/cleanup/")
    assert response.status_code == 200, response.content
    [row] = response.json()["results"]
    decided = timezone.localtime(rw.b_app.decided_at).date()  # the decision's day in the city
    assert (row["id"], row["number"], row["pi_name"], row["status"], row["overdue"]) == (
        rw.b_app.pk, rw.b_app.number, "王药师", "approved", False)
    assert row["due_on"] == rules.same_day_years_earlier(decided, -3).isoformat()


# ---- query counts and the schema -----------------------------------------------------------------------

def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(captured)


def _more(rw):
    """Five more applications of district A, endorsed, assigned and decided: rows for every list."""
    pi, science = rw.pi_a, rw.science
    for n in range(5):
        application = _submit(pi, _apply(pi, rw.call_open, title=f"追加课题{n}"))
        services.application_endorse(actor=rw.world.user("institution_a1"), application=application)
    services.reviews_assign(actor=science, call=rw.call_open, due_on=today() + dt.timedelta(days=14))
    for application in Application.objects.filter(title__startswith="追加课题"):
        services.application_decide(actor=science, application=application, approve=True)
    services.call_create(actor=science, year=today().year, title="追加通知", category="major", budget_ceiling="50",
                         opens_on=today(), closes_on=today() + dt.timedelta(days=5))


@pytest.mark.parametrize(("role", "path"), [
    ("commission_science", "calls/"),
    ("commission_science", "applications/"),
    ("worker_a1", "applications/"),
    ("district_a", "applications/"),
    ("expert", "reviews/"),
    ("commission_science", "projects/cleanup/"),
])
def test_list_query_count_is_constant(rw, api, role, path):
    client, url = api(role), f"{URL}/{path}"
    before = client.get(url).json()["count"]
    one = _queries(client, url)
    _more(rw)
    assert client.get(url).json()["count"] > before
    assert _queries(client, url) == one


def test_detail_query_count_does_not_grow_with_the_team(rw, api):
    url = f"{URL}/applications/{rw.a_draft.pk}/"
    client = api("worker_a1")
    services.team_member_add(actor=rw.pi_a, application=rw.a_draft, worker=rw.world.worker_a2)
    one = _queries(client, url)
    for _ in range(3):
        worker = factories.worker(actor=rw.world.user("commission_info"), institution=rw.world.inst_a1)
        services.team_member_add(actor=rw.pi_a, application=rw.a_draft, worker=worker)
    assert _queries(client, url) == one
    assert len(client.get(url).json()["team"]) == 4


RESEARCH_OPERATIONS = {
    "research_call_list", "research_call_detail",
    "research_application_list", "research_application_create", "research_application_detail",
    "research_application_update", "research_application_submit", "research_application_endorse",
    "research_application_return", "research_application_decide", "research_application_scores",
    "research_review_list", "research_review_detail", "research_review_submit",
    "research_indicators", "research_project_cleanup",
}


def test_the_schema_documents_the_research_api(world, client, tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    research = {path: item for path, item in schema["paths"].items() if path.startswith("/api/v1/research/")}
    assert {op["operationId"] for item in research.values() for op in item.values()} == RESEARCH_OPERATIONS
    assert set(research["/api/v1/research/applications/{id}/"]) == {"get", "patch"}
    client.force_login(world.user("institution_a1"), backend="weijian.accounts.backends.LockoutModelBackend")
    served = client.get("/api/schema/")
    assert served.status_code == 200
    assert b"/api/v1/research/applications/{id}/decide/" in served.content

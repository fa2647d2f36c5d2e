"""The ethics review pages: the PI submits from his application, the committee's account runs an
expedited and a meeting review to the letter, refusals come back in Chinese (422) and are audited,
another committee's account finds nothing (404), and each role gets the pages it may open."""

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import ROLE_USERS
from tests.research.test_ethics_services import (
    QUORUM,
    human_project,
    published_call,
    setup_committees,
    submit,
)
from weijian.accounts.models import User
from weijian.audit.models import AuditEvent
from weijian.core.errors import BusinessError
from weijian.research import ethics
from weijian.research.models import EthicsApproval, EthicsMeeting, EthicsSubmission, EthicsSubmissionStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(world):
    """Committees A (with the `ethics` login) and B (`ethics_b`), and a human-subjects application of
    worker_a1 submitted to A for its initial review."""
    a, b, members = setup_committees(world)
    application = human_project(world, published_call(world))
    return a, b, members, application, submit(world, application, a)


def body(response) -> str:
    return response.content.decode()


def detail(submission) -> str:
    return reverse("research:ethics-detail", args=[submission.pk])


def step(name: str, submission) -> str:
    return reverse(f"research:ethics-{name}", args=[submission.pk])


def test_the_pi_submits_from_his_application_page(world, client_for):
    setup_committees(world)
    application = human_project(world, published_call(world))
    pi = client_for(world.user("worker_a1"))
    page = body(pi.get(reverse("research:application-detail", args=[application.pk])))
    submit_url = reverse("research:ethics-submit", args=[application.pk])
    assert "提交伦理审查" in page and submit_url in page
    form = pi.get(submit_url)
    assert form.status_code == 200 and "锦江区人民医院医学伦理委员会" in body(form)
    committee = world.inst_a1.ethics_committees.get()
    refused = pi.post(submit_url, {"committee": committee.pk, "kind": "amendment"})
    assert refused.status_code == 422 and "须先通过本委员会的初始审查" in body(refused)
    response = pi.post(submit_url, {"committee": committee.pk, "kind": "initial", "content": "方案 v1.0"})
    submission = EthicsSubmission.objects.get()
    assert response.status_code == 302 and response.url == detail(submission)
    page = body(pi.get(detail(submission)))
    assert "已提交待受理" in page and "撤回伦理审查申请" in page and 'name="accept-review_type"' not in page
    assert client_for(world.user("commission_science")).get(submit_url).status_code == 403


def test_the_committee_runs_a_meeting_review_to_the_letter(world, client_for, setup):
    a, _b, members, application, submission = setup
    secretary = client_for(world.user("ethics"))
    assert application.number in body(secretary.get(reverse("research:ethics-list")))
    assert secretary.post(step("accept", submission), {"accept-review_type": "meeting"}).status_code == 302
    today = timezone.localdate()
    response = secretary.post(reverse("research:ethics-meeting-create"),
                              {"committee": a.pk, "held_on": today.isoformat(), "location": "三楼会议室"})
    meeting = EthicsMeeting.objects.get()
    assert response.status_code == 302 and response.url == reverse("research:ethics-meeting-detail", args=[meeting.pk])
    meeting_url = response.url
    assert secretary.post(reverse("research:ethics-meeting-agenda", args=[meeting.pk]),
                          {"agenda-submission": submission.pk}).status_code == 302
    # 王药师 is on the application's team: with him, five attend but four count.
    few = [members[n].pk for n in ("周主任", "吴副主任", "郑委员", "王药师", "卫社工")]
    assert secretary.post(reverse("research:ethics-meeting-attendance", args=[meeting.pk]),
                          {"attendance-members": few}).status_code == 302
    page = body(secretary.get(meeting_url))
    assert "不符合" in page and "到会委员中没有外单位委员" in page
    refused = secretary.post(step("decide", submission), {"decide-opinion": ""})
    assert refused.status_code == 422 and "到会委员（回避者除外）4 人，少于 5 人" in body(refused)
    assert AuditEvent.objects.filter(actor=world.user("ethics"), outcome="denied").exists()

    secretary.post(reverse("research:ethics-meeting-attendance", args=[meeting.pk]),
                   {"attendance-members": [members[n].pk for n in QUORUM]})
    page = body(secretary.get(detail(submission)))
    assert "符合" in page and "项目团队成员" in page  # the recusal is shown with its reason
    votes = {f"votes-vote_{members[n].pk}": "approved" for n in QUORUM}
    assert secretary.post(step("votes", submission), votes).status_code == 302
    assert secretary.post(step("decide", submission), {"decide-opinion": "同意开展"}).status_code == 302
    submission.refresh_from_db()
    assert (submission.status, submission.decision) == (EthicsSubmissionStatus.DECIDED, "approved")
    assert EthicsApproval.objects.get(submission=submission).number == submission.letter_number
    page = body(secretary.get(detail(submission)))
    assert "审查批件 PDF" in page and submission.letter_number in page
    pdf = secretary.get(step("letter", submission))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")

    # The PI sees the tally, not who voted how; the commission sees the names.
    pi_page = body(client_for(world.user("worker_a1")).get(detail(submission)))
    assert "同意 5 票" in pi_page and "周主任" not in pi_page
    assert client_for(world.user("worker_a1")).get(step("letter", submission)).status_code == 200
    assert "周主任：同意" in body(client_for(world.user("commission_science")).get(detail(submission)))


def test_an_expedited_review_cannot_reject_on_the_page(world, client_for, setup):
    _a, _b, members, _application, submission = setup
    secretary = client_for(world.user("ethics"))
    secretary.post(step("accept", submission), {"accept-review_type": "expedited"})
    response = secretary.post(step("expedited", submission), {
        "expedited-reviewer1": members["周主任"].pk, "expedited-opinion1": "rejected", "expedited-opinion": "风险过高"})
    assert response.status_code == 422 and "快速审查不能作出否定性决定，请转会议审查" in body(response)
    assert AuditEvent.objects.filter(actor=world.user("ethics"), outcome="denied").count() == 1
    response = secretary.post(step("expedited", submission), {
        "expedited-reviewer1": members["周主任"].pk, "expedited-opinion1": "approved",
        "expedited-reviewer2": members["褚律师"].pk, "expedited-opinion2": "approved"})
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.decision == "approved" and submission.votes.count() == 2
    assert secretary.get(step("letter", submission)).status_code == 200


def test_another_committees_account_finds_nothing(world, client_for, setup):
    a, _b, _members, application, submission = setup
    other = client_for(User.objects.get(username="ethics_b"))
    assert application.number not in body(other.get(reverse("research:ethics-list")))
    assert other.get(detail(submission)).status_code == 404
    assert other.post(step("accept", submission), {"accept-review_type": "meeting"}).status_code == 404
    assert other.get(step("letter", submission)).status_code == 404
    assert other.get(reverse("research:ethics-committee-detail", args=[a.pk])).status_code == 404
    assert other.post(reverse("research:ethics-member-add", args=[a.pk]), {"member-name": "外来者"}).status_code == 404
    submission.refresh_from_db()
    assert submission.status == EthicsSubmissionStatus.SUBMITTED
    # The service refuses and audits the same step whatever door it comes by.
    with pytest.raises(BusinessError):
        ethics.submission_accept(actor=User.objects.get(username="ethics_b"), submission=submission,
                                 review_type="meeting")
    assert AuditEvent.objects.filter(actor__username="ethics_b", outcome="denied").count() == 1


def test_the_pi_cannot_decide_on_the_page(world, client_for, setup):
    _a, _b, _members, _application, submission = setup
    pi_user = world.user("worker_a1")
    response = client_for(pi_user).post(step("accept", submission), {"accept-review_type": "expedited"})
    assert response.status_code == 422 and "只有本伦理委员会的委员（伦理委员会账号）可以办理此事项" in body(response)
    assert AuditEvent.objects.filter(actor=pi_user, outcome="denied").exists()


def test_the_institution_keeps_its_committees_members(world, client_for, setup):
    a, _b, _members, _application, _submission = setup
    url = reverse("research:ethics-committee-detail", args=[a.pk])
    keeper = client_for(world.user("institution_a1"))
    page = body(keeper.get(url))
    assert "增加委员" in page and "褚律师" in page and "<code>ethics</code>" in page
    bad = keeper.post(reverse("research:ethics-member-add", args=[a.pk]), {"member-name": "秦委员", "member-role": "chair"})
    assert bad.status_code == 422 and "本委员会已有主任委员" in body(bad)
    ok = keeper.post(reverse("research:ethics-member-add", args=[a.pk]),
                     {"member-name": "秦委员", "member-role": "member", "member-is_lay": "on"})
    assert ok.status_code == 302 and a.members.filter(name="秦委员", is_lay=True).exists()
    assert "增加委员" in body(client_for(world.user("commission_science")).get(url))
    assert "增加委员" not in body(client_for(world.user("worker_a1")).get(url))  # the PI only reads it
    assert client_for(world.user("institution_b1")).get(url).status_code == 404


def test_the_commission_sets_up_a_committee_and_exports_the_list(world, client_for, setup):
    client = client_for(world.user("commission_science"))
    response = client.post(reverse("research:ethics-committee-create"),
                           {"institution": world.inst_a2.pk, "name": "春熙路社区伦理委员会", "filing_number": ""})
    assert response.status_code == 302
    export = client.get(reverse("research:ethics-list") + "?export=xlsx")
    assert export.status_code == 200 and "spreadsheetml" in export["Content-Type"]
    assert AuditEvent.objects.filter(action="export", entity="research-ethics-submission").count() == 1
    assert client_for(world.user("worker_a1")).get(reverse("research:ethics-list") + "?export=xlsx").status_code == 403


# ---- who opens what ----------------------------------------------------------------------------------

MATRIX = {
    "research:ethics-list": {"commission_science", "institution_a1", "institution_b1", "worker_a1", "ethics"},
    "research:ethics-committee-list": {"commission_science", "institution_a1", "institution_b1", "worker_a1",
                                       "ethics"},
    "research:ethics-meeting-list": {"commission_science", "institution_a1", "institution_b1", "ethics"},
    "research:ethics-committee-create": {"commission_science", "institution_a1", "institution_b1"},
    "research:ethics-meeting-create": {"ethics"},
}


@pytest.mark.parametrize("name", list(MATRIX))
def test_page_matrix(world, client_for, client, setup, name):
    url = reverse(name)
    assert client.get(url).status_code == 302  # anonymous: to the login page
    for key in ROLE_USERS:
        expected = 200 if key in MATRIX[name] else 403
        assert client_for(world.user(key)).get(url).status_code == expected, key


def test_a_submission_page_by_role(world, client_for, setup):
    *_rest, submission = setup
    expected = {"commission_science": 200, "institution_a1": 200, "worker_a1": 200, "ethics": 200,
                "institution_b1": 404, "commission_info": 403, "district_a": 403, "district_b": 403,
                "expert": 403, "system_admin": 403, "security_admin": 403, "audit_admin": 403}
    for key, status in expected.items():
        assert client_for(world.user(key)).get(detail(submission)).status_code == status, key


def test_the_ethics_account_has_its_entry_and_tabs(world, client_for, setup):
    response = client_for(world.user("ethics")).get(reverse("research:ethics-meeting-list"))
    labels = [str(item["label"]) for item in response.context["nav_items"]]
    assert "伦理审查" in labels and "科研项目" not in labels
    assert [(t["label"], t["active"]) for t in response.context["section_tabs"]] == [
        ("伦理审查", False), ("审查会议", True), ("伦理委员会", False)]
    commission = client_for(world.user("commission_science")).get("/")
    assert "伦理审查" not in [str(item["label"]) for item in commission.context["nav_items"]]


def _count(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", ["/research/ethics/", "/research/ethics/?export=xlsx", "/research/ethics/meetings/",
                                 "/research/ethics/committees/"])
def test_list_query_counts_do_not_grow_with_rows(world, client_for, setup, url):
    a, _b, _members, _application, _submission = setup
    ethics.meeting_create(actor=world.user("ethics"), committee=a, held_on=timezone.localdate())
    client = client_for(world.user("commission_science"))
    before = _count(client, url)
    for n in range(3):
        application = human_project(world, published_call(world))
        submit(world, application, a)
        ethics.meeting_create(actor=world.user("ethics"), committee=a, held_on=timezone.localdate())
        ethics.committee_create(actor=world.user("commission_science"), institution=world.inst_a2, name=f"伦理委员会{n}")
    assert _count(client, url) == before

"""Research pages: calls, applications and expert review through the browser's door. Each page for the roles
that may use it and refused (403/404) to the others; the whole workflow by POSTs with Chinese messages;
the sealing of scores; and the navigation by role."""

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tests.conftest import ROLE_USERS
from tests.research.test_services import COMPLETE
from weijian.accounts import services as account_services
from weijian.accounts.roles import Role
from weijian.audit.models import AuditEvent
from weijian.research import services
from weijian.research.models import (
    Application,
    ApplicationStatus,
    AssignmentStatus,
    Call,
    CallStatus,
    Expert,
    ReviewAssignment,
    TeamMember,
)

pytestmark = pytest.mark.django_db

SCORES = {"innovation": "8", "rigor": "7", "feasibility": "9", "foundation": "6", "benefit": "10"}  # 78.50
EXPERT_NAMES = ("周启明", "吴思远")


def today() -> dt.date:
    return timezone.localdate()


def _call(world, *, publish=True, **fields) -> Call:
    science = world.user("commission_science")
    data = dict(year=today().year, title="市卫健委医学科研课题", category="general", budget_ceiling="20",
                opens_on=today() - dt.timedelta(days=10), closes_on=today() + dt.timedelta(days=30),
                min_title_level="intermediate", institution_quota=3, experts_per_application=2)
    call = services.call_create(actor=science, **{**data, **fields})
    return services.call_publish(actor=science, call=call) if publish else call


def _application(world, call, **fields) -> Application:
    return services.application_create(actor=world.user("worker_a1"), call=call, title="基层高血压管理路径研究",
                                       specialty="心血管内科", **{**COMPLETE, **fields})


def _submitted(world, call, **fields) -> Application:
    application = _application(world, call, **fields)
    return services.application_submit(actor=world.user("worker_a1"), application=application, sign_integrity=True)


def _endorsed(world, call, **fields) -> Application:
    return services.application_endorse(actor=world.user("institution_a1"),
                                        application=_submitted(world, call, **fields))


def _expert(key: str, name: str) -> Expert:
    user = account_services.user_create(actor=None, bootstrap=True, username=f"expert_{key}",
                                        password=factories.PASSWORD, role=Role.EXPERT)
    return Expert.objects.create(name=name, user=user, specialties=["心血管内科"], load_cap=5)


def _in_review(world, call) -> tuple[Application, list[Expert]]:
    application = _endorsed(world, call)
    experts = [_expert("r1", EXPERT_NAMES[0]), _expert("r2", EXPERT_NAMES[1])]
    services.reviews_assign(actor=world.user("commission_science"), call=call,
                            due_on=today() + dt.timedelta(days=14))
    return application, experts


def _assignment(application, expert) -> ReviewAssignment:
    return ReviewAssignment.objects.get(application=application, expert=expert)


def _body(response) -> str:
    return response.content.decode()


def _xlsx_rows(response):
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def _nav_labels(response) -> list[str]:
    return [str(item["label"]) for item in response.context["nav_items"]]


def _tabs(response) -> list[tuple[str, bool]]:
    return [(str(tab["label"]), tab["active"]) for tab in response.context["section_tabs"]]


# ---- calls ---------------------------------------------------------------------------------------

def test_call_list_filters_sorts_and_exports(world, client_for):
    _call(world, title="2026年度青年项目", category="youth", youth_age_limit=35)
    _call(world, title="尚未发布的重大项目", category="major", publish=False)
    client = client_for(world.user("commission_science"))
    url = reverse("research:call-list")
    body = _body(client.get(url))
    assert "2026年度青年项目" in body and "尚未发布的重大项目" in body and "新建申报通知" in body
    body = _body(client.get(url + "?status=draft"))
    assert "尚未发布的重大项目" in body and "2026年度青年项目" not in body
    body = _body(client.get(url + "?category=youth&sort=-title"))
    assert "2026年度青年项目" in body and "尚未发布的重大项目" not in body
    assert "暂无申报通知" in _body(client.get(url + f"?year={today().year + 5}"))
    response = client.get(url + "?export=xlsx&sort=title")
    assert response.status_code == 200
    rows = _xlsx_rows(response)
    assert rows[0][:3] == ["通知标题", "年度", "项目类别"]
    assert sorted(r[0] for r in rows[1:]) == ["2026年度青年项目", "尚未发布的重大项目"]
    assert AuditEvent.objects.filter(action="export", entity="research-call").count() == 1


def test_call_list_by_role(world, client_for, client):
    _call(world, title="已发布的课题")
    _call(world, title="草稿课题", publish=False)
    url = reverse("research:call-list")
    assert client.get(url).status_code == 302  # anonymous: to the login page
    worker = client_for(world.user("worker_a1"))
    response = worker.get(url)
    assert response.status_code == 200
    body = _body(response)
    assert "已发布的课题" in body and "草稿课题" not in body and "新建申报通知" not in body
    assert "导出 Excel" not in body and worker.get(url + "?export=xlsx").status_code == 403
    for key in ("expert", "ethics", "system_admin", "audit_admin"):
        assert client_for(world.user(key)).get(url).status_code == 403


def test_create_and_publish_a_call_through_the_pages(world, client_for):
    client = client_for(world.user("commission_science"))
    assert client.get(reverse("research:call-create")).status_code == 200
    data = dict(title="2026年度市级医学科研项目", year=today().year, category="general", budget_ceiling="30",
                opens_on=(today() + dt.timedelta(days=5)).isoformat(), closes_on=today().isoformat(),
                min_title_level="intermediate", youth_age_limit="", institution_quota="2",
                experts_per_application="3", priority_fields="基层卫生，慢病防治、基层卫生",
                required_attachments="单位推荐意见、伦理审查批件")
    response = client.post(reverse("research:call-create"), data)
    assert response.status_code == 422 and "结束日期不能早于开始日期" in _body(response)
    assert not Call.objects.exists()
    data["closes_on"] = (today() + dt.timedelta(days=40)).isoformat()
    response = client.post(reverse("research:call-create"), data, follow=True)
    call = Call.objects.get()
    assert response.redirect_chain[-1][0] == reverse("research:call-detail", args=[call.pk])
    assert (call.status, call.institution_quota, call.experts_per_application) == (CallStatus.DRAFT, 2, 3)
    assert (call.priority_fields, call.required_attachments) == (["基层卫生", "慢病防治"], ["单位推荐意见", "伦理审查批件"])
    body = _body(response)
    assert "申报通知已保存为草稿" in body and "data-confirm" in body and "发布" in body

    publish = reverse("research:call-publish", args=[call.pk])
    assert client.get(publish).status_code == 405  # POST only
    assert client_for(world.user("institution_a1")).post(publish).status_code == 403
    assert Call.objects.get().status == CallStatus.DRAFT
    client = client_for(world.user("commission_science"))
    response = client.post(publish, follow=True)
    assert "申报通知已发布" in _body(response) and Call.objects.get().status == CallStatus.OPEN
    response = client.post(publish)  # twice: refused in Chinese
    assert response.status_code == 422 and "申报书当前状态不允许此操作" in _body(response)


def test_only_the_commission_creates_calls(world, client_for):
    for key in ("worker_a1", "institution_a1", "district_a", "commission_info", "expert"):
        client = client_for(world.user(key))
        assert client.get(reverse("research:call-create")).status_code == 403
        assert client.post(reverse("research:call-create"), {"title": "x"}).status_code == 403
    assert not Call.objects.exists()


def test_call_page_offers_the_next_step_by_role(world, client_for):
    call = _call(world)
    draft = _call(world, title="草稿课题", publish=False)
    url = reverse("research:call-detail", args=[call.pk])
    body = _body(client_for(world.user("worker_a1")).get(url))
    assert "新建申报书" in body and "申报规则" in body and "中级及以上" in body and "暂无申报书" in body
    assert client_for(world.user("worker_a1")).get(reverse("research:call-detail", args=[draft.pk])).status_code == 404
    body = _body(client_for(world.user("institution_a1")).get(url))
    assert "新建申报书" not in body and "分配评审专家" not in body
    assert client_for(world.user("expert")).get(url).status_code == 403
    _application(world, call)
    body = _body(client_for(world.user("commission_science")).get(url))
    assert "分配评审专家" in body and "基层高血压管理路径研究" in body and "新建申报书" not in body


# ---- applications ----------------------------------------------------------------------------------

def test_the_pi_creates_adds_a_member_and_submits(world, client_for):
    call = _call(world)
    colleague = factories.worker(actor=world.user("commission_info"), institution=world.inst_a1, name="陈医生")
    client = client_for(world.user("worker_a1"))
    create = reverse("research:application-create", args=[call.pk])
    assert client.get(create).status_code == 200
    data = dict(title="社区高血压分级管理研究", specialty="心血管内科", summary="研究摘要", plan="两年",
                expected_outputs="论文2篇", budget_equipment="10", budget_labour="5.5",
                milestones="2027-12-31 完成随访\n2027-06-30 完成入组300例")
    response = client.post(create, {**data, "budget_equipment": "-1"})
    assert response.status_code == 422 and not Application.objects.exists()
    response = client.post(create, {**data, "milestones": "明年 完成入组"})
    assert response.status_code == 422 and "第1行：应以完成日期开头，格式如 2027-06-30" in _body(response)
    assert not Application.objects.exists()
    response = client.post(create, data, follow=True)
    application = Application.objects.get()
    assert (application.budget_total, application.budget_lines) == (Decimal("15.50"),
                                                                    {"equipment": "10.00", "labour": "5.50"})
    assert [m["due"] for m in application.milestones] == ["2027-06-30", "2027-12-31"]  # in date order
    assert response.redirect_chain[-1][0] == reverse("research:application-detail", args=[application.pk])
    body = _body(response)
    assert "申报书已保存" in body and "修改申报书" in body and "添加成员" in body and "本人已阅读并签署科研诚信承诺书" in body
    assert "陈医生" in body  # the colleague is offered
    assert (application.pi, application.institution, application.status) == (
        world.worker_a1, world.inst_a1, ApplicationStatus.DRAFT)

    team = reverse("research:team-member-add", args=[application.pk])
    response = client.post(team, {"team-worker": str(world.worker_b1.pk), "team-role": "member"})
    assert response.status_code == 422 and not TeamMember.objects.exists()  # not offered: another institution
    response = client.post(team, {"team-worker": str(colleague.pk), "team-role": "co_pi"}, follow=True)
    assert "已添加团队成员" in _body(response)
    assert list(TeamMember.objects.values_list("worker_id", "role")) == [(colleague.pk, "co_pi")]

    submit = reverse("research:application-submit", args=[application.pk])
    assert client.get(submit).status_code == 405
    response = client.post(submit, {})
    assert response.status_code == 422 and "请先签署科研诚信承诺书" in _body(response)
    assert Application.objects.get().status == ApplicationStatus.DRAFT
    response = client.post(submit, {"submit-sign_integrity": "on"}, follow=True)
    assert "申报书已提交，等待单位科教部门审核" in _body(response)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED and application.integrity_signed_at is not None
    body = _body(response)
    assert "修改申报书" not in body and "添加成员" not in body and "提交单位审核" not in body
    assert "办理记录" in body and "第 1 版" in body


def test_a_pi_cannot_edit_after_submission(world, client_for):
    application = _submitted(world, _call(world))
    client = client_for(world.user("worker_a1"))
    url = reverse("research:application-update", args=[application.pk])
    response = client.get(url)
    assert response.status_code == 200 and "不能修改" in _body(response)
    response = client.post(url, dict(title="改个名字", specialty="心血管内科", budget_equipment="15"))
    assert response.status_code == 422
    assert "申报书已提交，不能修改；如需修改，请由单位科教部门退回" in _body(response)
    application.refresh_from_db()
    assert application.title == "基层高血压管理路径研究"
    assert AuditEvent.objects.filter(actor=world.user("worker_a1"), outcome="denied").exists()


def test_the_pi_edits_a_draft(world, client_for):
    application = _application(world, _call(world))
    client = client_for(world.user("worker_a1"))
    url = reverse("research:application-update", args=[application.pk])
    form = client.get(url).content.decode()
    assert 'name="budget_equipment" value="10' in form and "2027-06-30 完成入组300例" in form  # the stored form
    response = client.post(url, dict(title="基层高血压管理路径优化研究", specialty="心血管内科", budget_equipment="12",
                                     milestones="2027-06-30 完成入组"))
    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.title, application.budget_total, application.budget_lines) == (
        "基层高血压管理路径优化研究", Decimal("12.00"), {"equipment": "12.00"})
    # Nobody else edits it: the institution is refused by role, another worker by the service.
    assert client_for(world.user("institution_a1")).get(url).status_code == 403
    assert client_for(world.user("institution_a1")).post(url, {"title": "x"}).status_code == 403


def test_the_institution_returns_and_endorses(world, client_for):
    application = _submitted(world, _call(world))
    url = reverse("research:application-detail", args=[application.pk])
    client = client_for(world.user("institution_a1"))
    body = _body(client.get(url))
    assert "推荐" in body and "退回修改" in body and "data-confirm" in body
    response = client.post(reverse("research:application-return", args=[application.pk]), {"return-comment": " "})
    assert response.status_code == 422 and "退回或不予立项时请填写意见" in _body(response)
    response = client.post(reverse("research:application-return", args=[application.pk]),
                           {"return-comment": "预算依据不足"}, follow=True)
    assert "已退回项目负责人修改" in _body(response)
    application.refresh_from_db()
    assert (application.status, application.version) == (ApplicationStatus.RETURNED, 2)
    body = _body(client_for(world.user("worker_a1")).get(url))
    assert "预算依据不足" in body and "修改申报书" in body  # the PI sees why, and may edit again
    services.application_submit(actor=world.user("worker_a1"), application=application, sign_integrity=False)
    client = client_for(world.user("institution_a1"))
    response = client.post(reverse("research:application-endorse", args=[application.pk]),
                           {"endorse-comment": "同意推荐"}, follow=True)
    assert "已推荐至卫健委" in _body(response)
    assert Application.objects.get().status == ApplicationStatus.ENDORSED
    # Endorsing again: the step is no longer offered, the refusal comes as a message.
    response = client.post(reverse("research:application-endorse", args=[application.pk]), {})
    assert response.status_code == 422 and "申报书当前状态不允许此操作" in _body(response)


def test_another_institution_cannot_open_or_endorse(world, client_for):
    application = _submitted(world, _call(world))
    client = client_for(world.user("institution_b1"))
    assert client.get(reverse("research:application-detail", args=[application.pk])).status_code == 404
    assert client.post(reverse("research:application-endorse", args=[application.pk])).status_code == 404
    assert client.post(reverse("research:application-return", args=[application.pk]),
                       {"return-comment": "不行"}).status_code == 404
    assert client_for(world.user("district_b")).get(
        reverse("research:application-detail", args=[application.pk])).status_code == 404
    assert Application.objects.get().status == ApplicationStatus.SUBMITTED


def test_application_pages_refuse_the_wrong_roles(world, client_for):
    application = _submitted(world, _call(world))
    detail = reverse("research:application-detail", args=[application.pk])
    for key in ("expert", "ethics", "system_admin", "security_admin", "audit_admin"):
        client = client_for(world.user(key))
        assert client.get(detail).status_code == 403
        assert client.get(reverse("research:application-list")).status_code == 403
    other = account_services.user_create(actor=None, bootstrap=True, username="worker_b1_user",
                                         password=factories.PASSWORD, role=Role.HEALTH_WORKER,
                                         worker=world.worker_b1)
    assert client_for(other).get(detail).status_code == 404  # neither the PI nor on the team
    # Steps of other roles are refused by role before anything is read.
    pi = client_for(world.user("worker_a1"))
    assert pi.post(reverse("research:application-endorse", args=[application.pk])).status_code == 403
    assert pi.post(reverse("research:application-decide", args=[application.pk]),
                   {"decide-decision": "approve"}).status_code == 403
    institution = client_for(world.user("institution_a1"))
    assert institution.post(reverse("research:application-submit", args=[application.pk]),
                            {"submit-sign_integrity": "on"}).status_code == 403
    assert institution.post(reverse("research:application-decide", args=[application.pk]),
                            {"decide-decision": "approve"}).status_code == 403
    assert Application.objects.get().status == ApplicationStatus.SUBMITTED


def test_application_list_is_scoped_filtered_and_exported(world, client_for):
    call = _call(world)
    _submitted(world, call)
    url = reverse("research:application-list")
    assert "暂无申报书" in _body(client_for(world.user("institution_b1")).get(url))
    pi = client_for(world.user("worker_a1"))
    body = _body(pi.get(url))
    assert "基层高血压管理路径研究" in body and "导出 Excel" not in body
    assert pi.get(url + "?export=xlsx").status_code == 403
    institution = client_for(world.user("institution_a1"))
    assert "基层高血压管理路径研究" in _body(institution.get(url + f"?call={call.pk}&status=submitted"))
    assert "暂无申报书" in _body(institution.get(url + "?status=approved"))
    response = institution.get(url + "?export=xlsx")
    assert response.status_code == 200
    rows = _xlsx_rows(response)
    assert rows[0][:2] == ["申报编号", "项目名称"] and rows[1][1] == "基层高血压管理路径研究"
    assert AuditEvent.objects.filter(action="export", entity="research-application").count() == 1
    science = client_for(world.user("commission_science"))
    body = _body(science.get(url + f"?institution={world.inst_a1.pk}"))
    assert "基层高血压管理路径研究" in body
    assert "暂无申报书" in _body(science.get(url + f"?institution={world.inst_b1.pk}"))


# ---- review and decision ---------------------------------------------------------------------------

def test_the_commission_assigns_experts_from_the_call_page(world, client_for):
    call = _call(world)
    application = _endorsed(world, call)
    _expert("r1", EXPERT_NAMES[0])
    _expert("r2", EXPERT_NAMES[1])
    client = client_for(world.user("commission_science"))
    assign = reverse("research:call-assign", args=[call.pk])
    response = client.post(assign, {"assign-due_on": (today() - dt.timedelta(days=1)).isoformat()})
    assert response.status_code == 422 and "评审截止日期不能早于今天" in _body(response)
    assert not ReviewAssignment.objects.exists()
    assert client_for(world.user("institution_a1")).post(
        assign, {"assign-due_on": (today() + dt.timedelta(days=14)).isoformat()}).status_code == 403
    client = client_for(world.user("commission_science"))
    response = client.post(assign, {"assign-due_on": (today() + dt.timedelta(days=14)).isoformat()}, follow=True)
    assert "已分配 2 个评审任务" in _body(response)
    assert ReviewAssignment.objects.filter(application=application).count() == 2
    assert Application.objects.get().status == ApplicationStatus.IN_REVIEW
    queue = client.get(reverse("research:review-queue"))
    assert queue.status_code == 200 and EXPERT_NAMES[0] in _body(queue) and EXPERT_NAMES[1] in _body(queue)


def test_the_expert_scores_his_own_assignment_only(world, client_for):
    application, (first, second) = _in_review(world, _call(world))
    mine, theirs = _assignment(application, first), _assignment(application, second)
    client = client_for(first.user)
    response = client.get(reverse("research:my-reviews"))
    assert response.status_code == 200
    body = _body(response)
    assert application.number in body and "待评审" in body and "导出 Excel" not in body
    assert client.get(reverse("research:review-detail", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("research:review-detail", args=[theirs.pk]), SCORES).status_code == 404
    assert client.get(reverse("research:application-detail", args=[application.pk])).status_code == 403

    url = reverse("research:review-detail", args=[mine.pk])
    body = _body(client.get(url))
    assert "创新性" in body and "提交评审意见" in body and EXPERT_NAMES[1] not in body
    response = client.post(url, {**SCORES, "innovation": "11"})
    assert response.status_code == 422
    assert _assignment(application, first).status == AssignmentStatus.ASSIGNED
    response = client.post(url, {**SCORES, "comment": "设计合理"}, follow=True)
    assert "评审意见已提交，总分 78.50" in _body(response)
    mine.refresh_from_db()
    assert (mine.status, mine.total, mine.comment) == (AssignmentStatus.SUBMITTED, Decimal("78.50"), "设计合理")
    response = client.post(url, SCORES)  # once only
    assert response.status_code == 422 and "该评审任务已提交或已过期" in _body(response)


def test_other_experts_scores_are_sealed_until_the_due_date(world, client_for):
    application, (first, second) = _in_review(world, _call(world))
    services.review_submit(actor=second.user, assignment=_assignment(application, second), scores=SCORES,
                           comment="很好")
    client = client_for(first.user)
    panel = reverse("research:review-panel", args=[_assignment(application, first).pk])
    response = client.get(panel, follow=True)
    body = _body(response)
    assert "评审截止前不能查看其他专家的评分" in body and "78.50" not in body
    assert AuditEvent.objects.filter(actor=first.user, outcome="denied", entity="research-review").exists()
    ReviewAssignment.objects.filter(application=application).update(due_on=today() - dt.timedelta(days=1))
    response = client.get(panel)
    assert response.status_code == 200
    body = _body(response)
    assert "78.50" in body and EXPERT_NAMES[1] not in body and EXPERT_NAMES[0] not in body


def test_only_experts_and_the_commission_see_reviews(world, client_for):
    application, (first, _second) = _in_review(world, _call(world))
    detail = reverse("research:review-detail", args=[_assignment(application, first).pk])
    for key in ("worker_a1", "institution_a1", "district_a", "commission_info", "ethics"):
        client = client_for(world.user(key))
        assert client.get(reverse("research:review-queue")).status_code == 403
        assert client.get(reverse("research:my-reviews")).status_code == 403
        assert client.get(detail).status_code == 403
    science = client_for(world.user("commission_science"))
    assert science.get(reverse("research:my-reviews")).status_code == 403
    response = science.get(detail)
    assert response.status_code == 200 and "提交评审意见" not in _body(response)
    assert science.post(detail, SCORES).status_code == 403
    assert client_for(first.user).get(reverse("research:review-queue")).status_code == 403
    assert "暂无评审任务" in _body(client_for(world.user("expert")).get(reverse("research:my-reviews")))


def test_the_commission_decides_with_the_named_scores_and_the_pi_sees_them_anonymously(world, client_for):
    application, experts = _in_review(world, _call(world))
    for expert, benefit in zip(experts, ("10", "8"), strict=True):
        services.review_submit(actor=expert.user, assignment=_assignment(application, expert),
                               scores={**SCORES, "benefit": benefit}, comment="设计合理")
    url = reverse("research:application-detail", args=[application.pk])
    body = _body(client_for(world.user("worker_a1")).get(url))
    assert "78.50" not in body and "专家姓名不公开" not in body  # nothing before the decision
    client = client_for(world.user("commission_science"))
    body = _body(client.get(url))
    assert EXPERT_NAMES[0] in body and EXPERT_NAMES[1] in body and "78.50" in body and "76.50" in body
    assert "77.50" in body and "立项决定" in body  # the panel's mean

    decide = reverse("research:application-decide", args=[application.pk])
    response = client.post(decide, {"decide-decision": "approve", "decide-funded_amount": "25"})
    assert response.status_code == 422 and "资助金额应为不超过资助上限的非负数" in _body(response)
    response = client.post(decide, {"decide-decision": "reject", "decide-comment": ""})
    assert response.status_code == 422 and "退回或不予立项时请填写意见" in _body(response)
    assert Application.objects.get().status == ApplicationStatus.IN_REVIEW
    response = client.post(decide, {"decide-decision": "approve", "decide-funded_amount": "12",
                                    "decide-comment": "同意立项"}, follow=True)
    assert "已立项" in _body(response)
    application.refresh_from_db()
    assert (application.status, application.funded_amount, application.score) == (
        ApplicationStatus.APPROVED, Decimal("12.00"), Decimal("77.50"))

    response = client_for(world.user("worker_a1")).get(url)
    body = _body(response)
    assert response.status_code == 200 and "已立项" in body and "78.50" in body and "76.50" in body
    assert "专家姓名不公开" in body
    for name in EXPERT_NAMES:
        assert name not in body  # never the reviewers' names


def test_a_human_subjects_project_needs_an_ethics_approval_to_be_funded(world, client_for):
    application = _endorsed(world, _call(world), human_subjects=True)
    client = client_for(world.user("commission_science"))
    response = client.post(reverse("research:application-decide", args=[application.pk]),
                           {"decide-decision": "approve"})
    assert response.status_code == 422
    assert "项目涉及人体研究，须有有效的伦理审查批件方可立项" in _body(response)
    assert Application.objects.get().status == ApplicationStatus.ENDORSED


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", ["/research/applications/", "/research/applications/?export=xlsx",
                                 "/research/calls/", "/research/calls/?export=csv"])
def test_list_query_counts_do_not_grow_with_rows(world, client_for, url):
    call = _call(world)
    _application(world, call)
    client = client_for(world.user("commission_science"))
    before = _count(client, url)
    for n in range(3):
        _call(world, title=f"课题{n}")
        _application(world, call, human_subjects=bool(n))
    assert _count(client, url) == before


def test_review_list_query_counts_do_not_grow_with_rows(world, client_for):
    call = _call(world)
    _first_application, (first, _second) = _in_review(world, call)
    before = _count(client_for(world.user("commission_science")), reverse("research:review-queue"))
    mine = _count(client_for(first.user), reverse("research:my-reviews"))
    _endorsed(world, call)
    services.reviews_assign(actor=world.user("commission_science"), call=call, due_on=today() + dt.timedelta(days=7))
    assert ReviewAssignment.objects.count() == 4
    assert _count(client_for(first.user), reverse("research:my-reviews")) == mine
    assert _count(client_for(world.user("commission_science")), reverse("research:review-queue")) == before


def test_htmx_gets_only_the_table(world, client_for):
    _application(world, _call(world))
    response = client_for(world.user("worker_a1")).get(reverse("research:application-list") + "?status=draft",
                                                        HTTP_HX_REQUEST="true")
    body = _body(response)
    assert response.status_code == 200 and "<html" not in body and "基层高血压管理路径研究" in body
    response = client_for(world.user("worker_a1")).get(reverse("research:application-list") + "?status=approved",
                                                        HTTP_HX_REQUEST="true")
    assert "暂无申报书" in _body(response)


# ---- the role matrix of the section's pages ----------------------------------------------------------

READERS = {"commission_science", "commission_info", "district_a", "district_b", "institution_a1", "institution_b1",
           "worker_a1"}
MATRIX = {
    "research:call-list": READERS,
    "research:application-list": READERS,
    "research:call-create": {"commission_science"},
    "research:review-queue": {"commission_science"},
    "research:my-reviews": {"expert"},
}


@pytest.mark.parametrize("name", list(MATRIX))
def test_page_matrix(world, client_for, client, name):
    url = reverse(name)
    assert client.get(url).status_code == 302  # anonymous: to the login page
    for key in ROLE_USERS:
        expected = 200 if key in MATRIX[name] else 403
        assert client_for(world.user(key)).get(url).status_code == expected, key


# ---- navigation --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("key", "research", "reviews"), [
    ("commission_science", True, False), ("commission_info", True, False), ("district_a", True, False),
    ("institution_a1", True, False), ("worker_a1", True, False), ("expert", False, True),
    ("ethics", False, False), ("system_admin", False, False), ("security_admin", False, False),
    ("audit_admin", False, False),
])
def test_the_research_entries_follow_the_role(world, client_for, key, research, reviews):
    labels = _nav_labels(client_for(world.user(key)).get("/"))
    assert ("科研项目" in labels) is research
    assert ("我的评审" in labels) is reviews


def test_the_section_entry_and_its_tabs(world, client_for):
    client = client_for(world.user("commission_science"))
    assert client.get("/research/").url == reverse("research:call-list")
    response = client.get(reverse("research:application-list"))
    assert [item for item in response.context["nav_items"] if str(item["label"]) == "科研项目"][0]["active"]
    assert _tabs(response) == [("概览", False), ("申报通知", False), ("申报书", True), ("评审任务", False),
                               ("结题清理", False), ("成果与适宜技术", False), ("专家库", False), ("科研诚信", False),
                               ("伦理审查", False)]
    worker = client_for(world.user("worker_a1"))
    assert [label for label, _active in _tabs(worker.get(reverse("research:call-list")))] == [
        "申报通知", "申报书", "成果与适宜技术"]
    expert = client_for(world.user("expert"))
    assert expert.get("/research/").url == reverse("research:my-reviews")
    response = expert.get(reverse("research:my-reviews"))
    assert _tabs(response) == []  # one tab only: none shown
    assert [item["active"] for item in response.context["nav_items"] if str(item["label"]) == "我的评审"] == [True]
    assert client_for(world.user("system_admin")).get("/research/").status_code == 403
    ethics = client_for(world.user("ethics"))
    assert ethics.get("/research/").url == reverse("research:ethics-list")
    assert [label for label, _active in _tabs(ethics.get(reverse("research:ethics-list")))] == [
        "伦理审查", "审查会议", "伦理委员会"]


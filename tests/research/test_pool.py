"""The expert pool beyond entering experts (research.pool): declared conflicts, the login account an expert
reviews with, and his assignments; through the services (the commission's alone, audited) and through
the expert's page."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from tests import factories
from tests.research.test_pages import _call, _endorsed, _expert, today
from weijian.accounts import services as account_services
from weijian.accounts.roles import Role
from weijian.audit.models import AuditEvent
from weijian.core.errors import BusinessError
from weijian.research import pool, services
from weijian.research.models import AssignmentStatus, Expert, ExpertConflict, ReviewAssignment

pytestmark = pytest.mark.django_db


def _body(response) -> str:
    return response.content.decode()


def _audits(action: str, expert: Expert) -> list[str]:
    return list(AuditEvent.objects.filter(entity="research-expert", action=action, entity_id=str(expert.pk),
                                          outcome="ok").values_list("summary", flat=True))


def _account(username: str, role=Role.EXPERT):
    return account_services.user_create(actor=None, bootstrap=True, username=username, password=factories.PASSWORD,
                                        role=role)


@pytest.fixture
def pool_expert() -> Expert:
    """An expert of the pool without a login account."""
    return Expert.objects.create(name="郑教授", specialties=["心血管内科"], affiliation="某医科大学", load_cap=5)


# ---- services ----------------------------------------------------------------------------------------

def test_a_declared_conflict_keeps_the_expert_off_the_application(world):
    science = world.user("commission_science")
    call = _call(world, experts_per_application=1)
    application = _endorsed(world, call)
    declared, other = _expert("c1", "周启明"), _expert("c2", "吴思远")
    with pytest.raises(PermissionDenied):
        pool.conflict_declare(actor=world.user("institution_a1"), expert=declared, application=application)
    conflict = pool.conflict_declare(actor=science, expert=declared, application=application, reason=" 师生关系 ")
    assert (conflict.reason, _audits("create", declared)) == ("师生关系", [
        f"专家回避申报：周启明 / {application.number}，师生关系"])
    with pytest.raises(BusinessError) as exc:
        pool.conflict_declare(actor=science, expert=declared, application=application)
    assert (exc.value.message, exc.value.field) == ("该专家已对此申报书申报回避", "application")
    services.reviews_assign(actor=science, call=call, due_on=today() + dt.timedelta(days=7))
    assert list(ReviewAssignment.objects.values_list("expert_id", flat=True)) == [other.pk]
    assert [c.application for c in pool.expert_conflicts(actor=science, expert=declared)] == [application]

    with pytest.raises(PermissionDenied):
        pool.conflict_remove(actor=world.user("district_a"), conflict=conflict)
    pool.conflict_remove(actor=science, conflict=conflict)
    assert not ExpertConflict.objects.exists()
    assert _audits("delete", declared) == [f"撤销专家回避申报：周启明 / {application.number}"]


def test_a_conflict_declared_after_assignment_withdraws_the_pending_review_but_not_a_submitted_one(world):
    science = world.user("commission_science")
    call = _call(world, experts_per_application=1)
    application = _endorsed(world, call)
    first = _expert("d1", "冯立")
    services.reviews_assign(actor=science, call=call, due_on=today() + dt.timedelta(days=7))
    assert ReviewAssignment.objects.get(application=application).expert == first
    pool.conflict_declare(actor=science, expert=first, application=application, reason="同一课题组")
    assert not ReviewAssignment.objects.filter(application=application).exists()
    assert _audits("create", first)[-1].endswith("已撤回其未完成的评审任务")
    second = _expert("d2", "蒋华")
    services.reviews_assign(actor=science, call=call, due_on=today() + dt.timedelta(days=7))  # 补充分配专家
    assignment = ReviewAssignment.objects.get(application=application)
    assert assignment.expert == second
    ReviewAssignment.objects.filter(pk=assignment.pk).update(status=AssignmentStatus.SUBMITTED)
    with pytest.raises(BusinessError) as exc:
        pool.conflict_declare(actor=science, expert=second, application=application)
    assert exc.value.message == "该专家已提交对此申报书的评分，不能再申报回避"
    assert not ExpertConflict.objects.filter(expert=second).exists()


def test_an_expert_is_linked_to_one_active_expert_account_and_unlinked(world, pool_expert):
    science = world.user("commission_science")
    account = _account("expert_zheng")
    with pytest.raises(PermissionDenied):
        pool.expert_link_user(actor=world.user("institution_a1"), expert=pool_expert, username="expert_zheng")
    for username in ("nobody", "worker_a1"):  # unknown, and not an expert's account
        with pytest.raises(BusinessError) as exc:
            pool.expert_link_user(actor=science, expert=pool_expert, username=username)
        assert exc.value.message == "未找到该用户名，或该账号不是启用的评审专家账号"
    pool.expert_link_user(actor=science, expert=pool_expert, username=" expert_zheng ")
    pool_expert.refresh_from_db()
    assert pool_expert.user == account
    assert _audits("update", pool_expert) == ["专家绑定登录账号：郑教授 → expert_zheng"]
    with pytest.raises(BusinessError) as exc:
        pool.expert_link_user(actor=science, expert=pool_expert, username="expert")
    assert exc.value.message == "该专家已绑定登录账号，请先解除绑定"
    second = Expert.objects.create(name="冯教授", specialties=["全科医学"], affiliation="外院")
    with pytest.raises(BusinessError) as exc:
        pool.expert_link_user(actor=science, expert=second, username="expert_zheng")
    assert exc.value.message == "该账号已绑定专家 郑教授"

    with pytest.raises(PermissionDenied):
        pool.expert_unlink_user(actor=world.user("expert"), expert=pool_expert)
    pool.expert_unlink_user(actor=science, expert=pool_expert)
    pool_expert.refresh_from_db()
    assert pool_expert.user is None
    row = AuditEvent.objects.filter(entity="research-expert", entity_id=str(pool_expert.pk)).latest("id")
    assert (row.before, row.after) == ({"user_id": account.pk}, {"user_id": None})
    with pytest.raises(BusinessError):
        pool.expert_unlink_user(actor=science, expert=pool_expert)


# ---- the expert's page ---------------------------------------------------------------------------------

def test_the_commission_opens_an_expert_from_the_pool(world, client_for, pool_expert):
    client = client_for(world.user("commission_science"))
    listing = _body(client.get(reverse("research:expert-list")))
    detail = reverse("research:expert-detail", args=[pool_expert.pk])
    assert f'href="{detail}"' in listing and f'href="{reverse("research:expert-create")}"' in listing
    body = _body(client.get(detail))
    assert "郑教授" in body and "某医科大学" in body and "尚未绑定登录账号" in body and "暂无回避申报" in body
    assert "暂无评审任务" in body
    assert client.get(reverse("research:expert-detail", args=[pool_expert.pk + 99])).status_code == 404
    for key in ("institution_a1", "district_a", "worker_a1", "expert", "commission_info"):
        other = client_for(world.user(key))
        assert other.get(detail).status_code == 403
        assert other.post(reverse("research:expert-link", args=[pool_expert.pk]),
                          {"link-username": "expert"}).status_code == 403
    assert Expert.objects.get().user is None


def test_declaring_and_removing_a_conflict_on_the_page(world, client_for, pool_expert):
    application = _endorsed(world, _call(world))
    client = client_for(world.user("commission_science"))
    url = reverse("research:expert-conflict-add", args=[pool_expert.pk])
    assert client.get(url).status_code == 405
    response = client.post(url, {"conflict-application": "", "conflict-reason": ""})
    assert response.status_code == 422 and "该字段是必填项。" in _body(response)
    response = client.post(url, {"conflict-application": "KY1999-000-0000", "conflict-reason": ""})
    assert response.status_code == 422 and "未找到该申报编号" in _body(response)
    assert client_for(world.user("institution_a1")).post(
        url, {"conflict-application": application.number}).status_code == 403
    assert not ExpertConflict.objects.exists()
    client = client_for(world.user("commission_science"))
    response = client.post(url, {"conflict-application": application.number, "conflict-reason": "曾合作发表论文"},
                           follow=True)
    assert f"已登记回避：郑教授 不再被分配评审 {application.number}" in _body(response)
    conflict = ExpertConflict.objects.get()
    assert (conflict.expert, conflict.application, conflict.reason) == (pool_expert, application, "曾合作发表论文")
    assert len(_audits("create", pool_expert)) == 1
    body = _body(response)
    assert "曾合作发表论文" in body and "撤销回避" in body and "data-confirm" in body
    response = client.post(url, {"conflict-application": application.number})
    assert response.status_code == 422 and "该专家已对此申报书申报回避" in _body(response)

    remove = reverse("research:expert-conflict-remove", args=[pool_expert.pk, conflict.pk])
    assert client.get(remove).status_code == 405
    assert client_for(world.user("institution_a1")).post(remove).status_code == 403
    client = client_for(world.user("commission_science"))
    assert client.post(reverse("research:expert-conflict-remove", args=[pool_expert.pk, conflict.pk + 9])) \
        .status_code == 404
    response = client.post(remove, follow=True)
    assert f"已撤销回避：{application.number}" in _body(response) and not ExpertConflict.objects.exists()
    assert len(_audits("delete", pool_expert)) == 1


def test_linking_and_unlinking_a_login_account_on_the_page(world, client_for, pool_expert):
    _account("expert_zheng")
    client = client_for(world.user("commission_science"))
    link = reverse("research:expert-link", args=[pool_expert.pk])
    response = client.post(link, {"link-username": ""})
    assert response.status_code == 422 and "该字段是必填项。" in _body(response)
    response = client.post(link, {"link-username": "worker_a1"})
    assert response.status_code == 422 and "未找到该用户名，或该账号不是启用的评审专家账号" in _body(response)
    response = client.post(link, {"link-username": "expert_zheng"}, follow=True)
    body = _body(response)
    assert "已为专家 郑教授 绑定登录账号 expert_zheng" in body and "解除绑定" in body and "data-confirm" in body
    assert Expert.objects.get().user.username == "expert_zheng"
    assert "已绑定" in _body(client.get(reverse("research:expert-list")))
    response = client.post(link, {"link-username": "expert"})
    assert response.status_code == 422 and "该专家已绑定登录账号，请先解除绑定" in _body(response)

    unlink = reverse("research:expert-unlink", args=[pool_expert.pk])
    assert client.get(unlink).status_code == 405
    response = client.post(unlink, follow=True)
    assert "已解除专家 郑教授 的登录账号绑定" in _body(response) and Expert.objects.get().user is None
    assert len(_audits("update", pool_expert)) == 2
    response = client.post(unlink)
    assert response.status_code == 422 and "该专家尚未绑定登录账号" in _body(response)


def test_the_experts_assignments_show_their_status_and_no_shows(world, client_for):
    science = world.user("commission_science")
    call = _call(world)
    application = _endorsed(world, call)
    first, _second = _expert("r1", "周启明"), _expert("r2", "吴思远")
    services.reviews_assign(actor=science, call=call, due_on=today() + dt.timedelta(days=7))
    assignment = ReviewAssignment.objects.get(expert=first)
    ReviewAssignment.objects.filter(pk=assignment.pk).update(due_on=today() - dt.timedelta(days=1))
    client = client_for(science)
    url = reverse("research:expert-detail", args=[first.pk])
    body = _body(client.get(url))
    assert application.number in body and "待评审" in body and "已过截止未评审" in body
    services.review_mark_no_show(actor=science, assignment=ReviewAssignment.objects.get(pk=assignment.pk))
    body = _body(client.get(url))
    assert "未按时评审" in body and "未按时评审 1 次" in body and "已过截止未评审" not in body
    assert [a.status for a in pool.expert_assignments(actor=science, expert=first)] == [AssignmentStatus.NO_SHOW]
    listing = client.get(reverse("research:expert-list") + "?sort=-no_shows")
    assert "未按时评审" in _body(listing)
    assert [row[2][6] for row in listing.context["rows"]] == [1, 0]

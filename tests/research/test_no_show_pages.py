"""Expert no-shows in the pages: the commission marks a pending assignment past its due date 未按时评审
(with confirmation), sees the no-shows in the queue, on the call's review round and on the expert's page,
and 补充分配专家 gives the application new experts, never the same ones."""

import datetime as dt

import pytest
from django.urls import reverse

from tests.research.test_pages import _call, _endorsed, _expert, today
from weijian.audit.models import AuditEvent
from weijian.research import services
from weijian.research.models import AssignmentStatus, ReviewAssignment

pytestmark = pytest.mark.django_db


def _body(response) -> str:
    return response.content.decode()


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def round_(world):
    """A call with one application in review by two experts; the first one's due date has passed. A third
    expert is free for the top-up."""
    call = _call(world)
    application = _endorsed(world, call)
    experts = [_expert("r1", "周启明"), _expert("r2", "吴思远")]
    services.reviews_assign(actor=world.user("commission_science"), call=call, due_on=today() + dt.timedelta(days=7))
    late, on_time = ReviewAssignment.objects.filter(application=application).order_by("id")
    ReviewAssignment.objects.filter(pk=late.pk).update(due_on=today() - dt.timedelta(days=1))
    late.refresh_from_db()
    spare = _expert("r3", "郑明远")
    return call, application, late, on_time, experts, spare


def test_the_commission_marks_an_overdue_assignment_as_a_no_show(world, client_for, round_):
    _call_, application, late, on_time, _experts, _spare = round_
    client = client_for(world.user("commission_science"))
    body = _body(client.get(reverse("research:review-detail", args=[late.pk])))
    assert "标记未评审" in body and "已过评审截止日期" in body and "data-confirm" in body
    assert "标记未评审" not in _body(client.get(reverse("research:review-detail", args=[on_time.pk])))
    queue = _body(client.get(reverse("research:review-queue")))
    assert "逾期情况" in queue and "已过截止，未评审" in queue

    mark = reverse("research:review-no-show", args=[late.pk])
    assert client.get(mark).status_code == 405
    response = client.post(reverse("research:review-no-show", args=[on_time.pk]))
    assert response.status_code == 422 and "只能标记已过评审截止日期且未提交的评审任务" in _body(response)
    response = client.post(mark, follow=True)
    assert response.redirect_chain[-1][0] == reverse("research:review-detail", args=[late.pk])
    assert f"已标记未按时评审：{late.expert.name}（{application.number}）" in _body(response)
    late.refresh_from_db()
    assert late.status == AssignmentStatus.NO_SHOW
    assert AuditEvent.objects.filter(entity="research-review", action="update", entity_id=str(late.pk),
                                     summary__startswith="标记未按时评审").count() == 1
    body = _body(response)
    assert "text-bg-danger" in body and "未按时评审" in body and "已标记为未按时评审" in body
    assert "标记未评审" not in body
    assert "未按时评审" in _body(client.get(reverse("research:review-queue") + "?status=no_show"))
    response = client.post(mark)  # twice: refused in Chinese
    assert response.status_code == 422 and "只能标记已过评审截止日期且未提交的评审任务" in _body(response)
    assert ReviewAssignment.objects.get(pk=on_time.pk).status == AssignmentStatus.ASSIGNED


def test_marking_goes_back_to_a_page_of_this_site_only(world, client_for, round_):
    call, _application, late, _on_time, _experts, _spare = round_
    client = client_for(world.user("commission_science"))
    response = client.post(reverse("research:review-no-show", args=[late.pk]),
                           {"next": "https://evil.example/research/"})
    assert response.url == reverse("research:review-detail", args=[late.pk])
    ReviewAssignment.objects.filter(pk=late.pk).update(status=AssignmentStatus.ASSIGNED)
    call_page = reverse("research:call-detail", args=[call.pk])
    response = client.post(reverse("research:review-no-show", args=[late.pk]), {"next": call_page})
    assert response.url == call_page


def test_only_the_commission_marks_no_shows_and_tops_up(world, client_for, round_):
    call, _application, late, _on_time, experts, _spare = round_
    mark = reverse("research:review-no-show", args=[late.pk])
    round_page = reverse("research:call-review-round", args=[call.pk])
    reassign = reverse("research:call-reassign", args=[call.pk])
    due = {"reassign-due_on": (today() + dt.timedelta(days=7)).isoformat()}
    owner = next(e for e in experts if e.pk == late.expert_id)
    for user in (world.user("institution_a1"), world.user("district_a"), world.user("worker_a1"),
                 world.user("commission_info"), owner.user):
        client = client_for(user)
        assert client.post(mark).status_code == 403
        assert client.get(round_page).status_code == 403
        assert client.post(reassign, due).status_code == 403
    assert "标记未评审" not in _body(client_for(owner.user).get(reverse("research:review-detail", args=[late.pk])))
    late.refresh_from_db()
    assert late.status == AssignmentStatus.ASSIGNED and ReviewAssignment.objects.count() == 2


def test_the_call_page_loads_its_review_round_for_the_commission(world, client_for, round_):
    call, application, late, _on_time, _experts, _spare = round_
    round_page = reverse("research:call-review-round", args=[call.pk])
    body = _body(client_for(world.user("commission_science")).get(reverse("research:call-detail", args=[call.pk])))
    assert f'hx-get="{round_page}"' in body and f'href="{round_page}"' in body
    assert round_page not in _body(client_for(world.user("institution_a1")).get(
        reverse("research:call-detail", args=[call.pk])))
    client = client_for(world.user("commission_science"))
    response = client.get(round_page, HTTP_HX_REQUEST="true")
    body = _body(response)
    assert response.status_code == 200 and "<html" not in body
    assert "待评审 2" in body and "已过评审截止、尚未评审（1）" in body and late.expert.name in body
    assert "标记未评审" in body and "data-confirm" in body and "补充分配专家" not in body  # nobody short yet
    assert f'name="next" value="{reverse("research:call-detail", args=[call.pk])}"' in body
    body = _body(client.get(round_page))
    assert "<html" in body and "评审进度" in body and f'name="next" value="{round_page}"' in body
    assert application.number in body


def test_topping_up_gives_new_experts_and_says_how_many(world, client_for, round_):
    call, application, late, on_time, _experts, spare = round_
    science = world.user("commission_science")
    client = client_for(science)
    client.post(reverse("research:review-no-show", args=[late.pk]))
    round_page = reverse("research:call-review-round", args=[call.pk])
    body = _body(client.get(round_page))
    assert "未按时评审（1）" in body and "补充分配专家" in body and "1 项评审中的申报书有效评审专家不足 2 名" in body

    reassign = reverse("research:call-reassign", args=[call.pk])
    assert client.get(reassign).status_code == 405
    response = client.post(reassign, {"reassign-due_on": (today() - dt.timedelta(days=1)).isoformat()})
    assert response.status_code == 422 and "评审截止日期不能早于今天" in _body(response)
    response = client.post(reassign, {"reassign-due_on": ""})
    assert response.status_code == 422 and "该字段是必填项。" in _body(response)
    assert ReviewAssignment.objects.count() == 2
    due = (today() + dt.timedelta(days=10)).isoformat()
    call_page = reverse("research:call-detail", args=[call.pk])
    response = client.post(reassign, {"reassign-due_on": due, "next": call_page}, follow=True)
    assert response.redirect_chain[-1][0] == call_page
    assert f"已补充分配 1 名评审专家，评审截止 {due}" in _messages(response)
    experts = dict(ReviewAssignment.objects.filter(application=application).values_list("expert_id", "status"))
    assert experts == {late.expert_id: AssignmentStatus.NO_SHOW, on_time.expert_id: AssignmentStatus.ASSIGNED,
                       spare.pk: AssignmentStatus.ASSIGNED}
    assert AuditEvent.objects.filter(entity="research-review", action="create", entity_id=str(call.pk)).count() == 2
    body = _body(client.get(round_page))
    assert "补充分配专家" not in body and "未按时评审（1）" in body

    # The new expert does not show either, and nobody is left: the shortfall is said.
    new = ReviewAssignment.objects.get(expert=spare)
    ReviewAssignment.objects.filter(pk=new.pk).update(due_on=today() - dt.timedelta(days=1))
    client.post(reverse("research:review-no-show", args=[new.pk]))
    response = client.post(reassign, {"reassign-due_on": due}, follow=True)
    assert response.redirect_chain[-1][0] == round_page
    assert "没有需要补充评审专家的申报书" in _messages(response)
    assert "1 项申报书可回避冲突的专家不足，共缺 1 名，请补充专家库后再次分配" in _messages(response)
    assert ReviewAssignment.objects.count() == 3

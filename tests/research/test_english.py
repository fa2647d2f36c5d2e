"""The research section in English. With the language switch set to English (Django's language cookie, as
/i18n/setlang/ leaves it), the section's pages take their headings, labels, columns and choice labels from
the translation catalogue, and a business error of research/errors.py reaches the user in English.
Without the cookie the same pages stay Chinese."""

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from tests.research.test_ethics_services import human_project, published_call, setup_committees, submit
from tests.research.test_services import COMPLETE
from weijian.core.errors import BusinessError
from weijian.research import achievements, services
from weijian.research.errors import ResearchErrorCode as E

pytestmark = pytest.mark.django_db


def _call(world, *, publish=True, category="general"):
    science, today = world.user("commission_science"), timezone.localdate()
    call = services.call_create(actor=science, year=today.year, title="市卫健委医学科研课题", category=category,
                                budget_ceiling="20", opens_on=today - dt.timedelta(days=10),
                                closes_on=today + dt.timedelta(days=30), experts_per_application=2)
    return services.call_publish(actor=science, call=call) if publish else call


def _application(world, call):
    return services.application_create(actor=world.user("worker_a1"), call=call, title="基层高血压管理路径研究",
                                       specialty="心血管内科", **COMPLETE)


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_the_call_list_in_english(world, client_for):
    _call(world, category="youth")
    body = page(english(client_for(world.user("commission_science"))), reverse("research:call-list"))
    for text in ("Call for applications", "New call for applications", "Title of the call",
                 "Funding cap per project (10,000 yuan)", "Youth project", "Published", "Research projects",
                 "Review assignments", "Research integrity"):
        assert text in body, text
    for text in ("新建申报通知", "通知标题", "青年项目", "科研诚信"):
        assert text not in body, text


def test_the_application_page_in_english(world, client_for):
    application = _application(world, _call(world))
    body = page(english(client_for(world.user("worker_a1"))),
                reverse("research:application-detail", args=[application.pk]))
    for text in ("Application content", "Principal investigator", "Being filled in", "Version 1",
                 "Submit to your institution", "I have read the research integrity commitment and sign it",
                 "Budget and milestones", "× 10,000 yuan"):
        assert text in body, text
    for text in ("申报内容", "项目负责人", "填写中", "提交单位审核"):
        assert text not in body, text


def test_the_ethics_list_in_english(world, client_for):
    committee, _other, _members = setup_committees(world)
    application = human_project(world, published_call(world))
    submit(world, application, committee)
    body = page(english(client_for(world.user("commission_science"))), reverse("research:ethics-list"))
    assert application.number in body
    for text in ("Ethics review", "Review category", "Initial review", "Submitted, awaiting acceptance",
                 "Letter number"):
        assert text in body, text
    for text in ("审查类别", "初始审查", "已提交待受理"):
        assert text not in body, text


def test_the_achievement_library_in_english(world, client_for):
    science = world.user("commission_science")
    achievements.technology_publish(actor=science, name="社区高血压分级管理", description="适用于社区卫生服务中心",
                                    applicable_levels=["社区卫生服务中心"], contact="科教处 028-12345678")
    client = english(client_for(science))
    body = page(client, reverse("research:achievement-list"))
    for text in ("Research achievements", "Appropriate technology library", "Register achievement",
                 "Completing institution", "No research achievements yet"):
        assert text in body, text
    body = page(client, reverse("research:technology-list"))
    for text in ("Appropriate technology library", "People trained", "Community health center"):
        assert text in body, text
    assert "社区高血压分级管理" in body  # the data stays as entered
    assert "培训人数" not in body


def test_the_dashboard_in_english(world, client_for):
    body = page(english(client_for(world.user("commission_science"))), reverse("research:dashboard"))
    for text in ("Research overview", "Projects funded", "Projects overdue for closure",
                 "Closure rate of projects funded in the last three years", "Achievements, awards and adoption",
                 "National awards"):
        assert text in body, text
    for text in ("科研概览", "立项资助项目数", "国家级奖励"):
        assert text not in body, text


def test_chinese_without_the_switch(world, client_for):
    _call(world)
    body = page(client_for(world.user("commission_science")), reverse("research:call-list"))
    assert "新建申报通知" in body and "New call for applications" not in body


def test_business_errors_in_english(world, client_for):
    draft = _call(world, publish=False)
    with translation.override("en"), pytest.raises(BusinessError) as exc:
        services.application_create(actor=world.user("worker_a1"), call=draft, title="基层高血压管理路径研究",
                                    specialty="心血管内科")
    assert exc.value.code == E.CALL_NOT_OPEN
    assert exc.value.message == "The call for applications is not published or has closed"
    # Through the page: publishing a call twice is refused with the code's message, in the user's language.
    call = _call(world)
    client = english(client_for(world.user("commission_science")))
    response = client.post(reverse("research:call-publish", args=[call.pk]))
    assert response.status_code == 422
    assert "The application&#x27;s current status does not allow this" in response.content.decode()
    with translation.override("zh-hans"):
        assert str(E.CALL_NOT_OPEN.message) == "申报通知未发布或已截止"

"""Closure reminders (结题提醒) at 90/60/30 days before the due date and once overdue: each stage once per
project and due date, only the stage due today, again after an extension, never for closed projects."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from tests.research.test_execution import funded
from weijian.audit.models import AuditEvent
from weijian.core.errors import BusinessError
from weijian.research import execution, reminders
from weijian.research.models import ApplicationEvent

pytestmark = pytest.mark.django_db

DUE = dt.date(2028, 5, 31)


@pytest.fixture
def science(world):
    return world.user("commission_science")


@pytest.fixture
def project(world, science):
    project = funded(world, science)
    execution.agreement_issue(actor=science, application=project, starts_on=dt.date(2026, 6, 1), ends_on=DUE)
    return project


def sent(project) -> list[tuple[str, str]]:
    return [(e.action, e.snapshot["due_on"]) for e in ApplicationEvent.objects.filter(
        application=project, action__startswith="remind_").order_by("id")]


def test_each_stage_is_sent_once_on_its_day(science, project):
    def run(day):
        return reminders.closure_reminders_send(actor=science, today=day)

    assert sum(run(DUE - dt.timedelta(days=91)).values()) == 0
    assert run(DUE - dt.timedelta(days=90)) == {"90": 1, "60": 0, "30": 0, "overdue": 0}
    assert sum(run(DUE - dt.timedelta(days=90)).values()) == 0  # the same day again: nothing new
    assert sum(run(DUE - dt.timedelta(days=61)).values()) == 0  # still the 90-day stage
    assert run(DUE - dt.timedelta(days=60))["60"] == 1
    assert run(DUE)["30"] == 1  # the due day itself is not overdue yet
    assert run(DUE + dt.timedelta(days=1))["overdue"] == 1
    assert sum(run(DUE + dt.timedelta(days=40)).values()) == 0
    assert sent(project) == [("remind_90", "2028-05-31"), ("remind_60", "2028-05-31"),
                             ("remind_30", "2028-05-31"), ("remind_overdue", "2028-05-31")]
    overdue = ApplicationEvent.objects.filter(application=project, action="remind_overdue").get()
    assert "已超过结题期限（2028-05-31）" in overdue.comment
    runs = AuditEvent.objects.filter(actor=science, summary__startswith="发送结题提醒")
    assert runs.count() == 8 and runs.filter(summary__contains="已逾期 1").count() == 1


def test_only_the_stage_due_today_is_sent_and_an_extension_starts_over(world, science, project):
    assert reminders.closure_reminders_send(actor=science, today=DUE - dt.timedelta(days=20))["30"] == 1
    assert sent(project) == [("remind_30", "2028-05-31")]  # not the 90- and 60-day ones as well
    change = execution.change_request(actor=world.user("worker_a1"), application=project, kind="extension",
                                      reason="入组进度滞后", new_ends_on=dt.date(2028, 11, 30))
    execution.change_decide(actor=science, change=change, approve=True, comment="同意延期")
    assert sum(reminders.closure_reminders_send(actor=science, today=DUE - dt.timedelta(days=19)).values()) == 0
    assert reminders.closure_reminders_send(actor=science, today=dt.date(2028, 9, 1))["90"] == 1
    assert sent(project)[-1] == ("remind_90", "2028-11-30")


def test_closed_and_terminated_projects_get_no_reminders(world, science, project):
    other = funded(world, science, title="社区糖尿病随访研究")
    execution.closure_submit(actor=world.user("worker_a1"), application=project, summary="按期完成")
    execution.closure_accept(actor=science, application=project, verdict="passed", today=dt.date(2028, 1, 5))
    execution.project_terminate(actor=science, application=other, reason="负责人调离")
    assert sum(reminders.closure_reminders_send(actor=science, today=DUE + dt.timedelta(days=1)).values()) == 0


def test_only_the_commission_sends_and_a_refusal_is_audited(world, project):
    institution = world.user("institution_a1")
    with pytest.raises(BusinessError):
        reminders.closure_reminders_send(actor=institution, today=DUE)
    assert AuditEvent.objects.filter(actor=institution, outcome="denied", summary__contains="结题提醒").exists()
    assert sent(project) == []


def test_the_daily_command(world, project, capsys):
    call_command("closure_reminders", as_user="commission_science", date=(DUE - dt.timedelta(days=30)).isoformat())
    assert "已发送结题提醒 1 条" in capsys.readouterr().out
    with pytest.raises(CommandError, match="日期格式"):
        call_command("closure_reminders", as_user="commission_science", date="2028-13-01")
    with pytest.raises(CommandError, match="只有卫健委科教处可以发送结题提醒"):
        call_command("closure_reminders", as_user="institution_a1")


def test_the_pages_show_and_send_reminders(world, science, client_for):
    project = funded(world, science)  # due a year from today (the pages use the real clock): nothing due yet
    due = timezone.localdate() + dt.timedelta(days=365)
    execution.agreement_issue(actor=science, application=project, starts_on=dt.date(2026, 6, 1), ends_on=due)
    commission = client_for(science)
    page = commission.get(reverse("research:project-reminders"))
    assert page.status_code == 200 and "今天没有需要发送的提醒" in page.content.decode()
    assert commission.post(reverse("research:project-reminders"), {}).status_code == 422  # not confirmed
    assert client_for(world.user("institution_a1")).get(reverse("research:project-reminders")).status_code == 404

    reminders.closure_reminders_send(actor=science, today=due + dt.timedelta(days=3))
    commission = client_for(science)  # client_for logs its one client in again
    cleanup = commission.get(reverse("research:project-cleanup")).content.decode()
    assert "最近提醒" in cleanup and "已逾期" in cleanup
    assert f'href="{reverse("research:project-reminders")}">发送结题提醒' in cleanup
    assert "发送结题提醒" not in client_for(world.user("institution_a1")).get(
        reverse("research:project-cleanup")).content.decode()
    detail = client_for(world.user("worker_a1")).get(reverse("research:project-detail", args=[project.pk]))
    assert f"项目已超过结题期限（{due.isoformat()}）" in detail.content.decode()

    response = client_for(science).post(reverse("research:project-reminders"), {"confirm": "on"})
    assert response.status_code == 302 and response.url == reverse("research:project-cleanup")
    assert len(sent(project)) == 1  # nothing new was due today

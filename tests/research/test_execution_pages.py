"""The project execution and closure pages: each step by the role it belongs to, refusals shown in
Chinese and audited, PDFs only when due, the clean-up list in scope."""

import datetime as dt

import pytest
from django.urls import reverse

from tests.research.test_execution import funded
from weijian.audit.models import AuditEvent
from weijian.research.models import ApplicationStatus

pytestmark = pytest.mark.django_db


def page(project):
    return reverse("research:project-detail", args=[project.pk])


def step(name, project):
    return reverse(f"research:project-{name}", args=[project.pk])


def test_a_project_goes_from_agreement_to_closure_through_the_pages(world, client_for):
    science, pi_user = world.user("commission_science"), world.user("worker_a1")
    project = funded(world, science)
    commission = client_for(science)
    body = commission.get(page(project)).content.decode()
    assert "下达任务书" in body and "尚未下达任务书" in body
    response = commission.post(step("agreement", project), {"starts_on": "2026-06-01", "ends_on": "2028-05-31",
                                                            "milestones": "完成入组\n发表论文1篇"})
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.status == ApplicationStatus.EXECUTING
    assert commission.post(step("midterm", project), {"report": "入组过半", "fund_use": "4", "rating": "good"}
                           ).status_code == 302
    pdf = commission.get(reverse("research:project-document", args=[project.pk, "agreement"]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert commission.get(reverse("research:project-document", args=[project.pk, "certificate"])).status_code == 404

    pi = client_for(pi_user)
    assert pi.post(step("output", project), {"kind": "paper", "title": "社区随访研究", "achieved_on": "2026-05-01"}
                   ).status_code == 302
    assert pi.post(step("closure", project), {"summary": "完成全部研究内容"}).status_code == 302
    # The PI cannot record the acceptance: refused in Chinese, audited, nothing changes.
    refused = pi.post(step("accept", project), {"verdict": "passed"})
    assert refused.status_code == 422 and "只有卫健委科教处可以登记结题验收" in refused.content.decode()
    assert AuditEvent.objects.filter(actor=pi_user, outcome="denied").exists()

    commission = client_for(science)
    assert commission.post(step("accept", project), {"verdict": "passed"}).status_code == 302
    project.refresh_from_db()
    assert project.status == ApplicationStatus.CLOSED
    certificate = commission.get(reverse("research:project-document", args=[project.pk, "certificate"]))
    assert certificate.status_code == 200 and certificate.content.startswith(b"%PDF")


def test_a_change_is_asked_by_the_pi_and_decided_on_the_page(world, client_for):
    science, pi_user = world.user("commission_science"), world.user("worker_a1")
    project = funded(world, science)
    client_for(science).post(step("agreement", project), {"starts_on": "2026-06-01", "ends_on": "2028-05-31"})
    pi = client_for(pi_user)
    bad = pi.post(step("change", project), {"kind": "extension", "reason": "进度滞后", "new_ends_on": "2028-01-01"})
    assert bad.status_code == 422 and "延期申请应填写晚于原结题期限的日期" in bad.content.decode()
    assert pi.post(step("change", project), {"kind": "extension", "reason": "进度滞后",
                                             "new_ends_on": "2028-11-30"}).status_code == 302
    change = project.changes.get()
    decide = reverse("research:project-change-decide", args=[project.pk, change.pk])
    assert client_for(science).post(decide, {"approve": "1", "comment": ""}).status_code == 302
    project.agreement.refresh_from_db()
    assert project.agreement.ends_on == dt.date(2028, 11, 30)


def test_out_of_scope_users_see_nothing_and_unfunded_applications_have_no_project_page(world, client_for):
    science = world.user("commission_science")
    project = funded(world, science)
    assert client_for(world.user("institution_b1")).get(page(project)).status_code == 404
    assert client_for(world.user("district_a")).get(page(project)).status_code == 200
    project.status = ApplicationStatus.IN_REVIEW
    project.save(update_fields=["status"])
    assert client_for(science).get(page(project)).status_code == 404


def test_the_clean_up_list_shows_unclosed_projects_in_scope(world, client_for):
    science = world.user("commission_science")
    project = funded(world, science)
    body = client_for(science).get(reverse("research:project-cleanup")).content.decode()
    assert project.number in body and "未到期" in body
    assert project.number not in client_for(world.user("district_b")).get(
        reverse("research:project-cleanup")).content.decode()


def test_the_pi_withdraws_from_the_application_page(world, client_for):
    from tests.research.test_services import new_application
    from weijian.research import services

    science, pi_user = world.user("commission_science"), world.user("worker_a1")
    call = services.call_publish(actor=science, call=services.call_create(
        actor=science, year=2026, title="撤回测试", category="general", budget_ceiling="20",
        opens_on=dt.date(2026, 1, 1), closes_on=dt.date(2026, 12, 31)))
    application = new_application(call, pi_user)
    pi = client_for(pi_user)
    assert "撤回申报书" in pi.get(reverse("research:application-detail", args=[application.pk])).content.decode()
    response = pi.post(reverse("research:application-withdraw", args=[application.pk]), {"withdraw-reason": "重复申报"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.WITHDRAWN
    assert "撤回申报书" not in pi.get(reverse("research:application-detail", args=[application.pk])).content.decode()


def test_the_dashboard_shows_the_scope_s_indicators(world, client_for):
    science = world.user("commission_science")
    funded(world, science)  # approved in 2026 (the decision is dated today)
    from django.utils import timezone

    year = timezone.localdate().year
    response = client_for(science).get(reverse("research:dashboard") + f"?year={year}")
    cards = {card.code: card for card in response.context["cards"]}
    assert cards["research-funded"].actual == 1
    assert (cards["research-closure-rate"].numerator, cards["research-closure-rate"].denominator) == (0, 1)
    body = response.content.decode()
    assert 'data-indicator="research-funded"' in body and "立项资助项目数" in body
    assert 'data-indicator="research-integrity-cases"' in body  # the commission keeps the integrity cases
    district_b = client_for(world.user("district_b")).get(reverse("research:dashboard")).content.decode()
    assert 'data-indicator="research-integrity-cases"' not in district_b
    assert client_for(world.user("worker_a1")).get(reverse("research:dashboard")).status_code == 403
    assert client_for(world.user("expert")).get(reverse("research:dashboard")).status_code == 403

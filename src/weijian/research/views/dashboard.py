"""Research pages: the dashboard (科研概览) of the actor's scope for a year: the indicators research
offers to target assessment, each with its numerator and denominator and a link to the list behind it."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from weijian.accounts.access import can, require
from weijian.research import achievements, indicators


@login_required
def dashboard_view(request):
    actor = request.user
    require(actor, "research-application", "export")  # the business readers, not the PI or the experts
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year") or today.year)
    except ValueError:
        year = today.year
    year = min(max(year, 2000), today.year)
    on = today if year == today.year else today.replace(year=year, month=12, day=31)
    cards = [indicators.funded_projects(actor=actor, year=year), indicators.closure_rate(actor=actor, on=on),
             indicators.overdue_closures(actor=actor, on=on)]
    if can(actor, "research-ethics", "list"):
        cards.append(indicators.ethics_approvals(actor=actor, year=year))
    if can(actor, "research-integrity", "list"):
        cards.append(indicators.integrity_cases(actor=actor, year=year))
    counts = achievements.achievement_counts(actor=actor, year=year)
    outputs = [("国家级奖励", counts.get("awards_national", 0)), ("省级奖励", counts.get("awards_provincial", 0)),
               ("市级奖励", counts.get("awards_municipal", 0)), ("成果转化", counts["transferred"]),
               ("适宜技术推广", counts["promoted"])]
    return render(request, "research/dashboard/dashboard.html", {
        "year": year, "years": list(range(today.year, today.year - 5, -1)), "cards": cards, "outputs": outputs,
        "on": on,
    })


urlpatterns = [path("dashboard/", dashboard_view, name="dashboard")]

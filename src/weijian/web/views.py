from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _

from weijian.web import selectors
from weijian.workforce.models import Profession


@login_required
def home_view(request):
    actor = request.user
    professions = dict(Profession.choices)
    by_profession = [{"label": str(professions.get(r["profession"], r["profession"])), "n": r["n"]}
                     for r in selectors.workers_by_profession(actor=actor)]
    breakdown, by_district = selectors.institutions_breakdown(actor=actor)
    return render(request, "web/home.html", {
        "title": _("首页"),
        "cards": selectors.dashboard_cards(actor=actor),
        "by_profession": by_profession,
        "by_district": by_district,
        "breakdown_title": _("各区县在业机构数") if breakdown == "district" else _("在业机构类别构成"),
    })

"""Pages for resident health cards (居民健康卡): the card list, one card with its status history and usage log,
issuing a card, reporting it lost, replacing and revoking it, swiping it at a desk, and the pilot scope.

Thin: each view parses input, calls one selector or service, renders. Role-level denial is a 403 (`require`);
a card outside the actor's scope is a 404 (`get_or_404`); form errors come back with status 422.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from weijian.accounts.access import can, require
from weijian.accounts.pages import ScopedListPage, get_or_404
from weijian.accounts.roles import Scope
from weijian.core.errors import BusinessError
from weijian.core.pages import Col, display
from weijian.mpi import card_numbers, card_selectors, card_services
from weijian.mpi.card_forms import (
    CardFilterForm,
    CardIssueForm,
    CardLookupForm,
    CardReasonForm,
    CardReplaceForm,
    PilotScopeForm,
)
from weijian.mpi.models import CardStatus, PilotScopeKind
from weijian.orgs.models import DivisionLevel
from weijian.orgs.selectors import division_list, institution_choices, institution_list

ENTITY = "health-card"
USAGE_PAGE = 20
STATUS_BADGE = {"active": "success", "lost": "warning", "replaced": "secondary", "revoked": "danger"}


def _iso(day) -> str:
    return day.isoformat() if day else ""


def _put_error(form, exc: BusinessError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def _render_form(request, template: str, context: dict, form):
    return render(request, template, {**context, "form": form}, status=422 if form.errors else 200)


# ---- the list -------------------------------------------------------------------------------------------

class CardListView(ScopedListPage):
    entity = ENTITY
    title = gettext_lazy("居民健康卡")
    export_name = "health-cards"
    template_name = "mpi/cards/list.html"
    default_sort = "-issued_on"
    columns = (
        Col(gettext_lazy("卡号"), lambda c: c.card_number, sort="card_number", link=True),
        Col(gettext_lazy("主索引号"), lambda c: c.person.empi, sort="person__empi"),
        Col(gettext_lazy("姓名"), lambda c: c.person.name),
        Col(gettext_lazy("发卡机构"), lambda c: c.institution.name, sort="institution__name"),
        Col(gettext_lazy("所属区县"), lambda c: c.institution.district.name, sort="institution__district_id"),
        Col(gettext_lazy("发卡日期"), lambda c: _iso(c.issued_on), sort="issued_on"),
        Col(gettext_lazy("有效期至"), lambda c: _iso(c.expires_on), sort="expires_on"),
        Col(gettext_lazy("状态"), lambda c: display(c, "status"), sort="status"),
    )

    @property
    def filter_form(self):
        actor = self.request.user

        def build(data):
            institutions = institution_list(actor=actor).select_related(None).only("pk", "name").order_by("name")
            districts = division_list(actor=actor, level=DivisionLevel.DISTRICT)
            return CardFilterForm(data, institutions=institutions, districts=districts)

        return build

    def get_queryset(self, request, filters):
        return card_selectors.card_list(actor=request.user, **filters)

    def row_url(self, obj):
        return reverse("cards:detail", args=[obj.pk])

    @property
    def actions(self):
        actor, buttons = self.request.user, []
        if can(actor, ENTITY, "issue"):
            buttons.append((_("发卡"), reverse("cards:issue")))
        if can(actor, ENTITY, "lookup"):
            buttons.append((_("刷卡查询"), reverse("cards:lookup")))
        if can(actor, ENTITY, "settings"):
            buttons.append((_("试点范围"), reverse("cards:pilot")))
        return tuple(buttons)

    def extra_context(self, request):
        return {"empty_text": _("暂无居民健康卡"), "hide_export": not can(request.user, ENTITY, "export"),
                **_pilot_notice(request.user)}


def _pilot_notice(actor) -> dict:
    """Whether the desk's own institution may issue and swipe cards (shown above the list and the forms)."""
    if actor.scope != Scope.INSTITUTION or actor.institution_id is None:
        return {}
    return {"pilot_institution": actor.institution, "pilot_ok": card_selectors.pilot_allows(actor.institution)}


# ---- one card -------------------------------------------------------------------------------------------

@login_required
@require_safe
@never_cache
def card_detail_view(request, pk: int):
    require(request.user, ENTITY, "view")
    card = get_or_404(card_selectors.card_view, actor=request.user, pk=pk)
    actor = request.user
    usage = Paginator(card_selectors.card_usage_events(card), USAGE_PAGE).get_page(request.GET.get("page"))
    replacement = card_selectors.card_list(actor=actor, action="view").filter(replaces=card).first()
    previous = card_selectors.card_list(actor=actor, action="view").filter(pk=card.replaces_id).first() \
        if card.replaces_id else None
    updatable = can(actor, ENTITY, "update")
    return render(request, "mpi/cards/detail.html", {
        "title": _("居民健康卡 %(number)s") % {"number": card_numbers.display(card.card_number)},
        "card": card, "number": card_numbers.display(card.card_number),
        "holder": card_selectors.holder_of(card.person),
        "status_badge": STATUS_BADGE.get(card.status, "secondary"),
        "status_events": card_selectors.card_status_events(card), "usage": usage,
        "replacement": replacement, "previous": previous,
        "can_lost": updatable and card.status == CardStatus.ACTIVE,
        "can_replace": updatable and can(actor, ENTITY, "issue")
        and card.status in (CardStatus.ACTIVE, CardStatus.LOST),
        "can_revoke": updatable and card.status in (CardStatus.ACTIVE, CardStatus.LOST),
    })


# ---- issuing --------------------------------------------------------------------------------------------

def _issue_institutions(actor):
    """The institutions a city user may issue at (in scope, active, in the pilot); None for a desk."""
    if actor.scope == Scope.INSTITUTION:
        return None
    return card_selectors.pilot_institutions(institution_choices(actor=actor).order_by("name"))


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def card_issue_view(request):
    require(request.user, ENTITY, "issue")
    actor = request.user
    institutions = _issue_institutions(actor)
    form = CardIssueForm(request.POST or None, institutions=institutions,
                         initial={"empi": request.GET.get("empi", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = card_selectors.person_find(actor=actor, empi=data["empi"])
            institution = institutions.get(pk=data["institution"]) if institutions is not None else None
            card = card_services.card_issue(actor=actor, person=person, institution=institution,
                                            card_number=data["card_number"], issued_on=data["issued_on"],
                                            expires_on=data["expires_on"])
        except BusinessError as exc:
            _put_error(form, exc)
        else:
            messages.success(request, _("已发卡：卡号 %(number)s") % {"number": card_numbers.display(card.card_number)})
            return redirect("cards:detail", pk=card.pk)
    return _render_form(request, "mpi/cards/issue.html", {
        "title": _("发放居民健康卡"), "submit_label": _("发卡"), "cancel_url": reverse("cards:list"),
        "crumbs": [(reverse("cards:list"), _("居民健康卡"))], **_pilot_notice(actor),
    }, form)


@login_required
@require_POST
@never_cache
def card_person_preview_view(request):
    """htmx: who the typed 主索引号 names (masked ID), whether they already hold an active card. Audited; POST,
    since each call is a recorded read of personal data (never cached, never prefetched)."""
    require(request.user, ENTITY, "issue")
    empi = request.POST.get("empi", "").strip()
    context = {}
    if empi:
        try:
            holder, person, active = card_selectors.person_preview(actor=request.user, empi=empi)
        except BusinessError as exc:
            context["error"] = exc.message
        else:
            context.update(holder=holder, merged=not person.active, typed=person.empi,
                           active_tail=card_numbers.tail(active.card_number) if active else "")
    return render(request, "mpi/cards/partials/_person_preview.html", context)


# ---- status changes -------------------------------------------------------------------------------------

STATUS_PAGES = {
    "lost": (gettext_lazy("挂失居民健康卡"), gettext_lazy("挂失"), card_services.card_report_lost,
             gettext_lazy("挂失后此卡在所有机构立即停用，刷卡将被拒绝；挂失后可办理补卡。"),
             gettext_lazy("已挂失：卡号 %(number)s")),
    "revoke": (gettext_lazy("注销居民健康卡"), gettext_lazy("注销"), card_services.card_revoke,
               gettext_lazy("注销后此卡永久停用，不能恢复，也不能再补换。"),
               gettext_lazy("已注销：卡号 %(number)s")),
}


def _card_context(card, title, confirm: str, warning: str, submit: str) -> dict:
    return {"title": title, "card": card, "number": card_numbers.display(card.card_number),
            "holder": card_selectors.holder_of(card.person), "confirm": confirm, "warning": warning,
            "submit_label": submit, "cancel_url": reverse("cards:detail", args=[card.pk]),
            "crumbs": [(reverse("cards:list"), _("居民健康卡")),
                       (reverse("cards:detail", args=[card.pk]), card.card_number)]}


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def card_status_view(request, pk: int, change: str):
    """Report lost (挂失) or revoke (注销): a reason, and a confirmation."""
    require(request.user, ENTITY, "update")
    title, verb, service, warning, done = STATUS_PAGES[change]
    card = get_or_404(card_selectors.card_get, actor=request.user, pk=pk, action="update")
    form = CardReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            card = service(actor=request.user, card=card, reason=form.cleaned_data["reason"])
        except BusinessError as exc:
            _put_error(form, exc)
        else:
            messages.success(request, str(done) % {"number": card_numbers.display(card.card_number)})
            return redirect("cards:detail", pk=card.pk)
    confirm = _("确定%(verb)s卡号 %(number)s？此操作将记录审计日志。") % {"verb": verb, "number": card.card_number}
    return _render_form(request, "mpi/cards/confirm.html", _card_context(card, title, confirm, warning, verb), form)


@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def card_replace_view(request, pk: int):
    """Replace (补卡 / 换卡): the old card becomes 已补换, a new card is issued to the same holder."""
    require(request.user, ENTITY, "update")
    require(request.user, ENTITY, "issue")
    card = get_or_404(card_selectors.card_get, actor=request.user, pk=pk, action="update")
    form = CardReplaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            new = card_services.card_replace(actor=request.user, card=card, reason=form.cleaned_data["reason"],
                                             card_number=form.cleaned_data["card_number"])
        except BusinessError as exc:
            _put_error(form, exc)
        else:
            messages.success(request, _("已补换卡：新卡号 %(number)s，原卡已停用") % {
                "number": card_numbers.display(new.card_number)})
            return redirect("cards:detail", pk=new.pk)
    confirm = _("确定为卡号 %(number)s 办理补换卡？原卡将立即停用。") % {"number": card.card_number}
    warning = _("补换后原卡永久停用；新卡绑定同一居民，有效期自今日起10年。")
    return _render_form(request, "mpi/cards/confirm.html",
                        _card_context(card, _("补换居民健康卡"), confirm, warning, _("补换卡")), form)


# ---- swiping at a desk ----------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def card_lookup_view(request):
    """刷卡查询: the card's holder (masked ID), or a refusal naming the card's status. Audited; POST only, so
    card numbers stay out of URLs and access logs."""
    require(request.user, ENTITY, "lookup")
    form = CardLookupForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = card_selectors.card_lookup(actor=request.user, card_number=form.cleaned_data["card_number"])
        except BusinessError as exc:
            _put_error(form, exc)
    can_view = result is not None and card_selectors.card_list(
        actor=request.user, action="view").filter(pk=result.card.pk).exists()
    return _render_form(request, "mpi/cards/lookup.html", {
        "title": _("刷卡查询"), "result": result, "can_view": can_view,
        "number": card_numbers.display(result.card.card_number) if result else "",
        "crumbs": [(reverse("cards:list"), _("居民健康卡"))] if can(request.user, ENTITY, "list") else [],
        **_pilot_notice(request.user),
    }, form)


# ---- the pilot ------------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
@never_cache
def card_pilot_view(request):
    actor = request.user
    require(actor, ENTITY, "settings")
    rows = list(card_selectors.pilot_scope(actor=actor))
    districts = division_list(actor=actor, level=DivisionLevel.DISTRICT).filter(is_active=True).order_by("code")
    institutions = institution_list(actor=actor, active="1").order_by("district_id", "name")
    initial = {"city_wide": any(r.kind == PilotScopeKind.CITY for r in rows),
               "districts": [r.district_id for r in rows if r.kind == PilotScopeKind.DISTRICT],
               "institutions": [r.institution_id for r in rows if r.kind == PilotScopeKind.INSTITUTION]}
    form = PilotScopeForm(request.POST or None, initial=initial, districts=districts, institutions=institutions)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            card_services.card_pilot_update(actor=actor, city_wide=data["city_wide"], districts=data["districts"],
                                            institutions=data["institutions"])
        except BusinessError as exc:
            _put_error(form, exc)
        else:
            messages.success(request, _("已保存居民健康卡试点范围"))
            return redirect("cards:pilot")
    return _render_form(request, "mpi/cards/pilot.html", {
        "title": _("居民健康卡试点范围"), "rows": rows, "submit_label": _("保存"),
        "crumbs": [(reverse("cards:list"), _("居民健康卡"))],
    }, form)

"""Pages for health workers: thin wrappers over workforce selectors and services.

Role-level denial is a 403 (`require`); an object outside the actor's scope is a 404 (`get_or_404`).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from weijian.accounts.access import can, require
from weijian.accounts.pages import ScopedListPage, get_or_404
from weijian.accounts.roles import Scope
from weijian.core.errors import BusinessError
from weijian.core.pages import Col, display
from weijian.orgs.models import DivisionLevel
from weijian.orgs.selectors import division_list, institution_choices, institution_list
from weijian.workforce import selectors, services
from weijian.workforce.forms import WorkerFilterForm, WorkerForm
from weijian.workforce.idnumber import IdNumberError, parse_id_number
from weijian.workforce.models import WorkerStatus


def _iso(day) -> str:
    return day.isoformat() if day else ""


class WorkerListView(ScopedListPage):
    entity = "worker"
    title = gettext_lazy("卫生人员")
    export_name = "workers"
    default_sort = "name"
    columns = (
        Col(gettext_lazy("姓名"), lambda w: w.name, sort="name", link=True),
        Col(gettext_lazy("身份证号"), lambda w: w.id_number_masked),
        Col(gettext_lazy("性别"), lambda w: display(w, "sex")),
        Col(gettext_lazy("出生日期"), lambda w: _iso(w.birth_date), sort="birth_date"),
        Col(gettext_lazy("所在机构"), lambda w: w.institution.name, sort="institution__name"),
        Col(gettext_lazy("所属区县"), lambda w: w.institution.district.name, sort="institution__district__code"),
        Col(gettext_lazy("职业类别"), lambda w: display(w, "profession"), sort="profession"),
        Col(gettext_lazy("职称级别"), lambda w: display(w, "title_level"), sort="title_level"),
        Col(gettext_lazy("执业起始日期"), lambda w: _iso(w.practising_since), sort="practising_since"),
        Col(gettext_lazy("状态"), lambda w: display(w, "status"), sort="status"),
    )

    @property
    def filter_form(self):
        actor = self.request.user
        if actor.scope == Scope.SELF:  # a health worker sees one row: nothing to filter
            return None

        def build(data):
            institutions = (institution_list(actor=actor).select_related(None)
                            .only("pk", "name", "is_active").order_by("name"))
            districts = division_list(actor=actor, level=DivisionLevel.DISTRICT)
            return WorkerFilterForm(data, institutions=institutions, districts=districts)

        return build

    def get_queryset(self, request, filters):
        return selectors.worker_list(actor=request.user, **filters)

    def row_url(self, obj):
        return reverse("workforce:worker-detail", args=[obj.pk])

    @property
    def actions(self):
        actor, buttons = self.request.user, []
        if can(actor, "worker", "create"):
            buttons.append((_("新增人员"), reverse("workforce:worker-create")))
        if can(actor, "worker", "import"):
            buttons.append((_("批量导入"), reverse("imports:upload", args=["worker"])))
        return tuple(buttons)

    def extra_context(self, request):
        return {"hide_export": not can(request.user, "worker", "export")}


@login_required
@require_safe
@never_cache
def worker_detail_view(request, pk: int):
    require(request.user, "worker", "view")
    worker = get_or_404(services.worker_view, actor=request.user, pk=pk)
    return render(request, "workforce/worker_detail.html", _detail_context(request.user, worker))


def _detail_context(actor, worker, revealed: str = "") -> dict:
    return {
        "title": worker.name, "worker": worker, "revealed": revealed,
        "can_reveal": can(actor, "worker", "reveal"),
        "can_update": can(actor, "worker", "update"),
        "can_delete": can(actor, "worker", "delete") and worker.status == WorkerStatus.ACTIVE,
        "can_view_institution": can(actor, "institution", "view"),
    }


@login_required
@require_POST
@never_cache
def worker_reveal_view(request, pk: int):
    """htmx: swap the masked number for the full one. The service checks scope and audits the read."""
    require(request.user, "worker", "reveal")
    id_number = get_or_404(services.worker_reveal_id_number, actor=request.user, pk=pk)
    if request.htmx:
        return render(request, "workforce/partials/_id_number.html", {"revealed": id_number})
    worker = get_or_404(selectors.worker_get, actor=request.user, pk=pk)
    return render(request, "workforce/worker_detail.html", _detail_context(request.user, worker, id_number))


@login_required
@require_POST
def worker_id_preview_view(request):
    """htmx: what the typed ID number says (birth date, sex) or why it is invalid. Nothing is stored."""
    if not (can(request.user, "worker", "create") or can(request.user, "worker", "update")):
        raise PermissionDenied
    raw = request.POST.get("id_number", "").strip()
    context = {}
    if raw:
        try:
            parsed = parse_id_number(raw)
        except IdNumberError as exc:
            context["error"] = str(exc)
        else:
            context.update(birth_date=parsed.birth_date, sex=_("男") if parsed.sex == "M" else _("女"))
    return render(request, "workforce/partials/_id_preview.html", context)


def _institution_options(actor, current=None):
    options = list(institution_choices(actor=actor).order_by("name"))
    if current is not None and all(i.pk != current.pk for i in options):
        options.insert(0, current)  # keep a worker's closed institution selectable on edit
    return options


def _cleaned(actor, form, options, worker=None):
    data = form.cleaned_data
    chosen = next((i for i in options if str(i.pk) == data["institution"]), None)
    fields = {"name": data["name"], "institution": chosen, "profession": data["profession"],
              "title_level": data["title_level"], "practising_since": data["practising_since"],
              "status": data["status"], "licence_number": data["licence_number"]}
    if worker is None:
        return services.worker_clean(actor=actor, id_number=data["id_number"], **fields)
    return services.worker_clean_update(actor=actor, worker=worker, id_number=data["id_number"], **fields)


def _form_page(request, form, title, worker=None):
    return render(request, "workforce/worker_form.html",
                  {"form": form, "title": title, "worker": worker,
                   "cancel_url": reverse("workforce:worker-detail", args=[worker.pk]) if worker
                   else reverse("workforce:worker-list")},
                  status=422 if form.errors else 200)


def _add_error(form, exc: BusinessError):
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@login_required
def worker_create_view(request):
    require(request.user, "worker", "create")
    options = _institution_options(request.user)
    initial = {"institution": str(options[0].pk)} if len(options) == 1 else {}
    form = WorkerForm(request.POST or None, initial=initial, institutions=options)
    if request.method == "POST" and form.is_valid():
        try:
            worker = services.worker_create(actor=request.user, data=_cleaned(request.user, form, options))
        except BusinessError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("人员已登记：%(name)s") % {"name": worker.name})
            return redirect("workforce:worker-detail", pk=worker.pk)
    return _form_page(request, form, _("新增人员"))


@login_required
def worker_update_view(request, pk: int):
    require(request.user, "worker", "update")
    worker = get_or_404(selectors.worker_get, actor=request.user, pk=pk, action="update")
    options = _institution_options(request.user, worker.institution)
    initial = {"name": worker.name, "institution": str(worker.institution_id), "profession": worker.profession,
               "title_level": worker.title_level, "practising_since": worker.practising_since,
               "status": worker.status, "licence_number": worker.licence_number}
    form = WorkerForm(request.POST or None, initial=initial, institutions=options,
                      masked_id=worker.id_number_masked)
    if request.method == "POST" and form.is_valid():
        try:
            data = _cleaned(request.user, form, options, worker)
            services.worker_update(actor=request.user, worker=worker, data=data)
        except BusinessError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("workforce:worker-detail", pk=worker.pk)
    return _form_page(request, form, _("编辑人员信息"), worker)


@login_required
@require_POST
def worker_deactivate_view(request, pk: int):
    require(request.user, "worker", "delete")
    worker = get_or_404(selectors.worker_get, actor=request.user, pk=pk, action="delete")
    services.worker_deactivate(actor=request.user, worker=worker)
    messages.success(request, _("已标记为离职：%(name)s") % {"name": worker.name})
    return redirect("workforce:worker-detail", pk=worker.pk)

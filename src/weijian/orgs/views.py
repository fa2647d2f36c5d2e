"""Pages for divisions and institutions: thin wrappers over orgs selectors and services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import ProtectedError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from weijian.accounts.access import can, require
from weijian.accounts.pages import ScopedListPage, get_or_404
from weijian.core.errors import BusinessError
from weijian.core.pages import Col, display
from weijian.orgs import selectors, services
from weijian.orgs.errors import OrgsErrorCode
from weijian.orgs.forms import (
    DivisionFilterForm,
    DivisionForm,
    DivisionUpdateForm,
    InstitutionFilterForm,
    InstitutionForm,
)
from weijian.orgs.models import DivisionLevel
from weijian.workforce.selectors import worker_list


class DivisionListView(ScopedListPage):
    entity = "division"
    title = gettext_lazy("行政区划")
    export_name = "divisions"
    filter_form = DivisionFilterForm
    default_sort = "code"
    columns = (
        Col(gettext_lazy("区划代码"), lambda d: d.code, sort="code"),
        Col(gettext_lazy("名称"), lambda d: d.name, sort="name"),
        Col(gettext_lazy("级别"), lambda d: d.get_level_display(), sort="level"),
        Col(gettext_lazy("上级区划"), lambda d: d.parent.name if d.parent else ""),
        Col(gettext_lazy("状态"), lambda d: _("有效") if d.is_active else _("已撤销")),
    )

    def get_queryset(self, request, filters):
        return selectors.division_list(actor=request.user, **filters)

    def row_url(self, obj):
        return reverse("orgs:division-detail", args=[obj.pk])

    @property
    def actions(self):
        if can(self.request.user, "division", "create"):
            return ((_("新增区划"), reverse("orgs:division-create")),)
        return ()


PARENT_LEVELS = (DivisionLevel.PROVINCE, DivisionLevel.CITY, DivisionLevel.DISTRICT)


@login_required
@require_safe
def division_detail_view(request, code: str):
    require(request.user, "division", "view")
    division = get_or_404(selectors.division_get, actor=request.user, code=code)
    children = selectors.division_list(actor=request.user, parent=division.pk, action="view").count()
    institutions = selectors.institution_list(actor=request.user).filter(division_id=division.pk).count() \
        if can(request.user, "institution", "list") else None
    return render(request, "orgs/division_detail.html", {
        "title": division.name, "division": division, "children": children, "institutions": institutions,
        "in_use": bool(children or institutions),
        "can_update": can(request.user, "division", "update"),
        "can_delete": can(request.user, "division", "delete"),
    })


@login_required
def division_create_view(request):
    require(request.user, "division", "create")
    parents = selectors.division_list(actor=request.user, action="view").filter(
        level__in=PARENT_LEVELS, is_active=True)
    form = DivisionForm(request.POST or None, parents=parents)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        parent = parents.filter(pk=data["parent"]).first() if data["parent"] else None
        try:
            division = services.division_create(actor=request.user, code=data["code"].strip(), name=data["name"],
                                                level=data["level"], parent=parent)
        except BusinessError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("区划已登记：%(name)s") % {"name": division.name})
            return redirect("orgs:division-detail", code=division.pk)
    return render(request, "orgs/division_form.html",
                  {"form": form, "title": _("新增区划"), "cancel_url": reverse("orgs:division-list")},
                  status=422 if form.errors else 200)


@login_required
def division_update_view(request, code: str):
    require(request.user, "division", "update")
    division = get_or_404(selectors.division_get, actor=request.user, code=code, action="update")
    form = DivisionUpdateForm(request.POST or None, initial={"name": division.name, "is_active": division.is_active})
    if request.method == "POST" and form.is_valid():
        try:
            services.division_update(actor=request.user, division=division, name=form.cleaned_data["name"],
                                     is_active=form.cleaned_data["is_active"])
        except BusinessError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("已保存"))
            return redirect("orgs:division-detail", code=division.pk)
    return render(request, "orgs/division_form.html",
                  {"form": form, "title": _("编辑区划"), "division": division,
                   "cancel_url": reverse("orgs:division-detail", args=[division.pk])},
                  status=422 if form.errors else 200)


@login_required
@require_POST
def division_delete_view(request, code: str):
    require(request.user, "division", "delete")
    division = get_or_404(selectors.division_get, actor=request.user, code=code, action="delete")
    name = division.name
    try:
        services.division_delete(actor=request.user, division=division)
    except BusinessError as exc:
        messages.error(request, exc.message)
        return redirect("orgs:division-detail", code=division.pk)
    except ProtectedError:  # e.g. an account is anchored to it; the service checks only children and institutions
        messages.error(request, OrgsErrorCode.DIVISION_IN_USE.message)
        return redirect("orgs:division-detail", code=division.pk)
    messages.success(request, _("区划已删除：%(name)s") % {"name": name})
    return redirect("orgs:division-list")


class InstitutionListView(ScopedListPage):
    entity = "institution"
    title = gettext_lazy("医疗卫生机构")
    export_name = "institutions"
    default_sort = "name"
    columns = (
        Col(gettext_lazy("机构名称"), lambda i: i.name, sort="name", link=True),
        Col(gettext_lazy("统一社会信用代码"), lambda i: i.uscc, sort="uscc"),
        Col(gettext_lazy("机构类别"), lambda i: display(i, "type"), sort="type"),
        Col(gettext_lazy("等级"), lambda i: display(i, "grade"), sort="grade"),
        Col(gettext_lazy("经济类型"), lambda i: display(i, "ownership")),
        Col(gettext_lazy("所属区县"), lambda i: i.district.name, sort="district__code"),
        Col(gettext_lazy("所在区划"), lambda i: i.division.name),
        Col(gettext_lazy("状态"), lambda i: _("在业") if i.is_active else _("已停用"), sort="is_active"),
    )

    def filter_form(self, data):
        districts = selectors.division_list(actor=self.request.user, level=DivisionLevel.DISTRICT)
        return InstitutionFilterForm(data, districts=districts)

    def get_queryset(self, request, filters):
        return selectors.institution_list(actor=request.user, **filters)

    def row_url(self, obj):
        return reverse("orgs:institution-detail", args=[obj.pk])

    @property
    def actions(self):
        if can(self.request.user, "institution", "create"):
            return ((_("新增机构"), reverse("orgs:institution-create")),
                    (_("批量导入"), reverse("imports:upload", args=["institution"])))
        return ()


def _division_choices(actor):
    return selectors.division_list(actor=actor, action="view").filter(
        level__in=[DivisionLevel.DISTRICT, DivisionLevel.TOWNSHIP], is_active=True)


@login_required
def institution_detail_view(request, pk: int):
    require(request.user, "institution", "view")
    institution = get_or_404(selectors.institution_get, actor=request.user, pk=pk)
    workers = worker_list(actor=request.user, institution=str(institution.pk))
    return render(request, "orgs/institution_detail.html", {
        "title": institution.name, "institution": institution,
        "worker_count": workers.count(),
        "can_update": can(request.user, "institution", "update"),
        "can_delete": can(request.user, "institution", "delete") and institution.is_active,
    })


def _save_institution(request, form, institution=None):
    data = form.cleaned_data
    divisions = _division_choices(request.user)
    division = divisions.get(pk=data["division"])
    fields = {k: data[k] for k in ("name", "type", "grade", "ownership")}
    if institution is None:
        return services.institution_create(actor=request.user, uscc=data["uscc"], division=division, **fields)
    return services.institution_update(actor=request.user, institution=institution, division=division, **fields)


@login_required
def institution_create_view(request):
    require(request.user, "institution", "create")
    form = InstitutionForm(request.POST or None, divisions=_division_choices(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            institution = _save_institution(request, form)
        except BusinessError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("机构已登记：%(name)s") % {"name": institution.name})
            return redirect("orgs:institution-detail", pk=institution.pk)
    return render(request, "orgs/institution_form.html", {"form": form, "title": _("新增机构")},
                  status=422 if form.errors else 200)


@login_required
def institution_update_view(request, pk: int):
    require(request.user, "institution", "update")
    institution = get_or_404(selectors.institution_get, actor=request.user, pk=pk, action="update")
    initial = {"uscc": institution.uscc, "name": institution.name, "type": institution.type,
               "grade": institution.grade, "ownership": institution.ownership, "division": institution.division_id}
    form = InstitutionForm(request.POST or None, initial=initial, divisions=_division_choices(request.user),
                           editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            _save_institution(request, form, institution)
        except BusinessError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("已保存"))
            return redirect("orgs:institution-detail", pk=institution.pk)
    return render(request, "orgs/institution_form.html",
                  {"form": form, "title": _("编辑机构"), "institution": institution},
                  status=422 if form.errors else 200)


@login_required
@require_POST
def institution_deactivate_view(request, pk: int):
    require(request.user, "institution", "delete")
    institution = get_or_404(selectors.institution_get, actor=request.user, pk=pk, action="delete")
    services.institution_deactivate(actor=request.user, institution=institution)
    messages.success(request, _("机构已停用"))
    return redirect("orgs:institution-detail", pk=institution.pk)

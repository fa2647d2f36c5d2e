"""Persons (主索引): search, the person page (golden record with the source of each field, linked source
identities, merged-in persons, link history), undo a merge, split a wrongly linked identity off."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from weijian.accounts.access import can, require, scoped_queryset
from weijian.accounts.pages import ScopedListPage
from weijian.core.errors import BusinessError
from weijian.core.forms import StyledForm
from weijian.core.pages import Col
from weijian.mpi import selectors, services
from weijian.mpi.models import Person, SourceIdentity

ENTITY = "mpi-person"


class PersonFilterForm(StyledForm):
    q = forms.CharField(label=gettext_lazy("主索引号、姓名或本地标识"), required=False, max_length=64,
                        widget=forms.TextInput(attrs={"type": "search"}))
    active = forms.ChoiceField(label=gettext_lazy("状态"), required=False,
                               choices=[("", gettext_lazy("全部")), ("1", gettext_lazy("有效")),
                                        ("0", gettext_lazy("已并入其他主索引"))])


class PersonListPage(ScopedListPage):
    entity = ENTITY
    title = gettext_lazy("主索引")
    filter_form = PersonFilterForm
    default_sort = "empi"
    export_name = "mpi-persons"
    columns = (
        Col(gettext_lazy("主索引号"), lambda p: p.empi, sort="empi", link=True),
        Col(gettext_lazy("姓名"), lambda p: p.name, sort="name"),
        Col(gettext_lazy("性别"), lambda p: selectors.SEX.get(p.sex, "")),
        Col(gettext_lazy("出生日期"), lambda p: p.birth_date, sort="birth_date"),
        Col(gettext_lazy("身份证号"), lambda p: p.id_number_masked),
        Col(gettext_lazy("来源身份数"), lambda p: p.identity_count, sort="identity_count"),
        Col(gettext_lazy("状态"), lambda p: _("有效") if p.active else _("已并入 %s") % p.merged_into.empi),
    )

    def get_queryset(self, request, filters):
        return selectors.persons(request.user, **filters).select_related("merged_into")

    def row_url(self, obj):
        return reverse("mpi:person-detail", args=[obj.empi])


class ReasonForm(StyledForm):
    reason = forms.CharField(label=gettext_lazy("理由"), required=False, max_length=255,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=gettext_lazy("至少4个字，如：核实为两位不同居民（双胞胎）"))


def _person(request, empi: str) -> Person:
    return get_object_or_404(scoped_queryset(request.user, Person, "view"), empi=empi)


def _detail(request, person: Person, *, form=None, status=200):
    return render(request, "mpi/person_detail.html", {
        "title": _("主索引 %(empi)s") % {"empi": person.empi}, **selectors.person_page(request.user, person),
        "form": form or ReasonForm(), "can_unmerge": can(request.user, ENTITY, "unmerge"),
    }, status=status)


@login_required
def person_detail(request, empi: str):
    require(request.user, ENTITY, "view")
    return _detail(request, _person(request, empi))


@login_required
@require_POST
def person_unmerge(request, empi: str):
    """Undo the merge of `empi` (an inactive person) out of the person it went into."""
    require(request.user, ENTITY, "unmerge")
    merged = _person(request, empi)
    survivor = merged.merged_into or merged
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.person_unmerge(actor=request.user, merged=merged, reason=form.cleaned_data["reason"])
        except BusinessError as exc:
            form.add_error("reason" if exc.field == "reason" else None, exc.message)
        else:
            messages.success(request, _("已撤销合并：%(empi)s 恢复为独立的主索引") % {"empi": merged.empi})
            return redirect("mpi:person-detail", survivor.empi)
    return _detail(request, survivor, form=form, status=422)


@login_required
@require_POST
def identity_split(request, empi: str, pk: int):
    require(request.user, ENTITY, "unmerge")
    person = _person(request, empi)
    identity = get_object_or_404(SourceIdentity, pk=pk, person=person)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            new = services.identity_split(actor=request.user, identity=identity, reason=form.cleaned_data["reason"])
        except BusinessError as exc:
            form.add_error("reason" if exc.field == "reason" else None, exc.message)
        else:
            messages.success(request, _("已拆分：%(identity)s 成为新的主索引 %(empi)s") % {
                "identity": identity, "empi": new.empi})
            return redirect("mpi:person-detail", new.empi)
    return _detail(request, person, form=form, status=422)


urlpatterns = [
    path("persons/", PersonListPage.as_view(), name="person-list"),
    path("persons/<str:empi>/", person_detail, name="person-detail"),
    path("persons/<str:empi>/unmerge/", person_unmerge, name="person-unmerge"),
    path("persons/<str:empi>/identities/<int:pk>/split/", identity_split, name="identity-split"),
]

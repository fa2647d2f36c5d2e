"""Reads for divisions and institutions, always through the scope gate."""

from django.db.models import Q, QuerySet

from weijian.accounts.access import access_object, scoped_queryset
from weijian.orgs.models import Division, Institution


def division_list(*, actor, q: str = "", level: str = "", parent: str = "", action: str = "list") -> QuerySet:
    qs = scoped_queryset(actor, Division, action).select_related("parent")
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(code__startswith=q))
    if level:
        qs = qs.filter(level=level)
    if parent:
        qs = qs.filter(parent_id=parent)
    return qs


def division_get(*, actor, code: str, action: str = "view") -> Division:
    return access_object(actor, Division, code, action)


def institution_list(
    *, actor, q: str = "", type: str = "", grade: str = "", ownership: str = "", district: str = "",
    active: str = "", action: str = "list",
) -> QuerySet:
    qs = scoped_queryset(actor, Institution, action).select_related("division", "district")
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(uscc__startswith=q.upper()))
    if type:
        qs = qs.filter(type=type)
    if grade:
        qs = qs.filter(grade=grade)
    if ownership:
        qs = qs.filter(ownership=ownership)
    if district:
        qs = qs.filter(district_id=district)
    if active in ("1", "0"):
        qs = qs.filter(is_active=active == "1")
    return qs


def institution_get(*, actor, pk, action: str = "view") -> Institution:
    return access_object(actor, Institution, pk, action)


def institution_choices(*, actor, action: str = "list") -> QuerySet:
    """Institutions the actor may attach workers to (active ones in scope)."""
    return scoped_queryset(actor, Institution, action).filter(is_active=True).only("pk", "name", "uscc")


def institutions_by_uscc(*, actor, codes: set[str]) -> dict[str, Institution]:
    qs = scoped_queryset(actor, Institution, "view").filter(uscc__in=codes)
    return {inst.uscc: inst for inst in qs}


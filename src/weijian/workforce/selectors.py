"""Reads for health workers, always through the scope gate."""

from django.db.models import Q, QuerySet

from weijian.accounts.access import access_object, scoped_queryset
from weijian.workforce.models import Worker


def worker_list(
    *, actor, q: str = "", institution: str = "", district: str = "", profession: str = "",
    title_level: str = "", status: str = "", action: str = "list",
) -> QuerySet:
    qs = scoped_queryset(actor, Worker, action).select_related("institution", "institution__district")
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(institution__name__contains=q))
    if institution:
        qs = qs.filter(institution_id=institution)
    if district:
        qs = qs.filter(institution__district_id=district)
    if profession:
        qs = qs.filter(profession=profession)
    if title_level:
        qs = qs.filter(title_level=title_level)
    if status:
        qs = qs.filter(status=status)
    return qs


def worker_get(*, actor, pk, action: str = "view") -> Worker:
    return access_object(actor, Worker, pk, action)

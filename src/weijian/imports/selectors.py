"""Reads of import jobs. Jobs are private to their uploader (see accounts.access SCOPE_RULES)."""

from django.db.models import QuerySet

from weijian.accounts.access import access_object, scoped_queryset
from weijian.imports.models import ImportJob


def import_job_list(*, actor, entity: str = "", status: str = "") -> QuerySet:
    qs = scoped_queryset(actor, ImportJob, "list")
    if entity:
        qs = qs.filter(entity=entity)
    if status:
        qs = qs.filter(status=status)
    return qs


def import_job_get(*, actor, pk) -> ImportJob:
    return access_object(actor, ImportJob, pk, "view")

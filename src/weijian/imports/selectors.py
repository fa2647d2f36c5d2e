from django.db.models import QuerySet

from weijian.accounts.access import access_object, scoped_queryset
from weijian.imports.models import ImportJob


def import_job_list(*, actor, entity: str = "") -> QuerySet:
    qs = scoped_queryset(actor, ImportJob, "list")
    return qs.filter(entity=entity) if entity else qs


def import_job_get(*, actor, pk) -> ImportJob:
    return access_object(actor, ImportJob, pk, "view")

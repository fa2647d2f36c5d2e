"""Reads of the record store, through the clinical gate, each one audited with the resident named.

Every function takes the actor first and starts from `_readable(actor)`: the rows `accounts.access`
lets this actor read. A row outside it looks exactly like a missing one (404), so ids cannot be probed.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from weijian.accounts.access import clinical_filter, clinical_patient_allowed
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_many, audit_record
from weijian.core.errors import BusinessError, NotFoundOrForbidden
from weijian.mpi.selectors import linked_patient_ids
from weijian.records import search
from weijian.records.errors import RecordsErrorCode as E
from weijian.records.models import ReferenceIndex, Resource, ResourceVersion
from weijian.records.searchparams import SUPPORTED_TYPES


def _readable(actor) -> QuerySet[Resource]:
    condition = clinical_filter(actor)
    if condition is None:
        raise PermissionDenied
    return Resource.objects.filter(condition)


def _supported(type_: str) -> None:
    if type_ not in SUPPORTED_TYPES:
        raise BusinessError(E.TYPE_UNSUPPORTED, type=type_[:40])


def _audit_read(actor, rows, summary: str) -> None:
    patients = [row.patient for row in rows if row.patient]
    if patients:
        audit_many(actor=actor, action=AuditAction.RECORD_READ, entity="Patient", entity_ids=patients,
                   summary=summary)
    else:
        audit_record(actor=actor, action=AuditAction.RECORD_READ, entity=rows[0].type if rows else "",
                     entity_id=rows[0].fhir_id if rows else "", summary=summary)


def resource_read(actor, type_: str, fhir_id: str) -> Resource:
    """The current version (410 Gone when deleted, 404 when missing or out of scope)."""
    _supported(type_)
    row = _readable(actor).filter(type=type_, fhir_id=fhir_id).first()
    if row is None:
        raise NotFoundOrForbidden
    _audit_read(actor, [row], f"{type_}/{fhir_id}")
    if row.deleted:
        raise BusinessError(E.RESOURCE_GONE, version=row.version)
    return row


@dataclass
class Version:
    type: str
    fhir_id: str
    version: int
    updated: object
    method: str
    deleted: bool
    content: str


def resource_vread(actor, type_: str, fhir_id: str, version: int) -> Version:
    row = resource_read_any(actor, type_, fhir_id)
    found = ResourceVersion.objects.filter(resource_id=row.pk, version=version).first()
    if found is None:
        raise BusinessError(E.VERSION_NOT_FOUND, version=version)
    _audit_read(actor, [row], f"{type_}/{fhir_id}/_history/{version}")
    if found.deleted:
        raise BusinessError(E.RESOURCE_GONE, version=version)
    return Version(type_, fhir_id, found.version, found.updated, found.method, found.deleted, found.content)


def resource_read_any(actor, type_: str, fhir_id: str) -> Resource:
    """The row whether deleted or not (history, vread); 404 when missing or out of scope."""
    _supported(type_)
    row = _readable(actor).filter(type=type_, fhir_id=fhir_id).first()
    if row is None:
        raise NotFoundOrForbidden
    return row


def resource_history(actor, type_: str, fhir_id: str, *, count: int = 50, offset: int = 0) -> tuple[int, list[Version]]:
    """Every version, newest first: (total, page)."""
    row = resource_read_any(actor, type_, fhir_id)
    versions = ResourceVersion.objects.filter(resource_id=row.pk).order_by("-version")
    total = versions.count()
    page = [Version(type_, fhir_id, v.version, v.updated, v.method, v.deleted, v.content)
            for v in versions[offset:offset + count]]
    _audit_read(actor, [row], f"{type_}/{fhir_id}/_history")
    return total, page


def resource_search(actor, type_: str, params: list[tuple[str, str]]) -> search.SearchPage:
    """A FHIR search within what the actor may read; each resident in the results is named in the audit."""
    _supported(type_)
    query = search.parse(type_, params)
    readable = _readable(actor)
    page = search.run(query, readable.filter(type=type_), include_base=readable)
    names = sorted({name for name, _value in params})  # parameter names only: values may be ID numbers
    summary = f"{type_}?{'&'.join(names)}"[:255]
    rows = page.rows + page.included
    patients = [row.patient for row in rows if row.patient]
    if patients:
        audit_many(actor=actor, action=AuditAction.RECORD_SEARCH, entity="Patient", entity_ids=patients,
                   summary=summary)
    else:
        audit_record(actor=actor, action=AuditAction.RECORD_SEARCH, entity=type_, summary=summary)
    return page


def matching_ids(actor, type_: str, query_string: str) -> list[str]:
    """Ids of the actor's readable resources matching a conditional query (If-None-Exist, ifNoneExist)."""
    from urllib.parse import parse_qsl

    _supported(type_)
    query = search.parse(type_, parse_qsl(query_string.lstrip("?"), keep_blank_values=True))
    readable = _readable(actor)
    return search.ids(query, readable.filter(type=type_), include_base=readable)


@dataclass
class EverythingPage:
    rows: list[Resource]
    next_cursor: int | None


def patient_everything(actor, patient_id: str, *, since=None, types: list[str] | None = None, count: int = 100,
                       cursor: int = 0) -> EverythingPage:
    """The resident's whole record: their Patient, every resource in their compartment — and in the
    compartments of the Patients other sources sent of the same person (the master patient index links
    them) — and, on the first page, the organisations and practitioners it refers to. Paged by the stored row id (keyset): ids never change
    on update and new rows get larger ones, so a client following `next` sees each resource once, never loops.
    """
    if not clinical_patient_allowed(actor, patient_id):
        if clinical_filter(actor) is None:
            raise PermissionDenied
        raise NotFoundOrForbidden
    patients = linked_patient_ids(patient_id)
    rows = Resource.objects.filter(patient__in=patients, deleted=False)
    if types:
        rows = rows.filter(type__in=types)
    if since is not None:
        rows = rows.filter(updated__gte=since)
    page = list(rows.filter(id__gt=cursor).order_by("id").only("id", "type", "fhir_id", "content", "patient")
                [:count + 1])
    more = len(page) > count
    page = page[:count]
    if cursor == 0:
        page += _referenced_directory(patients, types, since)
    audit_record(actor=actor, action=AuditAction.RECORD_READ, entity="Patient", entity_id=patient_id,
                 summary=f"Patient/{patient_id}/$everything（{len(page)} 条，{len(patients)} 个来源的档案）")
    return EverythingPage(page, page[count - 1].pk if more else None)


def _referenced_directory(patients: list[str], types, since) -> list[Resource]:
    wanted = [t for t in ("Organization", "Practitioner") if not types or t in types]
    if not wanted:
        return []
    targets = (ReferenceIndex.objects.filter(resource__patient__in=patients, target_type__in=wanted)
               .values_list("target_type", "target_id").distinct())
    by_type: dict[str, set[str]] = {}
    for type_, fhir_id in targets:
        by_type.setdefault(type_, set()).add(fhir_id)
    found = []
    for type_, ids in by_type.items():
        rows = Resource.objects.filter(type=type_, fhir_id__in=list(ids), deleted=False)
        if since is not None:
            rows = rows.filter(updated__gte=since)
        found.extend(rows.order_by("id"))
    return found

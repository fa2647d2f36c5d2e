"""Scoped reads for the dictionary pages (every reader sees all terminology; the gate still decides)."""

from django.db.models import Q, QuerySet

from weijian.accounts.access import access_object, require, scoped_queryset
from weijian.audit.models import AuditEvent
from weijian.terminology.models import CodeSystem, Concept, ConceptMap, ValueSet


def code_system_list(*, actor, search: str = "") -> QuerySet[CodeSystem]:
    qs = scoped_queryset(actor, CodeSystem)
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(title__icontains=search) | Q(url__icontains=search))
    return qs


def code_system_get(*, actor, pk) -> CodeSystem:
    return access_object(actor, CodeSystem, pk)


def concept_list(*, actor, code_system: CodeSystem, search: str = "") -> QuerySet[Concept]:
    qs = scoped_queryset(actor, Concept).filter(code_system=code_system).select_related("parent")
    if search:
        qs = qs.filter(Q(code__startswith=search) | Q(display__icontains=search))
    return qs


def _search(qs, search: str):
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(title__icontains=search) | Q(url__icontains=search))
    return qs


def value_set_list(*, actor, search: str = "") -> QuerySet[ValueSet]:
    return _search(scoped_queryset(actor, ValueSet), search)


def value_set_get(*, actor, pk) -> ValueSet:
    return access_object(actor, ValueSet, pk)


def concept_map_list(*, actor, institution=None, search: str = "") -> QuerySet[ConceptMap]:
    qs = _search(scoped_queryset(actor, ConceptMap).select_related("source_institution"), search)
    return qs.filter(source_institution=institution) if institution is not None else qs


def concept_map_get(*, actor, pk) -> ConceptMap:
    return access_object(actor, ConceptMap, pk)


def code_system_history(*, actor, code_system: CodeSystem) -> QuerySet[AuditEvent]:
    """The audit rows of one code system and its concepts, newest first. The audit log itself is the audit
    administrator's; this slice of it is the dictionary's change history, shown to who may export the
    dictionary (business readers, not health workers, since it names the accounts that made each change)."""
    require(actor, "terminology-code-system", "export")
    return AuditEvent.objects.filter(entity="terminology-code-system", entity_id=str(code_system.pk)).order_by(
        "-at", "-pk")

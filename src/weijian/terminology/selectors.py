"""Scoped reads for the dictionary pages (every reader sees all terminology; the gate still decides)."""

from django.db.models import Q, QuerySet

from weijian.accounts.access import access_object, scoped_queryset
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


def value_set_list(*, actor) -> QuerySet[ValueSet]:
    return scoped_queryset(actor, ValueSet)


def concept_map_list(*, actor, institution=None) -> QuerySet[ConceptMap]:
    qs = scoped_queryset(actor, ConceptMap).select_related("source_institution")
    return qs.filter(source_institution=institution) if institution is not None else qs


def concept_map_get(*, actor, pk) -> ConceptMap:
    return access_object(actor, ConceptMap, pk)

"""The FHIR terminology operations as plain reads: `lookup` (CodeSystem/$lookup),
`code_system_validate_code` (CodeSystem/$validate-code), `subsumes` (CodeSystem/$subsumes), `expand`
(ValueSet/$expand), `validate_code` (ValueSet/$validate-code) and `translate` (ConceptMap/$translate).

They return plain dicts and lists; the FHIR endpoints wrap them in `Parameters`. Terminology is
reference data, not personal data, so these reads are not scoped or audited: the endpoint checks the
caller may read the entity (`require(actor, "terminology-...", "view")`) and other apps (records,
when checking coded elements) call them directly. A missing code system, value set or map raises
BusinessError with a not-found code; a code that is not found is a result, not an error, except in
`lookup`, where FHIR makes it an error too.
"""

from django.db.models import Q
from django.utils.translation import gettext as _

from weijian.core.errors import BusinessError
from weijian.terminology.errors import TerminologyErrorCode as E
from weijian.terminology.models import (
    CodeSystem,
    Concept,
    ConceptMap,
    ConceptMapElement,
    Equivalence,
    ResourceStatus,
    ValueSet,
)
from weijian.terminology.services import resolve_code_system


def _concept(system, code: str) -> Concept | None:
    lookup = {"code": code} if system.is_case_sensitive else {"code__iexact": code}
    return system.concepts.select_related("parent").filter(**lookup).first()


def lookup(system: str, code: str, version: str | None = None) -> dict:
    """{system, name, version, code, display, definition, is_active, parent: [codes], child: [codes],
    properties}; BusinessError CODE_SYSTEM_NOT_FOUND / CODE_NOT_FOUND."""
    code_system = resolve_code_system(system, version or "")
    if code_system is None:
        raise BusinessError(E.CODE_SYSTEM_NOT_FOUND, system=system, version=version or "")
    concept = _concept(code_system, code or "")
    if concept is None:
        raise BusinessError(E.CODE_NOT_FOUND, system=system, concept=code)
    return {
        "system": code_system.url,
        "name": code_system.title or code_system.name,
        "version": code_system.version,
        "code": concept.code,
        "display": concept.display,
        "definition": concept.definition,
        "is_active": concept.is_active,
        "parent": [concept.parent.code] if concept.parent_id else [],
        "child": list(concept.children.order_by("code").values_list("code", flat=True)),
        "properties": dict(concept.properties or {}),
    }


def _value_set(url: str, version: str = "") -> ValueSet:
    sets = ValueSet.objects.filter(url=url)
    value_set = (sets.filter(version=version).first() if version
                 else sets.filter(status=ResourceStatus.ACTIVE).order_by("-created_at", "-pk").first()
                 or sets.order_by("-created_at", "-pk").first())
    if value_set is None:
        raise BusinessError(E.VALUE_SET_NOT_FOUND, url=url)
    return value_set


def _members(value_set: ValueSet):
    """The active concepts of a value set, in the order of its includes and then by code."""
    condition = Q(pk__in=[])
    for include in value_set.includes.all():
        part = Q(code_system_id=include.code_system_id)
        if include.codes:
            part &= Q(code__in=include.codes)
        condition |= part
    return (Concept.objects.filter(condition, is_active=True).select_related("code_system")
            .order_by("code_system__url", "code_system__version", "code"))


def expand(valueset_url: str, filter: str | None = None, offset: int = 0, count: int | None = None,  # noqa: A002
           version: str = "") -> dict:
    """{url, version, total, offset, contains: [{system, version, code, display}]}. `filter` keeps the
    codes starting with it and the displays containing it; `offset`/`count` page the result."""
    if not isinstance(offset, int) or offset < 0 or (count is not None and (not isinstance(count, int) or count < 0)):
        raise BusinessError(E.PAGING_INVALID)
    value_set = _value_set(valueset_url, version)
    members = _members(value_set)
    if filter:
        members = members.filter(Q(code__startswith=filter) | Q(display__icontains=filter))
    total = members.count()
    page = members[offset:] if count is None else members[offset:offset + count]
    return {
        "url": value_set.url,
        "version": value_set.version,
        "total": total,
        "offset": offset,
        "contains": [{"system": c.code_system.url, "version": c.code_system.version, "code": c.code,
                      "display": c.display} for c in page],
    }


def _verdict(concept: Concept | None, code: str, where: str, display: str | None) -> dict:
    """{result, message, display} of a validation: found or not; a differing display is only a warning."""
    if concept is None:
        return {"result": False, "display": "",
                "message": _("代码“%(code)s”不在“%(where)s”中") % {"code": code, "where": where}}
    message = ""
    if display and display.strip() != concept.display:
        message = _("名称“%(given)s”与标准名称“%(display)s”不一致") % {"given": display, "display": concept.display}
    return {"result": True, "display": concept.display, "message": message}


def _resolve(system: str | None, version: str | None, code_system: CodeSystem | None) -> CodeSystem:
    if code_system is not None:
        return code_system
    found = resolve_code_system(system or "", version or "")
    if found is None:
        raise BusinessError(E.CODE_SYSTEM_NOT_FOUND, system=system or "", version=version or "")
    return found


def code_system_validate_code(*, code: str, system: str | None = None, version: str = "",
                              display: str | None = None, code_system: CodeSystem | None = None) -> dict:
    """{result, message, display}: is `code` a concept of the code system (`system` at `version`, or the
    `code_system` row itself)? A retired code gives result false; a display that differs from the standard
    one is a warning in `message` and the result stays true. Unknown system: CODE_SYSTEM_NOT_FOUND."""
    code_system = _resolve(system, version, code_system)
    concept = _concept(code_system, code or "")
    if concept is not None and not concept.is_active:
        return {"result": False, "display": concept.display,
                "message": _("代码“%(code)s”已停用") % {"code": code}}
    return _verdict(concept, code, system or code_system.url, display)


def validate_code(*, code: str, valueset_url: str | None = None, system: str | None = None,
                  display: str | None = None, version: str = "") -> dict:
    """{result, message, display}: is `code` in the value set (or, without one, the code system)? A display
    that differs from the standard one is a warning in `message`; the result stays true."""
    if not valueset_url:
        return code_system_validate_code(code=code, system=system, version=version, display=display)
    members = _members(_value_set(valueset_url, version))
    if system:
        members = members.filter(code_system__url=system)
    concept = next((c for c in members.filter(code__iexact=code or "")
                    if c.code == code or not c.code_system.is_case_sensitive), None)
    return _verdict(concept, code, valueset_url, display)


class Subsumption:
    """The outcomes of CodeSystem/$subsumes (FHIR R4 concept-subsumption-outcome)."""

    EQUIVALENT = "equivalent"
    SUBSUMES = "subsumes"
    SUBSUMED_BY = "subsumed-by"
    NOT_SUBSUMED = "not-subsumed"


def _ancestors(concept: Concept) -> set[int]:
    """The ids of every concept above `concept` (parent, its parent, …); a loop, were one stored, ends it."""
    seen: set[int] = set()
    parent_id = concept.parent_id
    while parent_id is not None and parent_id not in seen:
        seen.add(parent_id)
        parent_id = Concept.objects.filter(pk=parent_id).values_list("parent_id", flat=True).first()
    return seen


def subsumes(*, code_a: str, code_b: str, system: str | None = None, version: str = "",
             code_system: CodeSystem | None = None) -> dict:
    """{system, version, code_a, code_b, outcome}: how concept A relates to concept B in the code system's
    is-a hierarchy (the `parent` links): "equivalent" (the same concept), "subsumes" (A is an ancestor of
    B), "subsumed-by" (B is an ancestor of A) or "not-subsumed". Retired concepts keep their place.
    Unknown system: CODE_SYSTEM_NOT_FOUND; unknown code: CODE_NOT_FOUND naming the parameter (codeA/codeB)."""
    code_system = _resolve(system, version, code_system)
    concepts = []
    for parameter, code in (("codeA", code_a), ("codeB", code_b)):
        concept = _concept(code_system, code or "")
        if concept is None:
            raise BusinessError(E.CODE_NOT_FOUND, f"{E.CODE_NOT_FOUND.message}（{code}）", parameter=parameter,
                                system=code_system.url, concept=code)
        concepts.append(concept)
    a, b = concepts
    if a.pk == b.pk:
        outcome = Subsumption.EQUIVALENT
    elif a.pk in _ancestors(b):
        outcome = Subsumption.SUBSUMES
    elif b.pk in _ancestors(a):
        outcome = Subsumption.SUBSUMED_BY
    else:
        outcome = Subsumption.NOT_SUBSUMED
    return {"system": code_system.url, "version": code_system.version, "code_a": a.code, "code_b": b.code,
            "outcome": outcome}


def translate(*, code: str, concept_map_url: str | None = None, source_system: str | None = None,
              target_system: str | None = None) -> dict:
    """{result, message, matches: [{equivalence, system, code, display, source}]}: the targets of `code`
    in one map (by url) or in every active map between two systems. `result` is true when at least one
    match is not "unmatched"; an unmatched element is listed as a match with no code."""
    if concept_map_url:
        maps = ConceptMap.objects.filter(url=concept_map_url)
        if not maps.exists():
            raise BusinessError(E.CONCEPT_MAP_NOT_FOUND, url=concept_map_url)
        maps = maps.order_by("-created_at", "-pk")[:1]
    else:
        maps = ConceptMap.objects.filter(source_system=source_system or "", target_system=target_system or "")
        maps = maps.exclude(status=ResourceStatus.RETIRED)
        if not maps.exists():
            raise BusinessError(E.CONCEPT_MAP_NOT_FOUND, source=source_system or "", target=target_system or "")
    elements = (ConceptMapElement.objects.filter(concept_map__in=list(maps), source_code=code or "")
                .select_related("concept_map").order_by("concept_map__url", "target_code"))
    matches = [{"equivalence": e.equivalence, "system": e.concept_map.target_system if e.target_code else "",
                "code": e.target_code, "display": e.target_display, "source": e.concept_map.url}
               for e in elements]
    result = any(m["equivalence"] != Equivalence.UNMATCHED for m in matches)
    if result:
        message = ""
    elif matches:
        message = _("代码“%(code)s”在映射中标记为无对应") % {"code": code}
    else:
        message = _("映射中没有代码“%(code)s”") % {"code": code}
    return {"result": result, "message": message, "matches": matches}

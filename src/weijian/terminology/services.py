"""Writes for code systems, concepts, value sets and concept maps. Every write checks the gate,
validates, and audits in one transaction; imports validate every row first and write all or nothing.

Audit rows: code-system and concept writes use entity "terminology-code-system" with the code system's
id (a concept's snapshot carries its code), so one query gives a dictionary's whole history; value sets
and concept maps (with their elements) likewise under their own entity and id.
"""

import re
from dataclasses import dataclass

from django.db import transaction

from weijian.accounts.access import concept_map_in_write_scope, require
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_changes, audit_record, audit_snapshot
from weijian.core.errors import BusinessError
from weijian.terminology.errors import TerminologyErrorCode as E
from weijian.terminology.importers import (
    EQUIVALENCE_WORDS,
    ConceptRow,
    MapRow,
    concept_rows_from_file,
    map_rows_from_file,
    parse_fhir,
)
from weijian.terminology.models import (
    CodeSystem,
    CodeSystemContent,
    Concept,
    ConceptMap,
    ConceptMapElement,
    Equivalence,
    ResourceStatus,
    ValueSet,
    ValueSetInclude,
)

CS, VS, CM = "terminology-code-system", "terminology-value-set", "terminology-concept-map"
URL = re.compile(r"^(https?://|urn:)\S+$")
MAX_CODE = 64


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


# ---- shared checks -------------------------------------------------------------------------------

def _clean_resource(*, url: str, name: str, status: str, version: str = "") -> None:
    if not URL.match(url or "") or len(url) > 255:
        raise BusinessError(E.URL_INVALID, field="url")
    if not (name or "").strip():
        raise BusinessError(E.NAME_REQUIRED, field="name")
    if status not in ResourceStatus.values:
        raise BusinessError(E.CHOICE_INVALID, field="status")
    if len(version) > 32:
        raise BusinessError(E.CHOICE_INVALID, field="version")


# A row problem: (where, code, message). An import lists them all; a single write raises the first.
Problem = tuple[str, E, str]


def _problem(where: str, code: E, detail: str = "") -> Problem:
    return where, code, f"{code.message}（{detail}）" if detail else str(code.message)


def _fail(problems: list[Problem]):
    raise BusinessError(E.IMPORT_INVALID, errors=[f"{where}：{message}" for where, _code, message in problems],
                        problems=problems)


def _audit(actor, action, entity, entity_id, summary, before=None, after=None):
    audit_record(actor=actor, action=action, entity=entity, entity_id=entity_id, summary=summary,
                 before=before, after=after)


def resolve_code_system(url: str, version: str = "") -> CodeSystem | None:
    """The code system of `url` at `version`; without a version the newest active one (else the newest)."""
    systems = CodeSystem.objects.filter(url=url)
    if version:
        return systems.filter(version=version).first()
    return systems.filter(status=ResourceStatus.ACTIVE).order_by("-created_at", "-pk").first() \
        or systems.order_by("-created_at", "-pk").first()


# ---- code systems --------------------------------------------------------------------------------

CODE_SYSTEM_FIELDS = ("name", "title", "standard", "status", "publisher", "description", "is_case_sensitive",
                      "content")


def _code_system_create(*, actor, url, name, version="", title="", standard="", status=ResourceStatus.ACTIVE,
                        publisher="", description="", is_case_sensitive=True,
                        content=CodeSystemContent.COMPLETE) -> CodeSystem:
    url, version = (url or "").strip(), (version or "").strip()
    _clean_resource(url=url, name=name, status=status, version=version)
    if content not in CodeSystemContent.values:
        raise BusinessError(E.CHOICE_INVALID, field="content")
    if CodeSystem.objects.filter(url=url, version=version).exists():
        raise BusinessError(E.VERSION_TAKEN, field="version")
    system = CodeSystem(url=url, version=version, name=name.strip(), title=title.strip(), standard=standard.strip(),
                        status=status, publisher=publisher.strip(), description=description,
                        is_case_sensitive=is_case_sensitive, content=content)
    system.full_clean()
    system.save()
    _audit(actor, AuditAction.CREATE, CS, system.pk, f"{system.url}|{system.version}", after=audit_snapshot(system))
    return system


@transaction.atomic
def code_system_create(*, actor, url: str, name: str, version: str = "", title: str = "", standard: str = "",
                       status: str = ResourceStatus.ACTIVE, publisher: str = "", description: str = "",
                       is_case_sensitive: bool = True, content: str = CodeSystemContent.COMPLETE) -> CodeSystem:
    require(actor, CS, "create")
    return _code_system_create(actor=actor, url=url, name=name, version=version, title=title, standard=standard,
                               status=status, publisher=publisher, description=description,
                               is_case_sensitive=is_case_sensitive, content=content)


def _code_system_update(actor, system: CodeSystem, changes: dict) -> CodeSystem:
    unknown = set(changes) - set(CODE_SYSTEM_FIELDS)
    if unknown:
        raise TypeError(f"cannot update {sorted(unknown)}")
    before = audit_snapshot(system)
    for key, value in changes.items():
        setattr(system, key, value.strip() if isinstance(value, str) and key != "description" else value)
    _clean_resource(url=system.url, name=system.name, status=system.status, version=system.version)
    if system.content not in CodeSystemContent.values:
        raise BusinessError(E.CHOICE_INVALID, field="content")
    old, new = audit_changes(before, audit_snapshot(system))
    if new:
        system.full_clean()
        system.save(update_fields=[*new, "updated_at"])
        _audit(actor, AuditAction.UPDATE, CS, system.pk, f"{system.url}|{system.version}", before=old, after=new)
    return system


@transaction.atomic
def code_system_update(*, actor, code_system: CodeSystem, **changes) -> CodeSystem:
    """Change any of CODE_SYSTEM_FIELDS; url and version are the identity and stay."""
    require(actor, CS, "update")
    return _code_system_update(actor, code_system, changes)


# ---- concepts ------------------------------------------------------------------------------------

def _key(system: CodeSystem, code: str) -> str:
    return code if system.is_case_sensitive else code.lower()


def _check_concepts(system: CodeSystem, rows: list[ConceptRow], existing: dict[str, Concept]) -> list[Problem]:
    """Every problem of every row; empty when the rows may be written."""
    errors, seen = [], {}
    parents = {key: (_key(system, c.parent.code) if c.parent_id else "") for key, c in existing.items()}
    for row in rows:
        if not row.code:
            errors.append(_problem(row.where, E.CODE_REQUIRED))
        elif len(row.code) > MAX_CODE:
            errors.append(_problem(row.where, E.CODE_TOO_LONG))
        if not row.display:
            errors.append(_problem(row.where, E.DISPLAY_REQUIRED))
        key = _key(system, row.code)
        if row.code and key in seen:
            errors.append(_problem(row.where, E.CODE_DUPLICATED, seen[key]))
        seen.setdefault(key, row.where)
        if row.code:
            parents[key] = _key(system, row.parent_code) if row.parent_code else ""
    known = set(parents)
    for row in rows:
        if not row.code or not row.parent_code:
            continue
        parent = _key(system, row.parent_code)
        if parent not in known:
            errors.append(_problem(row.where, E.PARENT_NOT_FOUND, row.parent_code))
            continue
        node, steps = parent, 0
        while node and steps <= len(parents):
            if node == _key(system, row.code):
                errors.append(_problem(row.where, E.PARENT_CYCLE))
                break
            node, steps = parents.get(node, ""), steps + 1
    return errors


def _existing(system: CodeSystem) -> dict[str, Concept]:
    return {_key(system, c.code): c for c in system.concepts.select_related("parent")}


def _concepts_upsert(actor, system: CodeSystem, rows: list[ConceptRow]) -> ImportResult:
    """Validate all rows, then write them: new codes created, changed ones updated, the rest counted as
    unchanged. Codes absent from the rows are left as they are."""
    existing = _existing(system)
    errors = _check_concepts(system, rows, existing)
    if errors:
        _fail(errors)
    result = ImportResult()
    before, new = {}, []
    for row in rows:
        concept = existing.get(_key(system, row.code))
        if concept is None:
            concept = Concept(code_system=system, code=row.code, display=row.display, definition=row.definition,
                              properties=row.properties or {}, is_active=row.is_active)
            existing[_key(system, row.code)] = concept
            new.append(concept)
        else:
            before[concept.pk] = audit_snapshot(concept)
            concept.display, concept.definition, concept.is_active = row.display, row.definition, row.is_active
            if row.properties is not None:
                concept.properties = row.properties
    Concept.objects.bulk_create(new, batch_size=500)
    changed = []
    for row in rows:
        concept = existing[_key(system, row.code)]
        concept.parent = existing[_key(system, row.parent_code)] if row.parent_code else None
        if concept.pk in before:
            old, after = audit_changes(before[concept.pk], audit_snapshot(concept))
            if after:
                changed.append(concept)
                _audit(actor, AuditAction.UPDATE, CS, system.pk, f"{concept.code} {concept.display}",
                       before={"code": concept.code, **old}, after={"code": concept.code, **after})
            else:
                result.unchanged += 1
    fields = ["display", "definition", "is_active", "properties", "parent", "updated_at"]
    Concept.objects.bulk_update([c for c in new if c.parent_id], ["parent"], batch_size=500)
    for concept in changed:
        concept.save(update_fields=fields)
    for concept in new:
        _audit(actor, AuditAction.CREATE, CS, system.pk, f"{concept.code} {concept.display}",
               after=audit_snapshot(concept))
    result.created, result.updated = len(new), len(changed)
    return result


@transaction.atomic
def concept_add(*, actor, code_system: CodeSystem, code: str, display: str, definition: str = "",
                parent_code: str = "", properties: dict | None = None) -> Concept:
    require(actor, CS, "update")
    code = (code or "").strip()
    if code and _key(code_system, code) in _existing(code_system):
        raise BusinessError(E.CODE_TAKEN, field="code")
    row = ConceptRow(where=code, code=code, display=(display or "").strip(), definition=definition,
                     parent_code=(parent_code or "").strip(), properties=properties or {})
    _single(actor, code_system, row)
    return code_system.concepts.get(code=code)


@transaction.atomic
def concept_update(*, actor, concept: Concept, display: str, definition: str = "", parent_code: str = "",
                   properties: dict | None = None) -> Concept:
    require(actor, CS, "update")
    row = ConceptRow(where=concept.code, code=concept.code, display=(display or "").strip(), definition=definition,
                     parent_code=(parent_code or "").strip(), properties=properties, is_active=concept.is_active)
    _single(actor, concept.code_system, row)
    concept.refresh_from_db()
    return concept


def _single(actor, system, row: ConceptRow) -> None:
    """One concept through the import path; its first error raised as a field error."""
    try:
        _concepts_upsert(actor, system, [row])
    except BusinessError as exc:
        _where, code, message = exc.extra["problems"][0]
        raise BusinessError(code, message) from None


@transaction.atomic
def concept_deactivate(*, actor, concept: Concept) -> Concept:
    """Concepts are never deleted (stored records carry their codes); retiring one marks it inactive."""
    require(actor, CS, "update")
    if concept.is_active:
        concept.is_active = False
        concept.save(update_fields=["is_active", "updated_at"])
        _audit(actor, AuditAction.DEACTIVATE, CS, concept.code_system_id, f"{concept.code} {concept.display}",
               before={"code": concept.code, "is_active": True}, after={"code": concept.code, "is_active": False})
    return concept


@transaction.atomic
def concepts_import(*, actor, code_system: CodeSystem, rows: list[ConceptRow]) -> ImportResult:
    require(actor, CS, "import")
    return _concepts_upsert(actor, code_system, rows)


def concepts_import_file(*, actor, code_system: CodeSystem, data: bytes, filename: str) -> ImportResult:
    """Concepts from a .csv/.xlsx with columns 代码, 名称, 上级代码, 说明."""
    require(actor, CS, "import")
    return concepts_import(actor=actor, code_system=code_system, rows=concept_rows_from_file(data, filename))


# ---- value sets ----------------------------------------------------------------------------------

def _resolve_includes(includes: list[dict]) -> list[tuple[CodeSystem, list[str]]]:
    if not includes:
        raise BusinessError(E.INCLUDE_REQUIRED, field="includes")
    errors, resolved = [], []
    for i, include in enumerate(includes):
        system = include.get("code_system") or resolve_code_system(include.get("system", ""),
                                                                    include.get("version", ""))
        where = f"compose.include[{i}]"
        if system is None:
            errors.append(_problem(where, E.CODE_SYSTEM_NOT_FOUND, include.get("system", "")))
            continue
        codes = [c for c in include.get("codes") or []]
        known = set(_existing(system))
        missing = [c for c in codes if _key(system, c) not in known]
        if missing:
            errors.append(_problem(where, E.CODE_NOT_FOUND, "、".join(missing)))
        resolved.append((system, sorted(set(codes), key=codes.index)))
    if errors:
        _fail(errors)
    return resolved


def _value_set_upsert(actor, *, url, name, version="", title="", status=ResourceStatus.ACTIVE, description="",
                      includes: list[dict], create_only=False) -> tuple[ValueSet, str]:
    """Create the value set of (url, version), or bring it to these fields and compose. Returns it and
    "created", "updated" or "unchanged"."""
    url, version = (url or "").strip(), (version or "").strip()
    _clean_resource(url=url, name=name, status=status, version=version)
    resolved = _resolve_includes(includes)
    compose = [{"system": s.pk, "codes": codes} for s, codes in resolved]
    value_set = ValueSet.objects.filter(url=url, version=version).first()
    if value_set is not None and create_only:
        raise BusinessError(E.VERSION_TAKEN, field="version")
    fields = {"name": name.strip(), "title": (title or "").strip(), "status": status, "description": description}
    if value_set is None:
        value_set = ValueSet(url=url, version=version, **fields)
        value_set.full_clean()
        value_set.save()
        ValueSetInclude.objects.bulk_create(
            [ValueSetInclude(value_set=value_set, code_system=s, codes=codes) for s, codes in resolved])
        _audit(actor, AuditAction.CREATE, VS, value_set.pk, f"{url}|{version}",
               after={**audit_snapshot(value_set), "compose": compose})
        return value_set, "created"
    before = {**audit_snapshot(value_set),
              "compose": [{"system": i.code_system_id, "codes": i.codes} for i in value_set.includes.all()]}
    for key, value in fields.items():
        setattr(value_set, key, value)
    old, new = audit_changes(before, {**audit_snapshot(value_set), "compose": compose})
    if new:
        value_set.full_clean()
        value_set.save()
        if "compose" in new:
            value_set.includes.all().delete()
            ValueSetInclude.objects.bulk_create(
                [ValueSetInclude(value_set=value_set, code_system=s, codes=codes) for s, codes in resolved])
        _audit(actor, AuditAction.UPDATE, VS, value_set.pk, f"{url}|{version}", before=old, after=new)
    return value_set, "updated" if new else "unchanged"


def value_set_compose(*, code_systems: list[CodeSystem], codes: list[str] = ()) -> list[dict]:
    """The includes of a value set made of `code_systems` (as chosen on the page): without `codes` each whole
    system; with `codes` only those, each under every chosen system that has it. A listed code found in no
    chosen system, or a chosen system with none of the listed codes (it would otherwise mean the whole
    system), is refused, naming them. Codes take the system's spelling (case-insensitive systems)."""
    systems = list(dict.fromkeys(code_systems))
    if not systems:
        raise BusinessError(E.INCLUDE_REQUIRED, field="includes")
    wanted = list(dict.fromkeys(c.strip() for c in codes if c and c.strip()))
    if not wanted:
        return [{"code_system": system, "codes": []} for system in systems]
    includes, found = [], set()
    for system in systems:
        keys = {_key(system, code) for code in wanted}
        known = system.concepts.values_list("code", flat=True)
        if system.is_case_sensitive:
            known = known.filter(code__in=wanted)
        present = {_key(system, code): code for code in known if _key(system, code) in keys}
        if not present:
            raise BusinessError(E.SYSTEM_WITHOUT_CODES,
                                f"{E.SYSTEM_WITHOUT_CODES.message}（{system.title or system.name}）", field="codes")
        found.update(code for code in wanted if _key(system, code) in present)
        includes.append({"code_system": system,
                         "codes": [present[_key(system, code)] for code in wanted if _key(system, code) in present]})
    missing = [code for code in wanted if code not in found]
    if missing:
        raise BusinessError(E.CODES_NOT_IN_SYSTEMS, f"{E.CODES_NOT_IN_SYSTEMS.message}（{'、'.join(missing)}）",
                            field="codes")
    return includes


@transaction.atomic
def value_set_create(*, actor, url: str, name: str, includes: list[dict], version: str = "", title: str = "",
                     status: str = ResourceStatus.ACTIVE, description: str = "") -> ValueSet:
    """`includes`: [{"system": url, "version": "" (newest), "codes": [] (the whole system) or listed codes}],
    or {"code_system": a CodeSystem row, "codes": [...]} (see `value_set_compose`)."""
    require(actor, VS, "create")
    return _value_set_upsert(actor, url=url, name=name, version=version, title=title, status=status,
                             description=description, includes=includes, create_only=True)[0]


# ---- concept maps --------------------------------------------------------------------------------

def _require_map_write(actor, action: str, source_institution) -> None:
    require(actor, CM, action)
    if not concept_map_in_write_scope(actor, source_institution):
        raise BusinessError(E.INSTITUTION_OUT_OF_SCOPE, field="source_institution")


@transaction.atomic
def concept_map_create(*, actor, url: str, name: str, source_system: str, target_system: str, version: str = "",
                       title: str = "", status: str = ResourceStatus.ACTIVE, source_institution=None,
                       description: str = "") -> ConceptMap:
    _require_map_write(actor, "create", source_institution)
    url, version = (url or "").strip(), (version or "").strip()
    _clean_resource(url=url, name=name, status=status, version=version)
    for key, value in (("source_system", source_system), ("target_system", target_system)):
        if not URL.match(value or ""):
            raise BusinessError(E.URL_INVALID, field=key)
    if ConceptMap.objects.filter(url=url, version=version).exists():
        raise BusinessError(E.VERSION_TAKEN, field="version")
    concept_map = ConceptMap(url=url, version=version, name=name.strip(), title=title.strip(), status=status,
                             source_system=source_system.strip(), target_system=target_system.strip(),
                             source_institution=source_institution, description=description)
    concept_map.full_clean()
    concept_map.save()
    _audit(actor, AuditAction.CREATE, CM, concept_map.pk, f"{url}|{version}", after=audit_snapshot(concept_map))
    return concept_map


def _check_map_rows(concept_map: ConceptMap, rows: list[MapRow]) -> list[Problem]:
    errors, seen = [], {}
    target = resolve_code_system(concept_map.target_system)
    targets = _existing(target) if target else None  # an unloaded target system is not checked
    for row in rows:
        problems: list[tuple[E, str]] = []
        row.equivalence = EQUIVALENCE_WORDS.get(row.equivalence or Equivalence.EQUIVALENT, row.equivalence)
        if not row.source_code:
            problems.append((E.CODE_REQUIRED, ""))
        elif len(row.source_code) > MAX_CODE or len(row.target_code) > MAX_CODE:
            problems.append((E.CODE_TOO_LONG, ""))
        if row.equivalence not in Equivalence.values:
            problems.append((E.EQUIVALENCE_INVALID, ""))
        elif row.equivalence == Equivalence.UNMATCHED and row.target_code:
            problems.append((E.TARGET_NOT_ALLOWED, ""))
        elif row.equivalence != Equivalence.UNMATCHED and not row.target_code:
            problems.append((E.TARGET_REQUIRED, ""))
        elif row.target_code and targets is not None:
            concept = targets.get(_key(target, row.target_code))
            if concept is None:
                problems.append((E.TARGET_NOT_FOUND, row.target_code))
            elif not row.target_display:
                row.target_display = concept.display
        pair = (row.source_code, row.target_code)
        if row.source_code and pair in seen:
            problems.append((E.PAIR_DUPLICATED, seen[pair]))
        seen.setdefault(pair, row.where)
        errors.extend(_problem(row.where, code, detail) for code, detail in problems)
    return errors


def _elements_upsert(actor, concept_map: ConceptMap, rows: list[MapRow]) -> ImportResult:
    errors = _check_map_rows(concept_map, rows)
    if errors:
        _fail(errors)
    existing = {(e.source_code, e.target_code): e for e in concept_map.elements.all()}
    result = ImportResult()
    for row in rows:
        values = {"source_display": row.source_display, "target_display": row.target_display,
                  "equivalence": row.equivalence}
        element = existing.get((row.source_code, row.target_code))
        summary = f"{row.source_code} → {row.target_code or '-'}"
        if element is None:
            element = ConceptMapElement(concept_map=concept_map, source_code=row.source_code,
                                        target_code=row.target_code, **values)
            element.save()
            result.created += 1
            _audit(actor, AuditAction.CREATE, CM, concept_map.pk, summary, after=audit_snapshot(element))
            continue
        before = audit_snapshot(element)
        for key, value in values.items():
            setattr(element, key, value)
        old, new = audit_changes(before, audit_snapshot(element))
        if not new:
            result.unchanged += 1
            continue
        element.save(update_fields=[*new, "updated_at"])
        result.updated += 1
        pair = {"source_code": row.source_code, "target_code": row.target_code}
        _audit(actor, AuditAction.UPDATE, CM, concept_map.pk, summary, before={**pair, **old}, after={**pair, **new})
    return result


@transaction.atomic
def concept_map_elements_upsert(*, actor, concept_map: ConceptMap, rows: list[MapRow]) -> ImportResult:
    """Add or change a map's elements, keyed by (source code, target code); all rows checked first."""
    _require_map_write(actor, "import", concept_map.source_institution)
    return _elements_upsert(actor, concept_map, rows)


def concept_map_import_file(*, actor, concept_map: ConceptMap, data: bytes, filename: str) -> ImportResult:
    """Elements from a .csv/.xlsx with columns 本地代码, 本地名称, 标准代码, 标准名称, 对应关系."""
    _require_map_write(actor, "import", concept_map.source_institution)
    return concept_map_elements_upsert(actor=actor, concept_map=concept_map, rows=map_rows_from_file(data, filename))


# ---- FHIR JSON resources -------------------------------------------------------------------------

@transaction.atomic
def fhir_resource_import(*, actor, resource: dict, source_institution=None):
    """Create or update a CodeSystem, ValueSet or ConceptMap (keyed by url and version) from its FHIR R4
    JSON, with its concepts / compose / elements. Returns (row, ImportResult of its concepts or elements;
    for a value set created=1 or updated=1 or unchanged=1). Nothing is written when anything is wrong."""
    parsed = parse_fhir(resource)
    fields = parsed.fields
    if parsed.resource_type == "CodeSystem":
        require(actor, CS, "import")
        system = CodeSystem.objects.filter(url=fields["url"], version=fields["version"]).first()
        if system is None:
            system = _code_system_create(actor=actor, **fields)
        else:
            _code_system_update(actor, system, {k: v for k, v in fields.items() if k not in ("url", "version")})
        return system, _fhir_rows(_concepts_upsert, actor, system, parsed.concepts)
    if parsed.resource_type == "ValueSet":
        require(actor, VS, "import")
        value_set, outcome = _value_set_upsert(actor, includes=parsed.includes, **fields)
        return value_set, ImportResult(**{outcome: 1})
    _require_map_write(actor, "import", source_institution)
    concept_map = ConceptMap.objects.filter(url=fields["url"], version=fields["version"]).first()
    if concept_map is None:
        concept_map = concept_map_create(actor=actor, source_institution=source_institution, **fields)
    else:
        _require_map_write(actor, "import", concept_map.source_institution)
        before = audit_snapshot(concept_map)
        for key in ("name", "title", "status", "description", "source_system", "target_system"):
            setattr(concept_map, key, fields[key])
        old, new = audit_changes(before, audit_snapshot(concept_map))
        if new:
            concept_map.full_clean()
            concept_map.save(update_fields=[*new, "updated_at"])
            _audit(actor, AuditAction.UPDATE, CM, concept_map.pk, concept_map.url, before=old, after=new)
    return concept_map, _fhir_rows(_elements_upsert, actor, concept_map, parsed.elements)


def _fhir_rows(upsert, actor, target, rows) -> ImportResult:
    """Row errors of a FHIR resource are reported as FHIR_INVALID, with the same list."""
    try:
        return upsert(actor, target, rows)
    except BusinessError as exc:
        if exc.code == E.IMPORT_INVALID:
            raise BusinessError(E.FHIR_INVALID, **exc.extra) from None
        raise

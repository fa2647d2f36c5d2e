"""Terminology rows rendered as FHIR R4 JSON (hand-built dicts; `fhir.resources` is not installed), and
the `Parameters` resource in both directions."""

from weijian.core.errors import BusinessError
from weijian.terminology.errors import TerminologyErrorCode as E


def _common(resource_type: str, obj) -> dict:
    data = {"resourceType": resource_type, "id": str(obj.pk), "url": obj.url}
    if obj.version:
        data["version"] = obj.version
    data["name"] = obj.name
    if obj.title:
        data["title"] = obj.title
    data["status"] = obj.status
    data["meta"] = {"lastUpdated": obj.updated_at.isoformat()}
    return data


def _property(code: str, value) -> dict:
    if isinstance(value, bool):
        return {"code": code, "valueBoolean": value}
    if isinstance(value, int):
        return {"code": code, "valueInteger": value}
    return {"code": code, "valueString": str(value)}


def code_system_resource(system) -> dict:
    """The code system with every concept (retired ones carry `inactive`), nested under their parents."""
    data = _common("CodeSystem", system)
    if system.standard:
        data["identifier"] = [{"value": system.standard}]
    if system.publisher:
        data["publisher"] = system.publisher
    if system.description:
        data["description"] = system.description
    data["caseSensitive"] = system.is_case_sensitive
    data["hierarchyMeaning"] = "is-a"
    data["content"] = system.content
    concepts = list(system.concepts.order_by("code"))
    data["count"] = len(concepts)
    data["property"] = [{"code": "inactive", "uri": "http://hl7.org/fhir/concept-properties#inactive",
                         "type": "boolean"}]
    children: dict[int | None, list] = {}
    for concept in concepts:
        children.setdefault(concept.parent_id, []).append(concept)

    def render(concept) -> dict:
        item = {"code": concept.code, "display": concept.display}
        if concept.definition:
            item["definition"] = concept.definition
        properties = [_property(k, v) for k, v in sorted((concept.properties or {}).items())]
        if not concept.is_active:
            properties.append({"code": "inactive", "valueBoolean": True})
        if properties:
            item["property"] = properties
        if concept.pk in children:
            item["concept"] = [render(child) for child in children[concept.pk]]
        return item

    data["concept"] = [render(c) for c in children.get(None, [])]
    return data


def value_set_resource(value_set) -> dict:
    data = _common("ValueSet", value_set)
    if value_set.description:
        data["description"] = value_set.description
    includes = []
    for include in value_set.includes.select_related("code_system"):
        item = {"system": include.code_system.url}
        if include.code_system.version:
            item["version"] = include.code_system.version
        if include.codes:
            item["concept"] = [{"code": code} for code in include.codes]
        includes.append(item)
    data["compose"] = {"include": includes}
    return data


def concept_map_resource(concept_map) -> dict:
    """One group (source system → target system); elements grouped by source code."""
    data = _common("ConceptMap", concept_map)
    if concept_map.description:
        data["description"] = concept_map.description
    elements: dict[str, dict] = {}
    for row in concept_map.elements.order_by("source_code", "target_code"):
        element = elements.setdefault(row.source_code, {"code": row.source_code, "target": []})
        if row.source_display:
            element.setdefault("display", row.source_display)
        target = {"equivalence": row.equivalence}
        if row.target_code:
            target = {"code": row.target_code, "display": row.target_display, "equivalence": row.equivalence}
        element["target"].append(target)
    for element in elements.values():  # FHIR order: code, display, target
        element["target"] = element.pop("target")
    data["group"] = [{"source": concept_map.source_system, "target": concept_map.target_system,
                      "element": list(elements.values())}]
    return data


# ---- Parameters ---------------------------------------------------------------------------------------

_SCALARS = ("valueString", "valueCode", "valueUri", "valueCanonical", "valueUrl", "valueInteger",
            "valueBoolean", "valueDecimal")


# Codings of $subsumes: their code goes to codeA/codeB, their system to systemA/systemB (compared by the view).
_CODING_SUFFIX = {"codingA": "A", "codingB": "B"}


def parameters_in(query, body) -> dict[str, str]:
    """The operation's inputs: the query string, overridden by a POSTed `Parameters` resource; a
    `coding`/`valueCoding` parameter fills system, code, display and version (`codingA`/`codingB` fill
    codeA/codeB and systemA/systemB instead)."""
    params = {key: query.get(key) for key in query}
    if body in (None, {}, b"", ""):
        return params
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters" \
            or not isinstance(body.get("parameter", []), list):
        raise BusinessError(E.FHIR_INVALID, parameter="Parameters")
    for parameter in body.get("parameter", []):
        if not isinstance(parameter, dict) or not isinstance(parameter.get("name"), str):
            raise BusinessError(E.FHIR_INVALID, parameter="Parameters.parameter")
        coding = parameter.get("valueCoding")
        if isinstance(coding, dict):
            suffix = _CODING_SUFFIX.get(parameter["name"], "")
            for key in ("system", "code", "display", "version"):
                if coding.get(key) is not None:
                    params[key + suffix if key in ("system", "code") else key] = str(coding[key])
            continue
        for key in _SCALARS:
            if key in parameter:
                value = parameter[key]
                params[parameter["name"]] = str(value).lower() if isinstance(value, bool) else str(value)
                break
    return params


def parameters_out(*items: tuple[str, str, object]) -> dict:
    """Parameters from (name, value[x] key, value) triples; None values are left out; a list value of
    (name, key, value) triples becomes `part`."""
    out = []
    for name, key, value in items:
        if value is None:
            continue
        if key == "part":
            out.append({"name": name, "part": parameters_out(*value)["parameter"]})
        else:
            out.append({"name": name, key: value})
    return {"resourceType": "Parameters", "parameter": out}

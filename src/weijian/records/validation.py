"""Is an incoming resource acceptable? Structure by `fhir.resources` (FHIR R4B models, the R4 elements
these resource types share), then the platform's rules: required bindings of status elements, codes of
known code systems, and local codes translated to standard ones. Issues come back in Chinese with a
FHIRPath-like location; nothing here touches the store."""

import re
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from weijian.records import codes
from weijian.records.searchparams import SUPPORTED_TYPES

ID_PATTERN = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")

# Required bindings (FHIR R4): the element's code must be one of these. fhir.resources does not enforce them.
REQUIRED_CODES = {
    ("Observation", "status"): {"registered", "preliminary", "final", "amended", "corrected", "cancelled",
                                "entered-in-error", "unknown"},
    ("Encounter", "status"): {"planned", "arrived", "triaged", "in-progress", "onleave", "finished", "cancelled",
                              "entered-in-error", "unknown"},
    ("Procedure", "status"): {"preparation", "in-progress", "not-done", "on-hold", "stopped", "completed",
                              "entered-in-error", "unknown"},
    ("MedicationRequest", "status"): {"active", "on-hold", "cancelled", "completed", "entered-in-error", "stopped",
                                      "draft", "unknown"},
    ("MedicationRequest", "intent"): {"proposal", "plan", "order", "original-order", "reflex-order",
                                      "filler-order", "instance-order", "option"},
    ("MedicationDispense", "status"): {"preparation", "in-progress", "cancelled", "on-hold", "completed",
                                       "entered-in-error", "stopped", "declined", "unknown"},
    ("Immunization", "status"): {"completed", "entered-in-error", "not-done"},
    ("DiagnosticReport", "status"): {"registered", "partial", "preliminary", "final", "amended", "corrected",
                                     "appended", "cancelled", "entered-in-error", "unknown"},
    ("ImagingStudy", "status"): {"registered", "available", "cancelled", "entered-in-error", "unknown"},
    ("DocumentReference", "status"): {"current", "superseded", "entered-in-error"},
    ("CarePlan", "status"): {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"},
    ("CarePlan", "intent"): {"proposal", "plan", "order", "option"},
    ("Patient", "gender"): {"male", "female", "other", "unknown"},
    ("Practitioner", "gender"): {"male", "female", "other", "unknown"},
}


@dataclass(frozen=True)
class Issue:
    severity: str  # error | warning
    code: str  # RecordsErrorCode value
    message: str
    expression: str = ""


def _location(loc: tuple) -> str:
    parts = []
    for step in loc:
        if isinstance(step, int):
            parts[-1:] = [f"{parts[-1]}[{step}]"] if parts else [f"[{step}]"]
        else:
            parts.append(str(step))
    return ".".join(parts)


def _pydantic_message(error: dict) -> str:
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        return _("不认识的元素")
    if kind == "missing":
        return _("缺少必填元素")
    shown = repr(value)[:60] if not isinstance(value, (dict, list)) else ""
    if "regex" in error.get("msg", "") or kind in ("value_error", "string_pattern_mismatch"):
        return _("取值格式不正确%(value)s") % {"value": f"（{shown}）" if shown else ""}
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return _("取值类型不正确%(value)s") % {"value": f"（{shown}）" if shown else ""}
    return _("取值不合法%(value)s") % {"value": f"（{shown}）" if shown else ""}


def _structure(resource: dict) -> list[Issue]:
    try:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    except ValidationError as exc:
        return [Issue("error", "resource_invalid", _pydantic_message(e), _location(e["loc"]))
                for e in exc.errors(include_url=False)[:20]]
    except (TypeError, ValueError) as exc:  # fhir.resources raises these for some malformed primitives
        return [Issue("error", "resource_invalid", _("资源内容不合法：%(reason)s") % {"reason": str(exc)[:200]})]
    return []


def _codings(node, path: str = ""):
    """Every Coding (dict with system and code) in a resource, with where it sits."""
    if isinstance(node, dict):
        if isinstance(node.get("system"), str) and isinstance(node.get("code"), str) and "value" not in node:
            yield path, node
        for key, value in node.items():
            if key not in ("contained", "meta", "extension", "modifierExtension"):
                yield from _codings(value, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _codings(item, f"{path}[{i}]")


def check_codes(resource: dict, *, translate: bool = True) -> list[Issue]:
    """Known code systems' codes must exist (error or warning by WEIJIAN_FHIR_CODE_CHECK); codes of a
    system with a concept map gain the mapped standard coding, added next to the local one (in place)."""
    catalogue = codes.catalogue()
    severity = "warning" if settings.FHIR_CODE_CHECK == "warning" else "error"
    issues = []
    type_ = resource["resourceType"]
    for (owner, element), allowed in REQUIRED_CODES.items():
        value = resource.get(element)
        if owner == type_ and value is not None and value not in allowed:
            issues.append(Issue("error", "code_invalid",
                                _("“%(code)s”不是 %(element)s 允许的取值") % {"code": value, "element": element},
                                element))
    additions = []
    for path, coding in _codings({k: v for k, v in resource.items() if k != "resourceType"}):
        system, code = coding["system"], coding["code"]
        if catalogue.known(system):
            if catalogue.display(system, code) is None:
                issues.append(Issue(severity, "code_invalid",
                                    _("代码“%(code)s”不在代码系统 %(system)s 中") % {"code": code, "system": system},
                                    path))
        elif translate:
            for target, target_code, display in catalogue.translate(system, code):
                additions.append((path, coding, target, target_code, display))
    for path, coding, target, target_code, display in additions:
        _add_translation(resource, path, coding, target, target_code, display)
    return issues


def _add_translation(resource: dict, path: str, coding: dict, target: str, code: str, display: str) -> None:
    """Put the standard coding into the same CodeableConcept as the local one (once)."""
    parent_path = path.rsplit("[", 1)[0] if path.endswith("]") else None
    if not parent_path or not parent_path.endswith(".coding") and parent_path != "coding":
        return
    node = resource
    for step in re.findall(r"[^.\[\]]+|\[\d+\]", parent_path):
        node = node[int(step[1:-1])] if step.startswith("[") else node[step]
    if not any(c.get("system") == target and c.get("code") == code for c in node if isinstance(c, dict)):
        node.append({"system": target, "code": code, **({"display": display} if display else {})})


def validate(resource: dict, *, check_terminology: bool = True) -> list[Issue]:
    """Every issue with `resource` (errors and warnings); translations of local codes are added in place."""
    type_ = resource.get("resourceType")
    if type_ not in SUPPORTED_TYPES:
        return [Issue("error", "type_unsupported", _("不支持的资源类型：%(type)s") % {"type": str(type_)[:40]},
                      "resourceType")]
    fhir_id = resource.get("id")
    if fhir_id is not None and (not isinstance(fhir_id, str) or not ID_PATTERN.match(fhir_id)):
        return [Issue("error", "id_invalid", _("资源 id 无效：只能包含字母、数字、“-”和“.”，最长64个字符"), "id")]
    issues = _structure(resource)
    if check_terminology and not any(i.severity == "error" for i in issues):
        issues += check_codes(resource)
    return issues


def errors_of(issues: list[Issue]) -> list[Issue]:
    return [issue for issue in issues if issue.severity == "error"]

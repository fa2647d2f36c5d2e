"""FHIR response shapes the store produces itself: a Bundle entry's response, OperationOutcome issues."""

from weijian.records.store import last_updated_text

ERROR_SYSTEM = "http://weijian.local/fhir/CodeSystem/error-code"
# error code -> (OperationOutcome issue type, HTTP status)
ISSUE_TYPES = {
    "version_conflict": ("conflict", 412),
    "conditional_multiple": ("multiple-matches", 412),
    "reference_missing": ("not-found", 422),
    "resource_not_found": ("not-found", 404),
    "resource_gone": ("deleted", 410),
    "version_not_found": ("not-found", 404),
    "type_unsupported": ("not-supported", 404),
    "id_owned_by_other_source": ("conflict", 409),
    "source_not_registered": ("forbidden", 403),
    "source_suspended": ("forbidden", 403),
    "source_type_not_allowed": ("forbidden", 403),
    "too_large": ("too-costly", 413),
    "not_json": ("structure", 415),
    "code_invalid": ("code-invalid", 422),
    "resource_invalid": ("structure", 422),
    "id_invalid": ("value", 400),
    "search_param_unknown": ("not-supported", 400),
    "search_value_invalid": ("value", 400),
}
STATUS_TEXT = {200: "200 OK", 201: "201 Created", 204: "204 No Content", 400: "400 Bad Request", 403: "403 Forbidden",
               404: "404 Not Found", 409: "409 Conflict", 410: "410 Gone", 412: "412 Precondition Failed",
               413: "413 Payload Too Large", 415: "415 Unsupported Media Type", 422: "422 Unprocessable Entity"}


def issue(code: str, message: str, expression: str = "", severity: str = "error") -> dict:
    kind = ISSUE_TYPES.get(code, ("invalid", 400))[0]
    entry = {"severity": severity, "code": kind,
             "details": {"coding": [{"system": ERROR_SYSTEM, "code": code}], "text": message},
             "diagnostics": message}
    if expression:
        entry["expression"] = [expression]
    return entry


def http_status(code: str, default: int = 400) -> int:
    return ISSUE_TYPES.get(code, ("invalid", default))[1]


def outcome(issues: list[dict]) -> dict:
    return {"resourceType": "OperationOutcome", "issue": issues}


def problem_issue(problem) -> dict:
    """An EntryError as an issue naming its Bundle entry."""
    where = f"第 {problem.entry} 条：" if problem.entry else ""
    return issue(str(problem.code), f"{where}{problem.message}", problem.expression)


def entry_response(entry) -> dict:
    if entry.error is not None:
        status = http_status(str(entry.error.code))
        return {"response": {"status": STATUS_TEXT.get(status, str(status)),
                             "outcome": outcome([problem_issue(entry.error)])}}
    result = entry.outcome
    if entry.extra.get("exists") or result is None:
        response = {"status": "200 OK", "location": f"{entry.type}/{entry.fhir_id}"}
        return {**({"fullUrl": entry.full_url} if entry.full_url else {}), "response": response}
    status = {"created": "201 Created", "deleted": "204 No Content", "absent": "204 No Content"}.get(
        result.status, "200 OK")
    response = {"status": status, "location": f"{result.type}/{result.fhir_id}/_history/{result.version}",
                "etag": f'W/"{result.version}"', "lastModified": last_updated_text(result.updated)}
    return {**({"fullUrl": entry.full_url} if entry.full_url else {}), "response": response}

"""The FHIR wire format: the `application/fhir+json` renderer/parser, the base view, and errors as
`OperationOutcome`.

Errors reuse the REST API's handler (`weijian.api.errors.exception_handler`), so the diagnostics are the
same Chinese messages (business errors from `TerminologyErrorCode`); this module only maps the stable
error code to a FHIR issue code and HTTP status.
"""

from rest_framework import status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from weijian.api.errors import exception_handler as api_exception_handler
from weijian.core.errors import BusinessError
from weijian.records import wire
from weijian.records.services import RequestRejected

FHIR_JSON = "application/fhir+json"
ERROR_SYSTEM = "http://weijian.local/fhir/CodeSystem/error-code"

# Weijian error code -> (FHIR issue type, HTTP status or None to keep the REST API's).
ISSUE_CODES = {
    "not_authenticated": ("login", None),
    "authentication_failed": ("login", None),
    "permission_denied": ("forbidden", None),
    "not_found": ("not-found", 404),
    "code_system_not_found": ("not-found", 404),
    "value_set_not_found": ("not-found", 404),
    "concept_map_not_found": ("not-found", 404),
    "code_not_found": ("not-found", 404),
    "pix_not_found": ("not-found", 404),
    "method_not_allowed": ("not-supported", None),
    "unsupported_media_type": ("not-supported", None),
    "parse_error": ("structure", None),
    "fhir_invalid": ("structure", None),
}


class FhirJsonRenderer(JSONRenderer):
    media_type = FHIR_JSON
    format = "json"
    charset = "utf-8"
    ensure_ascii = False


class FhirJsonParser(JSONParser):
    media_type = FHIR_JSON


class AlwaysFhirJson(BaseContentNegotiation):
    """FHIR servers answer JSON whatever the Accept header says (we serve no XML)."""

    def select_parser(self, request, parsers):
        for parser in parsers:
            if request.content_type.split(";")[0].strip() in (parser.media_type, "application/json"):
                return parser
        return None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def operation_outcome(code: str, message: str, *, issue: str = "invalid", expression: list[str] | None = None,
                      severity: str = "error") -> dict:
    entry = {
        "severity": severity,
        "code": issue,
        "details": {"coding": [{"system": ERROR_SYSTEM, "code": code}], "text": message},
        "diagnostics": message,
    }
    if expression:
        entry["expression"] = expression
    return {"resourceType": "OperationOutcome", "issue": [entry]}


def fhir_exception_handler(exc, context):
    if isinstance(exc, RequestRejected):  # every problem found, one issue each, naming its Bundle entry
        issues = [wire.problem_issue(problem) for problem in exc.problems[:100]]
        first = str(exc.problems[0].code) if exc.problems else str(exc.code)
        status_code = 400 if str(exc.code) == "entry_failed" and first not in ("version_conflict",) \
            else wire.http_status(first)
        if first == "version_conflict":
            status_code = 412
        summary = wire.issue(str(exc.code), exc.message)
        return Response(wire.outcome([summary, *issues] if len(issues) > 0 else [summary]), status=status_code)
    response = api_exception_handler(exc, context)
    if response is None:
        return None
    body = response.data
    issue, http_status = ISSUE_CODES.get(body["code"]) or wire.ISSUE_TYPES.get(body["code"], ("invalid", None))
    parameter = body["extra"].get("parameter")
    if body["extra"].get("missing"):
        issue = "required"
    if response.status_code >= 500:
        issue = "exception"
    response.data = operation_outcome(body["code"], body["message"], issue=issue,
                                      expression=[parameter] if parameter else None)
    if http_status:
        response.status_code = http_status
    return response


class FhirView(APIView):
    """Token or session authentication (settings), authenticated users only, FHIR JSON in and out."""

    renderer_classes = [FhirJsonRenderer]
    parser_classes = [FhirJsonParser, JSONParser]
    content_negotiation_class = AlwaysFhirJson
    schema = None  # not part of the REST API's OpenAPI document

    def get_exception_handler(self):
        return fhir_exception_handler


def whole_number(params, name: str, default, *, code, minimum: int = 0):
    """An integer query parameter (`_count`, `_offset`, …) at least `minimum`; absent → `default`;
    anything else → BusinessError(`code`) naming the parameter."""
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise BusinessError(code, parameter=name) from None
    if value < minimum:
        raise BusinessError(code, parameter=name)
    return value


def fhir_response(resource: dict, status_code: int = status.HTTP_200_OK) -> Response:
    return Response(resource, status=status_code)

"""Reading a FHIR JSON request body safely: size cap before reading, XML refused, depth limited.

The records endpoints read the body themselves rather than through DRF's parser, so a 50 MB Bundle is
refused from its Content-Length (or after FHIR_MAX_BODY_BYTES + 1 bytes) without being held in memory,
and every refusal is an OperationOutcome in Chinese."""

import orjson
from django.conf import settings
from django.utils.translation import gettext as _

from weijian.core.errors import BusinessError
from weijian.records.errors import RecordsErrorCode as E

MAX_DEPTH = 64


def _depth_ok(node) -> bool:
    stack = [(node, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return False
        if isinstance(item, dict):
            stack.extend((value, depth + 1) for value in item.values() if isinstance(value, (dict, list)))
        elif isinstance(item, list):
            stack.extend((value, depth + 1) for value in item if isinstance(value, (dict, list)))
    return True


def read_json(request) -> tuple[object, bytes]:
    """(parsed JSON, raw bytes) of the request body, or a BusinessError naming what is wrong."""
    django_request = getattr(request, "_request", request)
    limit = settings.FHIR_MAX_BODY_BYTES
    content_type = (django_request.content_type or "").lower()
    if "xml" in content_type:
        raise BusinessError(E.NOT_JSON)
    try:
        declared = int(django_request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    megabytes = {"limit": limit // (1024 * 1024)}
    if declared > limit:
        raise BusinessError(E.TOO_LARGE, _("请求体过大（上限 %(limit)s MB）；大批量数据请用批量 NDJSON 上传") % megabytes)
    raw = django_request.read(limit + 1)
    if len(raw) > limit:
        raise BusinessError(E.TOO_LARGE, _("请求体过大（上限 %(limit)s MB）；大批量数据请用批量 NDJSON 上传") % megabytes)
    if raw.lstrip()[:1] == b"<":
        raise BusinessError(E.NOT_JSON)
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if "recursion" in str(exc).lower():
            raise BusinessError(E.TOO_DEEP) from None
        raise BusinessError(E.JSON_MALFORMED, _("请求体不是合法的 JSON：%(reason)s") % {"reason": str(exc)[:120]}) from None
    if not _depth_ok(parsed):
        raise BusinessError(E.TOO_DEEP, _("JSON 嵌套层级过深（上限 %(depth)s 层）") % {"depth": MAX_DEPTH})
    return parsed, raw

"""The FHIR R4 record endpoints: CRUD, search, history, Bundles, Patient/$everything.

Thin: parse the request, call one service or selector of `weijian.records`, render. Stored resources are
sent as their stored JSON text (no parse and re-serialise), and search Bundles are assembled as text."""

from urllib.parse import urlencode

from django.http import HttpResponse
from django.utils.dateparse import parse_datetime

from weijian.api.fhir.body import read_json
from weijian.api.fhir.outcome import FHIR_JSON, FhirView, whole_number
from weijian.core.errors import BusinessError
from weijian.records import selectors, services, store
from weijian.records.errors import RecordsErrorCode as E
from weijian.records.searchparams import SUPPORTED_TYPES, date_range

DEFAULT_EVERYTHING_COUNT, MAX_EVERYTHING_COUNT = 100, 1000


def _json(text: str, status: int = 200, headers: dict | None = None) -> HttpResponse:
    response = HttpResponse(text.encode(), status=status, content_type=f"{FHIR_JSON}; charset=utf-8")
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _version_headers(type_, fhir_id, version, updated, base) -> dict:
    from django.utils.http import http_date

    return {"ETag": f'W/"{version}"', "Last-Modified": http_date(updated.timestamp()),
            "Location": f"{base}{type_}/{fhir_id}/_history/{version}"}


def _base(request) -> str:
    return request.build_absolute_uri("/fhir/")


def _prefer_minimal(request) -> bool:
    return "return=minimal" in request.META.get("HTTP_PREFER", "")


def _check_type(type_: str) -> None:
    if type_ not in SUPPORTED_TYPES:
        raise BusinessError(E.TYPE_UNSUPPORTED, type=type_[:40])


def _write_response(request, outcome: store.Outcome, created_status: int = 201):
    base = _base(request)
    headers = _version_headers(outcome.type, outcome.fhir_id, outcome.version, outcome.updated, base)
    status = created_status if outcome.status == "created" else 200
    if _prefer_minimal(request):
        return _json("", status, headers)
    # An unchanged or existing resource comes back without its content: read it as stored.
    content = outcome.content or selectors.resource_read_any(request.user, outcome.type, outcome.fhir_id).content
    return _json(store.reveal(content), status, headers)


def _bundle_text(kind: str, entries: list[tuple[str, str, str]], *, total=None, links=()) -> str:
    """A searchset/history Bundle as text; entries are (fullUrl, resource JSON text, extra entry JSON)."""
    import uuid

    import orjson

    head = {"resourceType": "Bundle", "id": str(uuid.uuid4()), "type": kind}
    if total is not None:
        head["total"] = total
    if links:
        head["link"] = [{"relation": relation, "url": url} for relation, url in links]
    parts = []
    for full_url, resource, extra in entries:
        body = f'{{"fullUrl":{orjson.dumps(full_url).decode()},"resource":{resource}'
        parts.append(body + (f",{extra}" if extra else "") + "}")
    text = orjson.dumps(head).decode()
    return text[:-1] + ',"entry":[' + ",".join(parts) + "]}"


def _whole_number(params, name: str, default: int, *, minimum: int) -> int:
    return whole_number(params, name, default, code=E.SEARCH_VALUE_INVALID, minimum=minimum)


def _if_match(request) -> int | None:
    return services.parse_if_match(request.META.get("HTTP_IF_MATCH"))


class TypeView(FhirView):
    """GET /fhir/<Type>: search. POST /fhir/<Type>: create (If-None-Exist for a conditional create)."""

    def get(self, request, type_):
        _check_type(type_)
        params = [(k, v) for k, values in request.query_params.lists() for v in values]
        page = selectors.resource_search(request.user, type_, params)
        base = _base(request)
        kept = [(k, v) for k, v in params if k != "_offset"]

        def link(offset):
            return f"{base}{type_}?{urlencode([*kept, ('_offset', offset)])}"

        links = [("self", link(page.offset))]
        if page.has_next:
            links.append(("next", link(page.offset + page.count)))
        if page.offset > 0:
            links.append(("previous", link(max(0, page.offset - page.count))))
        entries = [(f"{base}{r.type}/{r.fhir_id}", store.reveal(r.content), '"search":{"mode":"match"}')
                   for r in page.rows]
        entries += [(f"{base}{r.type}/{r.fhir_id}", store.reveal(r.content), '"search":{"mode":"include"}')
                    for r in page.included]
        return _json(_bundle_text("searchset", entries, total=page.total, links=links))

    def post(self, request, type_):
        _check_type(type_)
        resource, _raw = read_json(request)
        condition = request.META.get("HTTP_IF_NONE_EXIST", "")
        ids = selectors.matching_ids(request.user, type_, condition) if condition else None
        if isinstance(resource, dict) and resource.get("resourceType") not in (None, type_):
            raise BusinessError(E.TYPE_MISMATCH)
        outcome = services.resource_create(actor=request.user, resource=resource, if_none_exist_ids=ids)
        return _write_response(request, outcome)


class InstanceView(FhirView):
    """GET (read), PUT (update, If-Match → 412 on a stale version) and DELETE of /fhir/<Type>/<id>."""

    def get(self, request, type_, fhir_id):
        row = selectors.resource_read(request.user, type_, fhir_id)
        return _json(store.reveal(row.content), 200,
                     _version_headers(type_, fhir_id, row.version, row.updated, _base(request)))

    def put(self, request, type_, fhir_id):
        _check_type(type_)
        resource, _raw = read_json(request)
        outcome = services.resource_update(actor=request.user, type_=type_, fhir_id=fhir_id, resource=resource,
                                           if_match=_if_match(request))
        return _write_response(request, outcome)

    def delete(self, request, type_, fhir_id):
        _check_type(type_)
        outcome = services.resource_delete(actor=request.user, type_=type_, fhir_id=fhir_id)
        return _json("", 204, {"ETag": f'W/"{outcome.version}"'} if outcome.version else {})


class HistoryView(FhirView):
    def get(self, request, type_, fhir_id):
        count = min(_whole_number(request.query_params, "_count", 50, minimum=1), 500)
        offset = _whole_number(request.query_params, "_offset", 0, minimum=0)
        total, versions = selectors.resource_history(request.user, type_, fhir_id, count=count, offset=offset)
        base = _base(request)
        entries = []
        for v in versions:
            request_json = f'"request":{{"method":"{v.method}","url":"{type_}/{fhir_id}"}}'
            response_json = f'"response":{{"status":"{204 if v.deleted else 200}","etag":"W/\\"{v.version}\\""}}'
            resource = store.reveal(v.content) if v.content and not v.deleted else "null"
            entries.append((f"{base}{type_}/{fhir_id}/_history/{v.version}", resource,
                            f"{request_json},{response_json}"))
        text = _bundle_text("history", entries, total=total)
        return _json(text.replace(',"resource":null', ""))


class VersionView(FhirView):
    def get(self, request, type_, fhir_id, version):
        found = selectors.resource_vread(request.user, type_, fhir_id, int(version))
        return _json(store.reveal(found.content), 200,
                     _version_headers(type_, fhir_id, found.version, found.updated, _base(request)))


class EverythingView(FhirView):
    """Patient/<id>/$everything with _since, _type, _count and keyset paging (`_cursor` in the next link)."""

    def get(self, request, fhir_id):
        params = request.query_params
        since = None
        if params.get("_since"):
            extent = date_range(params["_since"]) or (None,)
            since = extent[0] or parse_datetime(params["_since"])
            if since is None:
                raise BusinessError(E.SEARCH_VALUE_INVALID, parameter="_since")
        types = [t for value in params.getlist("_type") for t in value.split(",") if t]
        for type_ in types:
            _check_type(type_)
        count = _whole_number(params, "_count", DEFAULT_EVERYTHING_COUNT, minimum=1)
        count = min(count, MAX_EVERYTHING_COUNT)
        cursor = _whole_number(params, "_cursor", 0, minimum=0)
        page = selectors.patient_everything(request.user, fhir_id, since=since, types=types or None, count=count,
                                            cursor=cursor)
        base = _base(request)
        kept = [(k, v) for k in params for v in params.getlist(k) if k != "_cursor"]
        links = [("self", f"{base}Patient/{fhir_id}/$everything?{urlencode([*kept, ('_cursor', cursor)])}")]
        if page.next_cursor is not None:
            links.append(("next", f"{base}Patient/{fhir_id}/$everything?"
                                  f"{urlencode([*kept, ('_cursor', page.next_cursor)])}"))
        entries = [(f"{base}{r.type}/{r.fhir_id}", store.reveal(r.content), '"search":{"mode":"match"}')
                   for r in page.rows]
        return _json(_bundle_text("searchset", entries, links=links))


class BundleView(FhirView):
    """POST /fhir/ with a transaction or batch Bundle."""

    def post(self, request):
        bundle, raw = read_json(request)
        response, _upload = services.bundle_submit(
            actor=request.user, bundle=bundle, body=raw,
            conditional=lambda type_, query: selectors.matching_ids(request.user, type_, query))
        import orjson

        return _json(orjson.dumps(response).decode())

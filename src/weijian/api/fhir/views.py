"""The FHIR terminology endpoints: thin views that parse parameters, check `view` on the terminology
entity, call one selector or operation and render FHIR JSON."""

from urllib.parse import urlencode

from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from rest_framework.permissions import AllowAny

from weijian.accounts.access import access_object, require
from weijian.api.fhir import resources
from weijian.api.fhir.outcome import FhirView, fhir_response, whole_number
from weijian.core.errors import BusinessError
from weijian.terminology import operations, selectors
from weijian.terminology.errors import TerminologyErrorCode as E
from weijian.terminology.models import ValueSet

CODE_SYSTEM, VALUE_SET, CONCEPT_MAP = "terminology-code-system", "terminology-value-set", "terminology-concept-map"
DEFAULT_COUNT, MAX_COUNT = 20, 200


def _required(params: dict, name: str, code: E = E.URL_INVALID) -> str:
    """A required operation parameter; missing → `required` issue naming it (message from the error code)."""
    value = (params.get(name) or "").strip()
    if not value:
        raise BusinessError(code, parameter=name, missing=True)
    return value


def _integer(params: dict, name: str, default):
    return whole_number(params, name, default, code=E.PAGING_INVALID)


class _OperationView(FhirView):
    """GET with query parameters, or POST with a `Parameters` body."""

    entity = ""

    def params(self, request) -> dict:
        body = request.data if request.method == "POST" else None
        return resources.parameters_in(request.query_params, body)

    def get(self, request, **kwargs):
        require(request.user, self.entity, "view")
        return fhir_response(self.run(request, self.params(request), **kwargs))

    def post(self, request, **kwargs):
        return self.get(request, **kwargs)

    def run(self, request, params: dict, **kwargs) -> dict:
        raise NotImplementedError


# ---- metadata -----------------------------------------------------------------------------------------

def _resource_capability(type_: str, operations_: list[tuple[str, str]]) -> dict:
    return {
        "type": type_,
        "profile": f"http://hl7.org/fhir/StructureDefinition/{type_}",
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": [{"name": "url", "type": "uri"}, {"name": "name", "type": "string"},
                        {"name": "_count", "type": "number"}],
        "operation": [{"name": name, "definition": f"http://hl7.org/fhir/OperationDefinition/{definition}"}
                      for name, definition in operations_],
    }


class MetadataView(FhirView):
    """The CapabilityStatement; public, as clients read it before they authenticate."""

    permission_classes = [AllowAny]
    authentication_classes = []

    def get(self, request):
        return fhir_response({
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": timezone.now().date().isoformat(),
            "publisher": "Weijian",
            "kind": "instance",
            "software": {"name": "Weijian"},
            "implementation": {"description": "卫健平台 FHIR 术语服务",
                               "url": request.build_absolute_uri(reverse("fhir:metadata")).removesuffix("metadata")},
            "fhirVersion": "4.0.1",
            "format": ["json"],
            "rest": [{
                "mode": "server",
                "security": {"description": "Authorization: Bearer <token>（weijian issue-token）或已登录会话"},
                "resource": [
                    _resource_capability("CodeSystem", [("lookup", "CodeSystem-lookup"),
                                                        ("validate-code", "CodeSystem-validate-code"),
                                                        ("subsumes", "CodeSystem-subsumes")]),
                    _resource_capability("ValueSet", [("expand", "ValueSet-expand"),
                                                      ("validate-code", "ValueSet-validate-code")]),
                    _resource_capability("ConceptMap", [("translate", "ConceptMap-translate")]),
                ],
            }],
        })


# ---- read and search ----------------------------------------------------------------------------------

class _ResourceView(FhirView):
    entity = ""
    resource_type = ""

    def queryset(self, actor):
        raise NotImplementedError

    def render(self, obj) -> dict:
        raise NotImplementedError


class _SearchView(_ResourceView):
    def get(self, request):
        require(request.user, self.entity, "view")
        params = request.query_params
        qs = self.queryset(request.user)
        if params.get("url"):
            qs = qs.filter(url=params["url"])
        if params.get("version"):
            qs = qs.filter(version=params["version"])
        if params.get("name"):
            qs = qs.filter(name__istartswith=params["name"])
        count = min(_integer(params, "_count", DEFAULT_COUNT), MAX_COUNT)
        offset = _integer(params, "_offset", 0)
        qs = qs.order_by("url", "version", "pk")
        total = qs.count()
        page = list(qs[offset:offset + count])
        base = request.build_absolute_uri(request.path)

        def link(new_offset: int) -> str:
            query = {k: v for k, v in params.items() if k not in ("_offset", "_count")}
            return f"{base}?{urlencode({**query, '_count': count, '_offset': new_offset})}"

        links = [{"relation": "self", "url": link(offset)}]
        if offset + count < total:
            links.append({"relation": "next", "url": link(offset + count)})
        if offset > 0:
            links.append({"relation": "previous", "url": link(max(offset - count, 0))})
        return fhir_response({
            "resourceType": "Bundle",
            "type": "searchset",
            "total": total,
            "link": links,
            "entry": [{"fullUrl": f"{base}/{obj.pk}", "resource": self.render(obj),
                       "search": {"mode": "match"}} for obj in page],
        })


class _ReadView(_ResourceView):
    def get(self, request, pk: int):
        require(request.user, self.entity, "view")
        return fhir_response(self.render(self.fetch(request.user, pk)))

    def fetch(self, actor, pk):
        raise NotImplementedError


class _CodeSystemMixin:
    entity, resource_type = CODE_SYSTEM, "CodeSystem"

    def queryset(self, actor):
        return selectors.code_system_list(actor=actor)

    def fetch(self, actor, pk):
        return selectors.code_system_get(actor=actor, pk=pk)

    def render(self, obj):
        return resources.code_system_resource(obj)


class _ValueSetMixin:
    entity, resource_type = VALUE_SET, "ValueSet"

    def queryset(self, actor):
        return selectors.value_set_list(actor=actor)

    def fetch(self, actor, pk):
        return access_object(actor, ValueSet, pk)

    def render(self, obj):
        return resources.value_set_resource(obj)


class _ConceptMapMixin:
    entity, resource_type = CONCEPT_MAP, "ConceptMap"

    def queryset(self, actor):
        return selectors.concept_map_list(actor=actor)

    def fetch(self, actor, pk):
        return selectors.concept_map_get(actor=actor, pk=pk)

    def render(self, obj):
        return resources.concept_map_resource(obj)


class CodeSystemSearchView(_CodeSystemMixin, _SearchView):
    pass


class CodeSystemReadView(_CodeSystemMixin, _ReadView):
    pass


class ValueSetSearchView(_ValueSetMixin, _SearchView):
    pass


class ValueSetReadView(_ValueSetMixin, _ReadView):
    pass


class ConceptMapSearchView(_ConceptMapMixin, _SearchView):
    pass


class ConceptMapReadView(_ConceptMapMixin, _ReadView):
    pass


# ---- operations ---------------------------------------------------------------------------------------

class CodeSystemLookupView(_OperationView):
    entity = CODE_SYSTEM

    def run(self, request, params, **kwargs):
        system = _required(params, "system")
        code = _required(params, "code", E.CODE_REQUIRED)
        found = operations.lookup(system, code, params.get("version") or None)
        properties = [("property", "part", [("code", "valueCode", "parent"), ("value", "valueCode", parent)])
                      for parent in found["parent"]]
        properties += [("property", "part", [("code", "valueCode", "child"), ("value", "valueCode", child)])
                       for child in found["child"]]
        if not found["is_active"]:
            properties.append(("property", "part", [("code", "valueCode", "inactive"),
                                                    ("value", "valueBoolean", True)]))
        return resources.parameters_out(
            ("name", "valueString", found["name"]),
            ("version", "valueString", found["version"] or None),
            ("display", "valueString", found["display"]),
            ("definition", "valueString", found["definition"] or None),
            *properties,
        )


def _code_system_target(request, params: dict, pk, system_parameter: str):
    """(url, version, row): the instance's code system, or the canonical URL in `system_parameter` (falling
    back to `system`, which a `coding` fills) and `version` from the parameters."""
    if pk is not None:
        code_system = selectors.code_system_get(actor=request.user, pk=pk)
        return code_system.url, code_system.version, code_system
    if not (params.get(system_parameter) or "").strip() and (params.get("system") or "").strip():
        return params["system"].strip(), params.get("version") or "", None
    return _required(params, system_parameter), params.get("version") or "", None


class CodeSystemValidateCodeView(_OperationView):
    """CodeSystem/$validate-code: `url` (or a `coding`'s system), `code`, `version`, `display`."""

    entity = CODE_SYSTEM

    def run(self, request, params, pk=None):
        url, version, code_system = _code_system_target(request, params, pk, "url")
        code = _required(params, "code", E.CODE_REQUIRED)
        result = operations.code_system_validate_code(code=code, system=url, version=version,
                                                      display=params.get("display") or None,
                                                      code_system=code_system)
        return resources.parameters_out(
            ("result", "valueBoolean", result["result"]),
            ("message", "valueString", result["message"] or None),
            ("display", "valueString", result["display"] or None),
        )


class CodeSystemSubsumesView(_OperationView):
    """CodeSystem/$subsumes: `codeA`, `codeB`, `system`, `version` (or `codingA`/`codingB`, of one system)."""

    entity = CODE_SYSTEM

    def run(self, request, params, pk=None):
        coded = {s.strip() for s in (params.get("systemA"), params.get("systemB")) if s and s.strip()}
        if len(coded) > 1:
            raise BusinessError(E.SYSTEMS_DIFFER, parameter="codingB")
        if coded and not (params.get("system") or "").strip():
            params = {**params, "system": next(iter(coded))}
        url, version, code_system = _code_system_target(request, params, pk, "system")
        if coded and coded != {url}:
            raise BusinessError(E.SYSTEMS_DIFFER, parameter="codingA")
        code_a = _required(params, "codeA", E.CODE_REQUIRED)
        code_b = _required(params, "codeB", E.CODE_REQUIRED)
        result = operations.subsumes(code_a=code_a, code_b=code_b, system=url, version=version,
                                     code_system=code_system)
        return resources.parameters_out(("outcome", "valueCode", result["outcome"]))


class ValueSetExpandView(_OperationView):
    entity = VALUE_SET

    def run(self, request, params, pk=None):
        if pk is not None:
            value_set = access_object(request.user, ValueSet, pk)
            url, version = value_set.url, value_set.version
        else:
            url, version = _required(params, "url"), params.get("valueSetVersion") or ""
        text_filter = params.get("filter") or None
        offset, count = _integer(params, "offset", 0), _integer(params, "count", None)
        expansion = operations.expand(url, filter=text_filter, offset=offset, count=count, version=version)
        if pk is None:
            value_set = (selectors.value_set_list(actor=request.user)
                         .filter(url=expansion["url"], version=expansion["version"]).first())
            if value_set is None:
                raise BusinessError(E.VALUE_SET_NOT_FOUND)
        resource = resources.value_set_resource(value_set)
        resource.pop("compose")
        parameters = [{"name": "offset", "valueInteger": offset}]
        if text_filter:
            parameters.append({"name": "filter", "valueString": text_filter})
        if count is not None:
            parameters.append({"name": "count", "valueInteger": count})
        resource["expansion"] = {
            "timestamp": timezone.now().isoformat(),
            "total": expansion["total"],
            "offset": expansion["offset"],
            "parameter": parameters,
            "contains": [{k: v for k, v in item.items() if v} for item in expansion["contains"]],
        }
        return resource


class ValueSetValidateCodeView(_OperationView):
    entity = VALUE_SET

    def run(self, request, params, pk=None):
        if pk is not None:
            value_set = access_object(request.user, ValueSet, pk)
            url, version = value_set.url, value_set.version
        else:
            url, version = params.get("url") or "", params.get("valueSetVersion") or ""
            if not url:
                _required(params, "system")
        code = _required(params, "code", E.CODE_REQUIRED)
        result = operations.validate_code(code=code, valueset_url=url or None, system=params.get("system") or None,
                                          display=params.get("display") or None, version=version)
        return resources.parameters_out(
            ("result", "valueBoolean", result["result"]),
            ("message", "valueString", result["message"] or None),
            ("display", "valueString", result["display"] or None),
        )


class ConceptMapTranslateView(_OperationView):
    entity = CONCEPT_MAP

    def run(self, request, params, pk=None):
        if pk is not None:
            url = selectors.concept_map_get(actor=request.user, pk=pk).url
        else:
            url = params.get("url") or ""
            if not url:
                _required(params, "system")
                _required(params, "targetsystem")
        code = _required(params, "code", E.CODE_REQUIRED)
        result = operations.translate(code=code, concept_map_url=url or None, source_system=params.get("system"),
                                      target_system=params.get("targetsystem"))
        matches = []
        for match in result["matches"]:
            concept = ({"system": match["system"], "code": match["code"], "display": match["display"]}
                       if match["code"] else None)
            matches.append(("match", "part", [("equivalence", "valueCode", match["equivalence"]),
                                              ("concept", "valueCoding", concept),
                                              ("source", "valueUri", match["source"])]))
        return resources.parameters_out(
            ("result", "valueBoolean", result["result"]),
            ("message", "valueString", result["message"] or None),
            *matches,
        )


class NotFoundView(FhirView):
    """Any other path under /fhir/: 404 OperationOutcome (after authentication)."""

    def _missing(self, request, *args, **kwargs):
        raise Http404

    get = post = put = patch = delete = _missing

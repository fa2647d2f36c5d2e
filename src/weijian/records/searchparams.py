"""The search parameters the store indexes, and their extraction from a resource (pure, no database).

Each parameter names the elements it reads with a small path language: dotted element names, where a
choice element's name (`CHOICE_ELEMENTS`) picks whichever type was sent (`effective` →
`effectiveDateTime`/`effectivePeriod`).
Extraction turns a resource into index rows: tokens (system, code), strings (normalised), dates (the
low/high instants a value covers, so `ge`/`lt` compare ranges as the FHIR spec says) and references.
"""

import calendar
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

# Dates without a zone are read as China Standard Time (the platform's sources are all in it).
CST = timezone(timedelta(hours=8))
MIN_DATE = datetime(1, 1, 2, tzinfo=UTC)
MAX_DATE = datetime(9999, 12, 30, tzinfo=UTC)


@dataclass(frozen=True)
class SearchParam:
    name: str
    type: str  # token | string | date | reference
    paths: tuple[str, ...]
    targets: tuple[str, ...] = ()  # reference parameters: the resource types they may point at


def _p(name, type_, *paths, targets=()):
    return SearchParam(name, type_, tuple(paths), tuple(targets))


_PATIENT = ("Patient",)
_CLINICAL = ("Patient", "Practitioner", "Organization", "Encounter")


def _subject(*, encounter=True, date_paths=()):
    params = [_p("subject", "reference", "subject", targets=_PATIENT),
              _p("patient", "reference", "subject", targets=_PATIENT)]
    if encounter:
        params.append(_p("encounter", "reference", "encounter", targets=("Encounter",)))
    if date_paths:
        params.append(_p("date", "date", *date_paths))
    return params


PARAMS_LIST: dict[str, list[SearchParam]] = {
    "Patient": [
        _p("identifier", "token", "identifier"), _p("name", "string", "name"),
        _p("family", "string", "name.family"), _p("given", "string", "name.given"),
        _p("gender", "token", "gender"), _p("birthdate", "date", "birthDate"),
        _p("telecom", "token", "telecom"), _p("phone", "token", "telecom"),
        _p("address", "string", "address"), _p("address-city", "string", "address.city"),
        _p("organization", "reference", "managingOrganization", targets=("Organization",)),
        _p("active", "token", "active"),
    ],
    "Practitioner": [_p("identifier", "token", "identifier"), _p("name", "string", "name"),
                     _p("family", "string", "name.family"), _p("gender", "token", "gender")],
    "Organization": [_p("identifier", "token", "identifier"), _p("name", "string", "name", "alias"),
                     _p("type", "token", "type"), _p("partof", "reference", "partOf", targets=("Organization",))],
    "Encounter": [*_subject(encounter=False, date_paths=("period",)),
                  _p("class", "token", "class"), _p("type", "token", "type"), _p("status", "token", "status"),
                  _p("identifier", "token", "identifier"),
                  _p("service-provider", "reference", "serviceProvider", targets=("Organization",)),
                  _p("participant", "reference", "participant.individual", targets=("Practitioner",)),
                  _p("reason-code", "token", "reasonCode")],
    "Condition": [*_subject(date_paths=("onset",)), _p("code", "token", "code"),
                  _p("clinical-status", "token", "clinicalStatus"), _p("category", "token", "category"),
                  _p("onset-date", "date", "onset"), _p("recorded-date", "date", "recordedDate")],
    "Observation": [*_subject(date_paths=("effective",)), _p("code", "token", "code"),
                    _p("category", "token", "category"), _p("status", "token", "status"),
                    _p("performer", "reference", "performer", targets=("Practitioner", "Organization")),
                    _p("value-concept", "token", "value")],
    "Procedure": [*_subject(date_paths=("performed",)), _p("code", "token", "code"), _p("status", "token", "status")],
    "MedicationRequest": [*_subject(date_paths=("authoredOn",)), _p("code", "token", "medication"),
                          _p("authoredon", "date", "authoredOn"), _p("status", "token", "status"),
                          _p("intent", "token", "intent")],
    "MedicationDispense": [*_subject(encounter=False, date_paths=("whenHandedOver",)),
                           _p("code", "token", "medication"), _p("status", "token", "status"),
                           _p("whenhandedover", "date", "whenHandedOver"),
                           _p("prescription", "reference", "authorizingPrescription",
                              targets=("MedicationRequest",))],
    "Immunization": [_p("patient", "reference", "patient", targets=_PATIENT),
                     _p("date", "date", "occurrence"), _p("vaccine-code", "token", "vaccineCode"),
                     _p("status", "token", "status"), _p("lot-number", "string", "lotNumber"),
                     _p("performer", "reference", "performer.actor", targets=("Practitioner", "Organization"))],
    "AllergyIntolerance": [_p("patient", "reference", "patient", targets=_PATIENT),
                           _p("code", "token", "code"), _p("date", "date", "recordedDate"),
                           _p("clinical-status", "token", "clinicalStatus"), _p("criticality", "token", "criticality")],
    "DiagnosticReport": [*_subject(date_paths=("effective",)), _p("code", "token", "code"),
                         _p("category", "token", "category"), _p("status", "token", "status"),
                         _p("result", "reference", "result", targets=("Observation",)),
                         _p("issued", "date", "issued")],
    "ImagingStudy": [*_subject(date_paths=()), _p("started", "date", "started"),
                     _p("modality", "token", "modality"), _p("identifier", "token", "identifier"),
                     _p("status", "token", "status")],
    "DocumentReference": [*_subject(encounter=False), _p("date", "date", "date"), _p("type", "token", "type"),
                          _p("category", "token", "category"), _p("status", "token", "status"),
                          _p("encounter", "reference", "context.encounter", targets=("Encounter",))],
    "CarePlan": [*_subject(date_paths=("period",)), _p("category", "token", "category"),
                 _p("status", "token", "status")],
    "Provenance": [_p("target", "reference", "target", targets=()), _p("recorded", "date", "recorded"),
                   _p("agent", "reference", "agent.who", targets=("Practitioner", "Organization", "Patient")),
                   _p("patient", "reference", "target", targets=_PATIENT)],
}

PARAMS: dict[str, dict[str, SearchParam]] = {
    type_: {param.name: param for param in params} for type_, params in PARAMS_LIST.items()}
SUPPORTED_TYPES = tuple(PARAMS)
# Which reference puts a resource into a Patient's compartment (the first Patient reference found).
COMPARTMENT = {type_: next((p.paths[0] for p in params if p.name in ("patient", "subject")), None)
               for type_, params in PARAMS_LIST.items()}
COMPARTMENT["Patient"] = None


# The FHIR choice elements ("effective[x]") the paths above name; only these are looked for by prefix, so
# that a plain element left out (`status`) never picks up a longer one (`statusReason`).
CHOICE_ELEMENTS = frozenset({"effective", "onset", "performed", "medication", "value", "occurrence"})


@dataclass
class IndexRows:
    tokens: list[tuple[str, str, str]] = field(default_factory=list)  # (param, system, code)
    strings: list[tuple[str, str]] = field(default_factory=list)  # (param, normalised value)
    dates: list[tuple[str, datetime, datetime]] = field(default_factory=list)  # (param, low, high)
    references: list[tuple[str, str, str]] = field(default_factory=list)  # (param, type, id)


def values(node, path: str) -> list:
    """The values at `path` (dotted) in a resource, lists flattened, choice elements resolved."""
    current = [node]
    for step in path.split("."):
        found = []
        choice = step in CHOICE_ELEMENTS
        for item in current:
            if not isinstance(item, dict):
                continue
            value = item.get(step)
            if value is None and choice:  # a choice element: step + an upper-case type name
                for key, candidate in item.items():
                    if key.startswith(step) and len(key) > len(step) and key[len(step)].isupper():
                        value = {"__choice__": key[len(step):], "value": candidate}
                        break
            if value is None:
                continue
            if isinstance(value, list):
                found.extend(value)
            else:
                found.append(value)
        current = found
    return current


def _unchoice(value):
    if isinstance(value, dict) and "__choice__" in value:
        return value["value"]
    return value


def normalise(text: str) -> str:
    return " ".join(str(text).split()).lower()[:255]


def tokens_of(value) -> list[tuple[str, str]]:
    value = _unchoice(value)
    if isinstance(value, bool):
        return [("", "true" if value else "false")]
    if isinstance(value, str):
        return [("", value)]
    if not isinstance(value, dict):
        return []
    if "coding" in value:
        return [(c.get("system", ""), c["code"]) for c in value["coding"] if isinstance(c, dict) and c.get("code")]
    if "code" in value and isinstance(value["code"], str):  # Coding
        return [(value.get("system", ""), value["code"])]
    if "value" in value and isinstance(value["value"], str):  # Identifier, ContactPoint
        return [(value.get("system", ""), value["value"])]
    return []


def strings_of(value) -> list[str]:
    value = _unchoice(value)
    if isinstance(value, str):
        return [value]
    if not isinstance(value, dict):
        return []
    found = []
    for key in ("text", "family", "city", "district", "state", "postalCode", "country"):
        if isinstance(value.get(key), str):
            found.append(value[key])
    for key in ("given", "line", "prefix"):
        found.extend(item for item in value.get(key, []) if isinstance(item, str))
    if value.get("family") and value.get("given"):  # Chinese names are written family + given, no space
        found.append(value["family"] + "".join(value["given"]))
    return found


_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$")


_ZONES: dict[str, timezone] = {}


def _zone(text: str) -> timezone:
    """"+08:00" → a fixed offset (cached: a million resources share a handful of zones)."""
    if text not in _ZONES:
        sign = -1 if text[0] == "-" else 1
        _ZONES[text] = timezone(sign * timedelta(hours=int(text[1:3]), minutes=int(text[4:6])))
    return _ZONES[text]


def date_range(text: str) -> tuple[datetime, datetime] | None:
    """The instants a FHIR date/dateTime/instant covers: "2024-03" is the whole of March (CST when no zone)."""
    match = _DATE.match(text.strip()) if isinstance(text, str) else None
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        if hour is not None:
            tz = CST if zone is None else (UTC if zone == "Z" else _zone(zone))
            low = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0),
                           int(float(fraction) * 1_000_000) if fraction else 0, tzinfo=tz)
            high = low if second is not None else low + timedelta(minutes=1) - timedelta(microseconds=1)
            return low.astimezone(UTC), high.astimezone(UTC)
        if day is not None:
            low = datetime(int(year), int(month), int(day), tzinfo=CST)
            return low.astimezone(UTC), (low + timedelta(days=1) - timedelta(microseconds=1)).astimezone(UTC)
        if month is not None:
            last = calendar.monthrange(int(year), int(month))[1]
            low = datetime(int(year), int(month), 1, tzinfo=CST)
            high = datetime(int(year), int(month), last, tzinfo=CST) + timedelta(days=1) - timedelta(microseconds=1)
            return low.astimezone(UTC), high.astimezone(UTC)
        low = datetime(int(year), 1, 1, tzinfo=CST)
        return low.astimezone(UTC), (datetime(int(year) + 1, 1, 1, tzinfo=CST)
                                     - timedelta(microseconds=1)).astimezone(UTC)
    except ValueError:
        return None


def dates_of(value) -> list[tuple[datetime, datetime]]:
    value = _unchoice(value)
    if isinstance(value, str):
        extent = date_range(value)
        return [extent] if extent else []
    if isinstance(value, dict) and ("start" in value or "end" in value):  # Period
        start = date_range(value["start"]) if value.get("start") else None
        end = date_range(value["end"]) if value.get("end") else None
        return [(start[0] if start else MIN_DATE, end[1] if end else MAX_DATE)]
    return []


def reference_of(value) -> tuple[str, str] | None:
    value = _unchoice(value)
    ref = value.get("reference") if isinstance(value, dict) else None
    if not isinstance(ref, str) or ref.startswith("#") or "://" in ref or ref.startswith("urn:"):
        return None
    parts = ref.split("/")
    if len(parts) == 4 and parts[2] == "_history":
        parts = parts[:2]
    if len(parts) != 2 or not parts[0] or not parts[1]:
        return None
    return parts[0], parts[1]


def extract(resource: dict) -> IndexRows:
    rows = IndexRows()
    tokens, strings, dates, references = rows.tokens, rows.strings, rows.dates, rows.references
    found: dict[str, list] = {}  # path → values: `subject` and `patient` read the same element
    for param in PARAMS_LIST.get(resource["resourceType"], ()):
        name, kind = param.name, param.type
        for path in param.paths:
            at = found.get(path)
            if at is None:
                at = found[path] = values(resource, path)
            for value in at:
                if kind == "token":
                    tokens.extend((name, s[:255], c[:255]) for s, c in tokens_of(value))
                elif kind == "reference":
                    ref = reference_of(value)
                    if ref and (not param.targets or ref[0] in param.targets):
                        references.append((name, *ref))
                elif kind == "date":
                    dates.extend((name, low, high) for low, high in dates_of(value))
                elif kind == "string":
                    strings.extend((name, normalise(s)) for s in strings_of(value) if s.strip())
    rows.tokens = list(dict.fromkeys(tokens))
    rows.strings = list(dict.fromkeys(strings))
    rows.references = list(dict.fromkeys(references))
    return rows


def patient_of(resource: dict) -> str:
    """The id of the Patient whose compartment holds the resource, or ""."""
    type_ = resource["resourceType"]
    if type_ == "Patient":
        return resource.get("id", "")
    path = COMPARTMENT.get(type_)
    if not path:
        return ""
    for value in values(resource, path):
        ref = reference_of(value)
        if ref and ref[0] == "Patient":
            return ref[1]
    return ""


def references_in(node, found: list | None = None) -> list[dict]:
    """Every Reference object (a dict with a string "reference") anywhere in a resource, to resolve or check."""
    found = [] if found is None else found
    if isinstance(node, dict):
        if isinstance(node.get("reference"), str):
            found.append(node)
        for key, value in node.items():
            if key != "contained":
                references_in(value, found)
    elif isinstance(node, list):
        for item in node:
            references_in(item, found)
    return found

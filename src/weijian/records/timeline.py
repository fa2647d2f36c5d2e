"""A resident's record as the clinician's pages show it: the timeline of one resident, and finding residents.

Reads of the store through the clinical gate (`accounts.access.clinical_filter`), each audited once with the
resident named. Resources are parsed here, not in templates: the header (name, gender, age, the masked ID
number, the sources' local identifiers), encounters with the diagnoses, measurements, procedures and
prescriptions linked to them, and one list per kind of content. Every item carries the institution that sent
it (`Resource.institution`), so a resident treated at two hospitals shows both, side by side.

The citizen ID number is decrypted only from the Patient resource and only to mask it; the full number never
leaves this module, and a search by ID number runs on its keyed blind index, never on the number.
"""

import datetime as dt
import re
from dataclasses import dataclass, field

import orjson
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from weijian.accounts.access import can, clinical_filter, clinical_patient_allowed
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_many, audit_record
from weijian.core.errors import NotFoundOrForbidden
from weijian.records import codes, store
from weijian.records.identity import BASE, CITIZEN_ID_SYSTEM
from weijian.records.models import Resource, Source, StringIndex, TokenIndex
from weijian.records.searchparams import date_range, normalise
from weijian.workforce.idnumber import mask_id_number

SEARCH_LIMIT = 50
ID_NUMBER = re.compile(r"^\d{17}[\dX]$")
LOCAL_PATIENT_SYSTEM = re.compile(r"^" + re.escape(BASE) + r"/sid/source/(?P<code>[^/]+)/patient$")
ENCOUNTER_TYPE_SYSTEM = f"{BASE}/CodeSystem/wj-encounter-type"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"

# Where each type keeps its clinical date (the first one present wins).
DATE_PATHS = {
    "Encounter": ("period.start", "period.end"),
    "Condition": ("onsetDateTime", "onsetPeriod.start", "recordedDate"),
    "Observation": ("effectiveDateTime", "effectivePeriod.start", "effectiveInstant", "issued"),
    "Procedure": ("performedDateTime", "performedPeriod.start"),
    "MedicationRequest": ("authoredOn",),
    "MedicationDispense": ("whenHandedOver", "whenPrepared"),
    "Immunization": ("occurrenceDateTime", "recorded"),
    "AllergyIntolerance": ("recordedDate", "onsetDateTime"),
    "DiagnosticReport": ("effectiveDateTime", "effectivePeriod.start", "issued"),
    "ImagingStudy": ("started",),
    "DocumentReference": ("date", "context.period.start"),
    "CarePlan": ("period.start", "created"),
}


def _labels() -> dict:
    """Chinese labels, looked up at call time so they follow the request's language."""
    return {
        "kinds": {
            "encounter": _("就诊"), "condition": _("诊断"), "observation": _("检验检查"), "procedure": _("手术及操作"),
            "medication": _("用药"), "dispense": _("发药"), "immunization": _("免疫接种"), "imaging": _("影像检查"),
            "report": _("检查报告"), "document": _("文档"), "careplan": _("健康计划"), "allergy": _("过敏"),
        },
        "gender": {"male": _("男"), "female": _("女"), "other": _("其他"), "unknown": _("未知")},
        # The platform's service types first (体检 and 随访 are both ambulatory in Encounter.class).
        "encounter_type": {"health-checkup": _("体检"), "followup": _("随访"), "followup-hypertension": _("随访"),
                           "followup-diabetes": _("随访"), "outpatient": _("门诊"), "inpatient": _("住院")},
        "encounter_class": {"AMB": _("门诊"), "IMP": _("住院"), "ACUTE": _("住院"), "NONAC": _("住院"),
                            "EMER": _("急诊"), "HH": _("家庭"), "VR": _("远程"), "OBSENC": _("留观"),
                            "PRENC": _("门诊"), "SS": _("日间")},
        "status": {"active": _("活动"), "resolved": _("已解决"), "inactive": _("非活动"), "remission": _("缓解"),
                   "recurrence": _("复发"), "relapse": _("复发"), "completed": _("已完成"), "stopped": _("已停止"),
                   "cancelled": _("已取消"), "on-hold": _("暂停"), "draft": _("草稿"), "final": _("最终"),
                   "preliminary": _("初步"), "amended": _("已修正"), "current": _("有效"), "superseded": _("已替代"),
                   "not-done": _("未完成"), "revoked": _("已撤销"), "available": _("可用"), "finished": _("已结束"),
                   "in-progress": _("进行中"), "confirmed": _("已确诊"), "provisional": _("初步诊断"),
                   "differential": _("鉴别诊断"), "refuted": _("已排除"), "unconfirmed": _("未确诊")},
        "condition_category": {"encounter-diagnosis": _("就诊诊断"), "problem-list-item": _("健康问题"),
                               "health-concern": _("健康问题")},
    }


# ---- small readers of FHIR elements ------------------------------------------------------------------

def _get(node, path: str):
    for step in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(step)
    return node


def concept_text(value) -> str:
    """A CodeableConcept or Coding as a reader wants it: its text, else the terminology's (Chinese) name of its
    first known code, else the coding's own display, else the code."""
    if not isinstance(value, dict):
        return ""
    if isinstance(value.get("text"), str) and value["text"].strip():
        return value["text"].strip()
    codings = value.get("coding") if isinstance(value.get("coding"), list) else [value]
    catalogue = codes.catalogue()
    for coding in codings:
        if isinstance(coding, dict) and coding.get("code"):
            known = catalogue.display(coding.get("system", ""), coding["code"])
            if known:
                return known
    for coding in codings:
        if isinstance(coding, dict) and (coding.get("display") or coding.get("code")):
            return str(coding.get("display") or coding["code"])
    return ""


def _first_concept(values) -> str:
    for value in values if isinstance(values, list) else [values]:
        text = concept_text(value)
        if text:
            return text
    return ""


def _codes(value) -> list[tuple[str, str]]:
    if not isinstance(value, dict):
        return []
    codings = value.get("coding") if isinstance(value.get("coding"), list) else []
    return [(c.get("system", ""), c["code"]) for c in codings if isinstance(c, dict) and c.get("code")]


def _reference_id(value, type_: str) -> str:
    ref = value.get("reference") if isinstance(value, dict) else None
    if isinstance(ref, str) and ref.startswith(f"{type_}/"):
        return ref.split("/")[1]
    return ""


def _number(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def quantity_text(quantity) -> str:
    if not isinstance(quantity, dict) or quantity.get("value") is None:
        return ""
    unit = quantity.get("unit") or quantity.get("code") or ""
    return f"{quantity.get('comparator', '')}{_number(quantity['value'])} {unit}".strip()


def human_name(patient: dict) -> str:
    names = patient.get("name") if isinstance(patient.get("name"), list) else []
    names = sorted((n for n in names if isinstance(n, dict)), key=lambda n: n.get("use") != "official")
    for name in names:
        if isinstance(name.get("text"), str) and name["text"].strip():
            return name["text"].strip()
        given = "".join(g for g in name.get("given", []) if isinstance(g, str))
        if name.get("family") or given:
            return f"{name.get('family', '')}{given}"
    return ""


@dataclass(frozen=True)
class When:
    """A clinical date: the instant it starts (for sorting), the local day, and the text to show."""

    at: dt.datetime
    day: dt.date
    text: str


def parse_when(text) -> When | None:
    extent = date_range(text) if isinstance(text, str) else None
    if extent is None:
        return None
    local = timezone.localtime(extent[0])
    shown = local.strftime("%Y-%m-%d %H:%M") if "T" in text else local.strftime("%Y-%m-%d")
    return When(extent[0], local.date(), shown)


def clinical_date(resource: dict) -> When | None:
    for path in DATE_PATHS.get(resource.get("resourceType"), ()):
        found = parse_when(_get(resource, path))
        if found is not None:
            return found
    return None


# ---- what the pages show -----------------------------------------------------------------------------

@dataclass
class Item:
    """One resource as a line of the record."""

    kind: str
    kind_label: str
    resource_type: str
    fhir_id: str
    title: str
    detail: str = ""
    value: str = ""
    status: str = ""
    when: When | None = None
    institution_id: int | None = None
    institution: str = ""
    encounter_id: str = ""
    end: When | None = None  # an encounter's discharge
    children: list["Item"] = field(default_factory=list)  # an encounter's diagnoses, measurements, ...

    @property
    def date_text(self) -> str:
        return self.when.text if self.when else ""

    @property
    def sort_key(self):
        return self.when.at if self.when else dt.datetime.min.replace(tzinfo=dt.UTC)

    def children_of(self, kind: str) -> list["Item"]:
        return [child for child in self.children if child.kind == kind]

    @property
    def diagnoses(self) -> list["Item"]:
        return self.children_of("condition")

    @property
    def observations(self) -> list["Item"]:
        return self.children_of("observation")

    @property
    def others(self) -> list["Item"]:
        return [child for child in self.children if child.kind not in ("condition", "observation")]


@dataclass
class ObservationGroup:
    """The measurements of one code, newest first, with the numeric series of their trend (oldest first)."""

    key: str
    label: str
    unit: str = ""
    items: list[Item] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # one line per component (blood pressure: 收缩压, 舒张压)
    points: list[tuple[str, list[float | None]]] = field(default_factory=list)

    @property
    def latest(self) -> Item:
        return self.items[0]

    @property
    def chart(self) -> bool:
        return len(self.points) >= 2

    def chart_data(self, index: int) -> dict:
        return {"id": f"trend-{index}", "label": self.label, "unit": self.unit,
                "labels": [day for day, _values in self.points],
                "datasets": [{"label": line, "data": [values[n] for _day, values in self.points]}
                             for n, line in enumerate(self.lines)]}


@dataclass
class Identifier:
    value: str
    label: str  # the source that assigned it, or the identifier's type or system


@dataclass
class Header:
    patient_id: str
    name: str
    gender: str
    birth_date: dt.date | None
    age: int | None
    id_masked: str
    identifiers: list[Identifier]
    phone: str = ""
    address: str = ""
    institutions: list[str] = field(default_factory=list)  # where the resident's records come from
    allergies: list[Item] = field(default_factory=list)


@dataclass
class Timeline:
    header: Header
    entries: list[Item]  # the vertical timeline: encounters with their items, then what no encounter holds
    encounters: list[Item]
    conditions: list[Item]
    observations: list[ObservationGroup]
    procedures: list[Item]
    medications: list[Item]
    immunizations: list[Item]
    imaging: list[Item]  # imaging studies and diagnostic reports
    documents: list[Item]
    care_plans: list[Item]
    institutions: list[tuple[int, str]]  # every institution with records of this resident (the filter's choices)
    filtered: bool = False
    total: int = 0  # resources shown

    @property
    def plan_count(self) -> int:
        return len(self.care_plans) + len(self.procedures)

    def chart_data(self) -> list[dict]:
        return [group.chart_data(n) for n, group in enumerate(self.observations) if group.chart]


def _age(birth: dt.date | None, today: dt.date) -> int | None:
    if birth is None:
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _status(value, labels: dict) -> str:
    code = value if isinstance(value, str) else (_codes(value)[0][1] if _codes(value) else "")
    return str(labels["status"].get(code, code))


def _encounter_label(resource: dict, labels: dict) -> str:
    for type_ in resource.get("type") or []:
        for system, code in _codes(type_):
            if system == ENCOUNTER_TYPE_SYSTEM and code in labels["encounter_type"]:
                return str(labels["encounter_type"][code])
    klass = resource.get("class") if isinstance(resource.get("class"), dict) else {}
    code = klass.get("code", "")
    return str(labels["encounter_class"].get(code) or klass.get("display") or code or labels["kinds"]["encounter"])


def _encounter_detail(resource: dict, shown: set[str]) -> str:
    parts = []
    for identifier in resource.get("identifier") or []:
        if isinstance(identifier, dict) and identifier.get("value"):
            label = concept_text(identifier.get("type")) or _("编号")
            parts.append(f"{label} {identifier['value']}")
    types = [concept_text(t) for t in resource.get("type") or []]
    parts.extend(t for t in types if t and t not in shown)  # e.g. a follow-up's method (门诊, 家庭, 电话)
    disposition = concept_text(_get(resource, "hospitalization.dischargeDisposition"))
    if disposition:
        parts.append(_("离院方式：%(d)s") % {"d": disposition})
    return "；".join(parts)


def _observation_value(resource: dict) -> tuple[str, list[tuple[str, float | None]], str]:
    """(the value as text, the numeric parts [(label, number)], the unit)."""
    components = [c for c in resource.get("component") or [] if isinstance(c, dict)]
    if components and not any(k.startswith("value") for k in resource):
        texts, numbers, unit = [], [], ""
        for component in components:
            label = concept_text(component.get("code"))
            quantity = component.get("valueQuantity")
            if isinstance(quantity, dict) and isinstance(quantity.get("value"), (int, float)):
                numbers.append((label, float(quantity["value"])))
                unit = unit or quantity.get("unit") or quantity.get("code") or ""
                texts.append(_number(quantity["value"]))
            else:
                texts.append(_value_text(component) or "—")
        joined = "/".join(texts)
        return (f"{joined} {unit}".strip(), numbers, unit)
    quantity = resource.get("valueQuantity")
    if isinstance(quantity, dict) and isinstance(quantity.get("value"), (int, float)):
        unit = quantity.get("unit") or quantity.get("code") or ""
        return quantity_text(quantity), [("", float(quantity["value"]))], unit
    return _value_text(resource), [], ""


def _value_text(node: dict) -> str:
    for key, value in node.items():
        if not key.startswith("value") or key == "value":
            continue
        if key == "valueQuantity":
            return quantity_text(value)
        if key == "valueCodeableConcept":
            return concept_text(value)
        if key == "valueBoolean":
            return _("是") if value else _("否")
        if key in ("valueInteger", "valueString", "valueDateTime", "valueTime"):
            return _number(value) if isinstance(value, (int, float)) else str(value)
        if key == "valueRange":
            return f"{quantity_text(value.get('low'))}–{quantity_text(value.get('high'))}"
    return ""


def _medication_text(resource: dict) -> str:
    return concept_text(resource.get("medicationCodeableConcept")) or str(
        _get(resource, "medicationReference.display") or "")


def _dosage(resource: dict) -> str:
    for dosage in resource.get("dosageInstruction") or resource.get("dosage") or []:
        if isinstance(dosage, dict) and dosage.get("text"):
            return str(dosage["text"])
    return ""


def _item(row: Resource, resource: dict, labels: dict) -> Item | None:
    """The line a stored resource becomes (None: types the record pages do not list)."""
    type_ = row.type
    kinds = labels["kinds"]
    base = {"resource_type": type_, "fhir_id": row.fhir_id, "when": clinical_date(resource),
            "institution_id": row.institution_id, "institution": row.institution.name if row.institution_id else "",
            "encounter_id": _reference_id(resource.get("encounter") or _get(resource, "context.encounter"),
                                          "Encounter")}
    if type_ == "Encounter":
        end = parse_when(_get(resource, "period.end"))
        # The label (门诊, 住院, 体检, 随访) is the badge; the title says what the visit was, when the record does.
        label = _encounter_label(resource, labels)
        types = [concept_text(t) for t in resource.get("type") or []]
        title = _first_concept(resource.get("reasonCode") or []) or concept_text(resource.get("serviceType")) or \
            next((t for t in types if t and t != label), "")
        return Item("encounter", label, title=title, detail=_encounter_detail(resource, {label, title}),
                    status=_status(resource.get("status"), labels), end=end, **base)
    if type_ == "Condition":
        category = next((labels["condition_category"].get(code) for cat in resource.get("category") or []
                         for _system, code in _codes(cat) if code in labels["condition_category"]), None)
        return Item("condition", str(category or kinds["condition"]),
                    title=concept_text(resource.get("code")) or _("未命名诊断"), detail=_codes_text(resource.get("code")),
                    status=_status(resource.get("clinicalStatus") or resource.get("verificationStatus"), labels),
                    **base)
    if type_ == "Observation":
        value, _numbers, _unit = _observation_value(resource)
        return Item("observation", kinds["observation"], title=concept_text(resource.get("code")) or _("未命名项目"),
                    value=value, detail=_first_concept(resource.get("interpretation") or []),
                    status=_status(resource.get("status"), labels), **base)
    if type_ == "Procedure":
        return Item("procedure", kinds["procedure"], title=concept_text(resource.get("code")) or _("未命名操作"),
                    status=_status(resource.get("status"), labels), **base)
    if type_ == "MedicationRequest":
        return Item("medication", _("处方"), title=_medication_text(resource) or _("未命名药物"),
                    detail=_dosage(resource), status=_status(resource.get("status"), labels), **base)
    if type_ == "MedicationDispense":
        return Item("dispense", kinds["dispense"], title=_medication_text(resource) or _("未命名药物"),
                    detail="；".join(p for p in (quantity_text(resource.get("quantity")), _dosage(resource)) if p),
                    status=_status(resource.get("status"), labels), **base)
    if type_ == "Immunization":
        dose = _get((resource.get("protocolApplied") or [{}])[0], "doseNumberPositiveInt")
        parts = [_("第 %(n)s 剂") % {"n": dose} if dose else "",
                 _("批号 %(lot)s") % {"lot": resource["lotNumber"]} if resource.get("lotNumber") else "",
                 str(_get(resource, "manufacturer.display") or "")]
        return Item("immunization", kinds["immunization"], title=concept_text(resource.get("vaccineCode")) or
                    _("未命名疫苗"), detail="；".join(p for p in parts if p),
                    status=_status(resource.get("status"), labels), **base)
    if type_ == "ImagingStudy":
        modalities = "、".join(str(m.get("display") or m.get("code")) for m in resource.get("modality") or []
                              if isinstance(m, dict))
        counts = _("%(s)s 个序列，%(i)s 幅图像") % {"s": resource.get("numberOfSeries", 0),
                                                 "i": resource.get("numberOfInstances", 0)}
        return Item("imaging", kinds["imaging"], title=resource.get("description") or modalities or _("影像检查"),
                    detail="；".join(p for p in (modalities, counts) if p),
                    status=_status(resource.get("status"), labels), **base)
    if type_ == "DiagnosticReport":
        return Item("report", kinds["report"], title=concept_text(resource.get("code")) or _("检查报告"),
                    detail=str(resource.get("conclusion") or _first_concept(resource.get("conclusionCode") or [])),
                    status=_status(resource.get("status"), labels), **base)
    if type_ == "DocumentReference":
        attachment = _get((resource.get("content") or [{}])[0], "attachment") or {}
        return Item("document", kinds["document"], title=concept_text(resource.get("type")) or
                    str(attachment.get("title") or _("文档")),
                    detail="；".join(str(p) for p in (resource.get("description"), attachment.get("title")) if p),
                    status=_status(resource.get("status"), labels), **base)
    if type_ == "CarePlan":
        return Item("careplan", kinds["careplan"], title=str(resource.get("title") or _first_concept(
            resource.get("category") or []) or _("健康计划")), detail=str(resource.get("description") or ""),
            status=_status(resource.get("status"), labels), **base)
    if type_ == "AllergyIntolerance":
        return Item("allergy", kinds["allergy"], title=concept_text(resource.get("code")) or _("未命名过敏原"),
                    detail=str(resource.get("criticality") or ""),
                    status=_status(resource.get("clinicalStatus"), labels), **base)
    return None


def _codes_text(value) -> str:
    return " ".join(code for _system, code in _codes(value)[:1])


def _header(patient_row: Resource | None, patient_id: str, rows: list[Resource], labels: dict) -> Header:
    resource = orjson.loads(store.reveal(patient_row.content)) if patient_row is not None else {}
    id_masked, identifiers, local = "", [], []
    for identifier in resource.get("identifier") or []:
        if not isinstance(identifier, dict) or not identifier.get("value"):
            continue
        if identifier.get("system") == CITIZEN_ID_SYSTEM:
            id_masked = id_masked or mask_id_number(str(identifier["value"]))
            continue
        match = LOCAL_PATIENT_SYSTEM.match(identifier.get("system") or "")
        local.append((identifier, match.group("code") if match else ""))
    sources = dict(Source.objects.filter(code__in=[code for _i, code in local if code]).values_list("code", "name"))
    for identifier, code in local:
        label = sources.get(code) or concept_text(identifier.get("type")) or identifier.get("system") or _("本地编号")
        identifiers.append(Identifier(str(identifier["value"]), str(label)))
    birth = None
    if isinstance(resource.get("birthDate"), str):
        try:
            birth = dt.date.fromisoformat(resource["birthDate"][:10])
        except ValueError:
            birth = None
    phone = next((t.get("value") for t in resource.get("telecom") or []
                  if isinstance(t, dict) and t.get("system") == "phone" and t.get("value")), "")
    address = next((a.get("text") for a in resource.get("address") or [] if isinstance(a, dict) and a.get("text")), "")
    institutions = sorted({row.institution.name for row in rows if row.institution_id})
    return Header(patient_id=patient_id, name=human_name(resource) or _("（未登记姓名）"),
                  gender=str(labels["gender"].get(resource.get("gender"), "—")), birth_date=birth,
                  age=_age(birth, timezone.localdate()), id_masked=id_masked, identifiers=identifiers,
                  phone=str(phone or ""), address=str(address or ""), institutions=institutions)


def _series_key(resource: dict) -> tuple[str, str]:
    found = _codes(resource.get("code"))
    label = concept_text(resource.get("code")) or _("未命名项目")
    return (f"{found[0][0]}|{found[0][1]}" if found else label), label


def _group_observations(observations: list[tuple[Item, dict]]) -> list[ObservationGroup]:
    groups: dict[str, ObservationGroup] = {}
    measured: dict[str, list[tuple[When, dict[str, float]]]] = {}
    for item, resource in observations:
        key, label = _series_key(resource)
        group = groups.setdefault(key, ObservationGroup(key, label))
        group.items.append(item)
        _text, numbers, unit = _observation_value(resource)
        if numbers and item.when is not None:
            for line, _value in numbers:
                if (line or label) not in group.lines:
                    group.lines.append(line or label)
            group.unit = group.unit or unit
            measured.setdefault(key, []).append((item.when, {line or label: number for line, number in numbers}))
    for key, group in groups.items():
        group.items.sort(key=lambda i: i.sort_key, reverse=True)
        series = sorted(measured.get(key, []), key=lambda pair: pair[0].at)
        group.points = [(when.text, [values.get(line) for line in group.lines]) for when, values in series]
    return sorted(groups.values(), key=lambda g: (-len(g.items), g.label))


def _keep(item: Item, institution_id, date_from, date_to) -> bool:
    if institution_id is not None and item.institution_id != institution_id:
        return False
    if date_from is not None or date_to is not None:
        if item.when is None:
            return False
        if date_from is not None and item.when.day < date_from:
            return False
        if date_to is not None and item.when.day > date_to:
            return False
    return True


def _by_date(items: list[Item]) -> list[Item]:
    return sorted(items, key=lambda i: i.sort_key, reverse=True)


def patient_timeline(actor, patient_id: str, *, institution_id: int | None = None, date_from: dt.date | None = None,
                     date_to: dt.date | None = None) -> Timeline:
    """The whole record of one resident, grouped for the timeline page. PermissionDenied when the actor has no
    clinical access at all; NotFoundOrForbidden when this resident is missing or out of the actor's reach (the
    page then offers a clinician the emergency access). Audited: one record-read row naming the resident."""
    condition = clinical_filter(actor)
    if condition is None:
        raise PermissionDenied
    if not clinical_patient_allowed(actor, patient_id):
        raise NotFoundOrForbidden
    labels = _labels()
    rows = list(Resource.objects.filter(condition, patient=patient_id, deleted=False)
                .select_related("institution").order_by("id"))
    patient_row = next((row for row in rows if row.type == "Patient" and row.fhir_id == patient_id), None)
    header = _header(patient_row, patient_id, rows, labels)
    institutions = sorted({(row.institution_id, row.institution.name) for row in rows if row.institution_id},
                          key=lambda pair: pair[1])

    items, observations = [], []
    diagnosed_at: dict[str, str] = {}  # Condition id -> the Encounter whose diagnosis list names it
    for row in rows:
        if row.type == "Patient":
            continue
        resource = orjson.loads(row.content)
        item = _item(row, resource, labels)
        if item is None:
            continue
        items.append(item)
        if item.kind == "observation":
            observations.append((item, resource))
        elif item.kind == "encounter":
            for diagnosis in resource.get("diagnosis") or []:
                condition_id = _reference_id(diagnosis.get("condition") if isinstance(diagnosis, dict) else None,
                                             "Condition")
                if condition_id:
                    diagnosed_at.setdefault(condition_id, item.fhir_id)
    encounters_by_id = {item.fhir_id: item for item in items if item.kind == "encounter"}
    for item in items:  # link diagnoses named by an encounter; what has no date of its own takes its encounter's
        if item.kind == "condition" and not item.encounter_id:
            item.encounter_id = diagnosed_at.get(item.fhir_id, "")
        encounter = encounters_by_id.get(item.encounter_id)
        if encounter is not None and item.when is None:
            item.when = encounter.when
    header.allergies = _by_date([i for i in items if i.kind == "allergy"])

    filtered = institution_id is not None or date_from is not None or date_to is not None
    shown = [item for item in items if _keep(item, institution_id, date_from, date_to)]
    shown_encounters = {item.fhir_id: item for item in shown if item.kind == "encounter"}
    entries = []
    for item in _by_date(shown):
        encounter = shown_encounters.get(item.encounter_id)
        if item.kind == "encounter":
            entries.append(item)
        elif encounter is not None and item.kind != "allergy":
            encounter.children.append(item)
        elif item.kind not in ("observation", "allergy"):
            entries.append(item)  # what no shown encounter holds stands on its own (measurements: in their tab)
    for encounter in shown_encounters.values():
        order = {"condition": 0, "procedure": 1, "observation": 2, "medication": 3, "dispense": 3}
        encounter.children.sort(key=lambda i: (order.get(i.kind, 9), -i.sort_key.timestamp()))
    shown_ids = {id(item) for item in shown}

    def of(*kinds):
        return _by_date([item for item in shown if item.kind in kinds])

    timeline = Timeline(
        header=header, entries=entries, encounters=of("encounter"), conditions=of("condition"),
        observations=_group_observations([(i, r) for i, r in observations if id(i) in shown_ids]),
        procedures=of("procedure"), medications=of("medication", "dispense"), immunizations=of("immunization"),
        imaging=of("imaging", "report"), documents=of("document"), care_plans=of("careplan"),
        institutions=institutions, filtered=filtered, total=len([i for i in shown if i.kind != "allergy"]))
    audit_record(actor=actor, action=AuditAction.RECORD_READ, entity="Patient", entity_id=patient_id,
                 summary=_("居民健康档案时间轴：%(name)s") % {"name": header.name})
    return timeline


# ---- finding residents --------------------------------------------------------------------------------

@dataclass
class Resident:
    patient_id: str
    name: str
    gender: str
    birth_date: str
    id_masked: str
    institutions: list[str]


@dataclass
class ResidentSearch:
    residents: list[Resident]
    by: str  # "id-number", "name-or-identifier" or "" (nothing searched)
    outside: list[str] = field(default_factory=list)  # ID-number matches out of a clinician's reach (break-glass)
    truncated: bool = False


def resident_search(actor, q: str) -> ResidentSearch:
    """Residents the actor may read, by name prefix, a source's local identifier (档案号), or the full citizen
    ID number (matched by its blind index). At most SEARCH_LIMIT. Audited as a record search naming each
    resident found, with the kind of criterion only: the value typed may be an ID number."""
    condition = clinical_filter(actor)
    if condition is None:
        raise PermissionDenied
    text = " ".join((q or "").split())
    if not text:
        return ResidentSearch([], "")
    patients = Resource.objects.filter(condition, type="Patient", deleted=False)
    upper = text.upper()
    if ID_NUMBER.match(upper):
        by, criterion = "id-number", _("身份证号")
        matching = Q(id__in=TokenIndex.objects.filter(
            type="Patient", param="identifier", system=CITIZEN_ID_SYSTEM,
            code=store.id_number_index(upper)).values("resource_id"))
    else:
        by, criterion = "name-or-identifier", _("姓名或档案号")
        matching = Q(id__in=StringIndex.objects.filter(type="Patient", param="name", value__startswith=normalise(text))
                     .values("resource_id")) | \
            Q(id__in=TokenIndex.objects.filter(type="Patient", param="identifier", code=text)
              .exclude(system=CITIZEN_ID_SYSTEM).values("resource_id"))
    found = list(patients.filter(matching).order_by("id")[:SEARCH_LIMIT + 1])
    truncated = len(found) > SEARCH_LIMIT
    found = found[:SEARCH_LIMIT]
    outside = []
    if by == "id-number" and not found and can(actor, "health-record", "break-glass"):
        # The clinician holds the full number (the resident is in front of them): say the record exists
        # elsewhere, so they may open it by emergency access, with a reason, audited.
        outside = list(Resource.objects.filter(matching, type="Patient", deleted=False)
                       .values_list("fhir_id", flat=True)[:5])
    residents = _residents(found, condition)
    summary = _("居民检索（按%(criterion)s）：%(n)s 人") % {"criterion": criterion, "n": len(residents)}
    if residents:
        audit_many(actor=actor, action=AuditAction.RECORD_SEARCH, entity="Patient",
                   entity_ids=[r.patient_id for r in residents], summary=summary)
    else:
        audit_record(actor=actor, action=AuditAction.RECORD_SEARCH, entity="Patient", summary=summary)
    return ResidentSearch(residents, by, outside, truncated)


def _residents(rows: list[Resource], condition) -> list[Resident]:
    if not rows:
        return []
    labels = _labels()
    where: dict[str, set[str]] = {}
    for patient, name in (Resource.objects.filter(condition, patient__in=[row.fhir_id for row in rows],
                                                  deleted=False, institution__isnull=False)
                          .values_list("patient", "institution__name").distinct()):
        where.setdefault(patient, set()).add(name)
    found = []
    for row in rows:
        resource = orjson.loads(store.reveal(row.content))
        number = next((str(i["value"]) for i in resource.get("identifier") or []
                       if isinstance(i, dict) and i.get("system") == CITIZEN_ID_SYSTEM and i.get("value")), "")
        found.append(Resident(row.fhir_id, human_name(resource) or _("（未登记姓名）"),
                              str(labels["gender"].get(resource.get("gender"), "—")),
                              str(resource.get("birthDate") or ""), mask_id_number(number) if number else "",
                              sorted(where.get(row.fhir_id, ()))))
    return found

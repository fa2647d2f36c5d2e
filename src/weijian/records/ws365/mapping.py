"""One WS 365 row → the FHIR R4 resources it becomes (plain dicts).

Every id is `stable_id(<type>, source code, <what identifies the thing at the source>)`, so uploading the
same row again names the same resources with the same content. `meta.source` says which institution sent
them; the store owns the rest of `meta`.
"""

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from weijian.records.identity import CITIZEN_ID_SYSTEM, encounter_system, patient_system, stable_id
from weijian.records.ws365 import resources as r
from weijian.records.ws365.codes import CodeChecker
from weijian.records.ws365.datasets import LIMITS, Dataset
from weijian.records.ws365.values import Cells, RowError, blank, fhir_datetime
from weijian.terminology.seed import SYSTEMS


@dataclass(frozen=True)
class SourceContext:
    code: str  # the source institution's USCC credit code (18 characters)
    organization_id: str  # FHIR id of its Organization (identity.organization_id(code))


def map_row(dataset: Dataset, row: dict[str, object], *, source: SourceContext, codes: CodeChecker) -> list[dict]:
    """The resources one row becomes, Patient first when it makes one; RowError lists every problem."""
    cells = Cells(dataset, row, codes)
    check, build = MAPPINGS[dataset.key]
    check(cells)
    if cells.errors:
        raise RowError(cells.errors)
    return build(cells, _Source(source))


class _Source:
    def __init__(self, source: SourceContext):
        self.code = source.code
        self.organization = r.reference("Organization", source.organization_id)
        self.meta = {"source": "urn:weijian:source:" + source.code}

    def id(self, resource_type: str, *parts: str) -> str:
        return stable_id(resource_type, self.code, *parts)

    def patient(self, local_id: str) -> dict:
        return r.reference("Patient", self.id("Patient", local_id))

    def resource(self, resource_type: str, resource_id: str, **fields) -> dict:
        return {"resourceType": resource_type, "id": resource_id, "meta": dict(self.meta), **fields}


_SEED = {slug: {code: display for code, display, _parent in rows} for slug, *_rest, rows in SYSTEMS}


def _platform(slug: str, code: str) -> dict:
    """A concept of one of the platform's own code systems, named as the seed names it."""
    return r.concept(slug, code, _SEED[slug][code])


def _day(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def _before(a: dt.date | dt.datetime, b: dt.date | dt.datetime) -> bool:
    """a is earlier than b; compared by day unless both carry a time."""
    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        return a < b
    return _day(a) < _day(b)


def _no_checks(cells: Cells) -> None:
    pass


# ---- persons ----------------------------------------------------------------------------------------

GENDER = {"1": "male", "2": "female", "0": "unknown", "9": "unknown"}
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 司空 夏侯 轩辕 令狐 端木 独孤 南宫 西门 百里 呼延 "
    "万俟 闻人 赫连 澹台 公冶 宗政 濮阳 太史 申屠 钟离 淳于 单于 拓跋".split())
HAN_NAME = re.compile(r"^[\u4e00-\u9fff]{2,6}$")


def human_name(text: str) -> dict:
    """Family and given parts only for plain Han names; others (e.g. 阿依古丽·买买提) keep just the text."""
    name = {"use": "official", "text": text}
    if HAN_NAME.match(text):
        family = text[:2] if text[:2] in COMPOUND_SURNAMES and len(text) > 2 else text[0]
        name["family"] = family
        name["given"] = [text[len(family):]]
    return name


def _check_person(cells: Cells) -> None:
    id_number, birth, sex = cells["身份证号"], cells["出生日期"], cells["性别"]
    if id_number and birth and id_number.birth_date != birth:
        cells.error(_("“出生日期”的值“%(birth)s”与身份证号中的出生日期不一致") % {"birth": birth.isoformat()})
    if id_number and sex and sex[0] in ("1", "2") and {"1": "M", "2": "F"}[sex[0]] != id_number.sex:
        cells.error(_("“性别”的值“%(sex)s”与身份证号中的性别不一致") % {"sex": sex[0]})


def _personal_basic(cells: Cells, src: _Source) -> list[dict]:
    local = cells["个人档案编号"]
    sex_code, sex_display = cells["性别"]
    extension = [{"url": r.EXT_GB_SEX, "valueCoding": r.coding("gb-t-2261-1", sex_code, sex_display)}]
    if cells["民族"]:
        extension.append({"url": r.EXT_ETHNICITY, "valueCoding": r.coding("gb-t-3304", *cells["民族"])})
    patient = src.resource(
        "Patient", src.id("Patient", local),
        extension=extension,
        identifier=[{"system": patient_system(src.code), "value": local},
                    {"system": CITIZEN_ID_SYSTEM, "value": cells["身份证号"].value}],
        name=[human_name(cells["姓名"])],
        gender=GENDER[sex_code],
        birthDate=cells["出生日期"].isoformat(),
        managingOrganization=src.organization,
    )
    if cells["联系电话"]:
        patient["telecom"] = [{"system": "phone", "value": cells["联系电话"].replace(" ", "")}]
    if cells["现住址"] or cells["现住址区县代码"]:
        patient["address"] = [_address(cells["现住址"], cells["现住址区县代码"])]
    if cells["婚姻状况"]:
        patient["maritalStatus"] = r.concept("gb-t-2261-2", *cells["婚姻状况"])
    resources = [patient]
    for header, slug, (code, display), key in (("ABO血型", "ws-364-cv04-50-005", r.ABO, "abo"),
                                               ("Rh血型", "ws-364-cv04-50-020", r.RH, "rh")):
        if cells[header]:
            resources.append(src.resource(
                "Observation", src.id("Observation", local, key),
                status="final", category=r.category(r.LABORATORY), code=r.loinc(code, display, header),
                subject=src.patient(local), valueCodeableConcept=r.concept(slug, *cells[header])))
    return resources


def _address(text: str | None, county: tuple[str, str] | None) -> dict:
    address = {"use": "home"}
    if text:
        address["text"] = text
    if county:
        code, display = county
        if display:
            address["district"] = display
        address["extension"] = [{"url": r.EXT_DIVISION, "valueCoding": r.coding("gb-t-2260", code, display)}]
    return address


# ---- check-ups and follow-ups -------------------------------------------------------------------------

def _check_pressure(cells: Cells) -> None:
    systolic, diastolic = cells["收缩压"], cells["舒张压"]
    given = [not blank(cells.row.get(h)) for h in ("收缩压", "舒张压")]
    if given[0] != given[1] and not cells.dataset.column("收缩压").required:  # required: already "不能为空"
        cells.error(_("“收缩压”和“舒张压”应同时填写"))
    elif systolic is not None and diastolic is not None and diastolic >= systolic:
        cells.error(_("“舒张压”的值“%(diastolic)s”应低于“收缩压”的值“%(systolic)s”") % {
            "diastolic": diastolic, "systolic": systolic})


def _measurements(cells: Cells, src: _Source, key: tuple[str, ...], encounter: dict, when: str) -> list[dict]:
    """Blood pressure as one panel (the FHIR vital-signs pattern), then each other measured column."""
    local = cells["个人档案编号"]
    common = {"subject": src.patient(local), "encounter": encounter, "effectiveDateTime": when}
    found = []
    if cells.values.get("收缩压") is not None and cells.values.get("舒张压") is not None:
        _low, _high, ucum, unit = LIMITS["收缩压"]
        found.append(src.resource(
            "Observation", src.id("Observation", *key, r.BLOOD_PRESSURE[0]),
            status="final", category=r.category(r.VITAL_SIGNS), code=r.loinc(*r.BLOOD_PRESSURE, "血压"), **common,
            component=[
                {"code": r.loinc(*r.SYSTOLIC, "收缩压"), "valueQuantity": r.quantity(cells["收缩压"], ucum, unit)},
                {"code": r.loinc(*r.DIASTOLIC, "舒张压"), "valueQuantity": r.quantity(cells["舒张压"], ucum, unit)},
            ]))
    for header, (code, display, category) in r.LOINC_CODES.items():
        value = cells.values.get(header)
        if value is None:
            continue
        _low, _high, ucum, unit = LIMITS[header]
        found.append(src.resource(
            "Observation", src.id("Observation", *key, code),
            status="final", category=r.category(category), code=r.loinc(code, display, header), **common,
            valueQuantity=r.quantity(value, ucum, unit)))
    return found


def _health_checkup(cells: Cells, src: _Source) -> list[dict]:
    local, day = cells["个人档案编号"], cells["体检日期"].isoformat()
    key = (local, "health-checkup", day)
    encounter_id = src.id("Encounter", *key)
    encounter = src.resource(
        "Encounter", encounter_id, status="finished", **{"class": r.encounter_class("AMB")},
        type=[_platform("wj-encounter-type", "health-checkup")], subject=src.patient(local),
        period={"start": day}, serviceProvider=src.organization)
    return [encounter, *_measurements(cells, src, key, r.reference("Encounter", encounter_id), day)]


# Follow-up method (CV06.00.207) → Encounter.class: at the clinic, at home, or remote.
FOLLOWUP_CLASS = {"1": "AMB", "2": "HH", "3": "VR", "4": "VR", "5": "VR", "9": "AMB"}
# (encounter type, ICD-10 code, Chinese name) of each follow-up programme's disease.
FOLLOWUPS = {
    "hypertension_followup": ("followup-hypertension", "I10", "高血压"),
    "diabetes_followup": ("followup-diabetes", "E11.9", "2型糖尿病"),
}


def _followup(cells: Cells, src: _Source, dataset_key: str) -> list[dict]:
    """The programme's Condition (one per resident and disease, identical on every follow-up), the follow-up
    Encounter (its type, method and the 此次随访分类 as an extension) and its measurements."""
    kind, icd, disease = FOLLOWUPS[dataset_key]
    local, day = cells["个人档案编号"], cells["随访日期"].isoformat()
    condition_id = src.id("Condition", local, icd)
    condition = src.resource(
        "Condition", condition_id,
        clinicalStatus={"coding": [{"system": r.CONDITION_CLINICAL, "code": "active", "display": "Active"}]},
        verificationStatus={"coding": [{"system": r.CONDITION_VERIFICATION, "code": "confirmed",
                                        "display": "Confirmed"}]},
        category=[{"coding": [{"system": r.CONDITION_CATEGORY, "code": "problem-list-item",
                               "display": "Problem List Item"}]}],
        code={"coding": [r.coding("icd-10", icd)], "text": disease},
        subject=src.patient(local))
    key = (local, kind, day)
    encounter_id = src.id("Encounter", *key)
    method_code, method_display = cells["随访方式"]
    encounter = src.resource(
        "Encounter", encounter_id,
        extension=[{"url": r.EXT_FOLLOWUP_CLASS,
                    "valueCoding": r.coding("wj-followup-classification", *cells["此次随访分类"])}],
        status="finished", **{"class": r.encounter_class(FOLLOWUP_CLASS[method_code])},
        type=[_platform("wj-encounter-type", kind), r.concept("ws-364-cv06-00-207", method_code, method_display)],
        subject=src.patient(local), period={"start": day},
        reasonReference=[r.reference("Condition", condition_id)], serviceProvider=src.organization)
    return [condition, encounter, *_measurements(cells, src, key, r.reference("Encounter", encounter_id), day)]


# ---- immunization -------------------------------------------------------------------------------------

def _immunization(cells: Cells, src: _Source) -> list[dict]:
    local, day, dose = cells["个人档案编号"], cells["接种日期"].isoformat(), cells["剂次"]
    vaccine = cells["疫苗代码"]
    immunization = src.resource(
        "Immunization", src.id("Immunization", local, day, vaccine[0], str(dose)),
        status="completed", vaccineCode=r.concept("wj-vaccine", *vaccine), patient=src.patient(local),
        occurrenceDateTime=day, lotNumber=cells["疫苗批号"])
    if cells["生产企业"]:
        immunization["manufacturer"] = {"display": cells["生产企业"]}
    immunization["performer"] = [{"actor": src.organization}]
    immunization["protocolApplied"] = [{"doseNumberPositiveInt": dose}]
    return [immunization]


# ---- visits -------------------------------------------------------------------------------------------

def _check_names(cells: Cells, codes_header: str, names_header: str) -> None:
    codes, names = cells[codes_header], cells[names_header]
    if names and len(names) != len(codes):
        cells.error(_("“%(names)s”有 %(n)s 个，与“%(codes)s”的 %(c)s 个不一致") % {
            "names": names_header, "n": len(names), "codes": codes_header, "c": len(codes)})


def _diagnoses(cells: Cells, src: _Source, key: tuple[str, ...], encounter: dict, recorded: str,
               codes_header: str, names_header: str) -> list[dict]:
    names = cells[names_header]
    found = []
    for number, (code, display) in enumerate(cells[codes_header], start=1):
        text = names[number - 1] if names else display
        found.append(src.resource(
            "Condition", src.id("Condition", *key, str(number)),
            verificationStatus={"coding": [{"system": r.CONDITION_VERIFICATION, "code": "confirmed",
                                            "display": "Confirmed"}]},
            category=[{"coding": [{"system": r.CONDITION_CATEGORY, "code": "encounter-diagnosis",
                                   "display": "Encounter Diagnosis"}]}],
            code=r.concept("icd-10", code, display, text),
            subject=src.patient(cells["个人档案编号"]), encounter=encounter, recordedDate=recorded))
    return found


def _encounter_identifier(src: _Source, label: str, number: str) -> list[dict]:
    return [{"type": {"text": label}, "system": encounter_system(src.code), "value": number}]


def _outpatient_summary(cells: Cells, src: _Source) -> list[dict]:
    number, local = cells["门诊号"], cells["个人档案编号"]
    when = fhir_datetime(cells["就诊日期时间"])
    key = ("outpatient", number)
    encounter_id = src.id("Encounter", *key)
    reference = r.reference("Encounter", encounter_id)
    conditions = _diagnoses(cells, src, key, reference, when, "诊断编码", "诊断名称")
    encounter = src.resource(
        "Encounter", encounter_id, identifier=_encounter_identifier(src, "门诊号", number), status="finished",
        **{"class": r.encounter_class("AMB")}, type=[_platform("wj-encounter-type", "outpatient")])
    if cells["就诊科室"]:
        encounter["serviceType"] = {"text": cells["就诊科室"]}
    encounter.update(
        subject=src.patient(local), period={"start": when},
        diagnosis=[{"condition": r.reference("Condition", c["id"]), "rank": n} for n, c in enumerate(conditions, 1)],
        serviceProvider=src.organization)
    medications = [src.resource(
        "MedicationRequest", src.id("MedicationRequest", *key, str(n)),
        status="completed", intent="order", medicationCodeableConcept={"text": name},
        subject=src.patient(local), encounter=reference, authoredOn=when)
        for n, name in enumerate(cells["药物名称"], start=1)]
    return [encounter, *conditions, *medications]


def _check_outpatient(cells: Cells) -> None:
    _check_names(cells, "诊断编码", "诊断名称")


def _check_inpatient(cells: Cells) -> None:
    _check_names(cells, "出院诊断编码", "出院诊断名称")
    admitted, discharged, operated = cells["入院日期时间"], cells["出院日期时间"], cells["手术及操作日期"]
    if admitted and discharged and _before(discharged, admitted):
        cells.error(_("“出院日期时间”的值“%(end)s”早于“入院日期时间”的值“%(start)s”") % {
            "end": fhir_datetime(discharged), "start": fhir_datetime(admitted)})
    elif admitted and discharged and operated and not _day(admitted) <= operated <= _day(discharged):
        cells.error(_("“手术及操作日期”的值“%(day)s”不在入院至出院期间") % {"day": operated.isoformat()})
    if operated and not cells["主要手术及操作名称"]:
        cells.error(_("填写了“手术及操作日期”，但“主要手术及操作名称”为空"))


def _inpatient_summary(cells: Cells, src: _Source) -> list[dict]:
    number, local = cells["住院号"], cells["个人档案编号"]
    start, end = fhir_datetime(cells["入院日期时间"]), fhir_datetime(cells["出院日期时间"])
    key = ("inpatient", number)
    encounter_id = src.id("Encounter", *key)
    reference = r.reference("Encounter", encounter_id)
    conditions = _diagnoses(cells, src, key, reference, end, "出院诊断编码", "出院诊断名称")
    discharge = {"coding": [{"system": r.DIAGNOSIS_ROLE, "code": "DD", "display": "Discharge diagnosis"}]}
    encounter = src.resource(
        "Encounter", encounter_id, identifier=_encounter_identifier(src, "住院号", number), status="finished",
        **{"class": r.encounter_class("IMP")}, type=[_platform("wj-encounter-type", "inpatient")],
        subject=src.patient(local), period={"start": start, "end": end},
        diagnosis=[{"condition": r.reference("Condition", c["id"]), "use": discharge, "rank": n}
                   for n, c in enumerate(conditions, 1)],
        hospitalization={"dischargeDisposition": r.concept("wj-discharge-disposition", *cells["离院方式"])},
        serviceProvider=src.organization)
    resources = [encounter, *conditions]
    if cells["主要手术及操作名称"]:
        procedure = src.resource(
            "Procedure", src.id("Procedure", *key, "1"), status="completed",
            code={"text": cells["主要手术及操作名称"]}, subject=src.patient(local), encounter=reference)
        if cells["手术及操作日期"]:
            procedure["performedDateTime"] = cells["手术及操作日期"].isoformat()
        resources.append(procedure)
    return resources


MAPPINGS: dict[str, tuple[Callable[[Cells], None], Callable[[Cells, _Source], list[dict]]]] = {
    "personal_basic": (_check_person, _personal_basic),
    "health_checkup": (_check_pressure, _health_checkup),
    "hypertension_followup": (_check_pressure, lambda c, s: _followup(c, s, "hypertension_followup")),
    "diabetes_followup": (_check_pressure, lambda c, s: _followup(c, s, "diabetes_followup")),
    "immunization": (_no_checks, _immunization),
    "outpatient_summary": (_check_outpatient, _outpatient_summary),
    "inpatient_summary": (_check_inpatient, _inpatient_summary),
}

"""WS 365 rows → FHIR: one hand-written row per data set against the exact resources it must become, the
checks that reject bad rows (every problem, in Chinese, naming the column), and idempotent ids.

The terminology comes from the migrations (seed 0002 + 0003); ICD-10 is not loaded unless a test loads it,
so ICD-10 codes are checked by their shape and carry no display.
"""

import datetime as dt

import pytest
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class

from weijian.records.identity import organization_id, stable_id
from weijian.records.ws365 import DATASETS, RowError, SourceContext, map_row, terminology_checker
from weijian.terminology.models import Concept
from weijian.terminology.seed import code_system_url, icd10_load

pytestmark = pytest.mark.django_db

USCC = "125101000000000079"
SOURCE = SourceContext(USCC, organization_id(USCC))
ORG = {"reference": f"Organization/{USCC}"}
META = {"source": f"urn:weijian:source:{USCC}"}
CS = "http://weijian.local/fhir/CodeSystem/"
EXT = "http://weijian.local/fhir/StructureDefinition/"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
OBS_CAT = "http://terminology.hl7.org/CodeSystem/observation-category"
VITAL = [{"coding": [{"system": OBS_CAT, "code": "vital-signs", "display": "Vital Signs"}]}]
LAB = [{"coding": [{"system": OBS_CAT, "code": "laboratory", "display": "Laboratory"}]}]
CONFIRMED = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed",
                         "display": "Confirmed"}]}
ENCOUNTER_DIAGNOSIS = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category",
                                    "code": "encounter-diagnosis", "display": "Encounter Diagnosis"}]}]
ID_FEMALE = "510104195806150248"  # 1958-06-15, sequence 024 (even: female)


def patient(local: str) -> dict:
    return {"reference": "Patient/" + stable_id("Patient", USCC, local)}


def mmhg(value) -> dict:
    return {"value": value, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"}


def mapped(key: str, row: dict) -> list[dict]:
    return map_row(DATASETS[key], row, source=SOURCE, codes=terminology_checker())


def problems(key: str, row: dict) -> list[str]:
    with pytest.raises(RowError) as caught:
        mapped(key, row)
    return caught.value.messages


def assert_valid_fhir(resources: list[dict]) -> None:
    for resource in resources:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)


# ---- one row per data set, exact output ----------------------------------------------------------------

PERSON_ROW = {  # cell types as the xlsx reader gives them: numbers and a date-formatted cell
    "个人档案编号": "P0001", "姓名": "欧阳秀英", "身份证号": ID_FEMALE, "性别": 2,
    "出生日期": dt.datetime(1958, 6, 15), "民族": 1, "婚姻状况": "20", "联系电话": "138 0000 1234",
    "现住址区县代码": "510104", "现住址": "红星路二段12号", "ABO血型": "3", "Rh血型": "2",
}


def test_personal_basic_row_becomes_patient_and_blood_groups():
    p = stable_id("Patient", USCC, "P0001")
    assert mapped("personal_basic", PERSON_ROW) == [
        {
            "resourceType": "Patient", "id": p, "meta": META,
            "extension": [
                {"url": EXT + "patient-gb-sex",
                 "valueCoding": {"system": CS + "gb-t-2261-1", "code": "2", "display": "女性"}},
                {"url": EXT + "patient-ethnicity",
                 "valueCoding": {"system": CS + "gb-t-3304", "code": "01", "display": "汉族"}},
            ],
            "identifier": [
                {"system": f"http://weijian.local/fhir/sid/source/{USCC}/patient", "value": "P0001"},
                {"system": "urn:oid:2.16.156.10011.1.3", "value": ID_FEMALE},
            ],
            "name": [{"use": "official", "text": "欧阳秀英", "family": "欧阳", "given": ["秀英"]}],
            "gender": "female",
            "birthDate": "1958-06-15",
            "managingOrganization": ORG,
            "telecom": [{"system": "phone", "value": "13800001234"}],
            "address": [{"use": "home", "text": "红星路二段12号", "extension": [
                {"url": EXT + "address-division", "valueCoding": {"system": CS + "gb-t-2260", "code": "510104"}}]}],
            "maritalStatus": {"coding": [{"system": CS + "gb-t-2261-2", "code": "20", "display": "已婚"}],
                              "text": "已婚"},
        },
        {
            "resourceType": "Observation", "id": stable_id("Observation", USCC, "P0001", "abo"), "meta": META,
            "status": "final", "category": LAB,
            "code": {"coding": [{"system": LOINC, "code": "883-9", "display": "ABO group [Type] in Blood"}],
                     "text": "ABO血型"},
            "subject": {"reference": f"Patient/{p}"},
            "valueCodeableConcept": {"coding": [{"system": CS + "ws-364-cv04-50-005", "code": "3", "display": "O型"}],
                                     "text": "O型"},
        },
        {
            "resourceType": "Observation", "id": stable_id("Observation", USCC, "P0001", "rh"), "meta": META,
            "status": "final", "category": LAB,
            "code": {"coding": [{"system": LOINC, "code": "10331-7", "display": "Rh [Type] in Blood"}],
                     "text": "Rh血型"},
            "subject": {"reference": f"Patient/{p}"},
            "valueCodeableConcept": {"coding": [{"system": CS + "ws-364-cv04-50-020", "code": "2", "display": "阳性"}],
                                     "text": "阳性"},
        },
    ]


CHECKUP_ROW = {"个人档案编号": "P0001", "体检日期": "2024/3/5", "收缩压": "138", "舒张压": 86, "身高": "160.5",
               "体重": 58.0, "体质指数": "22.5", "心率": "", "空腹血糖": "6.1"}


def test_health_checkup_row_becomes_encounter_and_observations():
    key = ("P0001", "health-checkup", "2024-03-05")
    encounter = stable_id("Encounter", USCC, *key)
    common = {"meta": META, "status": "final", "subject": patient("P0001"),
              "encounter": {"reference": f"Encounter/{encounter}"}, "effectiveDateTime": "2024-03-05"}
    assert mapped("health_checkup", CHECKUP_ROW) == [
        {
            "resourceType": "Encounter", "id": encounter, "meta": META, "status": "finished",
            "class": {"system": ACT, "code": "AMB", "display": "ambulatory"},
            "type": [{"coding": [{"system": CS + "wj-encounter-type", "code": "health-checkup", "display": "健康体检"}],
                      "text": "健康体检"}],
            "subject": patient("P0001"), "period": {"start": "2024-03-05"}, "serviceProvider": ORG,
        },
        {
            "resourceType": "Observation", "id": stable_id("Observation", USCC, *key, "85354-9"), **common,
            "category": VITAL,
            "code": {"coding": [{"system": LOINC, "code": "85354-9",
                                 "display": "Blood pressure panel with all children optional"}], "text": "血压"},
            "component": [
                {"code": {"coding": [{"system": LOINC, "code": "8480-6", "display": "Systolic blood pressure"}],
                          "text": "收缩压"}, "valueQuantity": mmhg(138)},
                {"code": {"coding": [{"system": LOINC, "code": "8462-4", "display": "Diastolic blood pressure"}],
                          "text": "舒张压"}, "valueQuantity": mmhg(86)},
            ],
        },
        {
            "resourceType": "Observation", "id": stable_id("Observation", USCC, *key, "8302-2"), **common,
            "category": VITAL,
            "code": {"coding": [{"system": LOINC, "code": "8302-2", "display": "Body height"}], "text": "身高"},
            "valueQuantity": {"value": 160.5, "unit": "cm", "system": UCUM, "code": "cm"},
        },
        {
            "resourceType": "Observation", "id": stable_id("Observation", USCC, *key, "29463-7"), **common,
            "category": VITAL,
            "code": {"coding": [{"system": LOINC, "code": "29463-7", "display": "Body weight"}], "text": "体重"},
            "valueQuantity": {"value": 58.0, "unit": "kg", "system": UCUM, "code": "kg"},
        },
        {
            "resourceType": "Observation", "id": stable_id("Observation", USCC, *key, "39156-5"), **common,
            "category": VITAL,
            "code": {"coding": [{"system": LOINC, "code": "39156-5", "display": "Body mass index (BMI) [Ratio]"}],
                     "text": "体质指数"},
            "valueQuantity": {"value": 22.5, "unit": "kg/m²", "system": UCUM, "code": "kg/m2"},
        },
        {
            "resourceType": "Observation", "id": stable_id("Observation", USCC, *key, "14771-0"), **common,
            "category": LAB,
            "code": {"coding": [{"system": LOINC, "code": "14771-0",
                                 "display": "Fasting glucose [Moles/volume] in Serum or Plasma"}], "text": "空腹血糖"},
            "valueQuantity": {"value": 6.1, "unit": "mmol/L", "system": UCUM, "code": "mmol/L"},
        },
    ]


HYPERTENSION_ROW = {"个人档案编号": "P0001", "随访日期": "20240410", "随访方式": "3", "收缩压": 150, "舒张压": 95,
                    "体重": "", "心率": "76", "此次随访分类": "2"}


def test_hypertension_followup_row_becomes_condition_encounter_and_observations():
    key = ("P0001", "followup-hypertension", "2024-04-10")
    condition, encounter = stable_id("Condition", USCC, "P0001", "I10"), stable_id("Encounter", USCC, *key)
    common = {"meta": META, "status": "final", "subject": patient("P0001"),
              "encounter": {"reference": f"Encounter/{encounter}"}, "effectiveDateTime": "2024-04-10"}
    assert mapped("hypertension_followup", HYPERTENSION_ROW) == [
        {
            "resourceType": "Condition", "id": condition, "meta": META,
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                           "code": "active", "display": "Active"}]},
            "verificationStatus": CONFIRMED,
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category",
                                      "code": "problem-list-item", "display": "Problem List Item"}]}],
            "code": {"coding": [{"system": CS + "icd-10", "code": "I10"}], "text": "高血压"},
            "subject": patient("P0001"),
        },
        {
            "resourceType": "Encounter", "id": encounter, "meta": META,
            "extension": [{"url": EXT + "encounter-followup-classification", "valueCoding": {
                "system": CS + "wj-followup-classification", "code": "2", "display": "控制不满意"}}],
            "status": "finished",
            "class": {"system": ACT, "code": "VR", "display": "virtual"},
            "type": [
                {"coding": [{"system": CS + "wj-encounter-type", "code": "followup-hypertension",
                             "display": "高血压患者随访"}], "text": "高血压患者随访"},
                {"coding": [{"system": CS + "ws-364-cv06-00-207", "code": "3", "display": "电话"}], "text": "电话"},
            ],
            "subject": patient("P0001"), "period": {"start": "2024-04-10"},
            "reasonReference": [{"reference": f"Condition/{condition}"}], "serviceProvider": ORG,
        },
        {
            "resourceType": "Observation", "id": stable_id("Observation", USCC, *key, "85354-9"), **common,
            "category": VITAL,
            "code": {"coding": [{"system": LOINC, "code": "85354-9",
                                 "display": "Blood pressure panel with all children optional"}], "text": "血压"},
            "component": [
                {"code": {"coding": [{"system": LOINC, "code": "8480-6", "display": "Systolic blood pressure"}],
                          "text": "收缩压"}, "valueQuantity": mmhg(150)},
                {"code": {"coding": [{"system": LOINC, "code": "8462-4", "display": "Diastolic blood pressure"}],
                          "text": "舒张压"}, "valueQuantity": mmhg(95)},
            ],
        },
        {
            "resourceType": "Observation", "id": stable_id("Observation", USCC, *key, "8867-4"), **common,
            "category": VITAL,
            "code": {"coding": [{"system": LOINC, "code": "8867-4", "display": "Heart rate"}], "text": "心率"},
            "valueQuantity": {"value": 76, "unit": "次/分", "system": UCUM, "code": "/min"},
        },
    ]


DIABETES_ROW = {"个人档案编号": "P0002", "随访日期": "2024-04-11", "随访方式": 1, "收缩压": "", "舒张压": None,
                "体重": "70.5", "空腹血糖": "7.8", "糖化血红蛋白": "7.2", "此次随访分类": "1"}


def test_diabetes_followup_row_becomes_condition_encounter_and_observations():
    key = ("P0002", "followup-diabetes", "2024-04-11")
    condition, encounter = stable_id("Condition", USCC, "P0002", "E11.9"), stable_id("Encounter", USCC, *key)
    common = {"meta": META, "status": "final", "subject": patient("P0002"),
              "encounter": {"reference": f"Encounter/{encounter}"}, "effectiveDateTime": "2024-04-11"}
    assert mapped("diabetes_followup", DIABETES_ROW) == [
        {
            "resourceType": "Condition", "id": condition, "meta": META,
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                           "code": "active", "display": "Active"}]},
            "verificationStatus": CONFIRMED,
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category",
                                      "code": "problem-list-item", "display": "Problem List Item"}]}],
            "code": {"coding": [{"system": CS + "icd-10", "code": "E11.9"}], "text": "2型糖尿病"},
            "subject": patient("P0002"),
        },
        {
            "resourceType": "Encounter", "id": encounter, "meta": META,
            "extension": [{"url": EXT + "encounter-followup-classification", "valueCoding": {
                "system": CS + "wj-followup-classification", "code": "1", "display": "控制满意"}}],
            "status": "finished",
            "class": {"system": ACT, "code": "AMB", "display": "ambulatory"},
            "type": [
                {"coding": [{"system": CS + "wj-encounter-type", "code": "followup-diabetes",
                             "display": "2型糖尿病患者随访"}], "text": "2型糖尿病患者随访"},
                {"coding": [{"system": CS + "ws-364-cv06-00-207", "code": "1", "display": "门诊"}], "text": "门诊"},
            ],
            "subject": patient("P0002"), "period": {"start": "2024-04-11"},
            "reasonReference": [{"reference": f"Condition/{condition}"}], "serviceProvider": ORG,
        },
        {
            "resourceType": "Observation", "id": stable_id("Observation", USCC, *key, "29463-7"), **common,
            "category": VITAL,
            "code": {"coding": [{"system": LOINC, "code": "29463-7", "display": "Body weight"}], "text": "体重"},
            "valueQuantity": {"value": 70.5, "unit": "kg", "system": UCUM, "code": "kg"},
        },
        {
            "resourceType": "Observation", "id": stable_id("Observation", USCC, *key, "14771-0"), **common,
            "category": LAB,
            "code": {"coding": [{"system": LOINC, "code": "14771-0",
                                 "display": "Fasting glucose [Moles/volume] in Serum or Plasma"}], "text": "空腹血糖"},
            "valueQuantity": {"value": 7.8, "unit": "mmol/L", "system": UCUM, "code": "mmol/L"},
        },
        {
            "resourceType": "Observation", "id": stable_id("Observation", USCC, *key, "4548-4"), **common,
            "category": LAB,
            "code": {"coding": [{"system": LOINC, "code": "4548-4",
                                 "display": "Hemoglobin A1c/Hemoglobin.total in Blood"}], "text": "糖化血红蛋白"},
            "valueQuantity": {"value": 7.2, "unit": "%", "system": UCUM, "code": "%"},
        },
    ]


IMMUNIZATION_ROW = {"个人档案编号": "C0001", "疫苗代码": "HepB", "剂次": "2", "接种日期": dt.date(2024, 2, 1),
                    "疫苗批号": "202312045", "生产企业": "示例生物制品有限公司"}


def test_immunization_row_becomes_immunization():
    assert mapped("immunization", IMMUNIZATION_ROW) == [{
        "resourceType": "Immunization", "id": stable_id("Immunization", USCC, "C0001", "2024-02-01", "HepB", "2"),
        "meta": META, "status": "completed",
        "vaccineCode": {"coding": [{"system": CS + "wj-vaccine", "code": "HepB", "display": "乙型肝炎疫苗"}],
                        "text": "乙型肝炎疫苗"},
        "patient": patient("C0001"),
        "occurrenceDateTime": "2024-02-01",
        "lotNumber": "202312045",
        "manufacturer": {"display": "示例生物制品有限公司"},
        "performer": [{"actor": ORG}],
        "protocolApplied": [{"doseNumberPositiveInt": 2}],
    }]


OUTPATIENT_ROW = {"门诊号": "MZ20240301001", "个人档案编号": "P0001", "就诊日期时间": "2024-03-01 09:30",
                  "就诊科室": "心血管内科", "诊断编码": "i10；E11.9", "诊断名称": "原发性高血压；2型糖尿病",
                  "药物名称": "硝苯地平控释片；二甲双胍片"}


def test_outpatient_summary_row_becomes_encounter_conditions_and_medication_requests():
    key = ("outpatient", "MZ20240301001")
    encounter = stable_id("Encounter", USCC, *key)
    first, second = (stable_id("Condition", USCC, *key, n) for n in ("1", "2"))
    visit = {"reference": f"Encounter/{encounter}"}
    when = "2024-03-01T09:30:00+08:00"

    def diagnosis(condition_id, code, text):
        return {"resourceType": "Condition", "id": condition_id, "meta": META, "verificationStatus": CONFIRMED,
                "category": ENCOUNTER_DIAGNOSIS,
                "code": {"coding": [{"system": CS + "icd-10", "code": code}], "text": text},
                "subject": patient("P0001"), "encounter": visit, "recordedDate": when}

    def medication(number, name):
        return {"resourceType": "MedicationRequest", "id": stable_id("MedicationRequest", USCC, *key, number),
                "meta": META, "status": "completed", "intent": "order", "medicationCodeableConcept": {"text": name},
                "subject": patient("P0001"), "encounter": visit, "authoredOn": when}

    assert mapped("outpatient_summary", OUTPATIENT_ROW) == [
        {
            "resourceType": "Encounter", "id": encounter, "meta": META,
            "identifier": [{"type": {"text": "门诊号"}, "system": f"http://weijian.local/fhir/sid/source/{USCC}/encounter",
                            "value": "MZ20240301001"}],
            "status": "finished",
            "class": {"system": ACT, "code": "AMB", "display": "ambulatory"},
            "type": [{"coding": [{"system": CS + "wj-encounter-type", "code": "outpatient", "display": "门诊"}],
                      "text": "门诊"}],
            "serviceType": {"text": "心血管内科"},
            "subject": patient("P0001"), "period": {"start": when},
            "diagnosis": [{"condition": {"reference": f"Condition/{first}"}, "rank": 1},
                          {"condition": {"reference": f"Condition/{second}"}, "rank": 2}],
            "serviceProvider": ORG,
        },
        diagnosis(first, "I10", "原发性高血压"),
        diagnosis(second, "E11.9", "2型糖尿病"),
        medication("1", "硝苯地平控释片"),
        medication("2", "二甲双胍片"),
    ]


INPATIENT_ROW = {"住院号": "ZY2024000123", "个人档案编号": "P0001", "入院日期时间": dt.datetime(2024, 5, 6, 10, 15),
                 "出院日期时间": "2024/5/16 9:00", "出院诊断编码": "I63.9", "出院诊断名称": "", "离院方式": "1",
                 "主要手术及操作名称": "经皮颈动脉支架置入术", "手术及操作日期": "2024-05-08"}


def test_inpatient_summary_row_becomes_encounter_condition_and_procedure():
    key = ("inpatient", "ZY2024000123")
    encounter, condition = stable_id("Encounter", USCC, *key), stable_id("Condition", USCC, *key, "1")
    stay = {"reference": f"Encounter/{encounter}"}
    assert mapped("inpatient_summary", INPATIENT_ROW) == [
        {
            "resourceType": "Encounter", "id": encounter, "meta": META,
            "identifier": [{"type": {"text": "住院号"}, "system": f"http://weijian.local/fhir/sid/source/{USCC}/encounter",
                            "value": "ZY2024000123"}],
            "status": "finished",
            "class": {"system": ACT, "code": "IMP", "display": "inpatient encounter"},
            "type": [{"coding": [{"system": CS + "wj-encounter-type", "code": "inpatient", "display": "住院"}],
                      "text": "住院"}],
            "subject": patient("P0001"),
            "period": {"start": "2024-05-06T10:15:00+08:00", "end": "2024-05-16T09:00:00+08:00"},
            "diagnosis": [{"condition": {"reference": f"Condition/{condition}"}, "rank": 1, "use": {"coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/diagnosis-role", "code": "DD",
                 "display": "Discharge diagnosis"}]}}],
            "hospitalization": {"dischargeDisposition": {
                "coding": [{"system": CS + "wj-discharge-disposition", "code": "1", "display": "医嘱离院"}],
                "text": "医嘱离院"}},
            "serviceProvider": ORG,
        },
        {
            "resourceType": "Condition", "id": condition, "meta": META, "verificationStatus": CONFIRMED,
            "category": ENCOUNTER_DIAGNOSIS, "code": {"coding": [{"system": CS + "icd-10", "code": "I63.9"}]},
            "subject": patient("P0001"), "encounter": stay, "recordedDate": "2024-05-16T09:00:00+08:00",
        },
        {
            "resourceType": "Procedure", "id": stable_id("Procedure", USCC, *key, "1"), "meta": META,
            "status": "completed", "code": {"text": "经皮颈动脉支架置入术"}, "subject": patient("P0001"),
            "encounter": stay, "performedDateTime": "2024-05-08",
        },
    ]


ROWS = {
    "personal_basic": PERSON_ROW, "health_checkup": CHECKUP_ROW, "hypertension_followup": HYPERTENSION_ROW,
    "diabetes_followup": DIABETES_ROW, "immunization": IMMUNIZATION_ROW, "outpatient_summary": OUTPATIENT_ROW,
    "inpatient_summary": INPATIENT_ROW,
}


@pytest.mark.parametrize("key", list(ROWS))
def test_every_resource_is_valid_fhir_and_the_same_row_twice_gives_the_same_resources(key):
    first = mapped(key, dict(ROWS[key]))
    assert_valid_fhir(first)
    assert all(r["meta"] == META for r in first)
    assert len({(r["resourceType"], r["id"]) for r in first}) == len(first)
    assert mapped(key, dict(ROWS[key])) == first


def test_the_same_values_written_differently_give_the_same_resources():
    as_text = {**CHECKUP_ROW, "体检日期": "2024-03-05", "收缩压": 138, "身高": 160.5, "体重": "58"}
    as_excel = {**CHECKUP_ROW, "体检日期": dt.datetime(2024, 3, 5), "收缩压": 138.0, "舒张压": "86"}
    assert mapped("health_checkup", as_text) == mapped("health_checkup", as_excel) == mapped("health_checkup",
                                                                                              CHECKUP_ROW)


def test_repeated_followups_share_one_condition_per_resident_and_disease():
    first = mapped("hypertension_followup", HYPERTENSION_ROW)
    later = mapped("hypertension_followup", {**HYPERTENSION_ROW, "随访日期": "2024-07-10", "此次随访分类": "1"})
    assert first[0] == later[0] and first[0]["resourceType"] == "Condition"
    assert first[1]["id"] != later[1]["id"]  # two follow-up encounters
    other_source = SourceContext("125101000000000087", "125101000000000087")
    elsewhere = map_row(DATASETS["hypertension_followup"], HYPERTENSION_ROW, source=other_source,
                        codes=terminology_checker())
    assert elsewhere[0]["id"] != first[0]["id"]  # a source's local ids are its own


# ---- bad rows ---------------------------------------------------------------------------------------------

def test_a_bad_person_row_lists_every_problem():
    row = {**PERSON_ROW, "姓名": " ", "身份证号": "510104195806150249", "性别": "5", "出生日期": "2023-02-30",
           "民族": "99", "联系电话": "12345", "ABO血型": "A"}
    assert problems("personal_basic", row) == [
        "“姓名”不能为空",
        "“身份证号”的值“5101**********0249”有误：身份证号校验位错误",
        "“性别”的值“5”不在值域“人的性别代码”中",
        "“出生日期”的值“2023-02-30”不是有效日期（应为 2024-03-01、2024/3/1 或 20240301）",
        "“民族”的值“99”不在值域“中国各民族名称的罗马字母拼写法和代码”中",
        "“联系电话”的值“12345”不是有效的电话号码",
        "“ABO血型”的值“A”不在值域“ABO血型代码”中",
    ]


def test_birth_date_and_sex_must_agree_with_the_id_number():
    row = {**PERSON_ROW, "性别": "1", "出生日期": "1958-06-16"}
    assert problems("personal_basic", row) == [
        "“出生日期”的值“1958-06-16”与身份证号中的出生日期不一致",
        "“性别”的值“1”与身份证号中的性别不一致",
    ]


def test_missing_required_columns_are_each_named():
    assert problems("immunization", {"个人档案编号": "C0001"}) == [
        "“疫苗代码”不能为空", "“剂次”不能为空", "“接种日期”不能为空", "“疫苗批号”不能为空",
    ]


def test_bad_numbers_and_a_future_date_in_a_checkup():
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    row = {**CHECKUP_ROW, "体检日期": tomorrow.isoformat(), "收缩压": "高", "舒张压": "350", "身高": None,
           "体重": "1e2", "心率": "72.5", "空腹血糖": "0.1"}
    assert problems("health_checkup", row) == [
        f"“体检日期”的值“{tomorrow.isoformat()}”晚于今天",
        "“收缩压”的值“高”不是数字",
        "“舒张压”的值“350”超出合理范围（20–200 mmHg）",
        "“身高”不能为空",
        "“体重”的值“1e2”不是数字",
        "“心率”的值“72.5”不是整数",
        "“空腹血糖”的值“0.1”超出合理范围（0.5–50 mmol/L）",
    ]


def test_blood_pressure_must_be_consistent():
    assert problems("hypertension_followup", {**HYPERTENSION_ROW, "收缩压": 110, "舒张压": "120"}) == [
        "“舒张压”的值“120”应低于“收缩压”的值“110”"]
    assert problems("diabetes_followup", {**DIABETES_ROW, "收缩压": 130}) == ["“收缩压”和“舒张压”应同时填写"]
    assert problems("hypertension_followup", {**HYPERTENSION_ROW, "随访方式": "6", "此次随访分类": "5"}) == [
        "“随访方式”的值“6”不在值域“随访方式代码”中",
        "“此次随访分类”的值“5”不在值域“此次随访分类”中",
    ]


def test_bad_inpatient_row():
    row = {**INPATIENT_ROW, "出院日期时间": "2024-05-01 08:00", "出院诊断编码": "I63.9；XYZ；K35",
           "出院诊断名称": "脑梗死；阑尾炎", "离院方式": "7", "手术及操作日期": "2024-5-8 10:00"}
    assert problems("inpatient_summary", row) == [
        "“出院诊断编码”的值“XYZ”不在值域“ICD-10”中",
        "“离院方式”的值“7”不在值域“离院方式”中",
        "“手术及操作日期”的值“2024-5-8 10:00”不是有效日期（应为 2024-03-01、2024/3/1 或 20240301）",
        "“出院诊断名称”有 2 个，与“出院诊断编码”的 3 个不一致",
        "“出院日期时间”的值“2024-05-01T08:00:00+08:00”早于“入院日期时间”的值“2024-05-06T10:15:00+08:00”",
    ]


def test_an_operation_outside_the_stay_and_a_datetime_that_does_not_exist():
    assert problems("inpatient_summary", {**INPATIENT_ROW, "手术及操作日期": "20240520"}) == [
        "“手术及操作日期”的值“2024-05-20”不在入院至出院期间"]
    assert problems("outpatient_summary", {**OUTPATIENT_ROW, "就诊日期时间": "2024-03-01 25:10"}) == [
        "“就诊日期时间”的值“2024-03-01 25:10”不是有效日期时间"
        "（应为 2024-03-01 09:30、2024/3/1 9:30、2024-03-01 或 20240301）"]


# ---- code checks against the terminology -------------------------------------------------------------------

def test_icd10_is_checked_by_membership_once_loaded():
    icd10_load(chapters=("IX",))  # circulatory diseases only
    resources = mapped("outpatient_summary", {**OUTPATIENT_ROW, "诊断编码": "I10", "诊断名称": ""})
    assert resources[1]["code"] == {
        "coding": [{"system": CS + "icd-10", "code": "I10", "display": "Essential (primary) hypertension"}],
        "text": "Essential (primary) hypertension"}
    assert problems("outpatient_summary", {**OUTPATIENT_ROW, "诊断编码": "J06.9；I10-I15", "诊断名称": ""}) == [
        "“诊断编码”的值“J06.9”不在值域“ICD-10”中", "“诊断编码”的值“I10-I15”不在值域“ICD-10”中"]


def test_a_retired_code_is_refused():
    Concept.objects.filter(code_system__url=code_system_url("wj-vaccine"), code="HepB").update(is_active=False)
    assert problems("immunization", IMMUNIZATION_ROW) == ["“疫苗代码”的值“HepB”不在值域“疫苗”中"]


def test_the_county_code_is_named_when_the_platform_knows_the_division(world):
    from weijian.terminology.seed import terminology_seed

    terminology_seed(actor=None)  # loads the world's divisions as GB/T 2260 concepts
    patient_resource = mapped("personal_basic", PERSON_ROW)[0]
    assert patient_resource["address"] == [{"use": "home", "text": "红星路二段12号", "district": "锦江区", "extension": [
        {"url": EXT + "address-division",
         "valueCoding": {"system": CS + "gb-t-2260", "code": "510104", "display": "锦江区"}}]}]
    # a well-formed county outside the platform's divisions is still accepted (the system is a fragment)
    assert mapped("personal_basic", {**PERSON_ROW, "现住址区县代码": "110101"})[0]["address"][0]["extension"] == [
        {"url": EXT + "address-division", "valueCoding": {"system": CS + "gb-t-2260", "code": "110101"}}]


def test_names_are_split_only_when_they_are_plain_han_names():
    cases = {"李娜": ("李", "娜"), "司马光明": ("司马", "光明"), "欧阳": ("欧", "阳")}
    for name, (family, given) in cases.items():
        assert mapped("personal_basic", {**PERSON_ROW, "姓名": name})[0]["name"] == [
            {"use": "official", "text": name, "family": family, "given": [given]}]
    assert mapped("personal_basic", {**PERSON_ROW, "姓名": "阿依古丽·买买提"})[0]["name"] == [
        {"use": "official", "text": "阿依古丽·买买提"}]

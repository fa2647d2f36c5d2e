"""Small builders for the FHIR R4 dicts the mappings return."""

from weijian.records.identity import BASE
from weijian.terminology.seed import code_system_url

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
DIAGNOSIS_ROLE = "http://terminology.hl7.org/CodeSystem/diagnosis-role"

# The platform's extensions (no national profile defines these yet).
EXTENSION = f"{BASE}/StructureDefinition"
EXT_GB_SEX = f"{EXTENSION}/patient-gb-sex"  # the GB/T 2261.1 code behind Patient.gender
EXT_ETHNICITY = f"{EXTENSION}/patient-ethnicity"  # GB/T 3304
EXT_DIVISION = f"{EXTENSION}/address-division"  # GB/T 2260 code of the address's county
EXT_FOLLOWUP_CLASS = f"{EXTENSION}/encounter-followup-classification"  # 此次随访分类

ENCOUNTER_CLASS = {
    "AMB": "ambulatory", "IMP": "inpatient encounter", "HH": "home health", "VR": "virtual",
}
VITAL_SIGNS = "vital-signs"
LABORATORY = "laboratory"

# (LOINC code, LOINC display, category) of each measured column.
LOINC_CODES = {
    "身高": ("8302-2", "Body height", VITAL_SIGNS),
    "体重": ("29463-7", "Body weight", VITAL_SIGNS),
    "体质指数": ("39156-5", "Body mass index (BMI) [Ratio]", VITAL_SIGNS),
    "心率": ("8867-4", "Heart rate", VITAL_SIGNS),
    # mmol/L is a substance concentration: the moles/volume code, not 1558-6 (mass/volume, mg/dL).
    "空腹血糖": ("14771-0", "Fasting glucose [Moles/volume] in Serum or Plasma", LABORATORY),
    "糖化血红蛋白": ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", LABORATORY),
}
BLOOD_PRESSURE = ("85354-9", "Blood pressure panel with all children optional")
SYSTOLIC = ("8480-6", "Systolic blood pressure")
DIASTOLIC = ("8462-4", "Diastolic blood pressure")
ABO = ("883-9", "ABO group [Type] in Blood")
RH = ("10331-7", "Rh [Type] in Blood")


def reference(resource_type: str, resource_id: str) -> dict:
    return {"reference": f"{resource_type}/{resource_id}"}


def coding(slug: str, code: str, display: str = "") -> dict:
    """A coding in one of the terminology's code systems; a display only when the system gives one."""
    result = {"system": code_system_url(slug), "code": code}
    if display:
        result["display"] = display
    return result


def concept(slug: str, code: str, display: str = "", text: str = "") -> dict:
    result = {"coding": [coding(slug, code, display)]}
    if text or display:
        result["text"] = text or display
    return result


def loinc(code: str, display: str, text: str) -> dict:
    return {"coding": [{"system": LOINC, "code": code, "display": display}], "text": text}


def category(code: str) -> list[dict]:
    display = {VITAL_SIGNS: "Vital Signs", LABORATORY: "Laboratory"}[code]
    return [{"coding": [{"system": OBSERVATION_CATEGORY, "code": code, "display": display}]}]


def quantity(value, ucum: str, unit: str) -> dict:
    return {"value": value, "unit": unit, "system": UCUM, "code": ucum}


def encounter_class(code: str) -> dict:
    return {"system": ACT_CODE, "code": code, "display": ENCOUNTER_CLASS[code]}

"""Health records of the demo city: synthetic residents with three years of history at several
institutions, uploaded through the record store's real pipelines, as the institutions would send them.

- **WS 365 data-set files** (CSV, `datasets.dataset_upload` + `dataset_import_run`): each district's
  全民健康信息平台 (a 区（县）平台 source at the district's CDC), or in three central districts their
  community health centres (基层医疗卫生机构), keep the residents' health archives: 个人基本信息表 first,
  then check-ups (yearly from 65), quarterly hypertension and diabetes follow-ups, vaccinations by the
  national schedule, outpatient and inpatient summaries.
- **FHIR transaction Bundles** (`services.bundle_submit`): each district's 人民医院 sends its outpatient
  visits: diagnoses (ICD-10), blood pressure and labs (LOINC), prescriptions, lab and imaging reports,
  imaging studies, visit notes, allergies and care plans.
- **Bulk NDJSON** (`bulk.bulk_upload` + `ndjson_import_run`): 蓉城第一中心医院 sends its inpatient stays.
  A stay referred by a district hospital (双向转诊) names that hospital's Patient, so the referring
  hospital's clinicians see the stay in the resident's timeline.

A person is a Patient at every source that saw them (the source's own record number, the same citizen ID
number) for the master patient index to link. Everyone is synthetic: names from Faker's zh_CN data,
valid GB 11643 numbers with Chengdu region codes.

Deterministic for a seed and `today`; streamed in rounds of `CHUNK` residents, each round one transaction
and built per source as it is sent, so memory does not grow with the count; idempotent: ids are stable,
and every pipeline reports equal content as unchanged. The showcase resident (a patient of the demo health
worker's hospital, also treated at the city hospital) is written last; when their stay exists, the step is
skipped at once.
"""

import base64
import csv
import datetime as dt
import io
import itertools
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import orjson
from django.db import transaction
from faker.providers.person.zh_CN import Provider as ChineseNames

from weijian.accounts.models import User
from weijian.demo.city import DEMO_DISTRICT, DISTRICTS, OUTER, URBAN
from weijian.orgs.models import Institution
from weijian.records import bulk, datasets, identity, services, sources, ws365
from weijian.records.models import Resource, Source, SourceKind, Upload
from weijian.records.ws365 import resources as r
from weijian.records.ws365.mapping import human_name
from weijian.terminology.seed import code_system_url
from weijian.workforce.idnumber import make_id_number

DEFAULT_RESIDENTS = 50_000
EMERGENCY_EVERY = 60  # one resident in this many was registered at a hospital's emergency desk without ID
CHUNK = 5_000  # residents per round (one transaction); each source's part is built as it is sent
BUNDLE_ENTRIES = 500
YEARS = 3  # of history
CITY_HOSPITAL = "蓉城第一中心医院"
PRIMARY_CARE_DISTRICTS = ("510104", "510105", "510107")  # their community centres upload themselves
ARCHIVE_ORDER = ("personal_basic", "health_checkup", "hypertension_followup", "diabetes_followup", "immunization",
                 "outpatient_summary", "inpatient_summary")  # 个人基本信息表 first: the others refer to it

ICD10 = code_system_url("icd-10")
DCM = "http://dicom.nema.org/resources/ontology/DCM"
DIAGNOSTIC_SERVICE = "http://terminology.hl7.org/CodeSystem/v2-0074"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"

SURNAMES = list(ChineseNames.last_names)
SURNAME_WEIGHTS = list(itertools.accumulate(ChineseNames.last_names.values()))
GIVEN_NAMES = {True: ChineseNames.first_names_male, False: ChineseNames.first_names_female}
DISTRICT_NAMES = {d.code: d.name for d in DISTRICTS}
STREETS = ("春熙路", "东大街", "红星路", "总府路", "盐市口", "人民南路", "玉林路", "科华北路", "红牌楼路", "蜀都大道",
           "一环路", "二环路", "建设路", "双林路", "府青路", "金沙路", "清江东路", "光华大道", "天府大道", "剑南大道",
           "龙泉街", "正兴街", "文化路", "建设北路", "星辉西路", "沙湾路", "营门口路", "青龙街", "石人路", "长顺街")
AGE_BANDS = ((0, 6, 5), (7, 14, 7), (15, 29, 17), (30, 44, 23), (45, 59, 27), (60, 74, 16), (75, 92, 5))  # % weight
PREVALENCE = ((34, 0.02, 0.01), (44, 0.08, 0.04), (59, 0.22, 0.10), (74, 0.42, 0.17), (200, 0.52, 0.19))
# ^ (up to age, hypertension, diabetes)
OTHER_CHRONIC = (("E78.5", "高脂血症", 45, 0.18), ("I25.1", "冠状动脉粥样硬化性心脏病", 55, 0.08),
                 ("J44.9", "慢性阻塞性肺疾病", 55, 0.05), ("M17.9", "膝关节骨关节炎", 50, 0.08),
                 ("K21.9", "胃食管反流病", 30, 0.04))  # (ICD-10, name, from age, share)
CHRONIC_CODES = frozenset({"I10", "E11.9", *(code for code, *_rest in OTHER_CHRONIC)})
ACUTE = (("J06.9", "急性上呼吸道感染", "呼吸内科"), ("J20.9", "急性支气管炎", "呼吸内科"), ("K29.7", "胃炎", "消化内科"),
         ("M54.5", "腰痛", "骨科"), ("N39.0", "尿路感染", "泌尿外科"), ("K52.9", "非感染性胃肠炎", "消化内科"),
         ("R51", "头痛", "神经内科"), ("L30.9", "皮炎", "皮肤科"), ("K59.0", "便秘", "消化内科"),
         ("B34.9", "病毒感染", "全科"), ("R10.4", "腹痛", "普外科"), ("G47.0", "失眠", "神经内科"))
CHILD_ACUTE = (("J06.9", "急性上呼吸道感染", "儿科"), ("J20.9", "急性支气管炎", "儿科"), ("A09.9", "胃肠炎", "儿科"),
               ("B34.9", "病毒感染", "儿科"))
IMAGING = (("CT", "胸部CT平扫", "双肺纹理增多，未见明确实质性病变。", 3, 240),
           ("US", "腹部彩色多普勒超声", "肝胆胰脾未见明显异常。", 1, 24),
           ("DX", "胸部正位X线摄影", "心影稍大，双肺未见明显实变。", 1, 1),
           ("MR", "头颅MRI平扫", "双侧基底节区少许腔隙性缺血灶。", 4, 120),
           ("US", "颈动脉彩色多普勒超声", "双侧颈动脉内中膜增厚，左侧见斑块形成。", 1, 16),
           ("DX", "骨盆正位X线摄影", "右侧股骨颈骨质连续性中断。", 1, 2))  # (modality, title, finding, series, images)
STAYS = (  # (ICD-10, name, department, (min, max) days, procedure, imaging (index in IMAGING), weight)
    ("J18.9", "肺炎", "呼吸内科", (6, 12), "", 0, 16), ("I63.9", "脑梗死", "神经内科", (9, 16), "", 3, 10),
    ("I21.9", "急性心肌梗死", "心血管内科", (6, 10), "经皮冠状动脉支架置入术", 2, 5),
    ("I25.1", "冠状动脉粥样硬化性心脏病", "心血管内科", (4, 8), "冠状动脉造影术", 4, 8),
    ("J44.9", "慢性阻塞性肺疾病急性加重", "呼吸内科", (7, 12), "", 0, 8),
    ("K80.2", "胆囊结石", "肝胆外科", (4, 7), "腹腔镜胆囊切除术", 1, 9),
    ("K35.8", "急性阑尾炎", "普外科", (3, 6), "腹腔镜阑尾切除术", 1, 6),
    ("S72.0", "股骨颈骨折", "骨科", (10, 18), "人工髋关节置换术", 5, 5),
    ("H25.9", "老年性白内障", "眼科", (1, 3), "白内障超声乳化摘除术", None, 9),
    ("I50.9", "心力衰竭", "心血管内科", (7, 12), "", 2, 6), ("E11.9", "2型糖尿病", "内分泌科", (6, 10), "", 4, 8),
    ("C34.9", "肺恶性肿瘤", "肿瘤科", (8, 15), "胸腔镜肺叶切除术", 0, 4), ("O80.9", "单胎顺产", "产科", (2, 4), "", None, 6),
)
YOUNG_STAYS = frozenset({"J18.9", "K35.8", "K80.2", "S72.0", "O80.9"})  # the stays open to residents under 40
DRUGS = {  # (drug, dosage) by diagnosis
    "I10": (("苯磺酸氨氯地平片", "5mg 每日一次 口服"), ("硝苯地平控释片", "30mg 每日一次 口服"),
            ("缬沙坦胶囊", "80mg 每日一次 口服"), ("厄贝沙坦片", "150mg 每日一次 口服")),
    "E11.9": (("盐酸二甲双胍片", "0.5g 每日三次 餐后口服"), ("阿卡波糖片", "50mg 每日三次 随餐嚼服"),
              ("格列美脲片", "2mg 每日一次 早餐前口服")),
    "E78.5": (("阿托伐他汀钙片", "20mg 每晚一次 口服"), ("瑞舒伐他汀钙片", "10mg 每晚一次 口服")),
    "I25.1": (("阿司匹林肠溶片", "100mg 每日一次 口服"), ("单硝酸异山梨酯缓释片", "40mg 每日一次 口服")),
    "J44.9": (("噻托溴铵粉吸入剂", "18μg 每日一次 吸入"),),
    "M17.9": (("塞来昔布胶囊", "200mg 每日一次 口服"),),
    "K21.9": (("奥美拉唑肠溶胶囊", "20mg 每日一次 早餐前口服"),),
    "acute": (("阿莫西林胶囊", "0.5g 每日三次 口服"), ("布洛芬缓释胶囊", "0.3g 每日两次 口服"),
              ("复方甘草片", "3片 每日三次 口服"), ("蒙脱石散", "3g 每日三次 口服"), ("头孢克肟分散片", "0.1g 每日两次 口服"),
              ("奥美拉唑肠溶胶囊", "20mg 每日一次 口服"), ("氯雷他定片", "10mg 每日一次 口服")),
}
# (LOINC code, display, text, UCUM unit, decimals, "high" from). LDL and creatinine as the mass
# concentrations their LOINC codes name (2089-1, 2160-0), so in mg/dL.
LABS = {
    "hba1c": ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "糖化血红蛋白", "%", 1, 6.5),
    "glucose": ("14771-0", "Fasting glucose [Moles/volume] in Serum or Plasma", "空腹血糖", "mmol/L", 1, 7.0),
    "ldl": ("2089-1", "Cholesterol in LDL [Mass/volume] in Serum or Plasma", "低密度脂蛋白胆固醇", "mg/dL", 0, 130),
    "creatinine": ("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "肌酐", "mg/dL", 2, 1.3),
}
VACCINE_SCHEDULE = (  # (vaccine, dose, age in months): the national immunisation schedule
    ("HepB", 1, 0), ("BCG", 1, 0), ("HepB", 2, 1), ("IPV", 1, 2), ("IPV", 2, 3), ("DTaP", 1, 3), ("bOPV", 1, 4),
    ("DTaP", 2, 4), ("DTaP", 3, 5), ("HepB", 3, 6), ("MPSV-A", 1, 6), ("MMR", 1, 8), ("JE-L", 1, 8),
    ("MPSV-A", 2, 9), ("DTaP", 4, 18), ("MMR", 2, 18), ("HepA-L", 1, 18), ("JE-L", 2, 24), ("MPSV-AC", 1, 36),
    ("bOPV", 2, 48), ("DT", 1, 72), ("MPSV-AC", 2, 72))
MAKERS = ("蓉康生物制品有限公司", "华西生物技术有限公司", "天府疫苗有限公司", "巴蜀生物制品有限公司")  # synthetic
FOLLOWUP_METHODS = {"1": 55, "2": 15, "3": 25, "5": 5}


@dataclass
class RecordsSummary:
    residents: int = 0
    sources: int = 0  # registered by this run
    uploads: Counter = field(default_factory=Counter)  # new upload batches by kind (ws365, transaction, ndjson)
    resources: Counter = field(default_factory=Counter)  # created / updated / unchanged / rejected, as they report
    at_two_or_more: int = 0  # residents with records at two or more institutions
    showcase: str = ""  # the showcase resident's name
    showcase_patient: str = ""  # their Patient at the demo health worker's hospital
    showcase_number: str = ""  # ... and its record number (病案号), to search by
    showcase_institutions: list[str] = field(default_factory=list)
    skipped: bool = False
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class Person:
    index: int
    name: str
    male: bool
    birth: dt.date
    id_number: str
    phone: str
    district: str
    address: str
    hypertension: dt.date | None = None  # onset
    diabetes: dt.date | None = None
    chronic: list[tuple[str, str]] = field(default_factory=list)  # other long-term diseases
    archive: int | None = None  # which of the district's archive sources keeps their health archive
    hospital: str = ""  # the district whose 人民医院 sees them
    stay: bool = False  # a stay at the city hospital
    referred: bool = False  # ... referred by their district hospital (the stay names its Patient)
    allergy: bool = False

    def age(self, on: dt.date) -> int:
        return on.year - self.birth.year - ((on.month, on.day) < (self.birth.month, self.birth.day))


@dataclass
class Plan:
    archives: dict[str, list[Source]]  # district -> its archive sources (WS 365)
    hospitals: dict[str, Source]  # district -> its 人民医院 (Bundles)
    city: Source | None  # the city hospital (NDJSON)
    showcase_hospital: Source  # the demo health worker's hospital

    def stay_target(self) -> Source:
        """Where the showcase's stay is: the city hospital, else another district hospital."""
        return self.city or next(s for s in self.hospitals.values() if s.pk != self.showcase_hospital.pk)


def _plan(actor: User, summary: RecordsSummary) -> Plan | None:
    """Choose the institutions that send records and register those not registered yet; None when the city
    has no record keepers or the demo health worker works elsewhere than at a district 人民医院."""
    by_district: dict[str, list[Institution]] = {}
    for institution in Institution.objects.filter(is_active=True).order_by("uscc"):
        by_district.setdefault(institution.district_id, []).append(institution)
    archives, hospitals = {}, {}
    for district in DISTRICTS:
        places = by_district.get(district.code, [])
        people = next((i for i in places if i.name == f"{district.name}人民医院"), None)
        if people is not None:
            hospitals[district.code] = (people, SourceKind.HOSPITAL, "")
        primary = [(i, SourceKind.PRIMARY_CARE, "") for i in places
                   if i.type in ("community_centre", "township_hospital")]
        cdc = next((i for i in places if i.name == f"{district.name}疾病预防控制中心"), None)
        if district.code in PRIMARY_CARE_DISTRICTS and primary:
            archives[district.code] = primary[:3]
        elif cdc is not None:
            archives[district.code] = [(cdc, SourceKind.DISTRICT_PLATFORM, f"{district.name}全民健康信息平台")]
        elif primary:
            archives[district.code] = primary[:1]
    city = Institution.objects.filter(name=CITY_HOSPITAL, is_active=True).first()
    worker = User.objects.filter(username="worker_jinjiang").select_related("worker").first()
    at = worker.worker.institution_id if worker and worker.worker_id else None
    showcase = next((district for district, (i, _kind, _name) in hospitals.items() if i.pk == at), None)
    if showcase is None or not archives:
        return None
    existing = {s.institution_id: s for s in Source.objects.select_related("institution", "account")}

    def register(institution: Institution, kind: str, name: str) -> Source:
        if institution.pk not in existing:
            existing[institution.pk] = sources.source_register(actor=actor, institution=institution, kind=kind,
                                                               name=name)
            summary.sources += 1
        return existing[institution.pk]

    hospital_sources = {district: register(*spec) for district, spec in hospitals.items()}
    return Plan({district: [register(*spec) for spec in specs] for district, specs in archives.items()},
                hospital_sources, register(city, SourceKind.HOSPITAL, "") if city else None,
                hospital_sources[showcase])


# ---- residents -------------------------------------------------------------------------------------------

class Population:
    """Residents one by one, the same for a seed whatever the chunk size; number 0 is the showcase."""

    def __init__(self, seed: int, today: dt.date, plan: Plan):
        self.seed, self.today, self.plan = seed, today, plan
        self.used: set[str] = set()
        weights = {d.code: 2.0 if d.code == DEMO_DISTRICT else 1.3 if d.kind == URBAN else 0.7 if d.kind == OUTER
                   else 1.0 for d in DISTRICTS}
        self.districts, self.district_weights = list(weights), list(itertools.accumulate(weights.values()))
        self.ages = [(low, high) for low, high, _weight in AGE_BANDS]
        self.age_weights = list(itertools.accumulate(weight for *_span, weight in AGE_BANDS))

    def rng(self, index: int, purpose: str) -> random.Random:
        return random.Random(f"{self.seed}:{index}:{purpose}")

    def person(self, index: int) -> Person:
        rng, today, showcase = self.rng(index, "person"), self.today, index == 0
        if showcase:  # 锦江区, in their sixties, hypertension and diabetes, treated at two hospitals
            district, age, male = DEMO_DISTRICT, rng.randint(62, 68), rng.random() < 0.5
        else:
            district = rng.choices(self.districts, cum_weights=self.district_weights)[0]
            low, high = rng.choices(self.ages, cum_weights=self.age_weights)[0]
            age, male = rng.randint(low, high), rng.random() < 0.49
        birth = _add_years(today, -age) - dt.timedelta(days=rng.randint(1, 364))
        region = district if rng.random() < 0.8 else rng.choice(DISTRICTS).code  # where they were born
        while True:
            id_number = make_id_number(region, birth, rng.randrange(500) * 2 + male)  # odd sequence: male
            if id_number not in self.used:
                self.used.add(id_number)
                break
        name = rng.choices(SURNAMES, cum_weights=SURNAME_WEIGHTS)[0] + rng.choice(GIVEN_NAMES[male])
        phone = "1" + rng.choice("3578") + "".join(rng.choices("0123456789", k=9))
        address = f"{DISTRICT_NAMES[district]}{rng.choice(STREETS)}{rng.randint(1, 400)}号{rng.randint(1, 30)}栋" \
                  f"{rng.randint(1, 6)}单元{rng.randint(1, 32)}{rng.randint(1, 8):02d}室"
        person = Person(index, name, male, birth, id_number, phone, district, address)
        _upto, hypertension, diabetes = next(band for band in PREVALENCE if age <= band[0])
        if showcase or rng.random() < hypertension:
            person.hypertension = _onset(rng, today, age)
        if showcase or rng.random() < diabetes:
            person.diabetes = _onset(rng, today, age)
        person.chronic = [(code, label) for code, label, from_age, share in OTHER_CHRONIC
                          if age >= from_age and (rng.random() < share or (showcase and code == "E78.5"))]
        chronic = bool(person.hypertension or person.diabetes or person.chronic)
        archives = self.plan.archives.get(district)
        if archives and (showcase or rng.random() < (0.9 if chronic or age >= 65 or age < 7 else 0.7)):
            person.archive = rng.randrange(len(archives))
        hospitals = self.plan.hospitals
        if showcase:
            person.hospital = self.plan.showcase_hospital.institution.district_id
        elif rng.random() < 0.15 + (0.35 if chronic else 0) + (0.1 if age >= 60 else 0):
            home = district in hospitals and rng.random() < 0.85
            person.hospital = district if home else rng.choice(sorted(hospitals))
        if showcase or rng.random() < 0.04 + (0.05 if chronic else 0) + (0.05 if age >= 65 else 0):
            person.stay = age >= 1
            person.referred = bool(person.hospital) and (showcase or rng.random() < 0.3)
        person.allergy = showcase or rng.random() < 0.04
        return person

    def institutions(self, person: Person) -> int:
        """At how many institutions the person has records."""
        return (person.archive is not None) + bool(person.hospital) + (person.stay and self.plan.city is not None)


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _onset(rng: random.Random, today: dt.date, age: int) -> dt.date:
    return today - dt.timedelta(days=int(rng.uniform(0.3, max(0.5, min(15, age - 25))) * 365))


def _days(start: dt.date, end: dt.date, every: int, rng: random.Random, jitter: int = 10) -> list[dt.date]:
    """Dates from `start` every `every` days (± jitter) up to `end`."""
    found, day = [], start + dt.timedelta(days=rng.randint(0, every - 1))
    while day <= end:
        found.append(day)
        day += dt.timedelta(days=every + rng.randint(-jitter, jitter))
    return found


def _any_day(rng: random.Random, start: dt.date, margin: int = 2) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, 365 * YEARS - margin))


def _pressure(rng: random.Random, person: Person, on: dt.date, treated_since: dt.date | None) -> tuple[int, int]:
    """Blood pressure: normal before the disease (or before treatment), high at first, better with months of it."""
    if person.hypertension is None or (treated_since and on < treated_since):
        systolic = rng.randint(105, 138)
    else:
        systolic = int(rng.gauss(158 - min(24, (on - person.hypertension).days / 20), 9))
    systolic = max(95, min(200, systolic))
    return systolic, max(55, min(systolic - 25, int(rng.gauss(systolic * 0.6, 5))))


def _glucose(rng: random.Random, person: Person) -> float:
    return round(rng.uniform(6.4, 10.5) if person.diabetes else rng.uniform(4.2, 6.0), 1)


def _hba1c(rng: random.Random, person: Person) -> float:
    return round(rng.uniform(6.2, 9.4) if person.diabetes else rng.uniform(4.6, 5.9), 1)


def _when(day: dt.date, rng: random.Random, start: int = 8, end: int = 17, sep: str = "T") -> str:
    """A time on `day`: FHIR dateTime in China time, or (sep=" ") a spreadsheet's date and time."""
    text = f"{day.isoformat()}{sep}{rng.randint(start, end):02d}:{rng.randrange(60):02d}"
    return f"{text}:00+08:00" if sep == "T" else text


def _long_term(person: Person, on: dt.date) -> list[tuple[str, str]]:
    found = [("I10", "原发性高血压")] if person.hypertension and person.hypertension <= on else []
    if person.diabetes and person.diabetes <= on:
        found.append(("E11.9", "2型糖尿病"))
    return found + person.chronic


def _visit_diagnoses(rng: random.Random, person: Person, on: dt.date) -> list[tuple[str, str, str]]:
    """(ICD-10, name, department) of a visit: a check of the long-term diseases, or an acute complaint."""
    chronic = _long_term(person, on)
    if chronic and rng.random() < 0.75:
        chosen = chronic[:rng.randint(1, min(3, len(chronic)))]
        department = {"E11.9": "内分泌科", "I10": "心血管内科", "I25.1": "心血管内科"}.get(chosen[0][0], "全科")
        return [(code, label, department) for code, label in chosen]
    return [rng.choice(CHILD_ACUTE if person.age(on) < 14 else ACUTE)]


def _drugs(rng: random.Random, codes: Iterable[str]) -> list[tuple[str, str]]:
    found = []
    for code in codes:
        if code in DRUGS:
            found.append(rng.choice(DRUGS[code]))
        elif rng.random() < 0.7:
            found.append(rng.choice(DRUGS["acute"]))
    return list(dict.fromkeys(found))


# ---- WS 365 data-set rows (district platforms and community centres) ---------------------------------

def _archive_rows(pop: Population, person: Person) -> dict[str, list[dict]]:
    """The rows of a resident's health archive at their district's archive source, by data set."""
    rng, today = pop.rng(person.index, "archive"), pop.today
    start, yesterday = today - dt.timedelta(days=365 * YEARS), today - dt.timedelta(days=1)
    local, age = f"{person.district}{person.index:010d}", person.age(today)
    rows: dict[str, list[dict]] = {key: [] for key in ARCHIVE_ORDER}
    rows["personal_basic"].append({
        "个人档案编号": local, "姓名": person.name, "身份证号": person.id_number, "性别": "1" if person.male else "2",
        "出生日期": person.birth.isoformat(), "民族": "01" if rng.random() < 0.93 else rng.choice(("03", "04", "08")),
        "婚姻状况": ("10" if age < 25 else rng.choice(("20", "20", "20", "20", "30", "40"))) if age >= 18 else "",
        "联系电话": person.phone, "现住址区县代码": person.district, "现住址": person.address,
        "ABO血型": rng.choice("1123334") if rng.random() < 0.6 else "", "Rh血型": "2" if rng.random() < 0.5 else ""})
    years = range(start.year + 1, today.year + 1)
    checkups = ([dt.date(year, rng.randint(3, 11), rng.randint(1, 28)) for year in years] if age >= 65
                else [_any_day(rng, start)] if rng.random() < 0.2 else [])
    for day in (d for d in checkups if start <= d <= yesterday):
        height = round(rng.gauss(170 if person.male else 158, 5), 1)
        weight = round(height * height / 10000 * rng.uniform(19.5, 28.5), 1)
        systolic, diastolic = _pressure(rng, person, day, None)
        rows["health_checkup"].append({
            "个人档案编号": local, "体检日期": day.isoformat(), "收缩压": systolic, "舒张压": diastolic, "身高": height,
            "体重": weight, "体质指数": round(weight / (height / 100) ** 2, 1), "心率": rng.randint(60, 96),
            "空腹血糖": _glucose(rng, person) if age >= 18 else ""})
    for key, onset in (("hypertension_followup", person.hypertension), ("diabetes_followup", person.diabetes)):
        if onset is None or (person.index and rng.random() < 0.15):
            continue  # not every patient is in the programme
        weight = round(rng.uniform(52, 82), 1)
        for day in _days(max(onset, today - dt.timedelta(days=365 * 2)), yesterday, 91, rng):
            systolic, diastolic = _pressure(rng, person, day, onset)
            row = {"个人档案编号": local, "随访日期": day.isoformat(),
                   "随访方式": rng.choices(list(FOLLOWUP_METHODS), weights=list(FOLLOWUP_METHODS.values()))[0],
                   "收缩压": systolic, "舒张压": diastolic, "体重": round(weight + rng.uniform(-1.5, 1.5), 1)}
            if key == "hypertension_followup":
                row["心率"] = rng.randint(60, 92)
                controlled = systolic < 140 and diastolic < 90
            else:
                row["空腹血糖"] = _glucose(rng, person)
                row["糖化血红蛋白"] = _hba1c(rng, person) if rng.random() < 0.4 else ""
                controlled = row["空腹血糖"] < 7.0
            row["此次随访分类"] = "1" if controlled else rng.choice("2222234")
            rows[key].append(row)
    rows["immunization"] = _vaccinations(rng, person, local, start, yesterday)
    for n in range(rng.choice((0, 0, 0, 1, 1, 2, 3)) if person.index else 2):
        day = _any_day(rng, start)
        diagnoses = _visit_diagnoses(rng, person, day)
        rows["outpatient_summary"].append({
            "门诊号": f"MZ{person.index:08d}{n:02d}", "个人档案编号": local, "就诊日期时间": _when(day, rng, sep=" "),
            "就诊科室": "全科" if age >= 14 else "儿科", "诊断编码": "；".join(c for c, _l, _d in diagnoses),
            "诊断名称": "；".join(label for _c, label, _d in diagnoses),
            "药物名称": "；".join(drug for drug, _dose in _drugs(rng, (c for c, _l, _d in diagnoses)))})
    if age >= 50 and rng.random() < 0.03:
        code, label, _dept, (low, high), *_rest = rng.choice([s for s in STAYS if not s[4] and s[0] != "O80.9"])
        admitted = _any_day(rng, start, 30)
        rows["inpatient_summary"].append({
            "住院号": f"ZY{person.index:08d}01", "个人档案编号": local, "入院日期时间": _when(admitted, rng, 8, 20, " "),
            "出院日期时间": _when(admitted + dt.timedelta(days=rng.randint(low, high)), rng, 9, 11, " "),
            "出院诊断编码": code, "出院诊断名称": label, "离院方式": rng.choice("1111111113")})
    return rows


def _vaccinations(rng: random.Random, person: Person, local: str, start: dt.date, end: dt.date) -> list[dict]:
    doses = [(vaccine, dose, person.birth + dt.timedelta(days=int(months * 30.4) + rng.randint(0, 20)))
             for vaccine, dose, months in VACCINE_SCHEDULE]
    if person.age(end) >= 60:
        doses += [("Flu", 1, dt.date(year, rng.randint(10, 11), rng.randint(1, 28)))
                  for year in range(start.year, end.year + 1) if rng.random() < 0.35]
        if rng.random() < 0.08:
            doses.append(("PPV23", 1, _any_day(rng, start)))
    return [{"个人档案编号": local, "疫苗代码": vaccine, "剂次": dose, "接种日期": day.isoformat(),
             "疫苗批号": f"{day.year}{rng.randint(1, 12):02d}{rng.randint(1, 999):03d}", "生产企业": rng.choice(MAKERS)}
            for vaccine, dose, day in doses if start <= day <= end]


def _csv(dataset_key: str, rows: list[dict]) -> bytes:
    headers = ws365.DATASETS[dataset_key].headers
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows([row.get(h, "") for h in headers] for row in rows)
    return out.getvalue().encode()


# ---- FHIR resources (hospitals) ------------------------------------------------------------------------

class Writer:
    """One source's FHIR resources about one person, with stable ids; `at` is the visit being written."""

    def __init__(self, source: Source, person: Person, patient_id: str = ""):
        self.code, self.local = source.code, f"BA{person.index:08d}"  # the hospital's record number (病案号)
        self.organization = r.reference("Organization", identity.organization_id(source.institution.uscc))
        self.patient_id = patient_id or identity.stable_id("Patient", self.code, self.local)
        self.subject = r.reference("Patient", self.patient_id)
        self.at: dict = {}
        self.out: list[dict] = []

    def id(self, type_: str, *parts: str) -> str:
        return identity.stable_id(type_, self.code, self.local, *parts)

    def add(self, type_: str, key: tuple[str, ...], **fields) -> dict:
        resource = {"resourceType": type_, "id": self.id(type_, *key), **fields}
        self.out.append(resource)
        return resource

    def patient(self, person: Person, rng: random.Random) -> None:
        if person.index % EMERGENCY_EVERY == EMERGENCY_EVERY - 1:
            # Registered at the emergency desk without ID card or address, with a relative's phone: name,
            # birth date and sex agree, the contact does not, so they wait in the MPI's review queue.
            self.out.append({
                "resourceType": "Patient", "id": self.patient_id,
                "identifier": [{"use": "usual", "type": {"text": "病案号"}, "system": identity.patient_system(self.code),
                                "value": self.local}],
                "name": [human_name(person.name)], "gender": "male" if person.male else "female",
                "birthDate": person.birth.isoformat(), "managingOrganization": self.organization,
                "telecom": [{"system": "phone", "value": "1" + rng.choice("3578") + "".join(rng.choices("0123456789", k=9)),
                             "use": "mobile"}]})
            return
        self.out.append({
            "resourceType": "Patient", "id": self.patient_id,
            "identifier": [{"use": "usual", "type": {"text": "病案号"}, "system": identity.patient_system(self.code),
                            "value": self.local},
                           {"use": "official", "type": {"text": "居民身份证号"}, "system": identity.CITIZEN_ID_SYSTEM,
                            "value": person.id_number}],
            "name": [human_name(person.name)], "gender": "male" if person.male else "female",
            "birthDate": person.birth.isoformat(),
            "telecom": [] if rng.random() < 0.1 else [{"system": "phone", "value": person.phone, "use": "mobile"}],
            "address": [{"use": "home", "text": person.address, "district": DISTRICT_NAMES[person.district],
                         "city": "成都市", "state": "四川省"}],
            "managingOrganization": self.organization})

    def encounter(self, number: str, kind: str, department: str, start: str, end: str = "",
                  diagnoses: list[dict] = (), disposition: str = "") -> dict:
        """The visit (门诊) or stay (住院) numbered `number`; what is added next belongs to it."""
        inpatient = kind == "inpatient"
        resource = self.add(
            "Encounter", (kind, number),
            identifier=[{"type": {"text": "住院号" if inpatient else "门诊号"},
                         "system": identity.encounter_system(self.code), "value": number}],
            status="finished", **{"class": r.encounter_class("IMP" if inpatient else "AMB")},
            type=[r.concept("wj-encounter-type", kind, "住院" if inpatient else "门诊")],
            serviceType={"text": department}, subject=self.subject,
            period={"start": start, **({"end": end} if end else {})}, serviceProvider=self.organization)
        if diagnoses:
            resource["diagnosis"] = [{"condition": r.reference("Condition", c["id"]), "rank": n}
                                     for n, c in enumerate(diagnoses, start=1)]
        if disposition:
            resource["hospitalization"] = {"dischargeDisposition": r.concept("wj-discharge-disposition", disposition)}
        return resource

    def visit(self, kind: str, number: str) -> str:
        encounter_id = self.id("Encounter", kind, number)
        self.at = {"subject": self.subject, "encounter": r.reference("Encounter", encounter_id)}
        return encounter_id

    def condition(self, key: tuple[str, ...], code: str, label: str, recorded: str) -> dict:
        """A diagnosis of the visit, still active when it is a long-term disease."""
        return self.add(
            "Condition", key,
            clinicalStatus={"coding": [{"system": r.CONDITION_CLINICAL,
                                        "code": "active" if code in CHRONIC_CODES else "resolved"}]},
            verificationStatus={"coding": [{"system": r.CONDITION_VERIFICATION, "code": "confirmed"}]},
            category=[{"coding": [{"system": r.CONDITION_CATEGORY, "code": "encounter-diagnosis",
                                   "display": "Encounter Diagnosis"}]}],
            code={"coding": [{"system": ICD10, "code": code}], "text": label}, **self.at, recordedDate=recorded)

    def pressure(self, key: tuple[str, ...], when: str, systolic: int, diastolic: int) -> None:
        self.add("Observation", key, status="final", category=r.category(r.VITAL_SIGNS),
                 code=r.loinc(*r.BLOOD_PRESSURE, "血压"), **self.at, effectiveDateTime=when,
                 component=[{"code": r.loinc(*r.SYSTOLIC, "收缩压"),
                             "valueQuantity": r.quantity(systolic, "mm[Hg]", "mmHg")},
                            {"code": r.loinc(*r.DIASTOLIC, "舒张压"),
                             "valueQuantity": r.quantity(diastolic, "mm[Hg]", "mmHg")}])

    def labs(self, key: tuple[str, ...], values: dict[str, float], when: str) -> None:
        """Lab results and their report."""
        results, high = [], []
        for lab, value in values.items():
            code, display, text, unit, decimals, limit = LABS[lab]
            value = round(value, decimals) if decimals else int(value)
            results.append(self.add("Observation", (*key, lab), status="final", category=r.category(r.LABORATORY),
                                    code=r.loinc(code, display, text), **self.at, effectiveDateTime=when,
                                    valueQuantity=r.quantity(value, unit, unit)))
            if value >= limit:
                high.append(text)
        self.add("DiagnosticReport", (*key, "lab"), status="final",
                 category=[{"coding": [{"system": DIAGNOSTIC_SERVICE, "code": "LAB", "display": "Laboratory"}]}],
                 code={"text": "生化检验报告"}, **self.at, effectiveDateTime=when,
                 result=[r.reference("Observation", o["id"]) for o in results],
                 conclusion=("、".join(high) + "偏高") if high else "各项指标在参考范围内")

    def medications(self, key: tuple[str, ...], drugs: list[tuple[str, str]], when: str, status: str) -> None:
        for n, (drug, dose) in enumerate(drugs, start=1):
            self.add("MedicationRequest", (*key, str(n)), status=status, intent="order",
                     medicationCodeableConcept={"text": drug}, **self.at, authoredOn=when,
                     dosageInstruction=[{"text": dose}])

    def imaging(self, key: tuple[str, ...], study: tuple, when: str, link: bool = True) -> None:
        """An imaging study and its report (`link`: the report names the study)."""
        modality, title, finding, series, images = study
        found = self.add("ImagingStudy", key, status="available", modality=[{"system": DCM, "code": modality}],
                         **self.at, started=when, numberOfSeries=series, numberOfInstances=images, description=title)
        report = self.add("DiagnosticReport", (*key, "report"), status="final",
                          category=[{"coding": [{"system": DIAGNOSTIC_SERVICE, "code": "RAD",
                                                 "display": "Radiology"}]}],
                          code={"text": f"{title}检查报告"}, **self.at, effectiveDateTime=when, conclusion=finding)
        if link:
            report["imagingStudy"] = [r.reference("ImagingStudy", found["id"])]

    def document(self, key: tuple[str, ...], title: str, loinc: tuple[str, str], when: str, text: str) -> None:
        """A short text document (visit note, discharge summary) as an attachment."""
        self.add("DocumentReference", key, status="current",
                 type={"coding": [{"system": r.LOINC, "code": loinc[0], "display": loinc[1]}], "text": title},
                 subject=self.subject, date=when, description=title,
                 content=[{"attachment": {"contentType": "text/plain; charset=utf-8", "language": "zh-CN",
                                          "data": base64.b64encode(text.encode()).decode(), "title": f"{title}.txt"}}],
                 context={"encounter": [self.at["encounter"]]})


def _hospital_records(pop: Population, person: Person, source: Source) -> list[dict]:
    """A district 人民医院's outpatient record of one resident, Patient first."""
    rng, today, showcase = pop.rng(person.index, f"hospital:{source.code}"), pop.today, person.index == 0
    start = today - dt.timedelta(days=365 * YEARS)
    w = Writer(source, person)
    w.patient(person, rng)
    if showcase:
        days = _days(start, today - dt.timedelta(days=1), 91, rng)
    else:
        count = rng.randint(2, 5) if _long_term(person, today) else rng.choice((1, 1, 1, 2))
        days = sorted({_any_day(rng, start) for _ in range(count)})
    if person.allergy:
        w.add("AllergyIntolerance", ("allergy",), clinicalStatus={"coding": [{"system": ALLERGY_CLINICAL,
                                                                              "code": "active"}]},
              type="allergy", category=["medication"], criticality="high" if showcase else rng.choice(("low", "high")),
              code={"text": "青霉素" if showcase else rng.choice(("青霉素", "头孢类抗生素", "磺胺类药物"))},
              patient=w.subject, recordedDate=days[0].isoformat())
    for n, day in enumerate(days, start=1):
        number, when = f"MZ{person.index:08d}{n:02d}", _when(day, rng)
        key = ("outpatient", number)
        diagnoses = _visit_diagnoses(rng, person, day)
        w.visit("outpatient", number)
        conditions = [w.condition((*key, str(k)), code, label, day.isoformat())
                      for k, (code, label, _dept) in enumerate(diagnoses, start=1)]
        w.encounter(number, "outpatient", diagnoses[0][2], when, diagnoses=conditions)
        codes = {code for code, _label, _dept in diagnoses}
        adult = person.age(day) >= 14
        if adult and (codes & {"I10", "E11.9", "I25.1"} or rng.random() < 0.4):
            w.pressure((*key, "bp"), when, *_pressure(rng, person, day, person.hypertension))
        labs = {}
        if "E11.9" in codes:
            labs["glucose"] = _glucose(rng, person)
            if showcase or rng.random() < 0.7:
                labs["hba1c"] = _hba1c(rng, person)
        if codes & {"I10", "E11.9", "E78.5", "I25.1"} and (showcase or rng.random() < 0.5):
            labs["ldl"] = (rng.uniform(2.6, 4.6) if "E78.5" in codes else rng.uniform(1.8, 3.4)) * 38.67  # mmol/L→mg/dL
            labs["creatinine"] = rng.uniform(0.6, 1.4)
        if labs:
            w.labs(key, labs, when)
        w.medications(key, _drugs(rng, sorted(codes)), day.isoformat(), "completed" if n < len(days) else "active")
        if adult and rng.random() < (0.3 if showcase else 0.06):
            w.imaging((*key, "imaging"), rng.choice(IMAGING[:5]), when)
        if rng.random() < (0.5 if showcase else 0.12):
            w.document((*key, "note"), "门诊病历", ("11506-3", "Progress note"), when, _note(person, diagnoses, day))
    if person.diabetes and (showcase or rng.random() < 0.2):
        w.add("CarePlan", ("careplan", "diabetes"), status="active", intent="plan", title="2型糖尿病健康管理计划",
              description="饮食控制，每周至少150分钟中等强度运动，每3个月复查糖化血红蛋白。",
              subject=w.subject, period={"start": days[0].isoformat()})
    return w.out


def _note(person: Person, diagnoses: list[tuple[str, str, str]], day: dt.date) -> str:
    return (f"{day.isoformat()} {diagnoses[0][2]}就诊\n患者{person.name}，{'男' if person.male else '女'}，"
            f"{person.age(day)}岁。\n诊断：{'、'.join(label for _c, label, _d in diagnoses)}。\n"
            "处理：继续规律用药，定期复查，不适随诊。")


def _stay_records(pop: Population, person: Person, source: Source, patient_id: str = "",
                  ndjson: bool = True) -> list[dict]:
    """The city hospital's record of one stay: its own Patient first, unless the stay names the referring
    hospital's (`patient_id`). In NDJSON no forward references (Encounter.diagnosis, DiagnosticReport.
    imagingStudy): the bulk job writes the types in their order (see records/bulk.py)."""
    rng, today, showcase = pop.rng(person.index, "stay"), pop.today, person.index == 0
    start, age = today - dt.timedelta(days=365 * YEARS), person.age(today)
    w = Writer(source, person, patient_id)
    if not patient_id:
        w.patient(person, rng)
    if showcase:
        stay = STAYS[3]
    else:
        options = [s for s in STAYS if (s[0] != "O80.9" or (not person.male and 20 <= age <= 42))
                   and (age >= 40 or s[0] in YOUNG_STAYS)]
        stay = rng.choices(options, weights=[s[-1] for s in options])[0]
    code, label, department, (low, high), procedure, imaging, _weight = stay
    admitted = (today - dt.timedelta(days=rng.randint(100, 160)) if showcase
                else _any_day(rng, start + dt.timedelta(days=30), 60))
    discharged = admitted + dt.timedelta(days=rng.randint(low, high))
    number, begin, end = f"ZY{person.index:08d}01", _when(admitted, rng, 8, 22), _when(discharged, rng, 9, 11)
    key = ("inpatient", number)
    w.visit("inpatient", number)
    diagnoses = [(code, label), *((c, name) for c, name in _long_term(person, admitted)[:3] if c != code)]
    conditions = [w.condition((*key, str(k)), c, name, discharged.isoformat()) for k, (c, name) in
                  enumerate(diagnoses, start=1)]
    w.out.insert(0 if patient_id else 1, w.out.pop(w.out.index(w.encounter(
        number, "inpatient", department, begin, end, diagnoses=[] if ndjson else conditions,
        disposition="1" if rng.random() < 0.95 else "3"))))  # the Encounter first: the Conditions name it
    first = _when(admitted + dt.timedelta(days=1), rng, 6, 8)
    if age >= 14:
        w.pressure((*key, "bp"), first, *_pressure(rng, person, admitted, None))
    labs = {"glucose": _glucose(rng, person), "creatinine": rng.uniform(0.6, 1.5)}
    if person.diabetes:
        labs["hba1c"] = _hba1c(rng, person)
    if age >= 40:
        labs["ldl"] = rng.uniform(1.8, 4.2) * 38.67
    w.labs(key, labs, first)
    if procedure:
        day = admitted + dt.timedelta(days=rng.randint(1, max(1, (discharged - admitted).days - 1)))
        w.add("Procedure", (*key, "1"), status="completed", code={"text": procedure}, **w.at,
              performedDateTime=_when(day, rng, 8, 16))
    if imaging is not None:
        w.imaging((*key, "imaging"), IMAGING[imaging], _when(admitted + dt.timedelta(days=1), rng, 9, 16),
                  link=not ndjson)
    w.medications(key, _drugs(rng, [c for c, _name in diagnoses]) or [DRUGS["acute"][0]], admitted.isoformat(),
                  "completed")
    w.document((*key, "discharge"), "出院小结", ("18842-5", "Discharge summary"), end,
               f"{_note(person, [(code, label, department)], discharged)}\n"
               f"住院 {(discharged - admitted).days} 天，{procedure or '经治疗'}后好转出院。")
    return w.out


# ---- through the pipelines ------------------------------------------------------------------------------

class _Run:
    """Sends what the builders make through the pipelines; times each pipeline apart from the building."""

    def __init__(self, summary: RecordsSummary, last_upload: int):
        self.summary = summary
        self.last_upload = last_upload  # older batches: the same file sent again is its first batch
        self.building = 0.0

    def add(self, name: str, seconds: float) -> None:
        self.summary.timings[name] = round(self.summary.timings.get(name, 0) + seconds, 2)

    def built(self, items: Iterable) -> Iterator:
        """`items`, the time spent making them counted as building."""
        iterator = iter(items)
        while True:
            started = time.monotonic()
            item = next(iterator, None)
            self.building += time.monotonic() - started
            if item is None:
                return
            yield item

    def timed(self, name: str, send: Callable[[], None]) -> None:
        started, building = time.monotonic(), self.building
        send()
        self.add("build", self.building - building)
        self.add(name, time.monotonic() - started - (self.building - building))

    def count(self, upload: Upload) -> None:
        if upload.pk > self.last_upload:
            self.summary.uploads[upload.kind] += 1
            for key in ("created", "updated", "unchanged", "rejected"):
                self.summary.resources[key] += getattr(upload, key)

    def ws365(self, source: Source, part: int, archives: Iterable[dict[str, list[dict]]]) -> None:
        def send():
            rows: dict[str, list[dict]] = {key: [] for key in ARCHIVE_ORDER}
            for archive in self.built(archives):
                for key, found in archive.items():
                    rows[key].extend(found)
            for key in ARCHIVE_ORDER:
                if rows[key]:
                    upload = datasets.dataset_upload(actor=source.account, dataset_key=key,
                                                     file_name=f"{key}-{source.code}-{part:03d}.csv",
                                                     data=_csv(key, rows.pop(key)))
                    self.count(datasets.dataset_import_run(upload.pk))  # the queued job will find it done
        self.timed("ws365", send)

    def bundles(self, source: Source, records: Iterable[list[dict]]) -> None:
        """Whole residents in transaction Bundles of at most BUNDLE_ENTRIES entries."""
        def submit(entries: list[dict]) -> None:
            bundle = {"resourceType": "Bundle", "type": "transaction",
                      "entry": [{"resource": e, "request": {"method": "PUT", "url": f"{e['resourceType']}/{e['id']}"}}
                                for e in entries]}
            self.count(services.bundle_submit(actor=source.account, bundle=bundle)[1])

        def send():
            batch: list[dict] = []
            for resources in self.built(records):
                if batch and len(batch) + len(resources) > BUNDLE_ENTRIES:
                    submit(batch)
                    batch = []
                batch.extend(resources)
            if batch:
                submit(batch)
        self.timed("bundles", send)

    def ndjson(self, source: Source, part: int, records: Iterable[list[dict]]) -> None:
        def send():
            data = b"".join(orjson.dumps(resource) + b"\n" for resources in self.built(records)
                            for resource in resources)
            upload = bulk.bulk_upload(actor=source.account, files=[(f"inpatient-{part:03d}.ndjson", data)],
                                      background=False)
            self.count(bulk.ndjson_import_run(upload_id=upload.pk))
        self.timed("ndjson", send)


def generate_records(*, actor: User, seed: int, today: dt.date, residents: int = DEFAULT_RESIDENTS,
                     say: Callable[[str], None] = print, chunk: int = CHUNK, force: bool = False) -> RecordsSummary:
    """Write the residents' records once (`actor`: the information centre, who registers the sources).
    Skipped when the showcase's stay exists, unless `force`: then every upload goes through its pipeline
    again, and the pipelines report the same content as unchanged."""
    summary, started = RecordsSummary(), time.monotonic()
    if residents <= 0:
        return summary
    plan = _plan(actor, summary)
    summary.timings["sources"] = round(time.monotonic() - started, 2)
    if plan is None:
        say("演示城市没有演示卫生人员所在的人民医院或建档机构，未生成健康档案 / the city is too small for records")
        summary.skipped = True
        return summary
    pop = Population(seed, today, plan)
    showcase = pop.person(0)
    target = plan.stay_target()
    writer = Writer(plan.showcase_hospital, showcase)
    summary.showcase, summary.showcase_patient, summary.showcase_number = showcase.name, writer.patient_id, writer.local
    summary.showcase_institutions = sorted({plan.showcase_hospital.institution.name, target.institution.name})
    marker = Writer(target, showcase).id("Encounter", "inpatient", f"ZY{0:08d}01")  # their stay: written last
    if not force and Resource.objects.filter(type="Encounter", fhir_id=marker).exists():
        summary.skipped = True
        return summary
    run = _Run(summary, Upload.objects.order_by("-pk").values_list("pk", flat=True).first() or 0)
    keepers = sorted({s.pk: s for group in plan.archives.values() for s in group}.values(), key=lambda s: s.pk)
    for part, first in enumerate(range(0, residents, chunk)):
        people = [pop.person(index) for index in range(first, min(residents, first + chunk))]
        summary.residents += len(people)
        summary.at_two_or_more += sum(pop.institutions(person) >= 2 for person in people)
        with transaction.atomic():  # one commit per round: far fewer SQLite checkpoints
            for source in keepers:
                members = [p for p in people if p.archive is not None
                           and plan.archives[p.district][p.archive].pk == source.pk]
                if members:
                    run.ws365(source, part, (_archive_rows(pop, person) for person in members))
            for district, source in sorted(plan.hospitals.items()):
                members = [p for p in people if p.hospital == district and p.index != 0]  # the showcase: last
                if members:
                    run.bundles(source, (_hospital_records(pop, person, source) for person in members))
            stays = [p for p in people if p.stay and p.index != 0]
            if stays and plan.city is not None:
                run.ndjson(plan.city, part, (_stay_records(pop, p, plan.city, Writer(
                    plan.hospitals[p.hospital], p).patient_id if p.referred else "") for p in stays))
        say(f"居民 {first + len(people)}/{residents}：{sum(summary.uploads.values())} 个上传批次，"
            f"新增 {summary.resources['created']} 条资源 / residents, uploads, resources "
            f"({round(time.monotonic() - started)}s)")
    # The showcase: their hospital record, then their stay (a referral naming that Patient), one Bundle each.
    hospital = _hospital_records(pop, showcase, plan.showcase_hospital)
    run.bundles(plan.showcase_hospital, [hospital])
    run.bundles(target, [_stay_records(pop, showcase, target, hospital[0]["id"], ndjson=False)])
    summary.timings["total"] = round(time.monotonic() - started, 2)
    return summary

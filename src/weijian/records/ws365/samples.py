"""Synthetic rows of each data set, for the demo city, the templates' sample row and the tests.

Names come from Faker's zh_CN data, ID numbers are valid GB 11643 numbers of Chengdu districts whose
birth date and sex agree with the row, and every value lies inside the checks of `map_row`.
"""

import datetime as dt
import itertools
import random

from faker import Faker
from faker.providers.person.zh_CN import Provider as ChineseNames

from weijian.records.ws365.datasets import Dataset
from weijian.records.ws365.values import today
from weijian.terminology.seed import ETHNICITIES
from weijian.workforce.idnumber import make_id_number

# County-level divisions of 成都市 (GB/T 2260): the residents' addresses and ID number regions.
CHENGDU = ("510104", "510105", "510106", "510107", "510108", "510112", "510113", "510114", "510115", "510116",
           "510117", "510118", "510121", "510129", "510131", "510181", "510182", "510183", "510184", "510185")
DIAGNOSES = (("I10", "原发性高血压"), ("E11.9", "2型糖尿病"), ("J06.9", "急性上呼吸道感染"), ("K29.7", "胃炎"),
             ("M54.5", "腰痛"), ("J20.9", "急性支气管炎"), ("N39.0", "尿路感染"), ("I25.1", "动脉粥样硬化性心脏病"),
             ("K52.9", "非感染性胃肠炎"), ("R51", "头痛"))
INPATIENT_DIAGNOSES = (("J18.9", "肺炎"), ("I63.9", "脑梗死"), ("J44.9", "慢性阻塞性肺疾病"),
                       ("K21.9", "胃食管反流病"), ("I10", "原发性高血压"), ("E11.9", "2型糖尿病"))
OPERATIONS = ("腹腔镜胆囊切除术", "经皮冠状动脉支架置入术", "阑尾切除术", "膝关节镜检查", "白内障超声乳化摘除术")
DRUGS = ("硝苯地平控释片", "氨氯地平片", "二甲双胍片", "阿卡波糖片", "阿莫西林胶囊", "布洛芬缓释胶囊", "奥美拉唑肠溶胶囊",
         "复方甘草片", "阿司匹林肠溶片", "头孢克肟分散片")
DEPARTMENTS = ("内科", "全科", "外科", "儿科", "妇科", "中医科", "呼吸内科", "心血管内科")
VACCINES = ("HepB", "BCG", "IPV", "bOPV", "DTaP", "DT", "MMR", "JE-L", "MPSV-A", "MPSV-AC", "HepA-L", "VarV", "Flu",
            "PPV23")

SURNAMES = list(ChineseNames.last_names)
SURNAME_WEIGHTS = list(itertools.accumulate(ChineseNames.last_names.values()))
GIVEN_NAMES = {True: ChineseNames.first_names_male, False: ChineseNames.first_names_female}


def sample_rows(dataset: Dataset, count: int, rng: random.Random, *,
                patients: list[dict] | None = None) -> list[dict[str, object]]:
    """`count` rows that `map_row` accepts. `patients` (rows of 个人基本信息表) are the residents the other data
    sets' rows are about; without them each row names a resident of its own."""
    fake = Faker("zh_CN")
    fake.seed_instance(rng.getrandbits(32))
    make = _MAKERS[dataset.key]
    if dataset.key == "personal_basic":
        used: set[str] = set()
        return [make(rng, fake, used) for _ in range(count)]
    return [make(rng, fake, _resident(rng, patients)) for _ in range(count)]


def _resident(rng: random.Random, patients: list[dict] | None) -> str:
    if patients:
        return str(rng.choice(patients)["个人档案编号"])
    return f"{rng.choice(CHENGDU)}{rng.randrange(10 ** 8):08d}"


def _pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _days_ago(rng: random.Random, low: int, high: int) -> dt.date:
    return today() - dt.timedelta(days=rng.randint(low, high))


def _maybe(rng: random.Random, value, share: float = 0.8):
    return value if rng.random() < share else ""


def _person(rng: random.Random, fake: Faker, used: set[str]) -> dict:
    male = rng.random() < 0.49
    age = rng.randint(18, 90)
    birth = today() - dt.timedelta(days=age * 365 + rng.randint(1, 364))
    region = rng.choice(CHENGDU)
    local = f"{region}{rng.randrange(10 ** 8):08d}"
    while local in used:
        local = f"{region}{rng.randrange(10 ** 8):08d}"
    used.add(local)
    name = rng.choices(SURNAMES, cum_weights=SURNAME_WEIGHTS)[0] + rng.choice(GIVEN_NAMES[male])
    ethnicity = "01" if rng.random() < 0.9 else f"{rng.randint(2, len(ETHNICITIES)):02d}"
    marital = _pick(rng, {"10": 5, "20": 70, "30": 15, "40": 5} if age >= 30 else {"10": 70, "20": 30})
    return {
        "个人档案编号": local,
        "姓名": name,
        "身份证号": make_id_number(region, birth, rng.randrange(500) * 2 + male),  # odd sequence: male
        "性别": "1" if male else "2",
        "出生日期": birth.isoformat(),
        "民族": ethnicity,
        "婚姻状况": marital,
        "联系电话": "1" + rng.choice("3578") + "".join(rng.choices("0123456789", k=9)),
        "现住址区县代码": region,
        "现住址": f"{fake.street_name()}{rng.randint(1, 300)}号",
        "ABO血型": _maybe(rng, _pick(rng, {"1": 28, "2": 24, "3": 41, "4": 7}), 0.6),
        "Rh血型": _maybe(rng, _pick(rng, {"2": 99, "1": 1}), 0.6),
    }


def _pressure(rng: random.Random, low: int = 100, high: int = 170) -> tuple[int, int]:
    systolic = rng.randint(low, high)
    return systolic, rng.randint(60, min(100, systolic - 20))


def _checkup(rng: random.Random, fake: Faker, local: str) -> dict:
    height = round(rng.uniform(150, 185), 1)
    weight = round(rng.uniform(45, 90), 1)
    systolic, diastolic = _pressure(rng)
    return {
        "个人档案编号": local,
        "体检日期": _days_ago(rng, 1, 730).isoformat(),
        "收缩压": systolic, "舒张压": diastolic, "身高": height, "体重": weight,
        "体质指数": _maybe(rng, round(weight / (height / 100) ** 2, 1)),
        "心率": _maybe(rng, rng.randint(60, 100)),
        "空腹血糖": _maybe(rng, round(rng.uniform(4.0, 9.0), 1)),
    }


FOLLOWUP_METHODS = {"1": 50, "2": 20, "3": 25, "5": 5}
FOLLOWUP_CLASSES = {"1": 70, "2": 20, "3": 5, "4": 5}


def _hypertension(rng: random.Random, fake: Faker, local: str) -> dict:
    systolic, diastolic = _pressure(rng, 110, 175)
    return {
        "个人档案编号": local,
        "随访日期": _days_ago(rng, 1, 730).isoformat(),
        "随访方式": _pick(rng, FOLLOWUP_METHODS),
        "收缩压": systolic, "舒张压": diastolic,
        "体重": _maybe(rng, round(rng.uniform(50, 90), 1), 0.7),
        "心率": _maybe(rng, rng.randint(60, 100), 0.7),
        "此次随访分类": _pick(rng, FOLLOWUP_CLASSES),
    }


def _diabetes(rng: random.Random, fake: Faker, local: str) -> dict:
    systolic, diastolic = _pressure(rng, 105, 165) if rng.random() < 0.8 else ("", "")
    return {
        "个人档案编号": local,
        "随访日期": _days_ago(rng, 1, 730).isoformat(),
        "随访方式": _pick(rng, FOLLOWUP_METHODS),
        "收缩压": systolic, "舒张压": diastolic,
        "体重": _maybe(rng, round(rng.uniform(50, 90), 1), 0.7),
        "空腹血糖": round(rng.uniform(4.5, 12.0), 1),
        "糖化血红蛋白": _maybe(rng, round(rng.uniform(5.5, 10.0), 1), 0.5),
        "此次随访分类": _pick(rng, FOLLOWUP_CLASSES),
    }


def _immunization(rng: random.Random, fake: Faker, local: str) -> dict:
    day = _days_ago(rng, 1, 730)
    return {
        "个人档案编号": local,
        "疫苗代码": rng.choice(VACCINES),
        "剂次": rng.randint(1, 3),
        "接种日期": day.isoformat(),
        "疫苗批号": f"{day.year - 1}{rng.randint(1, 12):02d}{rng.randint(1, 999):03d}",
        "生产企业": _maybe(rng, f"{fake.company_prefix()}生物制品有限公司", 0.7),
    }


def _visit_time(day: dt.date, rng: random.Random) -> str:
    return f"{day.isoformat()} {rng.randint(8, 17):02d}:{rng.randrange(60):02d}"


def _diagnosis_cells(rng: random.Random, choices: tuple, most: int) -> tuple[str, str]:
    chosen = rng.sample(choices, rng.randint(1, most))
    return "；".join(code for code, _name in chosen), "；".join(name for _code, name in chosen)


def _outpatient(rng: random.Random, fake: Faker, local: str) -> dict:
    codes, names = _diagnosis_cells(rng, DIAGNOSES, 2)
    return {
        "门诊号": f"MZ{rng.randrange(10 ** 10):010d}",
        "个人档案编号": local,
        "就诊日期时间": _visit_time(_days_ago(rng, 1, 730), rng),
        "就诊科室": rng.choice(DEPARTMENTS),
        "诊断编码": codes, "诊断名称": names,
        "药物名称": "；".join(rng.sample(DRUGS, rng.randint(0, 3))),
    }


def _inpatient(rng: random.Random, fake: Faker, local: str) -> dict:
    stay = rng.randint(1, 20)
    admitted = _days_ago(rng, stay + 1, 730)
    discharged = admitted + dt.timedelta(days=stay)
    codes, names = _diagnosis_cells(rng, INPATIENT_DIAGNOSES, 3)
    operated = rng.random() < 0.3
    return {
        "住院号": f"ZY{rng.randrange(10 ** 10):010d}",
        "个人档案编号": local,
        "入院日期时间": _visit_time(admitted, rng),
        "出院日期时间": _visit_time(discharged, rng),
        "出院诊断编码": codes, "出院诊断名称": names,
        "离院方式": _pick(rng, {"1": 85, "2": 5, "3": 4, "4": 3, "5": 2, "9": 1}),
        "主要手术及操作名称": rng.choice(OPERATIONS) if operated else "",
        "手术及操作日期": (admitted + dt.timedelta(days=rng.randint(0, stay))).isoformat() if operated else "",
    }


_MAKERS = {
    "personal_basic": _person, "health_checkup": _checkup, "hypertension_followup": _hypertension,
    "diabetes_followup": _diabetes, "immunization": _immunization, "outpatient_summary": _outpatient,
    "inpatient_summary": _inpatient,
}

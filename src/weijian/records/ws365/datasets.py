"""The seven WS 365 data sets the platform accepts, as upload columns.

Each data set is the platform's selection of the WS 365-2011 data elements a district platform sends;
the headers are the template's. `element` names the WS 363 data element only where it is certain (public
CDA implementations agree on it); it is empty otherwise, never guessed.
"""

from dataclasses import dataclass

from weijian.terminology.seed import DIVISIONS, ICD10, SYSTEMS

KINDS = ("text", "date", "datetime", "decimal", "integer", "code")


@dataclass(frozen=True)
class Column:
    header: str  # Chinese header, exactly as in the template
    element: str  # WS 363 data element identifier (DE..) where certain, else ""
    kind: str  # one of KINDS
    required: bool
    value_set: str = ""  # for kind "code": the terminology code-system slug
    help: str = ""  # one-line Chinese hint (template cell comment)


@dataclass(frozen=True)
class Dataset:
    key: str
    title: str
    standard: str
    columns: tuple[Column, ...]

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    def column(self, header: str) -> Column:
        return next(c for c in self.columns if c.header == header)


# Plausible ranges (inclusive) and units of the measured columns, by header: a header means the same
# measurement in every data set. (low, high, UCUM unit, unit as shown to people)
LIMITS = {
    "收缩压": (40, 300, "mm[Hg]", "mmHg"),
    "舒张压": (20, 200, "mm[Hg]", "mmHg"),
    "身高": (30, 250, "cm", "cm"),
    "体重": (2, 300, "kg", "kg"),
    "体质指数": (8, 80, "kg/m2", "kg/m²"),
    "心率": (20, 250, "/min", "次/分"),
    "空腹血糖": (0.5, 50, "mmol/L", "mmol/L"),
    "糖化血红蛋白": (2, 25, "%", "%"),
    "剂次": (1, 10, "", "剂"),
}
# Columns holding several values separated by "；" (a visit has several diagnoses and drugs).
MULTI = frozenset({"诊断编码", "诊断名称", "药物名称", "出院诊断编码", "出院诊断名称"})
SEPARATOR = "；"
# Local identifiers become part of stable ids and FHIR identifiers; longer text is a column mix-up.
ID_HEADERS = frozenset({"个人档案编号", "门诊号", "住院号"})
MAX_ID = 64
MAX_TEXT = 200

ARCHIVE = Column("个人档案编号", "DE01.00.009.00", "text", True,
                 help="本机构内居民的唯一编号（城乡居民健康档案编号），各表一致")


def _bp(required: bool) -> tuple[Column, Column]:
    return (Column("收缩压", "DE04.10.174.00", "integer", required, help="mmHg，整数，40–300"),
            Column("舒张压", "DE04.10.176.00", "integer", required, help="mmHg，整数，20–200，应低于收缩压"))


WEIGHT = Column("体重", "DE04.10.188.00", "decimal", False, help="kg，2–300")
HEART_RATE = Column("心率", "", "integer", False, help="次/分，整数，20–250")
GLUCOSE = Column("空腹血糖", "", "decimal", False, help="mmol/L，0.5–50")
FOLLOWUP_DATE = Column("随访日期", "", "date", True, help="如 2024-03-01、2024/3/1 或 20240301，不晚于今天")
FOLLOWUP_METHOD = Column("随访方式", "", "code", True, "ws-364-cv06-00-207",
                         help="1 门诊，2 家庭，3 电话，4 短信，5 网络，9 其他")
FOLLOWUP_CLASS = Column("此次随访分类", "", "code", True, "wj-followup-classification",
                        help="1 控制满意，2 控制不满意，3 不良反应，4 并发症")

PERSONAL_BASIC = Dataset("personal_basic", "个人基本信息表",
                         "WS 365-2011 城乡居民健康档案基本数据集：个人基本信息（平台选用的数据元）", (
    ARCHIVE,
    Column("姓名", "DE02.01.039.00", "text", True, help="身份证上的姓名"),
    Column("身份证号", "DE02.01.030.00", "text", True, help="18位居民身份证号，末位可为X；请把单元格设为文本"),
    Column("性别", "DE02.01.040.00", "code", True, "gb-t-2261-1", help="GB/T 2261.1：1 男，2 女，0 未知，9 未说明"),
    Column("出生日期", "DE02.01.005.01", "date", True, help="如 1960-05-01，应与身份证号一致"),
    Column("民族", "DE02.01.025.00", "code", False, "gb-t-3304", help="GB/T 3304 两位代码，如 01 汉族"),
    Column("婚姻状况", "DE02.01.018.00", "code", False, "gb-t-2261-2",
           help="GB/T 2261.2：10 未婚，20 已婚，30 丧偶，40 离婚，90 未说明"),
    Column("联系电话", "DE02.01.010.00", "text", False, help="手机或固定电话，如 13800000000、028-12345678"),
    Column("现住址区县代码", "", "code", False, "gb-t-2260", help="GB/T 2260 六位行政区划代码，如 510104"),
    Column("现住址", "", "text", False, help="详细地址（街道、门牌）"),
    Column("ABO血型", "DE04.50.001.00", "code", False, "ws-364-cv04-50-005", help="1 A型，2 B型，3 O型，4 AB型，5 不详"),
    Column("Rh血型", "DE04.50.010.00", "code", False, "ws-364-cv04-50-020", help="1 阴性，2 阳性，3 不详"),
))

HEALTH_CHECKUP = Dataset("health_checkup", "健康体检表",
                         "WS 365-2011 城乡居民健康档案基本数据集：健康体检（平台选用的数据元）", (
    ARCHIVE,
    Column("体检日期", "", "date", True, help="如 2024-03-01，不晚于今天"),
    *_bp(True),
    Column("身高", "DE04.10.167.00", "decimal", True, help="cm，30–250"),
    Column("体重", "DE04.10.188.00", "decimal", True, help="kg，2–300"),
    Column("体质指数", "", "decimal", False, help="kg/m²，8–80"),
    HEART_RATE,
    GLUCOSE,
))

HYPERTENSION_FOLLOWUP = Dataset("hypertension_followup", "高血压患者随访服务记录表",
                                "WS 365-2011 城乡居民健康档案基本数据集：高血压患者随访服务（平台选用的数据元）", (
    ARCHIVE,
    FOLLOWUP_DATE,
    FOLLOWUP_METHOD,
    *_bp(True),
    WEIGHT,
    HEART_RATE,
    FOLLOWUP_CLASS,
))

DIABETES_FOLLOWUP = Dataset("diabetes_followup", "2型糖尿病患者随访服务记录表",
                            "WS 365-2011 城乡居民健康档案基本数据集：2型糖尿病患者随访服务（平台选用的数据元）", (
    ARCHIVE,
    FOLLOWUP_DATE,
    FOLLOWUP_METHOD,
    *_bp(False),
    WEIGHT,
    Column("空腹血糖", "", "decimal", True, help="mmol/L，0.5–50"),
    Column("糖化血红蛋白", "", "decimal", False, help="%，2–25"),
    FOLLOWUP_CLASS,
))

IMMUNIZATION = Dataset("immunization", "预防接种记录",
                       "WS 365-2011 城乡居民健康档案基本数据集：预防接种（平台选用的数据元）", (
    ARCHIVE,
    Column("疫苗代码", "", "code", True, "wj-vaccine", help="见“值域”工作表，如 HepB 乙型肝炎疫苗"),
    Column("剂次", "", "integer", True, help="第几剂，1–10"),
    Column("接种日期", "", "date", True, help="如 2024-03-01，不晚于今天"),
    Column("疫苗批号", "", "text", True, help="疫苗包装上的批号"),
    Column("生产企业", "", "text", False, help="疫苗生产企业名称"),
))

OUTPATIENT_SUMMARY = Dataset("outpatient_summary", "门诊摘要",
                             "WS 365-2011 城乡居民健康档案基本数据集：其他医疗卫生服务记录—门诊摘要（平台选用的数据元）", (
    Column("门诊号", "DE01.00.010.00", "text", True, help="本机构的门（急）诊号，一次就诊一个"),
    ARCHIVE,
    Column("就诊日期时间", "", "datetime", True, help="如 2024-03-01 09:30 或 2024-03-01"),
    Column("就诊科室", "", "text", False, help="科室名称，如 内科"),
    Column("诊断编码", "DE05.01.024.00", "code", True, "icd-10", help="ICD-10 编码，如 I10；多个用“；”分隔"),
    Column("诊断名称", "", "text", False, help="与诊断编码一一对应，多个用“；”分隔"),
    Column("药物名称", "DE08.50.022.00", "text", False, help="多个用“；”分隔"),
))

INPATIENT_SUMMARY = Dataset("inpatient_summary", "住院摘要",
                            "WS 365-2011 城乡居民健康档案基本数据集：其他医疗卫生服务记录—住院摘要（平台选用的数据元）", (
    Column("住院号", "DE01.00.014.00", "text", True, help="本机构的住院号，一次住院一个"),
    ARCHIVE,
    Column("入院日期时间", "DE06.00.092.00", "datetime", True, help="如 2024-03-01 09:30 或 2024-03-01"),
    Column("出院日期时间", "DE06.00.017.00", "datetime", True, help="不早于入院日期时间，不晚于今天"),
    Column("出院诊断编码", "DE05.01.024.00", "code", True, "icd-10", help="ICD-10 编码，第一个为主要诊断；多个用“；”分隔"),
    Column("出院诊断名称", "", "text", False, help="与出院诊断编码一一对应，多个用“；”分隔"),
    Column("离院方式", "DE06.00.223.00", "code", True, "wj-discharge-disposition",
           help="1 医嘱离院，2 医嘱转院，3 医嘱转社区/乡镇卫生院，4 非医嘱离院，5 死亡，9 其他"),
    Column("主要手术及操作名称", "", "text", False, help="有手术或操作时填写"),
    Column("手术及操作日期", "", "date", False, help="在入院与出院之间"),
))

DATASETS: dict[str, Dataset] = {d.key: d for d in (
    PERSONAL_BASIC, HEALTH_CHECKUP, HYPERTENSION_FOLLOWUP, DIABETES_FOLLOWUP, IMMUNIZATION, OUTPATIENT_SUMMARY,
    INPATIENT_SUMMARY,
)}

# Short names for messages: the title without its parenthesised note ("随访方式代码（CV06.00.207）" → "随访方式代码").
_TITLES = {slug: title.split("（")[0] for slug, _name, title, *_rest in SYSTEMS} | {
    ICD10[0]: "ICD-10", DIVISIONS[0]: DIVISIONS[2]}


def domain_title(slug: str) -> str:
    """The value domain's name as shown in messages and the template."""
    return _TITLES.get(slug, slug)

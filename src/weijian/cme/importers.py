"""How CME data is imported: national/provincial project lists ("cme-project"), sign-in sheets
("cme-attendance") and e-learning platform credit files ("cme-credit").

The columns here turn cells into values; the row rules and the writes are in cme.services.imports,
shared with the bulk credit API (which parses its JSON records with `parse_records` below).
"""

from functools import lru_cache

from django.utils.translation import gettext as _

from weijian.cme.errors import CmeErrorCode as E
from weijian.cme.models import CreditClass, Delivery, ProjectLevel
from weijian.cme.services import imports as rules
from weijian.cme.services._common import parse_credits
from weijian.core.errors import BusinessError
from weijian.core.spreadsheets import looks_like_formula
from weijian.imports import files, parsers
from weijian.imports.registry import Column, ImportSpec, RowError, mask
from weijian.workforce.idnumber import IdNumberError, parse_id_number


def _labels(choices) -> tuple[str, ...]:
    return tuple(str(label) for _value, label in choices.choices)


def _text(limit: int):
    def parse(value) -> str:
        text = parsers.text(value)
        if len(text) > limit:
            raise ValueError(_("不能超过%(limit)s个字符") % {"limit": limit})
        return text

    return parse


def _id_number(value) -> tuple[str, str]:
    """A valid ID number becomes (blind index, masked number): see services.imports.id_key."""
    try:
        return _id_key(parsers.code(value))
    except IdNumberError as exc:
        raise ValueError(str(exc)) from None


# A platform's file repeats each person's number for every course (about 30 a year), and checking and
# hashing it is most of the parse. The blind-index key is fixed for the life of a process, so the
# result may be kept; invalid numbers raise and are not kept.
@lru_cache(maxsize=65_536)
def _id_key(text: str) -> tuple[str, str]:
    return rules.id_key(parse_id_number(text).value)


def _licence(value) -> str:
    text = parsers.code(value)
    if len(text) > 32 or not (text.isascii() and text.isalnum()):
        raise ValueError(_("执业证书编码应为不超过32位的字母或数字"))
    return text


def _credits(value):
    if isinstance(value, bool):
        raise ValueError(str(E.CREDITS_INVALID.message))
    try:
        return parse_credits(value)
    except BusinessError as exc:
        raise ValueError(exc.message) from None


def _record_id(value) -> str:
    text = parsers.text(value)
    if not text or len(text) > 64 or rules.SEPARATOR in text:
        raise ValueError(str(E.RECORD_ID_INVALID.message))
    return text


_level = parsers.choice(ProjectLevel)


def _listed_level(value) -> str:
    level = _level(value)
    if level not in rules.LISTED_LEVELS:
        raise ValueError(str(E.LEVEL_NOT_LISTED.message))
    return level


_LISTED = tuple(str(label) for value, label in ProjectLevel.choices if value in rules.LISTED_LEVELS)
_DATE_HELP = "格式 YYYY-MM-DD"


# ---- national and provincial project lists ----------------------------------------------------------

H = rules.PROJECT_HEADERS
PROJECT_COLUMNS = (
    Column("number", H["number"], help="国家级、省级项目名单上的编号，不超过32个字符", example="2026-01-01-001（国）",
           parse=_text(32)),
    Column("name", H["name"], help="不超过200个字符", example="基层医师心电图规范化诊断培训", parse=_text(200)),
    Column("level", H["level"], help="取值：" + "、".join(_LISTED), example="国家级", parse=_listed_level,
           options=_LISTED),
    Column("host", H["host"], help="主办机构的统一社会信用代码（18位），须为本市已登记的机构",
           example="12510100MB0000000X", parse=parsers.code),
    Column("credits", H["credits"], help="大于0，最多一位小数", example="10", parse=_credits),
    Column("delivery", H["delivery"], help="取值：" + "、".join(_labels(Delivery)), example="面授",
           parse=parsers.choice(Delivery), options=_labels(Delivery)),
    Column("start_date", H["start_date"], help=_DATE_HELP, example="2026-05-10", parse=parsers.date),
    Column("end_date", H["end_date"], help=_DATE_HELP + "，不得早于开始日期", example="2026-05-12",
           parse=parsers.date),
    Column("discipline", H["discipline"], required=False, help="选填；不超过64个字符", example="心血管内科",
           parse=_text(64)),
)

PROJECT_IMPORT = ImportSpec(
    entity="cme-project",
    title="国家级、省级继续医学教育项目名单",
    columns=PROJECT_COLUMNS,
    natural_key="number",
    prepare=rules.project_rows_check,
    classify=rules.project_rows_plan,
    apply=rules.project_rows_write,
    notes=("以项目编号识别项目：新项目登记为“已批准”，I类学分。",
           "已登记的项目按文件内容更新；已有人员参加的项目不能通过导入修改。"),
)


# ---- sign-in sheets ---------------------------------------------------------------------------------

H = rules.ATTENDANCE_HEADERS
ATTENDANCE_COLUMNS = (
    Column("project", H["project"], help="须为已批准或已举办的项目", example="2026-01-01-001（国）",
           parse=_text(32)),
    Column("id_number", H["id_number"], required=False,
           help="18位居民身份证号；与执业证书编码至少填写一项；请以文本格式填写", example="11010519491231002X",
           parse=_id_number, sensitive=True),
    Column("licence_number", H["licence_number"], required=False, help="未填身份证号时按执业证书编码识别人员",
           example="110510000012345", parse=_licence),
    Column("name", H["name"], help="须与登记的姓名一致", example="张三", parse=_text(64)),
    Column("attended_on", H["attended_on"], help=_DATE_HELP + "，须在项目举办期间且不晚于今天",
           example="2026-05-10", parse=parsers.date),
)


class _SignInKey(tuple):
    """(project, (blind index, masked ID number), licence number); shown in duplicate-row errors as the
    project and the masked number (or the licence number)."""

    __slots__ = ()

    def __str__(self) -> str:
        project, (_index, masked), licence = self
        return f"{project}：{masked or licence}"


def attendance_row_key(row: dict) -> _SignInKey:
    """Two rows are the same attendance when project and person agree (the person by either identifier)."""
    return _SignInKey((row.get("project"), row.get("id_number") or ("", ""), row.get("licence_number") or ""))


ATTENDANCE_IMPORT = ImportSpec(
    entity="cme-attendance",
    title="继续医学教育项目签到表",
    columns=ATTENDANCE_COLUMNS,
    natural_key="project",  # duplicates are found by `row_key`; this column names them in the report
    prepare=rules.attendance_rows_check,
    classify=rules.attendance_rows_plan,
    apply=rules.attendance_rows_write,
    notes=("按身份证号（或执业证书编码）识别人员，姓名须一致；未找到的人员列入错误报告。",
           "每条参加记录按项目学分计入该人员学分档案；已登记的参加记录不会重复计分。"),
    row_key=attendance_row_key,
)


# ---- e-learning platform credit files ---------------------------------------------------------------

H = rules.CREDIT_HEADERS
CREDIT_COLUMNS = (
    Column("record_id", H["record_id"], help="学习平台的记录编号，用于识别重复导入", example="HX2026000123",
           parse=_record_id),
    Column("id_number", H["id_number"], help="18位居民身份证号；请以文本格式填写", example="11010519491231002X",
           parse=_id_number, sensitive=True),
    Column("name", H["name"], help="须与登记的姓名一致", example="张三", parse=_text(64)),
    Column("course", H["course"], help="不超过200个字符", example="高血压基层诊疗指南解读", parse=_text(200)),
    Column("credit_class", H["credit_class"], help="取值：" + "、".join(_labels(CreditClass)), example="II类",
           parse=parsers.choice(CreditClass), options=_labels(CreditClass)),
    Column("credits", H["credits"], help="大于0，最多一位小数", example="2.5", parse=_credits),
    Column("earned_on", H["earned_on"], help=_DATE_HELP + "，不得晚于今天", example="2026-03-15",
           parse=parsers.date),
)
del H

CREDIT_IMPORT = ImportSpec(
    entity="cme-credit",
    title="远程教育学分",
    columns=CREDIT_COLUMNS,
    natural_key="record_id",
    prepare=rules.credit_rows_check,
    classify=rules.credit_rows_plan,
    apply=rules.credit_rows_write,
    notes=("以平台记录号识别记录：再次导入同一文件不会重复计分。",
           "导入的学分记为远程教育学分（已审核）；身份证号仅用于匹配人员，错误报告中脱敏显示。"),
    batch_rows=5_000,
    tables=("cme.CreditRecord",),
    cache=rules.PeopleCache,
    stream=rules.credit_rows_stream,
)

SPECS = (PROJECT_IMPORT, ATTENDANCE_IMPORT, CREDIT_IMPORT)


def parse_records(items: list, columns=CREDIT_COLUMNS) -> tuple[list, list[RowError]]:
    """JSON records (API field names = column keys) -> (rows, cell errors), by the same cell rules as
    a file: required values, the formula guard and each column's parser. Row numbers are positions."""
    rows, errors = [], []
    for number, item in enumerate(items):
        if not isinstance(item, dict):
            errors.append(RowError(number, "", "", _("每条记录应为一个对象")))
            continue
        parsed, problems = {}, []
        for column in columns:
            raw = item.get(column.key)
            shown = "" if raw is None else str(raw)
            shown = mask(shown) if column.sensitive and shown else shown
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                if column.required:
                    problems.append(RowError(number, column.key, "", _("必填项为空")))
                parsed[column.key] = None
                continue
            if isinstance(raw, (dict, list)):
                problems.append(RowError(number, column.key, "", _("取值类型错误")))
                continue
            if looks_like_formula(raw):
                problems.append(RowError(number, column.key, shown, files.formula_reason(raw)))
                continue
            try:
                parsed[column.key] = column.parse(raw) if column.parse else raw
            except ValueError as exc:
                problems.append(RowError(number, column.key, shown, str(exc)))
        if problems:
            errors.extend(problems)
        else:
            rows.append((number, parsed))
    return rows, errors

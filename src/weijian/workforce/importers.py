"""How health workers are imported: columns, batch validation and bulk upsert via workforce services."""

import datetime as dt

from weijian.core.errors import BusinessError
from weijian.imports import parsers
from weijian.imports.registry import ApplyResult, Column, ImportSpec, PreparedBatch, RowError, mask
from weijian.orgs.selectors import institutions_by_uscc
from weijian.workforce.models import Profession, Sex, TitleLevel, WorkerStatus
from weijian.workforce.services import worker_bulk_plan, worker_bulk_upsert, worker_clean


def _labels(choices) -> tuple[str, ...]:
    return tuple(str(label) for _, label in choices.choices)


COLUMNS = (
    Column("name", "姓名", help="不超过64个字符", example="张三"),
    Column("id_number", "身份证号", help="18位居民身份证号，末位校验码须正确；请以文本格式填写",
           example="11010519491231002X", parse=parsers.code, sensitive=True),
    Column("institution", "机构统一社会信用代码", help="18位，须为已登记且在您管辖范围内的机构",
           example="12510100MB0000000X", parse=parsers.code),
    Column("profession", "职业类别", help="取值：" + "、".join(_labels(Profession)), example="医师",
           parse=parsers.choice(Profession), options=_labels(Profession)),
    Column("title_level", "职称级别", required=False,
           help="取值：" + "、".join(_labels(TitleLevel)) + "；不填为无职称",
           example="中级", parse=parsers.choice(TitleLevel), options=_labels(TitleLevel)),
    Column("practising_since", "执业起始日期", required=False, help="格式 YYYY-MM-DD，不得晚于今天",
           example="1972-07-01", parse=parsers.date),
    Column("status", "状态", required=False, help="取值：" + "、".join(_labels(WorkerStatus)) + "；不填为在岗",
           example="在岗", parse=parsers.choice(WorkerStatus), options=_labels(WorkerStatus)),
    Column("birth_date", "出生日期", required=False, help="选填；填写时须与身份证号一致",
           example="1949-12-31", parse=parsers.date),
    Column("sex", "性别", required=False, help="选填；男、女；填写时须与身份证号一致", example="女",
           parse=parsers.choice(Sex), options=_labels(Sex)),
    Column("licence_number", "执业证书编码", required=False,
           help="选填；不超过32位字母或数字；不填则保留已登记的编码", example="110510000012345",
           parse=parsers.code),
)
_HEADER = {c.key: c.header for c in COLUMNS}


def _shown(field: str | None, value) -> str:
    shown = "" if value is None else str(value)
    return mask(shown) if field == "id_number" and shown else shown


def prepare(actor, rows) -> PreparedBatch:
    out = PreparedBatch()
    institutions = institutions_by_uscc(actor=actor, codes={r["institution"] for _, r in rows})
    today = dt.date.today()
    for number, row in rows:
        try:
            data = worker_clean(
                actor=actor, name=row["name"], id_number=row["id_number"],
                institution=institutions.get(row["institution"]), profession=row["profession"],
                title_level=row.get("title_level") or "none", practising_since=row.get("practising_since"),
                status=row.get("status") or "active", birth_date=row.get("birth_date"), sex=row.get("sex"),
                today=today, licence_number=row.get("licence_number"),
            )
        except BusinessError as exc:
            out.errors.append(RowError(number, _HEADER.get(exc.field, ""), _shown(exc.field, row.get(exc.field)),
                                       exc.message))
            continue
        out.valid.append((number, data))
    return out


def _result(valid, bulk) -> ApplyResult:
    errors = [RowError(valid[position][0], _HEADER.get(exc.field, ""),
                       _shown(exc.field, getattr(valid[position][1], exc.field or "", None)), exc.message)
              for position, exc in bulk.refused]
    return ApplyResult(bulk.created, bulk.updated, bulk.unchanged, errors)


def classify(actor, valid) -> ApplyResult:
    return _result(valid, worker_bulk_plan(actor=actor, rows=[data for _, data in valid]))


def apply(actor, valid) -> ApplyResult:
    return _result(valid, worker_bulk_upsert(actor=actor, rows=[data for _, data in valid]))


WORKER_IMPORT = ImportSpec(
    entity="worker",
    title="卫生人员",
    tables=("workforce.Worker",),
    columns=COLUMNS,
    natural_key="id_number",
    prepare=prepare,
    classify=classify,
    apply=apply,
    notes=("以身份证号识别人员：已登记的人员将按文件内容更新。", "身份证号加密存储，错误报告中仅显示脱敏号码。"),
)

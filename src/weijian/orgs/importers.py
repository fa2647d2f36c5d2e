"""How divisions and institutions are imported; rows are written through orgs services."""

from dataclasses import dataclass

from weijian.accounts.access import institution_in_scope
from weijian.core.errors import BusinessError
from weijian.imports import parsers
from weijian.imports.registry import ApplyResult, Column, ImportSpec, PreparedBatch, RowError
from weijian.orgs import services
from weijian.orgs.models import (
    Division,
    DivisionLevel,
    Institution,
    InstitutionGrade,
    InstitutionType,
    Ownership,
)


def _labels(choices) -> tuple[str, ...]:
    return tuple(str(label) for _, label in choices.choices)


# ---- institutions ----------------------------------------------------------------------------

INSTITUTION_COLUMNS = (
    Column("uscc", "统一社会信用代码", help="18位，末位为 GB 32100 校验码", example="12510100MB0000000X",
           parse=parsers.code),
    Column("name", "机构名称", help="不超过128个字符", example="示例市第一人民医院"),
    Column("type", "机构类别", help="取值：" + "、".join(_labels(InstitutionType)), example="综合医院",
           parse=parsers.choice(InstitutionType)),
    Column("grade", "机构等级", required=False, help="取值：" + "、".join(_labels(InstitutionGrade)) + "；不填为未定级",
           example="三级甲等", parse=parsers.choice(InstitutionGrade), options=_labels(InstitutionGrade)),
    Column("ownership", "经济类型", help="取值：" + "、".join(_labels(Ownership)), example="公立",
           parse=parsers.choice(Ownership), options=_labels(Ownership)),
    Column("division", "所在区划代码", help="区县（6位）或乡镇街道（9位）GB/T 2260 代码", example="510104",
           parse=parsers.code),
    Column("is_active", "是否在业", required=False, help="是、否；默认是", example="是", parse=parsers.boolean,
           options=("是", "否")),
)
_INST_HEADER = {c.key: c.header for c in INSTITUTION_COLUMNS}
_INST_FIELDS = ("name", "type", "grade", "ownership", "division", "is_active")


@dataclass
class InstitutionRow:
    uscc: str
    name: str
    type: str
    grade: str
    ownership: str
    division: Division
    is_active: bool


def _row_error(number: int, headers: dict, row: dict, exc: BusinessError) -> RowError:
    value = row.get(exc.field)
    return RowError(number, headers.get(exc.field, ""), "" if value is None else str(value), exc.message)


def prepare_institutions(actor, rows) -> PreparedBatch:
    out = PreparedBatch()
    divisions = Division.objects.in_bulk({r["division"] for _, r in rows})
    for number, row in rows:
        division = divisions.get(row["division"])
        try:
            if division is None:
                raise BusinessError(services.E.DIVISION_NOT_FOUND, field="division")
            data = InstitutionRow(row["uscc"], row["name"].strip(), row["type"], row.get("grade") or "none",
                                  row["ownership"], division,
                                  True if row.get("is_active") is None else row["is_active"])
            services.institution_clean(actor=actor, uscc=data.uscc, name=data.name, type=data.type,
                                       grade=data.grade, ownership=data.ownership, division=division)
        except BusinessError as exc:
            out.errors.append(_row_error(number, _INST_HEADER, row, exc))
            continue
        out.valid.append((number, data))
    return out


def _institution_changes(existing: Institution, row: InstitutionRow) -> dict:
    changes = {f: getattr(row, f) for f in _INST_FIELDS if f != "division" and getattr(existing, f) != getattr(row, f)}
    if existing.division_id != row.division.pk:
        changes["division"] = row.division
    return changes


def _out_of_scope(number: int, row: InstitutionRow) -> RowError:
    return RowError(number, _INST_HEADER["uscc"], row.uscc,
                    "该统一社会信用代码已登记在您管辖范围以外的机构，不能通过导入修改")


def classify_institutions(actor, valid) -> ApplyResult:
    existing = Institution.objects.in_bulk([r.uscc for _, r in valid], field_name="uscc")
    result = ApplyResult()
    for number, row in valid:
        inst = existing.get(row.uscc)
        if inst is None:
            result.created += 1
        elif not institution_in_scope(actor, inst):
            result.errors.append(_out_of_scope(number, row))
        elif _institution_changes(inst, row):
            result.updated += 1
        else:
            result.unchanged += 1
    return result


def apply_institutions(actor, valid) -> ApplyResult:
    """Row by row through the audited services (institutions number in the hundreds, not the thousands)."""
    existing = Institution.objects.in_bulk([r.uscc for _, r in valid], field_name="uscc")
    result = ApplyResult()
    for number, row in valid:
        inst = existing.get(row.uscc)
        try:
            if inst is None:
                created = services.institution_create(actor=actor, uscc=row.uscc, name=row.name, type=row.type,
                                                      grade=row.grade, ownership=row.ownership,
                                                      division=row.division)
                if not row.is_active:
                    services.institution_deactivate(actor=actor, institution=created)
                result.created += 1
            elif not institution_in_scope(actor, inst):
                result.errors.append(_out_of_scope(number, row))
            elif changes := _institution_changes(inst, row):
                services.institution_update(actor=actor, institution=inst, **changes)
                result.updated += 1
            else:
                result.unchanged += 1
        except BusinessError as exc:
            result.errors.append(_row_error(number, _INST_HEADER, row.__dict__, exc))
    return result


INSTITUTION_IMPORT = ImportSpec(
    entity="institution",
    title="医疗卫生机构",
    columns=INSTITUTION_COLUMNS,
    natural_key="uscc",
    prepare=prepare_institutions,
    classify=classify_institutions,
    apply=apply_institutions,
    notes=("以统一社会信用代码识别机构：已登记的机构将按文件内容更新。",),
)


# ---- divisions -------------------------------------------------------------------------------

DIVISION_COLUMNS = (
    Column("code", "区划代码", help="GB/T 2260 代码：省、市、区县为6位，乡镇街道为9位", example="510104",
           parse=parsers.code),
    Column("name", "名称", help="不超过64个字符", example="锦江区"),
    Column("level", "级别", help="取值：" + "、".join(_labels(DivisionLevel)), example="区县级",
           parse=parsers.choice(DivisionLevel), options=_labels(DivisionLevel)),
    Column("parent", "上级区划代码", required=False, help="省级留空，其他必填", example="510100",
           parse=parsers.code),
)
_DIV_HEADER = {c.key: c.header for c in DIVISION_COLUMNS}
LEVEL_ORDER = {DivisionLevel.PROVINCE: 0, DivisionLevel.CITY: 1, DivisionLevel.DISTRICT: 2, DivisionLevel.TOWNSHIP: 3}


@dataclass
class DivisionRow:
    code: str
    name: str
    level: str
    parent_code: str | None


def prepare_divisions(actor, rows) -> PreparedBatch:
    """Parents may come earlier in the same batch; they are checked against file + database."""
    out = PreparedBatch()
    in_file = {r["code"]: r["level"] for _, r in rows}
    stored = dict(Division.objects.filter(pk__in={r.get("parent") for _, r in rows if r.get("parent")})
                  .values_list("code", "level"))
    for number, row in rows:
        parent_code = row.get("parent") or None
        parent_level = stored.get(parent_code) or in_file.get(parent_code)
        parent = Division(code=parent_code, level=parent_level) if parent_code and parent_level else None
        try:
            if parent_code and parent is None:
                raise BusinessError(services.E.DIVISION_NOT_FOUND, "上级区划代码不存在", field="parent")
            services.division_clean(code=row["code"], name=row["name"], level=row["level"], parent=parent)
        except BusinessError as exc:
            out.errors.append(_row_error(number, _DIV_HEADER, row, exc))
            continue
        out.valid.append((number, DivisionRow(row["code"], row["name"].strip(), row["level"], parent_code)))
    return out


def classify_divisions(actor, valid) -> ApplyResult:
    existing = Division.objects.in_bulk([r.code for _, r in valid])
    result = ApplyResult()
    for _, row in valid:
        div = existing.get(row.code)
        if div is None:
            result.created += 1
        elif div.name != row.name:
            result.updated += 1
        else:
            result.unchanged += 1
    return result


def apply_divisions(actor, valid) -> ApplyResult:
    """Parents first, so a file may hold a district and its townships in any order."""
    result = ApplyResult()
    for number, row in sorted(valid, key=lambda item: LEVEL_ORDER[item[1].level]):
        try:
            div = Division.objects.filter(pk=row.code).first()
            if div is None:
                parent = Division.objects.filter(pk=row.parent_code).first() if row.parent_code else None
                if row.parent_code and parent is None:  # its row was refused: it was not created
                    raise BusinessError(services.E.DIVISION_NOT_FOUND, "上级区划未能导入（其所在行有错误）",
                                        field="parent")
                services.division_create(actor=actor, code=row.code, name=row.name, level=row.level, parent=parent)
                result.created += 1
            elif div.name != row.name:
                services.division_update(actor=actor, division=div, name=row.name, is_active=div.is_active)
                result.updated += 1
            else:
                result.unchanged += 1
        except BusinessError as exc:
            values = {"code": row.code, "name": row.name, "level": row.level, "parent": row.parent_code}
            result.errors.append(_row_error(number, _DIV_HEADER, values, exc))
    return result


DIVISION_IMPORT = ImportSpec(
    entity="division",
    title="行政区划",
    columns=DIVISION_COLUMNS,
    natural_key="code",
    prepare=prepare_divisions,
    classify=classify_divisions,
    apply=apply_divisions,
    notes=("以区划代码识别：已存在的区划仅更新名称。", "上级区划可以在同一文件中（顺序不限）。"),
    batch_rows=100_000,  # one batch: a township's district may sit anywhere in the file
)

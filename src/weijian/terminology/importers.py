"""Reading terminology imports into plain rows: CSV/XLSX sheets and FHIR JSON resources.

Nothing here touches the database. Files are read by the hardened readers of `weijian.imports.files`
(type sniffing, zip-bomb limits, UTF-8/GB18030, formula cells); FHIR resources are checked by hand
against the R4 shape (`fhir.resources` is not installed), each problem named by its JSON path.
Problems are collected, never raised one by one, so the user sees every bad row at once.
"""

import io
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from weijian.core.errors import BusinessError
from weijian.imports import files
from weijian.terminology.errors import TerminologyErrorCode as E
from weijian.terminology.models import CodeSystemContent, Equivalence, ResourceStatus

CONCEPT_COLUMNS = {"代码": "code", "名称": "display", "上级代码": "parent_code", "说明": "definition"}
CONCEPT_REQUIRED = ["代码", "名称"]
MAP_COLUMNS = {"本地代码": "source_code", "本地名称": "source_display", "标准代码": "target_code",
               "标准名称": "target_display", "对应关系": "equivalence"}
MAP_REQUIRED = ["本地代码", "本地名称", "标准代码", "标准名称"]

# 对应关系 as written in a spreadsheet: the Chinese label or the FHIR code.
EQUIVALENCE_WORDS = {
    "等价": Equivalence.EQUIVALENT, "相同": Equivalence.EQUAL, "较宽": Equivalence.WIDER,
    "较窄": Equivalence.NARROWER, "近似": Equivalence.INEXACT, "无对应": Equivalence.UNMATCHED,
    **{value: Equivalence(value) for value in Equivalence.values},
}


@dataclass
class ConceptRow:
    where: str  # "第 3 行" or "concept[2]": how an error names the row
    code: str
    display: str
    parent_code: str = ""
    definition: str = ""
    properties: dict | None = None  # None: keep what is stored
    is_active: bool = True


@dataclass
class MapRow:
    where: str
    source_code: str
    source_display: str
    target_code: str
    target_display: str
    equivalence: str = ""  # "" → equivalent; anything else checked by the service


@dataclass
class FhirResource:
    """A FHIR terminology resource reduced to our fields: `fields` for the resource row, and its rows."""

    resource_type: str
    fields: dict
    concepts: list[ConceptRow] = field(default_factory=list)
    includes: list[dict] = field(default_factory=list)  # {"system", "version", "codes"}
    elements: list[MapRow] = field(default_factory=list)


def text(value) -> str:
    """A cell as text: 1 and 1.0 both read "1" (codes typed into Excel become numbers)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _sheet_rows(data: bytes, filename: str, columns: dict[str, str], required: list[str]):
    try:
        kind = files.sniff(data[:8192], filename)
        sheet = files.open_xlsx(io.BytesIO(data)) if kind == "xlsx" else files.open_csv(data)
        files.check_headers(sheet.headers, list(columns), required)
        positions = {columns[h]: i for i, h in enumerate(sheet.headers) if h in columns}
        rows = []
        for number, values in sheet.rows:
            cells = {key: text(values[i]) if i < len(values) else "" for key, i in positions.items()}
            rows.append((_("第 %(n)s 行") % {"n": number}, cells))
            if len(rows) > files.MAX_ROWS:
                raise files.FileRejected(_("文件行数过多"))
        return rows
    except files.FileRejected as exc:
        raise BusinessError(E.FILE_REJECTED, exc.reason) from None


def concept_rows_from_file(data: bytes, filename: str) -> list[ConceptRow]:
    """Columns 代码, 名称, 上级代码 (optional), 说明 (optional)."""
    return [ConceptRow(where=where, code=c.get("code", ""), display=c.get("display", ""),
                       parent_code=c.get("parent_code", ""), definition=c.get("definition", ""))
            for where, c in _sheet_rows(data, filename, CONCEPT_COLUMNS, CONCEPT_REQUIRED)]


def map_rows_from_file(data: bytes, filename: str) -> list[MapRow]:
    """Columns 本地代码, 本地名称, 标准代码, 标准名称, 对应关系 (optional)."""
    return [MapRow(where=where, source_code=c.get("source_code", ""), source_display=c.get("source_display", ""),
                   target_code=c.get("target_code", ""), target_display=c.get("target_display", ""),
                   equivalence=c.get("equivalence", ""))
            for where, c in _sheet_rows(data, filename, MAP_COLUMNS, MAP_REQUIRED)]


# ---- FHIR JSON -----------------------------------------------------------------------------------

class _Problems(list):
    def string(self, obj: dict, key: str, path: str, *, required: bool = False) -> str:
        value = obj.get(key)
        if value is None or value == "":
            if required:
                self.append(_("%(path)s：缺少必填元素") % {"path": f"{path}.{key}".lstrip(".")})
            return ""
        if not isinstance(value, str):
            self.append(_("%(path)s：应为字符串") % {"path": f"{path}.{key}".lstrip(".")})
            return ""
        return value.strip()

    def array(self, obj: dict, key: str, path: str) -> list:
        value = obj.get(key, [])
        if not isinstance(value, list):
            self.append(_("%(path)s：应为数组") % {"path": f"{path}.{key}".lstrip(".")})
            return []
        return value

    def obj(self, value, path: str) -> bool:
        if not isinstance(value, dict):
            self.append(_("%(path)s：应为对象") % {"path": path})
            return False
        return True


def _common(resource: dict, problems: _Problems) -> dict:
    status = problems.string(resource, "status", "") or ResourceStatus.ACTIVE
    if status == "unknown":
        status = ResourceStatus.DRAFT
    if status not in ResourceStatus.values:
        problems.append(_("status：取值“%(v)s”无效") % {"v": status})
    return {
        "url": problems.string(resource, "url", "", required=True),
        "version": problems.string(resource, "version", ""),
        "name": problems.string(resource, "name", "") or problems.string(resource, "title", "") or "",
        "title": problems.string(resource, "title", ""),
        "status": status,
        "description": problems.string(resource, "description", ""),
    }


_PROPERTY_VALUES = ("valueCode", "valueString", "valueInteger", "valueBoolean", "valueDateTime", "valueDecimal")


def _code_system(resource: dict, problems: _Problems) -> FhirResource:
    fields = _common(resource, problems)
    fields["publisher"] = problems.string(resource, "publisher", "")
    case_sensitive = resource.get("caseSensitive", True)
    if not isinstance(case_sensitive, bool):
        problems.append(_("caseSensitive：应为布尔值"))
        case_sensitive = True
    fields["is_case_sensitive"] = case_sensitive
    content = problems.string(resource, "content", "") or CodeSystemContent.COMPLETE
    if content not in CodeSystemContent.values:
        problems.append(_("content：仅支持 complete 或 fragment，收到“%(v)s”") % {"v": content})
    fields["content"] = content
    rows: list[ConceptRow] = []

    def walk(concepts: list, path: str, parent: str, depth: int) -> None:
        if depth > 30:
            problems.append(_("%(path)s：概念层级过深") % {"path": path})
            return
        for i, concept in enumerate(concepts):
            where = f"{path}[{i}]"
            if not problems.obj(concept, where):
                continue
            properties = {}
            for j, prop in enumerate(problems.array(concept, "property", where)):
                if not problems.obj(prop, f"{where}.property[{j}]"):
                    continue
                code = problems.string(prop, "code", f"{where}.property[{j}]", required=True)
                values = [prop[k] for k in _PROPERTY_VALUES if k in prop]
                if code and len(values) != 1:
                    problems.append(_("%(path)s：应有且只有一个 value[x]") % {"path": f"{where}.property[{j}]"})
                elif code == "parent" and not parent:
                    parent = str(values[0])  # a flat CodeSystem names the parent as a property
                elif code:
                    properties[code] = values[0]
            inactive = properties.pop("inactive", False) is True or properties.get("status") == "retired"
            row = ConceptRow(where=where, code=problems.string(concept, "code", where, required=True),
                             display=problems.string(concept, "display", where),
                             definition=problems.string(concept, "definition", where),
                             parent_code=parent, properties=properties, is_active=not inactive)
            rows.append(row)
            walk(problems.array(concept, "concept", where), f"{where}.concept", row.code, depth + 1)

    walk(problems.array(resource, "concept", ""), "concept", "", 0)
    return FhirResource("CodeSystem", fields, concepts=rows)


def _value_set(resource: dict, problems: _Problems) -> FhirResource:
    fields = _common(resource, problems)
    compose = resource.get("compose")
    includes = []
    if compose is None or not problems.obj(compose, "compose"):
        if compose is None:
            problems.append(_("compose：缺少必填元素"))
        return FhirResource("ValueSet", fields)
    if compose.get("exclude"):
        problems.append(_("compose.exclude：暂不支持排除，请只用 include"))
    for i, include in enumerate(problems.array(compose, "include", "compose")):
        where = f"compose.include[{i}]"
        if not problems.obj(include, where):
            continue
        if include.get("filter") or include.get("valueSet"):
            problems.append(_("%(path)s：仅支持“整个代码系统”或“列出代码”两种组成方式") % {"path": where})
            continue
        codes = []
        for j, concept in enumerate(problems.array(include, "concept", where)):
            if problems.obj(concept, f"{where}.concept[{j}]"):
                codes.append(problems.string(concept, "code", f"{where}.concept[{j}]", required=True))
        includes.append({"system": problems.string(include, "system", where, required=True),
                         "version": problems.string(include, "version", where), "codes": codes})
    return FhirResource("ValueSet", fields, includes=includes)


def _concept_map(resource: dict, problems: _Problems) -> FhirResource:
    fields = _common(resource, problems)
    groups = problems.array(resource, "group", "")
    systems = set()
    rows = []
    for i, group in enumerate(groups):
        where = f"group[{i}]"
        if not problems.obj(group, where):
            continue
        systems.add((problems.string(group, "source", where, required=True),
                     problems.string(group, "target", where, required=True)))
        for j, element in enumerate(problems.array(group, "element", where)):
            at = f"{where}.element[{j}]"
            if not problems.obj(element, at):
                continue
            code = problems.string(element, "code", at, required=True)
            display = problems.string(element, "display", at)
            targets = problems.array(element, "target", at)
            if not targets:
                problems.append(_("%(path)s：缺少 target（无对应时写 equivalence 为 unmatched）") % {"path": at})
            for k, target in enumerate(targets):
                tat = f"{at}.target[{k}]"
                if problems.obj(target, tat):
                    rows.append(MapRow(where=tat, source_code=code, source_display=display,
                                       target_code=problems.string(target, "code", tat),
                                       target_display=problems.string(target, "display", tat),
                                       equivalence=problems.string(target, "equivalence", tat, required=True)))
    if len(systems) > 1:
        problems.append(_("group：所有分组的 source 和 target 应相同（一个映射只对应一对代码系统）"))
    if not systems:
        problems.append(_("group：缺少必填元素"))
    source, target = next(iter(systems), ("", ""))
    fields.update(source_system=source, target_system=target)
    return FhirResource("ConceptMap", fields, elements=rows)


PARSERS = {"CodeSystem": _code_system, "ValueSet": _value_set, "ConceptMap": _concept_map}


def parse_fhir(resource) -> FhirResource:
    """Check a FHIR R4 CodeSystem / ValueSet / ConceptMap (a dict) and reduce it to rows.
    Raises BusinessError(FHIR_INVALID, errors=[...]) listing every problem."""
    problems = _Problems()
    if not isinstance(resource, dict):
        raise BusinessError(E.FHIR_INVALID, errors=[_("资源应为 JSON 对象")])
    kind = resource.get("resourceType")
    parser = PARSERS.get(kind)
    if parser is None:
        raise BusinessError(E.FHIR_INVALID, errors=[
            _("resourceType：应为 CodeSystem、ValueSet 或 ConceptMap，收到“%(v)s”") % {"v": kind}])
    parsed = parser(resource, problems)
    if problems:
        raise BusinessError(E.FHIR_INVALID, errors=list(problems))
    return parsed

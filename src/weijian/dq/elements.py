"""Data elements: a named value inside a stored FHIR resource, reached by a path, with a type.

Paths are dotted FHIR element names; a list is entered by index (`name[0]`) or by the code of the item
wanted (`component[code=8480-6]`: the first item whose `code.coding[0].code` is 8480-6, as a blood-pressure
panel holds its systolic and diastolic values). One path has two readers: `sql()` for DuckDB's JSON
functions over stored resources, set-wise, and `read()` for one resource in Python (a rule's test on a
sample). A test holds the two together.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

NUMBER, TEXT, DATE, DATETIME = "number", "text", "date", "datetime"
_SEGMENT = re.compile(r"^([A-Za-z][A-Za-z0-9]*)(?:\[(\d+)\]|\[code=([A-Za-z0-9.\-]+)\])?$")


class ElementError(ValueError):
    pass


@dataclass(frozen=True)
class Segment:
    name: str
    index: int | None = None
    code: str | None = None


@dataclass(frozen=True)
class Element:
    code: str
    name: str
    resource_type: str
    path: str
    kind: str = TEXT

    @property
    def segments(self) -> tuple[Segment, ...]:
        return parse_path(self.path)

    def sql(self, content: str = "content") -> str:
        """A DuckDB expression reading this element from the JSON text column `content` (NULL when absent)."""
        expression, path = content, "$"
        for segment in self.segments:
            if segment.code is not None:
                items = f"CAST(json_extract({expression}, '{path}.{segment.name}') AS JSON[])"
                matching = (f"list_filter({items}, lambda x: json_extract_string(x, '$.code.coding[0].code') = "
                            f"'{segment.code}')")
                expression, path = f"{matching}[1]", "$"
                continue
            path += f".{segment.name}" + (f"[{segment.index}]" if segment.index is not None else "")
        text = f"json_extract_string({expression}, '{path}')"
        if self.kind == NUMBER:
            return f"TRY_CAST({text} AS DOUBLE)"
        if self.kind == DATE:
            return f"TRY_CAST(substr({text}, 1, 10) AS DATE)"
        if self.kind == DATETIME:
            return f"TRY_CAST({text} AS TIMESTAMPTZ)"
        return f"NULLIF(trim({text}), '')"

    def read(self, resource: dict) -> Any:
        value: Any = resource
        for segment in self.segments:
            if not isinstance(value, dict):
                return None
            value = value.get(segment.name)
            if segment.index is not None:
                value = value[segment.index] if isinstance(value, list) and len(value) > segment.index else None
            elif segment.code is not None:
                value = next((item for item in value or [] if isinstance(item, dict)
                              and _first_code(item) == segment.code), None) if isinstance(value, list) else None
        if value is None or isinstance(value, (dict, list)):
            return None
        return _typed(value, self.kind)


def parse_path(path: str) -> tuple[Segment, ...]:
    segments = []
    for part in (path or "").split("."):
        match = _SEGMENT.match(part)
        if not match:
            raise ElementError(f"数据元路径无效：{path}（示例：valueQuantity.value、component[code=8480-6].valueQuantity.value）")
        name, index, code = match.groups()
        segments.append(Segment(name, int(index) if index is not None else None, code))
    return tuple(segments)


def _first_code(item: dict) -> str | None:
    try:
        return item["code"]["coding"][0]["code"]
    except (KeyError, IndexError, TypeError):
        return None


def _typed(value: Any, kind: str) -> Any:
    try:
        if kind == NUMBER:
            return None if isinstance(value, bool) else float(value)
        if kind == DATE:
            return dt.date.fromisoformat(str(value)[:10])
        if kind == DATETIME:
            parsed = dt.datetime.fromisoformat(str(value))
            return parsed if parsed.tzinfo else None  # DuckDB's TIMESTAMPTZ reads a naive time in its own zone
    except (TypeError, ValueError):
        return None
    text = str(value).strip()
    return text or None


#: The elements the platform checks out of the box (WS 365/445 core elements as FHIR carries them).
CATALOGUE: tuple[Element, ...] = (
    Element("patient.gender", "性别", "Patient", "gender"),
    Element("patient.birthDate", "出生日期", "Patient", "birthDate", DATE),
    Element("patient.name", "姓名", "Patient", "name[0].text"),
    Element("patient.phone", "联系电话", "Patient", "telecom[0].value"),
    Element("patient.address", "现住址", "Patient", "address[0].text"),
    Element("encounter.class", "就诊类型", "Encounter", "class.code"),
    Element("encounter.status", "就诊状态", "Encounter", "status"),
    Element("encounter.start", "就诊（入院）时间", "Encounter", "period.start", DATETIME),
    Element("encounter.end", "离院时间", "Encounter", "period.end", DATETIME),
    Element("encounter.subject", "就诊居民", "Encounter", "subject.reference"),
    Element("observation.code", "检查项目代码", "Observation", "code.coding[0].code"),
    Element("observation.status", "结果状态", "Observation", "status"),
    Element("observation.value", "检查结果数值", "Observation", "valueQuantity.value", NUMBER),
    Element("observation.unit", "结果单位", "Observation", "valueQuantity.unit"),
    Element("observation.effective", "检查时间", "Observation", "effectiveDateTime", DATETIME),
    Element("observation.systolic", "收缩压", "Observation", "component[code=8480-6].valueQuantity.value", NUMBER),
    Element("observation.diastolic", "舒张压", "Observation", "component[code=8462-4].valueQuantity.value", NUMBER),
    Element("condition.code", "诊断代码", "Condition", "code.coding[0].code"),
    Element("condition.subject", "诊断居民", "Condition", "subject.reference"),
    Element("condition.recorded", "诊断时间", "Condition", "recordedDate", DATETIME),
)
ELEMENTS = {element.code: element for element in CATALOGUE}

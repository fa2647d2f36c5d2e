"""Checking stored resources against the rules, set-wise in DuckDB (no Python loop per record).

Input: a table of resources (`id`, `type`, `source_id`, `updated`, `content`: the stored JSON text).
Per resource type, every element the rules read is extracted once (`elements.Element.sql`) into a DuckDB
table; then one query judges every rule of that type on every row and counts per source: passed, failed,
skipped (not applicable: a missing value under "skip", an empty element for a validity rule). The modified
z-score needs medians of medians and runs as a query of its own per rule.

Rule kinds (`RuleSpec.kind`) and their verdict per record:
- completeness: the element is present (never skipped);
- validity: present values in a value set (`values`), within [`low`, `high`], or matching `pattern`;
- consistency: an `expressions.Rule` (left, operator, right, missing-value strategy);
- timeliness: stored within `limit_hours` of the clinical time in `element`;
- uniqueness: no other resource of the same source with the same `keys`;
- outlier: not an outlier of its source by `method` ("z", "modified_z", "min_max").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from weijian.dq import outliers
from weijian.dq.elements import ELEMENTS, Element, ElementError
from weijian.dq.expressions import Rule

COMPLETENESS, VALIDITY, CONSISTENCY = "completeness", "validity", "consistency"
TIMELINESS, UNIQUENESS, OUTLIER = "timeliness", "uniqueness", "outlier"
KINDS = (COMPLETENESS, VALIDITY, CONSISTENCY, TIMELINESS, UNIQUENESS, OUTLIER)
OUTLIER_METHODS = ("z", "modified_z", "min_max")


@dataclass(frozen=True)
class RuleSpec:
    code: str
    kind: str
    resource_type: str
    element: str = ""  # completeness, validity, timeliness, outlier
    values: tuple[str, ...] = ()  # validity: the value set
    low: float | None = None  # validity range, min-max outliers
    high: float | None = None
    pattern: str = ""  # validity: a regular expression the whole value must match
    expression: Rule | None = None  # consistency
    limit_hours: float | None = None  # timeliness
    keys: tuple[str, ...] = ()  # uniqueness
    method: str = ""  # outlier
    threshold: float | None = None  # outlier (z, modified z)

    @property
    def elements(self) -> tuple[str, ...]:
        used = [self.element] if self.element else []
        used += list(self.keys)
        if self.expression is not None:
            used += list(self.expression.elements)
        return tuple(dict.fromkeys(used))

    def check(self, catalogue: dict[str, Element] = ELEMENTS) -> None:
        """Raise ElementError (Chinese message) when the rule cannot be run."""
        if self.kind not in KINDS:
            raise ElementError(f"规则类型无效：{self.kind}")
        for code in self.elements:
            element = catalogue.get(code)
            if element is None:
                raise ElementError(f"规则引用了未知的数据元：{code}")
            if element.resource_type != self.resource_type:
                raise ElementError(f"数据元 {code} 属于 {element.resource_type}，与规则的资源类型 {self.resource_type} 不符")
        needs = {COMPLETENESS: self.element, TIMELINESS: self.element and self.limit_hours,
                 UNIQUENESS: self.keys, CONSISTENCY: self.expression, OUTLIER: self.element and self.method,
                 VALIDITY: self.element and (self.values or self.pattern or self.low is not None
                                             or self.high is not None)}
        if not needs[self.kind]:
            raise ElementError("规则不完整：请填写数据元和该类规则所需的参数")
        if self.kind == OUTLIER and self.method not in OUTLIER_METHODS:
            raise ElementError("离群值方法应为 z、modified_z 或 min_max")


@dataclass
class Counts:
    passed: int = 0
    failed: int = 0
    skipped: int = 0

    @property
    def checked(self) -> int:
        return self.passed + self.failed


@dataclass
class CheckResult:
    """(rule code, source id) -> Counts, and how many resources of each type were read."""

    counts: dict[tuple[str, int | None], Counts] = field(default_factory=dict)
    resources: dict[str, int] = field(default_factory=dict)


def _column(code: str) -> str:
    return '"' + code.replace('"', '""') + '"'


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def verdict_sql(spec: RuleSpec, catalogue: dict[str, Element] = ELEMENTS) -> str:
    """TRUE (pass), FALSE (fail) or NULL (skipped) per row of the element table (not for modified z)."""
    column = _column(spec.element) if spec.element else ""
    if spec.kind == COMPLETENESS:
        return f"({column} IS NOT NULL)"
    if spec.kind == VALIDITY:
        tests = []
        if spec.values:
            tests.append(f"{column} IN ({', '.join(_sql_text(v) for v in spec.values)})")
        if spec.low is not None:
            tests.append(f"{column} >= {float(spec.low)!r}")
        if spec.high is not None:
            tests.append(f"{column} <= {float(spec.high)!r}")
        if spec.pattern:
            tests.append(f"regexp_full_match(CAST({column} AS VARCHAR), {_sql_text(spec.pattern)})")
        return f"(CASE WHEN {column} IS NULL THEN NULL ELSE ({' AND '.join(tests)}) END)"
    if spec.kind == CONSISTENCY:
        return spec.expression.sql({code: _column(code) for code in spec.expression.elements})
    if spec.kind == TIMELINESS:
        return (f"(CASE WHEN {column} IS NULL THEN NULL "
                f"ELSE epoch(updated) - epoch({column}) <= {float(spec.limit_hours) * 3600!r} END)")
    if spec.kind == UNIQUENESS:
        keys = ", ".join(_column(k) for k in spec.keys)
        nulls = " OR ".join(f"{_column(k)} IS NULL" for k in spec.keys)
        return f"(CASE WHEN {nulls} THEN NULL ELSE count(*) OVER (PARTITION BY source_id, {keys}) = 1 END)"
    if spec.method == "z":
        flagged = outliers.z_sql(column, "source_id", spec.threshold or outliers.Z_THRESHOLD)
        return f"(CASE WHEN {column} IS NULL THEN NULL ELSE NOT {flagged} END)"
    if spec.method == "min_max":
        return f"(CASE WHEN {column} IS NULL THEN NULL ELSE NOT {outliers.min_max_sql(column, spec.low, spec.high)} END)"
    raise ValueError(f"{spec.method} outliers are judged by their own query")


def _element_table(connection, resource_type: str, codes: list[str], catalogue: dict[str, Element]) -> str:
    table = f"elements_{resource_type.lower()}"
    extracted = ", ".join(f"{catalogue[code].sql('content')} AS {_column(code)}" for code in codes)
    connection.execute(f"""CREATE OR REPLACE TEMP TABLE {table} AS
        SELECT id, source_id, updated{', ' + extracted if extracted else ''}
        FROM resources WHERE type = {_sql_text(resource_type)}""")
    return table


def _tally(connection, query: str, verdicts: list[tuple[str, str]], result: CheckResult) -> None:
    aggregates = ", ".join(
        f"count(*) FILTER (WHERE v{i}), count(*) FILTER (WHERE NOT v{i}), count(*) FILTER (WHERE v{i} IS NULL)"
        for i in range(len(verdicts)))
    rows = connection.execute(f"SELECT source_id, {aggregates} FROM ({query}) GROUP BY source_id").fetchall()
    for row in rows:
        source = row[0]
        for i, (code, _sql) in enumerate(verdicts):
            passed, failed, skipped = row[1 + 3 * i: 4 + 3 * i]
            result.counts[(code, source)] = Counts(passed, failed, skipped)


def check(resources: pd.DataFrame, specs: Iterable[RuleSpec], *, catalogue: dict[str, Element] = ELEMENTS,
          connection=None) -> CheckResult:
    """Judge every rule on every resource of its type; counts per rule and source."""
    own = connection is None
    connection = connection or duckdb.connect()
    try:
        connection.register("resources", resources)
        result = CheckResult()
        by_type: dict[str, list[RuleSpec]] = {}
        for spec in specs:
            spec.check(catalogue)
            by_type.setdefault(spec.resource_type, []).append(spec)
        for resource_type, type_specs in by_type.items():
            codes = list(dict.fromkeys(code for spec in type_specs for code in spec.elements))
            table = _element_table(connection, resource_type, codes, catalogue)
            result.resources[resource_type] = connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            plain = [spec for spec in type_specs if not (spec.kind == OUTLIER and spec.method == "modified_z")]
            if plain:
                verdicts = [(spec.code, verdict_sql(spec, catalogue)) for spec in plain]
                columns = ", ".join(f"{sql} AS v{i}" for i, (_code, sql) in enumerate(verdicts))
                _tally(connection, f"SELECT source_id, {columns} FROM {table}", verdicts, result)
            for spec in type_specs:
                if spec in plain:
                    continue
                column = _column(spec.element)
                query = outliers.modified_z_sql(table, column, "source_id",
                                                spec.threshold or outliers.MODIFIED_Z_THRESHOLD)
                _tally(connection, f"SELECT source_id, NOT outlier AS v0 FROM ({query})", [(spec.code, "")], result)
        return result
    finally:
        connection.unregister("resources")
        if own:
            connection.close()


def failing_ids(resources: pd.DataFrame, spec: RuleSpec, *, source_id: int | None = None, limit: int = 1000,
                catalogue: dict[str, Element] = ELEMENTS) -> list[int]:
    """The ids of the resources failing `spec` (of one source when given), for the drill-down."""
    spec.check(catalogue)
    connection = duckdb.connect()
    try:
        connection.register("resources", resources)
        table = _element_table(connection, spec.resource_type, list(spec.elements), catalogue)
        if spec.kind == OUTLIER and spec.method == "modified_z":
            query = (f"SELECT id, source_id, NOT outlier AS v FROM ({outliers.modified_z_sql(table, _column(spec.element), 'source_id', spec.threshold or outliers.MODIFIED_Z_THRESHOLD)})")
        else:
            query = f"SELECT id, source_id, {verdict_sql(spec, catalogue)} AS v FROM {table}"
        where = "NOT v" + ("" if source_id is None else f" AND source_id = {int(source_id)}")
        rows = connection.execute(f"SELECT id FROM ({query}) WHERE {where} ORDER BY id LIMIT {int(limit)}").fetchall()
        return [row[0] for row in rows]
    finally:
        connection.close()

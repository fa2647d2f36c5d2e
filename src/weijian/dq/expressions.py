"""Consistency-rule expressions (DHIS2-style validation rules): a left side, an operator and a right side
over data elements written `#{code}`, with a missing-value strategy.

    left:  #{bp.diastolic}          operator: <    right: #{bp.systolic}
    left:  days_between(#{enc.start}, #{enc.end})    operator: >=   right: 0
    left:  startswith(#{dx.code}, 'O')  and  #{patient.gender} != 'female'    operator: ==   right: false

One parser, two back ends: `Rule.sql()` compiles the rule to a DuckDB/SQL expression evaluated set-wise over
a table with one column per element (how stored data is checked at speed), and `Rule.evaluate(record)`
evaluates it in Python on one record (the rule editor's "test on sample"). A test holds the two together.

The language is a small, safe subset parsed with Python's `ast` (no names, no attribute access, no calls
except the functions below): numbers, 'text', true/false, + - * /, unary -, comparisons (== != < <= > >=),
`in (…)`, and / or / not, and the functions `days_between(a, b)` (b − a in days), `startswith(text, prefix)`,
`length(text)`, `abs(x)`. Errors are `ExpressionError`s with Chinese messages (a syntax error, an unknown
element, an unknown function…), raised when the rule is built, never while data are checked.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

NUMBER, TEXT, DATE = "number", "text", "date"
SKIP_IF_ANY_MISSING = "skip_if_any_value_missing"
SKIP_IF_ALL_MISSING = "skip_if_all_values_missing"
NEVER_SKIP = "never_skip"
MISSING_STRATEGIES = (SKIP_IF_ANY_MISSING, SKIP_IF_ALL_MISSING, NEVER_SKIP)
OPERATORS = ("==", "!=", "<", "<=", ">", ">=")
PASS, FAIL, SKIPPED = "pass", "fail", "skipped"

_REFERENCE = re.compile(r"#\{\s*([A-Za-z_][\w.\-]*)\s*\}")
_FUNCTIONS = {"days_between": 2, "startswith": 2, "length": 1, "abs": 1}
_COMPARE = {ast.Eq: "=", ast.NotEq: "<>", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_ARITHMETIC = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_PY_COMPARE = {
    ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b, ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b, ast.GtE: lambda a, b: a >= b,
}
_OPERATOR_NODES = {"==": ast.Eq, "!=": ast.NotEq, "<": ast.Lt, "<=": ast.LtE, ">": ast.Gt, ">=": ast.GtE}


class ExpressionError(ValueError):
    """A rule that cannot be used, with a Chinese message for the rule editor."""


@dataclass(frozen=True)
class Expression:
    """One side of a rule: the parsed tree and the elements it reads."""

    text: str
    tree: ast.expr
    elements: tuple[str, ...]  # element codes, in order of first use
    slots: dict[str, str]  # placeholder name -> element code

    def sql(self, columns: dict[str, str]) -> str:
        return _Sql(self.slots, columns).visit(self.tree)

    def evaluate(self, values: dict[str, Any]) -> Any:
        return _Python(self.slots, values).visit(self.tree)


def parse_expression(text: str, elements: dict[str, str]) -> Expression:
    """Parse one side; `elements` maps every known element code to its type (number, text, date)."""
    source = (text or "").strip()
    if not source:
        raise ExpressionError("表达式不能为空")
    slots: dict[str, str] = {}
    used: list[str] = []

    def placeholder(match: re.Match) -> str:
        code = match.group(1)
        if code not in elements:
            raise ExpressionError(f"表达式引用了未知的数据元：{code}")
        name = f"__e{len(slots)}"
        slots[name] = code
        if code not in used:
            used.append(code)
        return name

    rewritten = _REFERENCE.sub(placeholder, source)
    if "#" in rewritten or "{" in rewritten:
        raise ExpressionError("数据元引用格式应为 #{代码}")
    rewritten = re.sub(r"\btrue\b", "True", re.sub(r"\bfalse\b", "False", rewritten))
    try:
        tree = ast.parse(rewritten, mode="eval").body
    except SyntaxError as error:
        raise ExpressionError(f"表达式语法错误（第 {error.offset or 0} 个字符附近）：{source}") from None
    _Check(set(slots)).visit(tree)
    return Expression(source, tree, tuple(used), slots)


@dataclass(frozen=True)
class Rule:
    """left <operator> right, judged per record: PASS, FAIL or SKIPPED (missing values, by strategy)."""

    left: Expression
    operator: str
    right: Expression
    missing: str = SKIP_IF_ANY_MISSING
    element_types: tuple[tuple[str, str], ...] = ()

    @property
    def elements(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.left.elements, *self.right.elements)))

    def _types(self) -> dict[str, str]:
        return dict(self.element_types)

    def sql(self, columns: dict[str, str] | None = None) -> str:
        """A SQL expression that is TRUE (pass), FALSE (fail) or NULL (skipped) for each row of a table
        with one column per element (`columns`: element code -> column name; by default the code quoted)."""
        columns = columns or {code: _quote(code) for code in self.elements}
        types = self._types()
        if self.missing == NEVER_SKIP:
            filled = {code: f"COALESCE({columns[code]}, {_zero_sql(types.get(code, NUMBER))})"
                      for code in self.elements}
            comparison = f"({self.left.sql(filled)}) {_COMPARE[_OPERATOR_NODES[self.operator]]} ({self.right.sql(filled)})"
            return f"COALESCE({comparison}, FALSE)"
        comparison = f"({self.left.sql(columns)}) {_COMPARE[_OPERATOR_NODES[self.operator]]} ({self.right.sql(columns)})"
        nulls = [f"{columns[code]} IS NULL" for code in self.elements]
        if not nulls:
            return f"COALESCE({comparison}, FALSE)"
        joiner = " OR " if self.missing == SKIP_IF_ANY_MISSING else " AND "
        # a missing value left in (SKIP_IF_ALL_MISSING with some present) makes the comparison fail
        return f"CASE WHEN {joiner.join(nulls)} THEN NULL ELSE COALESCE({comparison}, FALSE) END"

    def evaluate(self, record: dict[str, Any]) -> str:
        values = {code: record.get(code) for code in self.elements}
        missing = [code for code, value in values.items() if _is_missing(value)]
        if self.missing == SKIP_IF_ANY_MISSING and missing:
            return SKIPPED
        if self.missing == SKIP_IF_ALL_MISSING and missing and len(missing) == len(values):
            return SKIPPED
        if self.missing == NEVER_SKIP:
            types = self._types()
            values = {code: _zero(types.get(code, NUMBER)) if code in missing else value
                      for code, value in values.items()}
        try:
            left, right = self.left.evaluate(values), self.right.evaluate(values)
            if left is None or right is None:
                return FAIL
            return PASS if _PY_COMPARE[_OPERATOR_NODES[self.operator]](left, right) else FAIL
        except (TypeError, ZeroDivisionError, ValueError):
            return FAIL


def parse_rule(left: str, operator: str, right: str, elements: dict[str, str], *,
               missing: str = SKIP_IF_ANY_MISSING) -> Rule:
    if operator not in OPERATORS:
        raise ExpressionError(f"运算符应为 {' '.join(OPERATORS)} 之一")
    if missing not in MISSING_STRATEGIES:
        raise ExpressionError("缺失值处理方式无效")
    left_side, right_side = parse_expression(left, elements), parse_expression(right, elements)
    used = dict.fromkeys((*left_side.elements, *right_side.elements))
    return Rule(left_side, operator, right_side, missing, tuple((code, elements[code]) for code in used))


# ---- checking, SQL and Python back ends -----------------------------------------------------------

class _Check(ast.NodeVisitor):
    """Refuses anything outside the subset."""

    def __init__(self, slots: set[str]):
        self.slots = slots

    def generic_visit(self, node):
        allowed = (ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.BinOp, ast.Compare,
                   ast.Constant, ast.Tuple, ast.List, ast.In, ast.NotIn, ast.Load, *_ARITHMETIC, *_COMPARE)
        if not isinstance(node, allowed):
            raise ExpressionError(f"表达式中不支持：{type(node).__name__}")
        super().generic_visit(node)

    def visit_Name(self, node):
        if node.id not in self.slots:
            raise ExpressionError(f"表达式中有无法识别的名称：{node.id}（数据元请写作 #{{代码}}）")

    def visit_Constant(self, node):
        if not isinstance(node.value, (int, float, str, bool)):
            raise ExpressionError("表达式中只能使用数字、文本（加引号）和 true/false")

    def visit_Call(self, node):
        name = node.func.id if isinstance(node.func, ast.Name) else ""
        if name not in _FUNCTIONS:
            raise ExpressionError(f"不支持的函数：{name or '?'}（可用：{'、'.join(_FUNCTIONS)}）")
        if len(node.args) != _FUNCTIONS[name] or node.keywords:
            raise ExpressionError(f"函数 {name} 需要 {_FUNCTIONS[name]} 个参数")
        for arg in node.args:
            self.visit(arg)

    def visit_Compare(self, node):
        if len(node.ops) != 1:
            raise ExpressionError("一次只能比较两个值（请用 and 连接）")
        self.generic_visit(node)


class _Sql(ast.NodeVisitor):
    def __init__(self, slots: dict[str, str], columns: dict[str, str]):
        self.slots, self.columns = slots, columns

    def visit_Name(self, node):
        return self.columns[self.slots[node.id]]

    def visit_Constant(self, node):
        if isinstance(node.value, bool):
            return "TRUE" if node.value else "FALSE"
        if isinstance(node.value, str):
            return "'" + node.value.replace("'", "''") + "'"
        return repr(node.value)

    def visit_BoolOp(self, node):
        joiner = " AND " if isinstance(node.op, ast.And) else " OR "
        return "(" + joiner.join(self.visit(value) for value in node.values) + ")"

    def visit_UnaryOp(self, node):
        return f"(NOT {self.visit(node.operand)})" if isinstance(node.op, ast.Not) else f"(-{self.visit(node.operand)})"

    def visit_BinOp(self, node):
        left, right = self.visit(node.left), self.visit(node.right)
        if isinstance(node.op, ast.Div):  # real division, NULL instead of an error on zero
            return f"(CAST({left} AS DOUBLE) / NULLIF({right}, 0))"
        return f"({left} {_ARITHMETIC[type(node.op)]} {right})"

    def visit_Compare(self, node):
        op, right = node.ops[0], node.comparators[0]
        left = self.visit(node.left)
        if isinstance(op, (ast.In, ast.NotIn)):
            items = ", ".join(self.visit(e) for e in right.elts) if isinstance(right, (ast.Tuple, ast.List)) \
                else self.visit(right)
            return f"({left} {'NOT IN' if isinstance(op, ast.NotIn) else 'IN'} ({items}))"
        return f"({left} {_COMPARE[type(op)]} {self.visit(right)})"

    def visit_Call(self, node):
        args = [self.visit(arg) for arg in node.args]
        name = node.func.id
        if name == "days_between":
            return f"(CAST({args[1]} AS DATE) - CAST({args[0]} AS DATE))"
        if name == "startswith":
            return f"starts_with({args[0]}, {args[1]})"
        if name == "length":
            return f"length({args[0]})"
        return f"abs({args[0]})"


class _Python(ast.NodeVisitor):
    def __init__(self, slots: dict[str, str], values: dict[str, Any]):
        self.slots, self.values = slots, values

    def visit_Name(self, node):
        return self.values.get(self.slots[node.id])

    def visit_Constant(self, node):
        return node.value

    def visit_BoolOp(self, node):
        # SQL's three-valued logic, so Python and SQL agree when a value is missing
        values = [self.visit(value) for value in node.values]
        decisive, other = (False, True) if isinstance(node.op, ast.And) else (True, False)
        if any(value is not None and bool(value) == decisive for value in values):
            return decisive
        return None if any(value is None for value in values) else other

    def visit_UnaryOp(self, node):
        value = self.visit(node.operand)
        if value is None:
            return None
        return (not value) if isinstance(node.op, ast.Not) else -value

    def visit_BinOp(self, node):
        left, right = self.visit(node.left), self.visit(node.right)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Div):
            return None if right == 0 else left / right
        return {ast.Add: lambda: left + right, ast.Sub: lambda: left - right,
                ast.Mult: lambda: left * right}[type(node.op)]()

    def visit_Compare(self, node):
        op, right_node = node.ops[0], node.comparators[0]
        left = self.visit(node.left)
        if isinstance(op, (ast.In, ast.NotIn)):
            if left is None:
                return None
            items = [self.visit(e) for e in right_node.elts]
            return (left in items) != isinstance(op, ast.NotIn)
        right = self.visit(right_node)
        if left is None or right is None:
            return None
        return _PY_COMPARE[type(op)](left, right)

    def visit_Call(self, node):
        args = [self.visit(arg) for arg in node.args]
        if any(arg is None for arg in args):
            return None
        name = node.func.id
        if name == "days_between":
            return (_as_date(args[1]) - _as_date(args[0])).days
        if name == "startswith":
            return str(args[0]).startswith(str(args[1]))
        if name == "length":
            return len(str(args[0]))
        return abs(args[0])


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _zero(kind: str):
    return {NUMBER: 0, TEXT: ""}.get(kind)


def _zero_sql(kind: str) -> str:
    return {NUMBER: "0", TEXT: "''"}.get(kind, "NULL")


def _quote(code: str) -> str:
    return '"' + code.replace('"', '""') + '"'

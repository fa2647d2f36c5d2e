"""Consistency rules on hand-made records, in Python and compiled to SQL run by DuckDB (the same verdicts),
and the messages of rules that cannot be used."""

import datetime as dt
import random

import duckdb
import pytest

from weijian.dq.expressions import (
    FAIL,
    NEVER_SKIP,
    PASS,
    SKIP_IF_ALL_MISSING,
    SKIPPED,
    ExpressionError,
    parse_rule,
)

ELEMENTS = {"bp.systolic": "number", "bp.diastolic": "number", "enc.start": "date", "enc.end": "date",
            "patient.gender": "text", "dx.code": "text", "weight": "number"}

BLOOD_PRESSURE = ("#{bp.diastolic}", "<", "#{bp.systolic}")
DISCHARGE = ("days_between(#{enc.start}, #{enc.end})", ">=", "0")
PREGNANCY = ("startswith(#{dx.code}, 'O') and #{patient.gender} != 'female'", "==", "false")

D = dt.date
RECORDS = [
    {"bp.systolic": 120, "bp.diastolic": 80, "enc.start": D(2026, 3, 1), "enc.end": D(2026, 3, 4),
     "patient.gender": "female", "dx.code": "O80"},
    {"bp.systolic": 80, "bp.diastolic": 120, "enc.start": D(2026, 3, 4), "enc.end": D(2026, 3, 1),
     "patient.gender": "male", "dx.code": "O80"},
    {"bp.systolic": None, "bp.diastolic": 70, "enc.start": D(2026, 3, 4), "enc.end": None,
     "patient.gender": "male", "dx.code": "J18.9"},
    {"bp.systolic": 110, "bp.diastolic": 110, "enc.start": D(2026, 3, 4), "enc.end": D(2026, 3, 4),
     "patient.gender": None, "dx.code": "O20.0"},
]


def _rule(spec, **options):
    return parse_rule(*spec, ELEMENTS, **options)


def _duckdb(rule, records) -> list[str]:
    connection = duckdb.connect()
    connection.execute('CREATE TABLE t ("bp.systolic" DOUBLE, "bp.diastolic" DOUBLE, "enc.start" DATE, '
                       '"enc.end" DATE, "patient.gender" VARCHAR, "dx.code" VARCHAR, "weight" DOUBLE, n INTEGER)')
    for n, record in enumerate(records):
        connection.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           [record.get(k) for k in ELEMENTS] + [n])
    rows = connection.execute(f"SELECT {rule.sql()} FROM t ORDER BY n").fetchall()
    return [SKIPPED if value is None else PASS if value else FAIL for (value,) in rows]


@pytest.mark.parametrize("spec, missing, expected", [
    (BLOOD_PRESSURE, "skip_if_any_value_missing", [PASS, FAIL, SKIPPED, FAIL]),
    (DISCHARGE, "skip_if_any_value_missing", [PASS, FAIL, SKIPPED, PASS]),
    # the fourth: a pregnancy code with no sex recorded is skipped; with NEVER_SKIP the '' is not 'female'
    (PREGNANCY, "skip_if_any_value_missing", [PASS, FAIL, PASS, SKIPPED]),
    (PREGNANCY, NEVER_SKIP, [PASS, FAIL, PASS, FAIL]),
    (BLOOD_PRESSURE, NEVER_SKIP, [PASS, FAIL, FAIL, FAIL]),  # a missing systolic counts as 0
    (BLOOD_PRESSURE, SKIP_IF_ALL_MISSING, [PASS, FAIL, FAIL, FAIL]),  # one of two present: judged, fails
])
def test_hand_made_records(spec, missing, expected):
    rule = _rule(spec, missing=missing)
    assert [rule.evaluate(record) for record in RECORDS] == expected
    assert _duckdb(rule, RECORDS) == expected


def test_all_missing_is_skipped_under_skip_if_all():
    rule = _rule(BLOOD_PRESSURE, missing=SKIP_IF_ALL_MISSING)
    assert rule.evaluate({}) == SKIPPED
    assert _duckdb(rule, [{}]) == [SKIPPED]


def test_arithmetic_in_and_division():
    rule = parse_rule("#{weight} / (#{bp.systolic} - 100) * 2 + 1", ">", "3", ELEMENTS)
    assert rule.evaluate({"weight": 10, "bp.systolic": 110}) == FAIL  # 10 / 10 * 2 + 1 = 3, not above 3
    assert rule.evaluate({"weight": 20, "bp.systolic": 110}) == PASS  # 5
    assert rule.evaluate({"weight": 10, "bp.systolic": 100}) == FAIL  # division by zero fails, no error
    membership = parse_rule("#{dx.code} in ('O80', 'O82')", "==", "true", ELEMENTS)
    assert [membership.evaluate({"dx.code": c}) for c in ("O80", "O81")] == [PASS, FAIL]


def test_python_and_sql_agree_on_random_records():
    rules = [_rule(spec, missing=missing) for spec in (BLOOD_PRESSURE, DISCHARGE, PREGNANCY)
             for missing in ("skip_if_any_value_missing", SKIP_IF_ALL_MISSING, NEVER_SKIP)]
    rng = random.Random(7)

    def maybe(value):
        return None if rng.random() < 0.2 else value

    records = [{"bp.systolic": maybe(rng.randrange(60, 200)), "bp.diastolic": maybe(rng.randrange(40, 140)),
                "enc.start": maybe(D(2026, 1, 1) + dt.timedelta(days=rng.randrange(30))),
                "enc.end": maybe(D(2026, 1, 1) + dt.timedelta(days=rng.randrange(30))),
                "patient.gender": maybe(rng.choice(("male", "female"))),
                "dx.code": maybe(rng.choice(("O80", "J18.9", "O20.0", "I10")))} for _ in range(300)]
    for rule in rules:
        assert [rule.evaluate(r) for r in records] == _duckdb(rule, records), (rule.left.text, rule.missing)


@pytest.mark.parametrize("left, operator, right, message", [
    ("#{bp.diastolic} <", "<", "1", "语法错误"),
    ("#{bp.unknown}", "<", "#{bp.systolic}", "未知的数据元：bp.unknown"),
    ("systolic", "<", "1", "无法识别的名称：systolic"),
    ("__import__('os')", "==", "1", "不支持的函数"),
    ("#{weight}.real", "==", "1", "不支持"),
    ("#{weight}", "=", "1", "运算符应为"),
    ("", "<", "1", "不能为空"),
    ("1 < #{weight} < 3", "==", "true", "一次只能比较两个值"),
    ("length(#{dx.code}, 2)", "==", "1", "需要 1 个参数"),
    ("#{ weight", "==", "1", "引用格式"),
])
def test_unusable_rules_are_explained(left, operator, right, message):
    with pytest.raises(ExpressionError, match=message):
        parse_rule(left, operator, right, ELEMENTS)


def test_rule_lists_its_elements_once():
    rule = parse_rule("#{bp.diastolic} + #{bp.diastolic}", "<", "#{bp.systolic}", ELEMENTS)
    assert rule.elements == ("bp.diastolic", "bp.systolic")

"""The research project rules, without a database. Expected values are worked out by hand in the comments."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from weijian.research.rules import (
    BLOCKS,
    DEFAULT_CRITERIA,
    GATES,
    SANCTION_KINDS,
    TITLE_LABELS,
    TITLE_ORDER,
    Applicant,
    CallRules,
    ClosureItem,
    Criterion,
    Sanction,
    active_sanctions,
    age_on,
    aggregate_scores,
    blocking_reason,
    closure_rate,
    eligibility_problems,
    overdue,
    rank,
    reminder_stage,
    sanction_active,
    weighted_total,
)

D = Decimal


def error_of(exc_info) -> str:
    return exc_info.value.args[0]


# --- sanctions ---------------------------------------------------------------------------------

# Written out by hand rather than read from BLOCKS, so a wrong table fails here.
EXPECTED_BLOCKS = {
    "ban_all": {"apply", "join_team", "review", "host_cme"},
    "ban_apply": {"apply", "join_team"},
    "ban_review": {"review"},
    "warning": set(),
}
EXPECTED_VERBS = {
    "apply": "申报项目",
    "join_team": "参加项目团队",
    "review": "担任评审专家",
    "host_cme": "主办继续医学教育项目",
}
START, END = date(2026, 1, 10), date(2026, 3, 31)
DAYS = {
    "day_before_start": (date(2026, 1, 9), False),
    "first_day": (date(2026, 1, 10), True),
    "last_day": (date(2026, 3, 31), True),
    "day_after_end": (date(2026, 4, 1), False),
}


def test_tables_cover_the_same_kinds_and_gates():
    assert SANCTION_KINDS == {"ban_all": "全部禁止", "ban_apply": "禁止申报", "ban_review": "取消评审专家资格",
                              "warning": "警告"}
    assert GATES == EXPECTED_VERBS
    assert {kind: set(gates) for kind, gates in BLOCKS.items()} == EXPECTED_BLOCKS


@pytest.mark.parametrize("kind", sorted(EXPECTED_BLOCKS))
@pytest.mark.parametrize("gate", sorted(EXPECTED_VERBS))
@pytest.mark.parametrize("day", sorted(DAYS))
def test_every_kind_against_every_gate_around_its_dates(kind, gate, day):
    on, in_force = DAYS[day]
    sanction = Sanction(kind, START, END)
    assert sanction_active(sanction, on) is in_force
    expected = None
    if in_force and gate in EXPECTED_BLOCKS[kind]:
        expected = f"科研失信惩戒期内（至2026-03-31），不能{EXPECTED_VERBS[gate]}"
    assert blocking_reason([sanction], on, gate) == expected


def test_indefinite_sanction_starts_on_its_first_day_and_never_ends():
    sanction = Sanction("ban_all", date(2025, 5, 1), None)
    assert blocking_reason([sanction], date(2025, 4, 30), "review") is None
    assert blocking_reason([sanction], date(2025, 5, 1), "review") == "科研失信惩戒期内（无限期），不能担任评审专家"
    assert blocking_reason([sanction], date(2099, 12, 31), "host_cme") == (
        "科研失信惩戒期内（无限期），不能主办继续医学教育项目")


def test_a_one_day_sanction_is_in_force_on_that_day_only():
    sanction = Sanction("ban_review", date(2026, 5, 5), date(2026, 5, 5))
    assert [sanction_active(sanction, date(2026, 5, d)) for d in (4, 5, 6)] == [False, True, False]


def test_the_reason_names_the_sanction_that_ends_last():
    shorter = Sanction("ban_apply", date(2026, 1, 1), date(2026, 6, 30))
    longer = Sanction("ban_all", date(2026, 2, 1), date(2027, 3, 31))
    on = date(2026, 3, 1)
    assert blocking_reason([longer, shorter], on, "apply") == "科研失信惩戒期内（至2027-03-31），不能申报项目"
    indefinite = Sanction("ban_apply", date(2024, 1, 1), None)
    assert blocking_reason([longer, indefinite, shorter], on, "join_team") == (
        "科研失信惩戒期内（无限期），不能参加项目团队")
    # Only ban_all closes the review gate, so its end date is named even though another runs longer.
    assert blocking_reason([longer, indefinite], on, "review") == "科研失信惩戒期内（至2027-03-31），不能担任评审专家"


def test_expired_and_warning_sanctions_block_nothing():
    expired = Sanction("ban_all", date(2020, 1, 1), date(2025, 12, 31))
    warning = Sanction("warning", date(2026, 1, 1), None)
    assert blocking_reason([expired, warning], date(2026, 1, 1), "apply") is None
    assert blocking_reason([], date(2026, 1, 1), "apply") is None


def test_active_sanctions_keeps_only_those_in_force_in_input_order():
    a = Sanction("warning", date(2026, 1, 1), date(2026, 12, 31))
    b = Sanction("ban_all", date(2027, 1, 1), None)
    c = Sanction("ban_review", date(2025, 6, 1), None)
    d = Sanction("ban_apply", date(2025, 1, 1), date(2025, 12, 31))
    assert active_sanctions([a, b, c, d], date(2026, 6, 1)) == [a, c]


def test_unknown_gate_is_an_error_even_without_sanctions():
    with pytest.raises(ValueError) as exc_info:
        blocking_reason([], date(2026, 1, 1), "publish")
    assert error_of(exc_info) == "未知的限制事项：publish"


def test_malformed_sanctions_are_refused():
    with pytest.raises(ValueError) as exc_info:
        Sanction("ban_forever", date(2026, 1, 1), None)
    assert error_of(exc_info) == "未知的惩戒类型：ban_forever"
    with pytest.raises(ValueError) as exc_info:
        Sanction("ban_all", date(2026, 1, 2), date(2026, 1, 1))
    assert error_of(exc_info) == "惩戒结束日期不能早于开始日期"


# --- age ---------------------------------------------------------------------------------------


def test_age_counts_full_years_changing_on_the_birthday():
    born = date(1991, 3, 1)
    assert age_on(born, date(2026, 2, 28)) == 34
    assert age_on(born, date(2026, 3, 1)) == 35
    assert age_on(born, born) == 0


def test_a_29_february_birthday_falls_on_1_march_in_common_years():
    born = date(2000, 2, 29)
    assert age_on(born, date(2027, 2, 28)) == 26
    assert age_on(born, date(2027, 3, 1)) == 27
    assert age_on(born, date(2028, 2, 28)) == 27
    assert age_on(born, date(2028, 2, 29)) == 28


def test_age_before_birth_is_an_error():
    with pytest.raises(ValueError):
        age_on(date(2000, 1, 2), date(2000, 1, 1))


# --- eligibility -------------------------------------------------------------------------------

RULES = CallRules(category="youth", min_title_level="intermediate", youth_age_limit=35, institution_quota=3,
                  opens_on=date(2026, 3, 1), closes_on=date(2026, 4, 30))
# Exactly 35 on the opening day, intermediate title, two others already submitted by the institution.
ELIGIBLE = Applicant(birth_date=date(1991, 3, 1), title_level="intermediate", institution_id=7,
                     submitted_from_institution=2)
IN_PERIOD = date(2026, 4, 1)


def applicant(**changes) -> Applicant:
    return Applicant(**{**ELIGIBLE.__dict__, **changes})


def rules(**changes) -> CallRules:
    return CallRules(**{**RULES.__dict__, **changes})


def test_title_labels_follow_the_order():
    assert TITLE_ORDER == ("none", "junior", "intermediate", "associate_senior", "senior")
    assert [TITLE_LABELS[level] for level in TITLE_ORDER] == ["无职称", "初级", "中级", "副高级", "正高级"]


@pytest.mark.parametrize("on", [date(2026, 3, 1), date(2026, 4, 1), date(2026, 4, 30)])
def test_eligible_applicant_inside_the_period_has_no_problems(on):
    assert eligibility_problems(RULES, ELIGIBLE, on) == []


@pytest.mark.parametrize("on", [date(2026, 2, 28), date(2026, 5, 1)])
def test_outside_the_call_dates(on):
    assert eligibility_problems(RULES, ELIGIBLE, on) == ["不在申报期内（2026-03-01 至 2026-04-30）"]


@pytest.mark.parametrize("level, problems", [
    ("none", ["职称须为中级及以上，当前为无职称"]),
    ("junior", ["职称须为中级及以上，当前为初级"]),
    ("intermediate", []),
    ("associate_senior", []),
    ("senior", []),
])
def test_title_must_reach_the_minimum(level, problems):
    assert eligibility_problems(RULES, applicant(title_level=level), IN_PERIOD) == problems


def test_no_title_minimum_accepts_anyone():
    assert eligibility_problems(rules(min_title_level=None), applicant(title_level="none"), IN_PERIOD) == []


def test_senior_minimum_names_the_senior_label():
    problems = eligibility_problems(rules(min_title_level="senior"), applicant(title_level="associate_senior"),
                                    IN_PERIOD)
    assert problems == ["职称须为正高级及以上，当前为副高级"]


@pytest.mark.parametrize("born, problems", [
    (date(1991, 3, 2), []),  # 34 on 2026-03-01
    (date(1991, 3, 1), []),  # 35 that very day: still within the limit
    (date(1990, 3, 2), []),  # 35 until 2026-03-02
    (date(1990, 3, 1), ["青年项目申请人年龄不得超过35周岁（截至2026-03-01为36周岁）"]),
    (date(1980, 1, 1), ["青年项目申请人年龄不得超过35周岁（截至2026-03-01为46周岁）"]),
])
def test_youth_age_limit_is_measured_on_the_opening_day(born, problems):
    assert eligibility_problems(RULES, applicant(birth_date=born), IN_PERIOD) == problems


def test_turning_too_old_during_the_period_does_not_matter():
    # 35 on 2026-03-01, 36 from 2026-03-15; submitting on 2026-04-20 is still allowed.
    assert eligibility_problems(RULES, applicant(birth_date=date(1990, 3, 15)), date(2026, 4, 20)) == []


def test_youth_limit_with_a_29_february_birthday():
    born = date(1988, 2, 29)  # 37 on 2026-02-28; the 2026 birthday is observed on 1 March → 38
    opens_28_feb = rules(youth_age_limit=37, opens_on=date(2026, 2, 28))
    opens_1_mar = rules(youth_age_limit=37, opens_on=date(2026, 3, 1))
    assert eligibility_problems(opens_28_feb, applicant(birth_date=born), IN_PERIOD) == []
    assert eligibility_problems(opens_1_mar, applicant(birth_date=born), IN_PERIOD) == [
        "青年项目申请人年龄不得超过37周岁（截至2026-03-01为38周岁）"]


def test_no_youth_limit_ignores_age():
    assert eligibility_problems(rules(youth_age_limit=None), applicant(birth_date=date(1950, 1, 1)), IN_PERIOD) == []


@pytest.mark.parametrize("quota, already, problems", [
    (3, 2, []),  # the third application fits a quota of 3
    (3, 3, ["本单位申报名额已满（限 3 项）"]),
    (3, 5, ["本单位申报名额已满（限 3 项）"]),
    (1, 0, []),
    (0, 0, ["本单位申报名额已满（限 0 项）"]),
    (None, 100, []),
])
def test_institution_quota(quota, already, problems):
    result = eligibility_problems(rules(institution_quota=quota), applicant(submitted_from_institution=already),
                                  IN_PERIOD)
    assert result == problems


@pytest.mark.parametrize("count, problems", [
    (0, []),
    (1, ["作为负责人有逾期未结题项目 1 项，不能申报"]),
    (2, ["作为负责人有逾期未结题项目 2 项，不能申报"]),
])
def test_overdue_unfinished_projects_as_pi(count, problems):
    assert eligibility_problems(RULES, applicant(overdue_unfinished_as_pi=count), IN_PERIOD) == problems


@pytest.mark.parametrize("sanction, problems", [
    (Sanction("ban_apply", date(2025, 1, 1), date(2026, 12, 31)), ["科研失信惩戒期内（至2026-12-31），不能申报项目"]),
    (Sanction("ban_all", date(2026, 4, 1), None), ["科研失信惩戒期内（无限期），不能申报项目"]),
    (Sanction("ban_all", date(2025, 1, 1), date(2026, 3, 31)), []),  # ended the day before
    (Sanction("ban_all", date(2026, 4, 2), None), []),  # not yet started
    (Sanction("ban_review", date(2025, 1, 1), None), []),
    (Sanction("warning", date(2025, 1, 1), None), []),
])
def test_sanction_that_blocks_applying(sanction, problems):
    assert eligibility_problems(RULES, applicant(sanctions=(sanction,)), IN_PERIOD) == problems


def test_every_rule_failing_at_once_is_reported_in_a_stable_order():
    everything_wrong = Applicant(
        birth_date=date(1980, 1, 1), title_level="junior", institution_id=7,
        sanctions=(Sanction("warning", date(2025, 1, 1)), Sanction("ban_all", date(2025, 1, 1))),
        overdue_unfinished_as_pi=1, submitted_from_institution=3,
    )
    assert eligibility_problems(RULES, everything_wrong, date(2026, 5, 1)) == [
        "不在申报期内（2026-03-01 至 2026-04-30）",
        "职称须为中级及以上，当前为初级",
        "青年项目申请人年龄不得超过35周岁（截至2026-03-01为46周岁）",
        "本单位申报名额已满（限 3 项）",
        "作为负责人有逾期未结题项目 1 项，不能申报",
        "科研失信惩戒期内（无限期），不能申报项目",
    ]


def test_unknown_title_levels_are_refused():
    with pytest.raises(ValueError) as exc_info:
        applicant(title_level="professor")
    assert error_of(exc_info) == "未知的职称级别：professor"
    with pytest.raises(ValueError):
        rules(min_title_level="chief")
    with pytest.raises(ValueError):
        rules(closes_on=date(2026, 2, 28))


# --- weighted totals ---------------------------------------------------------------------------

SCORES = {"innovation": D("8"), "rigor": D("7"), "feasibility": D("9"), "foundation": D("6"), "benefit": D("10")}


def test_default_criteria():
    assert [(c.key, c.label, c.weight, c.max_score) for c in DEFAULT_CRITERIA] == [
        ("innovation", "创新性", D(30), D(10)),
        ("rigor", "科学性", D(25), D(10)),
        ("feasibility", "可行性", D(20), D(10)),
        ("foundation", "研究基础", D(15), D(10)),
        ("benefit", "预期效益", D(10), D(10)),
    ]


def test_weighted_total_hand_computed():
    # 8/10×30 + 7/10×25 + 9/10×20 + 6/10×15 + 10/10×10 = 24 + 17.5 + 18 + 9 + 10 = 78.5
    assert weighted_total(SCORES, DEFAULT_CRITERIA) == D("78.50")
    assert weighted_total(SCORES) == D("78.50")


def test_weighted_total_rounds_half_up():
    # 8.5/10×30 + 7.25/10×25 + 18 + 9 + 10 = 25.5 + 18.125 + 37 = 80.625 → 80.63 (not 80.62)
    scores = {**SCORES, "innovation": D("8.5"), "rigor": D("7.25")}
    assert weighted_total(scores) == D("80.63")


def test_weighted_total_with_a_max_that_does_not_divide_evenly():
    criteria = (Criterion("a", "甲", D(50), D(3)), Criterion("b", "乙", D(50), D(3)))
    # 1/3×50 + 1/3×50 = 33.333… → 33.33; 2/3×50 + 3/3×50 = 83.333… → 83.33
    assert weighted_total({"a": D(1), "b": D(1)}, criteria) == D("33.33")
    assert weighted_total({"a": D(2), "b": D(3)}, criteria) == D("83.33")


def test_weighted_total_at_the_ends_of_the_range():
    assert weighted_total(dict.fromkeys(SCORES, D(0))) == D("0.00")
    assert weighted_total(dict.fromkeys(SCORES, D(10))) == D("100.00")


@pytest.mark.parametrize("bad", [D("10.01"), D("-0.5"), D("NaN")])
def test_weighted_total_rejects_scores_out_of_range(bad):
    with pytest.raises(ValueError) as exc_info:
        weighted_total({**SCORES, "innovation": bad})
    assert error_of(exc_info) == "创新性的评分应在0到10之间"


def test_weighted_total_out_of_range_message_uses_the_criterion_max():
    criteria = (Criterion("a", "甲", D(60), D("5.0")), Criterion("b", "乙", D(40), D(20)))
    with pytest.raises(ValueError) as exc_info:
        weighted_total({"a": D(1), "b": D(21)}, criteria)
    assert error_of(exc_info) == "乙的评分应在0到20之间"


def test_weighted_total_requires_every_criterion():
    without_benefit = {key: value for key, value in SCORES.items() if key != "benefit"}
    with pytest.raises(ValueError) as exc_info:
        weighted_total(without_benefit)
    assert error_of(exc_info) == "预期效益未评分"
    with pytest.raises(ValueError) as exc_info:
        weighted_total({**SCORES, "rigor": None})
    assert error_of(exc_info) == "科学性未评分"


def test_weighted_total_refuses_unknown_criteria():
    with pytest.raises(ValueError) as exc_info:
        weighted_total({**SCORES, "novelty": D(5)})
    assert error_of(exc_info) == "未知的评分项：novelty"


def test_weighted_total_requires_weights_summing_to_100():
    criteria = DEFAULT_CRITERIA[:-1] + (Criterion("benefit", "预期效益", D(5), D(10)),)
    with pytest.raises(ValueError) as exc_info:
        weighted_total(SCORES, criteria)
    assert error_of(exc_info) == "各评分项权重之和应为100，当前为95"


# --- aggregation and ranking -------------------------------------------------------------------


def test_no_scores_aggregate_to_none():
    assert aggregate_scores([]) is None


def test_four_scores_are_a_plain_mean():
    # (80 + 90 + 70 + 85) / 4 = 325 / 4 = 81.25
    assert aggregate_scores([D(80), D(90), D(70), D(85)]) == D("81.25")


def test_five_scores_drop_the_highest_and_the_lowest():
    # drop 90 and 60: (80 + 70 + 85) / 3 = 235 / 3 = 78.333… → 78.33
    assert aggregate_scores([D(80), D(90), D(70), D(85), D(60)]) == D("78.33")


def test_seven_scores_drop_the_highest_and_the_lowest():
    # drop 95 and 60: (88 + 92 + 75 + 81 + 79) / 5 = 415 / 5 = 83
    assert aggregate_scores([D(88), D(92), D(75), D(81), D(95), D(60), D(79)]) == D("83.00")


def test_ties_at_the_extremes_drop_only_one_each():
    # drop one 95 and one 70: (95 + 70 + 85) / 3 = 250 / 3 = 83.333… → 83.33
    # (dropping both 95s and both 70s would give 85; the plain mean would be 83.00)
    assert aggregate_scores([D(95), D(95), D(70), D(70), D(85)]) == D("83.33")


def test_aggregate_rounds_half_up():
    # (80.00 + 80.01) / 2 = 80.005 → 80.01; a single score is its own mean
    assert aggregate_scores([D("80.00"), D("80.01")]) == D("80.01")
    assert aggregate_scores([D("79.995")]) == D("80.00")


def test_rank_shares_tied_places_and_skips_the_next():
    items = [(1, D(80)), (2, D(90)), (3, D("85.5")), (4, D("85.50")), (5, None), (6, D(70)), (7, None)]
    assert rank(items) == [(2, 1), (3, 2), (4, 2), (1, 4), (6, 5), (5, None), (7, None)]


def test_rank_orders_ties_by_id_whatever_the_input_order():
    items = [(9, D(70)), (4, D(70)), (8, None), (3, None), (6, D(70))]
    assert rank(items) == [(4, 1), (6, 1), (9, 1), (3, None), (8, None)]


def test_rank_of_nothing():
    assert rank([]) == []


# --- closure -----------------------------------------------------------------------------------

ON = date(2026, 6, 30)
# Ten projects over four years; the 3-year window up to 2026-06-30 starts after 2023-06-30.
W1 = ClosureItem(date(2023, 6, 30), date(2025, 6, 30), closed_on=date(2025, 5, 1))  # on the boundary: out
W2 = ClosureItem(date(2023, 7, 1), date(2025, 7, 1), closed_on=date(2025, 7, 1))  # first day in: closed
W3 = ClosureItem(date(2022, 9, 1), date(2025, 9, 1))  # too old for the window, but overdue
W4 = ClosureItem(date(2023, 12, 1), date(2025, 12, 1), terminated=True)  # terminated counts as closed
W5 = ClosureItem(date(2024, 3, 1), date(2026, 3, 1))  # overdue
W6 = ClosureItem(date(2024, 6, 1), date(2026, 6, 1), closed_on=date(2026, 6, 30))  # closed on the day itself
W7 = ClosureItem(date(2024, 1, 10), date(2026, 1, 10), closed_on=date(2026, 7, 15))  # closed only later: overdue
W8 = ClosureItem(date(2025, 5, 1), date(2026, 6, 30))  # due today: not yet overdue
W9 = ClosureItem(date(2026, 6, 30), date(2028, 6, 30))  # approved on the day: in
W10 = ClosureItem(date(2026, 7, 1), date(2028, 7, 1))  # approved after the day: out
WORLD = [W1, W2, W3, W4, W5, W6, W7, W8, W9, W10]


def test_closure_rate_over_three_years():
    # in the window: W2 W4 W5 W6 W7 W8 W9 = 7; closed by the day: W2, W4 (terminated), W6 = 3
    # 3 / 7 = 0.428571… → 0.4286
    assert closure_rate(WORLD, on=ON) == (3, 7, D("0.4286"))


def test_closure_rate_over_four_years_takes_in_the_boundary_and_older_projects():
    # window starts after 2022-06-30: adds W1 (closed) and W3 (open) → 9 projects, 4 closed
    # 4 / 9 = 0.4444…
    assert closure_rate(WORLD, on=ON, years=4) == (4, 9, D("0.4444"))


def test_closure_rate_one_year_later():
    # on 2027-06-30 the window starts after 2024-06-30: only W8, W9, W10 remain, none closed → 0 / 3
    assert closure_rate(WORLD, on=date(2027, 6, 30)) == (0, 3, D("0.0000"))


def test_closure_rate_window_from_29_february():
    on = date(2028, 2, 29)  # three years earlier: 2025-02-28 (no 29 February in 2025)
    boundary = ClosureItem(date(2025, 2, 28), date(2027, 2, 28), closed_on=date(2027, 1, 1))
    first_in = ClosureItem(date(2025, 3, 1), date(2027, 3, 1))
    assert closure_rate([boundary, first_in], on=on) == (0, 1, D("0.0000"))
    one_year_back = ClosureItem(date(2027, 2, 28), date(2029, 2, 28))
    assert closure_rate([one_year_back], on=on, years=1) == (0, 0, None)


def test_closure_rate_rounds_half_up_to_four_places():
    # 1 / 32 = 0.03125 → 0.0313 (not 0.0312)
    items = [ClosureItem(date(2026, 1, 1), date(2028, 1, 1))] * 31 + [
        ClosureItem(date(2026, 1, 1), date(2028, 1, 1), closed_on=date(2026, 2, 1))]
    assert closure_rate(items, on=ON) == (1, 32, D("0.0313"))


def test_closure_rate_of_nothing():
    assert closure_rate([], on=ON) == (0, 0, None)
    assert closure_rate([W10], on=ON) == (0, 0, None)


def test_closure_rate_needs_at_least_one_year():
    with pytest.raises(ValueError):
        closure_rate(WORLD, on=ON, years=0)


def test_overdue_projects():
    assert overdue(WORLD, ON) == [W3, W5, W7]
    # two weeks later: W7 has closed on 2026-07-15, W8 (due 2026-06-30) is now overdue
    assert overdue(WORLD, date(2026, 7, 15)) == [W3, W5, W8]


@pytest.mark.parametrize("days_left, stage", [
    (91, None), (90, "90"), (61, "90"), (60, "60"), (31, "60"), (30, "30"), (0, "30"), (-1, "overdue"),
])
def test_reminder_stages_on_their_boundaries(days_left, stage):
    due = date(2026, 12, 31)
    assert reminder_stage(due, due - timedelta(days=days_left)) == stage


@pytest.mark.parametrize("days_left", [200, 45, 0, -30])
def test_no_reminder_once_closed(days_left):
    due = date(2026, 12, 31)
    assert reminder_stage(due, due - timedelta(days=days_left), closed=True) is None

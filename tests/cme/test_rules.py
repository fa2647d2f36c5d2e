"""The audit rule, without a database. Expected numbers are worked out by hand in the comments."""

from decimal import Decimal

from weijian.cme.rules import CreditLine, CreditTotals, Requirement, evaluate, totals_from_records

D = Decimal
# Intermediate-and-above style requirement: total 25, class I ≥ 10, class II ≥ 10, remote ≤ 10.
REQ = Requirement(total=D("25"), min_class_i=D("10"), min_class_ii=D("10"), remote_cap=D("10"))


def test_only_verified_records_count():
    records = [
        CreditLine("I", D("10")),
        CreditLine("II", D("6.5")),
        CreditLine("II", D("4"), status="pending"),
        CreditLine("I", D("3"), status="rejected"),
        CreditLine("II", D("2.5"), is_remote=True),
    ]
    totals = totals_from_records(records)
    # verified: I on-site 10; II on-site 6.5; II remote 2.5. Pending 4 and rejected 3 are dropped.
    assert totals == CreditTotals(D("10.0"), D("6.5"), D("0.0"), D("2.5"))


def test_meeting_every_part_exactly_passes():
    # I 10 + II 15 = 25: total, class I and class II exactly met.
    outcome = evaluate(CreditTotals.of(10, 15), REQ)
    assert (outcome.passed, outcome.counted_total, outcome.shortfall, outcome.reason) == (
        True, D("25.0"), D("0.0"), "达标")


def test_remote_credits_count_only_up_to_the_cap_class_i_first():
    # on-site: I 4, II 12; remote: I 7, II 6 → remote 13 > cap 10.
    # counted remote: I 7 (all), II 10 - 7 = 3. class I = 4 + 7 = 11; class II = 12 + 3 = 15; total 26.
    outcome = evaluate(CreditTotals.of(4, 12, 7, 6), REQ)
    assert outcome.remote_counted == D("10.0")
    assert (outcome.class_i, outcome.class_ii, outcome.counted_total) == (D("11.0"), D("15.0"), D("26.0"))
    assert outcome.passed and outcome.reason == "达标"


def test_remote_class_i_beyond_the_cap_is_cut_too():
    # remote I 12 alone exceeds cap 10: I counted = 3 on-site + 10 = 13; remote II 5 counts 0.
    # II = 14 on-site. total = 13 + 14 = 27 ≥ 25 → pass.
    outcome = evaluate(CreditTotals.of(3, 14, 12, 5), REQ)
    assert (outcome.class_i, outcome.class_ii, outcome.remote_counted) == (D("13.0"), D("14.0"), D("10.0"))
    assert outcome.passed


def test_the_cap_can_turn_a_pass_into_a_fail():
    # Without a cap: I 10 + II 5 on-site + II 12 remote = 27. With cap 10: II = 5 + 10 = 15, total 25 → pass.
    # With cap 6: II = 5 + 6 = 11, total 21 → short 4 in total (classes met: I 10 ≥ 10, II 11 ≥ 10).
    capped = Requirement(total=D("25"), min_class_i=D("10"), min_class_ii=D("10"), remote_cap=D("6"))
    assert evaluate(CreditTotals.of(10, 5, 0, 12), REQ).passed
    outcome = evaluate(CreditTotals.of(10, 5, 0, 12), capped)
    assert not outcome.passed
    assert (outcome.counted_total, outcome.shortfall) == (D("21.0"), D("4.0"))
    assert outcome.reason == "总学分不足：差 4.0 分"


def test_class_i_minimum():
    # I 8 + II 20 = 28 ≥ 25, but class I 8 < 10 → short 2 in class I only.
    outcome = evaluate(CreditTotals.of(8, 20), REQ)
    assert not outcome.passed
    assert outcome.reason == "I类学分不足：差 2.0 分"
    assert outcome.shortfall == D("2.0")


def test_every_shortage_is_named_and_the_shortfall_covers_them_all():
    # I 8, II 7 (remote II 2 within cap): total 15. short: total 25-15 = 10, I 10-8 = 2, II 10-7 = 3.
    # shortfall = max(10, 2 + 3) = 10.
    outcome = evaluate(CreditTotals.of(8, 5, 0, 2), REQ)
    assert outcome.reason == "总学分不足：差 10.0 分；I类学分不足：差 2.0 分；II类学分不足：差 3.0 分"
    assert outcome.shortfall == D("10.0")


def test_class_shortages_can_exceed_the_total_shortage():
    # I 2, II 22: total 24 → short 1; I short 8; II fine. Needing 8 more class I → shortfall max(1, 8) = 8.
    outcome = evaluate(CreditTotals.of(2, 22), REQ)
    assert outcome.shortfall == D("8.0")
    assert outcome.reason == "总学分不足：差 1.0 分；I类学分不足：差 8.0 分"


def test_an_exempt_worker_passes_with_the_reason():
    outcome = evaluate(CreditTotals(), REQ, exemption_reason="长期病假")
    assert (outcome.passed, outcome.exempt, outcome.reason, outcome.shortfall) == (
        True, True, "豁免：长期病假", D("0.0"))
    assert outcome.counted_total == D("0.0")


def test_requirement_can_be_any_object_with_the_four_fields():
    class Row:  # e.g. a CreditRequirement model instance
        total, min_class_i, min_class_ii, remote_cap = D("20"), D("5"), D("10"), D("10")

    # I 10 + II 8 = 18: short total 2, II 2 → shortfall max(2, 2) = 2.
    outcome = evaluate(CreditTotals.of(10, 8), Row())
    assert outcome.reason == "总学分不足：差 2.0 分；II类学分不足：差 2.0 分"
    assert outcome.shortfall == D("2.0")

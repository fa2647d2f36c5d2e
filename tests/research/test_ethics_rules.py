"""The ethics review rules on their boundaries, by hand: quorum, majority, expedited review, which
submissions may be made, and what a decision does to the approval. No database."""

import datetime as dt

import pytest

from weijian.research import ethics_rules as r


def committee(n: int = 9, *, lay=(8,), external=(9,), secretary=None) -> list[r.Member]:
    """Members 1..n; the ids in `lay` are non-medical, those in `external` from outside; `secretary` does
    not vote."""
    return [r.Member(i, lay=i in lay, external=i in external, voting=i != secretary) for i in range(1, n + 1)]


# ---- quorum ------------------------------------------------------------------------------------------

def test_nine_members_five_present_with_a_lay_and_an_external_member_is_a_quorum():
    q = r.quorum(committee(9), present_ids={1, 2, 3, 8, 9})
    assert (q.met, q.present, q.members, q.reasons) == (True, 5, 9, ())


def test_nine_members_five_present_but_one_recused_is_no_quorum():
    # 4 left: 4 × 2 = 8 is not more than 9, and 4 < 5.
    q = r.quorum(committee(9), present_ids={1, 2, 3, 8, 9}, recused_ids={2})
    assert not q.met and q.present == 4
    assert q.reasons == ("到会委员（回避者除外）4 人，未超过全体委员 9 人的半数",
                         "到会委员（回避者除外）4 人，少于 5 人")


def test_exactly_half_is_not_more_than_half():
    # 10 members, 5 present: 5 × 2 = 10 is not more than 10; 6 present is.
    members = committee(10, lay=(1,), external=(2,))
    assert r.quorum(members, present_ids={1, 2, 3, 4, 5}).reasons == (
        "到会委员（回避者除外）5 人，未超过全体委员 10 人的半数",)
    assert r.quorum(members, present_ids={1, 2, 3, 4, 5, 6}).met


def test_a_small_committee_still_needs_five():
    # 7 members, 4 present: more than half (8 > 7) but fewer than 5.
    q = r.quorum(committee(7, lay=(1,), external=(2,)), present_ids={1, 2, 3, 4})
    assert q.reasons == ("到会委员（回避者除外）4 人，少于 5 人",)


def test_the_lay_and_the_external_member_must_be_present_and_not_recused():
    members = committee(9)
    assert r.quorum(members, present_ids={1, 2, 3, 4, 5, 9}).reasons == ("到会委员中没有非医药专业委员",)
    assert r.quorum(members, present_ids={1, 2, 3, 4, 5, 8}).reasons == ("到会委员中没有外单位委员",)
    assert r.quorum(members, present_ids={1, 2, 3, 4, 5, 8, 9}, recused_ids={9}).reasons == (
        "到会委员中没有外单位委员",)
    # One member who is both lay and external satisfies both.
    both = [r.Member(1, lay=True, external=True), *committee(7, lay=(), external=())[1:]]
    assert r.quorum(both, present_ids={1, 2, 3, 4, 5}).met


def test_the_secretary_neither_votes_nor_counts():
    # 9 listed with a secretary: 8 voting members; the secretary's presence adds nothing.
    members = committee(9, secretary=7)
    q = r.quorum(members, present_ids={1, 2, 7, 8, 9})
    assert (q.present, q.members) == (4, 8) and not q.met
    assert r.quorum(members, present_ids={1, 2, 3, 7, 8, 9}).met  # 5 of 8
    assert r.eligible_voters(members, recused_ids={1}) == 7


def test_strangers_in_the_attendance_do_not_count():
    assert r.quorum(committee(9), present_ids={1, 2, 8, 9, 42}).present == 4


# ---- majority ----------------------------------------------------------------------------------------

def test_the_decision_needs_more_than_half_of_the_members_not_recused():
    # 9 members, one recused: 8 eligible; 5 votes are a majority, 4 are not (even if all present agree).
    assert r.majority({1: "approved", 2: "approved", 3: "approved", 4: "approved", 5: "approved"}, 8) == "approved"
    assert r.majority({1: "approved", 2: "approved", 3: "approved", 4: "approved", 5: "rejected"}, 8) is None
    assert r.majority({1: "approved", 2: "approved", 3: "approved", 4: "approved", 5: "approved"}, 9) == "approved"
    assert r.majority({}, 9) is None


def test_the_tally_orders_by_votes_then_by_decision():
    assert list(r.tally({1: "rejected", 2: "approved", 3: "rejected", 4: "approved_with_changes"})) == [
        "rejected", "approved", "approved_with_changes"]


# ---- expedited review ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("opinions", "outcome"), [
    (["approved"], "approved"),
    (["approved", "approved"], "approved"),
    (["approved", "approved_with_changes"], "approved_with_changes"),
    (["approved_with_changes"], "approved_with_changes"),
    (["rejected"], None),
    (["approved", "rejected"], None),
    (["approved", "suspended"], None),
])
def test_expedited_review_cannot_be_negative(opinions, outcome):
    assert r.expedited_outcome(opinions) == outcome


@pytest.mark.parametrize("count", [0, 3])
def test_expedited_review_is_by_one_or_two_members(count):
    with pytest.raises(ValueError, match="1 至 2 名委员"):
        r.expedited_outcome(["approved"] * count)


# ---- which submissions, which decisions ----------------------------------------------------------------

def problem(kind, **flags):
    return r.submission_problem(kind, **{"open_same_kind": False, "approved_initial": False, "terminated": False,
                                         "closed": False, **flags})


def test_a_study_starts_with_its_initial_review_and_follow_ups_need_it():
    assert problem("initial") is None
    assert problem("initial", approved_initial=True) == "该项目已通过本委员会的初始审查，方案变更请提交修正案审查"
    for kind in ("amendment", "continuing", "sae", "deviation", "closure"):
        assert problem(kind) == "须先通过本委员会的初始审查"
        assert problem(kind, approved_initial=True) is None
    assert problem("sae", approved_initial=True, open_same_kind=True) == "该项目已有同类伦理审查申请正在办理"
    assert problem("sae", approved_initial=True, terminated=True) == "本委员会已终止该研究，只能提交结题审查"
    assert problem("closure", approved_initial=True, terminated=True) is None
    assert problem("amendment", approved_initial=True, closed=True) == "该项目已通过结题审查，不再受理"
    assert problem("other") == "审查类别不正确"


def test_decisions_by_kind():
    assert "rejected" in r.ALLOWED_DECISIONS["initial"] and "suspended" not in r.ALLOWED_DECISIONS["initial"]
    assert {"suspended", "terminated"} <= set(r.ALLOWED_DECISIONS["sae"]) and "rejected" not in r.ALLOWED_DECISIONS["sae"]
    assert r.ALLOWED_DECISIONS["closure"] == ("approved", "rejected")


# ---- what a decision does to the approval -------------------------------------------------------------

DAY = dt.date(2026, 4, 10)


def test_initial_and_continuing_approvals_last_a_year_from_the_decision():
    assert r.approval_effect("initial", "approved", DAY) == r.Effect("grant", DAY, dt.date(2027, 4, 9))
    assert r.approval_effect("continuing", "approved_with_changes", DAY, current_until=dt.date(2026, 5, 1)) == \
        r.Effect("grant", DAY, dt.date(2027, 4, 9))
    assert r.one_year(dt.date(2028, 2, 29)) == dt.date(2029, 2, 28)


def test_an_amendment_keeps_the_current_end():
    assert r.approval_effect("amendment", "approved", DAY, current_until=dt.date(2026, 12, 31)) == \
        r.Effect("grant", DAY, dt.date(2026, 12, 31))
    assert r.approval_effect("amendment", "approved", DAY) == r.Effect("grant", DAY, dt.date(2027, 4, 9))


def test_suspension_and_termination_end_the_approval_the_day_before():
    for decision in ("suspended", "terminated"):
        assert r.approval_effect("sae", decision, DAY) == r.Effect("end", valid_until=dt.date(2026, 4, 9))
    assert r.approval_effect("closure", "approved", DAY) == r.Effect("end", valid_until=DAY)


@pytest.mark.parametrize(("kind", "decision"), [("initial", "rejected"), ("amendment", "rejected"),
                                                ("sae", "approved"), ("deviation", "approved_with_changes"),
                                                ("closure", "rejected")])
def test_other_decisions_leave_the_approval_alone(kind, decision):
    assert r.approval_effect(kind, decision, DAY) == r.Effect("none")

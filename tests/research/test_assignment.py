"""Expert assignment: hard conflict rules, caps, preferences, shortfalls, reproducibility, the independent
checker, and properties over random pools. Pure Python: no database."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from weijian.research.assignment import (
    ALREADY_ASSIGNED,
    DECLARED_CONFLICT,
    SAME_INSTITUTION,
    TEAM_MEMBER,
    ApplicationNeed,
    AssignmentResult,
    ExpertCandidate,
    assign,
    conflict,
    synthetic_pool,
    verify,
)

INTERNAL = "心血管内科"
SURGERY = "普外科"
EYES = "眼科"


def expert(id, *, institution=None, specialties=(INTERNAL,), load=0, cap=10, person=None, declared=()):
    return ExpertCandidate(id=id, institution_id=institution, specialties=frozenset(specialties), load=load,
                           cap=cap, person_id=person, declared_conflicts=frozenset(declared))


def need(id, *, specialty=INTERNAL, institutions=(), team=(), needed=5, already=()):
    return ApplicationNeed(id=id, specialty=specialty, institution_ids=frozenset(institutions),
                           team_person_ids=frozenset(team), experts_needed=needed,
                           already_assigned=frozenset(already))


# ---- conflict rules ----

@pytest.mark.parametrize(("candidate", "application", "reason"), [
    (expert(1, institution=7), need(10, institutions={3, 7}), SAME_INSTITUTION),
    (expert(1, institution=1, person=42), need(10, institutions={7}, team={41, 42}), TEAM_MEMBER),
    (expert(1, institution=1, declared={10}), need(10, institutions={7}), DECLARED_CONFLICT),
    (expert(1, institution=1), need(10, institutions={7}, already={1}), ALREADY_ASSIGNED),
    (expert(1, institution=1, person=5, declared={11}),
     need(10, institutions={7}, team={42}, already={2}), None),
    (expert(1, institution=None, person=None), need(10, institutions={7}, team={42}), None),
])
def test_conflict_gives_the_chinese_reason_or_none(candidate, application, reason):
    assert conflict(candidate, application) == reason


def test_conflict_reasons_read_as_specified():
    assert (SAME_INSTITUTION, TEAM_MEMBER, DECLARED_CONFLICT, ALREADY_ASSIGNED) == (
        "与申请人或团队成员同单位", "为项目团队成员", "本人申报回避", "已分配")


def test_conflict_reports_the_first_rule_when_several_apply():
    both = expert(1, institution=7, person=42, declared={10})
    assert conflict(both, need(10, institutions={7}, team={42}, already={1})) == SAME_INSTITUTION
    assert conflict(both, need(10, institutions={8}, team={42}, already={1})) == TEAM_MEMBER


# ---- assign: hard constraints ----

@pytest.mark.parametrize("seed", range(10))
def test_conflicted_experts_are_never_assigned(seed):
    experts = [
        expert(1, institution=7),  # same institution as a team member
        expert(2, institution=1, person=42),  # on the team
        expert(3, institution=1, declared={10}),  # declared
        expert(4, institution=1),  # already on it from an earlier round
        expert(5, institution=1),
    ]
    application = need(10, institutions={7, 8}, team={41, 42}, already={4})
    result = assign([application], experts, seed=seed)
    assert result.pairs == {10: [5]}
    assert result.shortfalls == {10: 4}
    assert result.loads == {1: 0, 2: 0, 3: 0, 4: 0, 5: 1}


@pytest.mark.parametrize("seed", range(10))
def test_caps_hold_counting_earlier_load(seed):
    experts = [expert(1, load=2, cap=3), expert(2, load=4, cap=4)]  # one seat left in all; expert 2 is full
    applications = [need(10, needed=1), need(11, needed=1), need(12, needed=1)]
    result = assign(applications, experts, seed=seed)
    assert sorted(len(ids) for ids in result.pairs.values()) == [0, 0, 1]
    assert [ids for ids in result.pairs.values() if ids] == [[1]]
    assert sum(result.shortfalls.values()) == 2
    assert result.loads == {1: 3, 2: 4}


def test_no_expert_when_everyone_is_at_cap():
    result = assign([need(10, needed=2)], [expert(1, load=3, cap=3), expert(2, cap=0)])
    assert result.pairs == {10: []}
    assert result.shortfalls == {10: 2}
    assert result.loads == {1: 3, 2: 0}


@pytest.mark.parametrize("seed", range(5))
def test_already_assigned_expert_is_not_picked_again_even_when_least_loaded(seed):
    result = assign([need(10, needed=1, already={1})], [expert(1, load=0), expert(2, load=5)], seed=seed)
    assert result.pairs == {10: [2]}
    assert result.loads == {1: 0, 2: 6}


# ---- assign: preferences ----

def test_specialty_match_beats_a_lighter_load_and_non_matches_fill_in_after():
    experts = [expert(1, specialties={SURGERY}, load=0), expert(2, specialties={INTERNAL, EYES}, load=6)]
    assert assign([need(10, needed=1)], experts).pairs == {10: [2]}
    assert assign([need(10, needed=2)], experts).pairs == {10: [2, 1]}


def test_least_loaded_first():
    experts = [expert(1, load=3), expert(2, load=1), expert(3, load=2)]
    result = assign([need(10, needed=2)], experts)
    assert result.pairs == {10: [2, 3]}
    assert result.loads == {1: 3, 2: 2, 3: 3}


@pytest.mark.parametrize("seed", range(5))
def test_work_spreads_over_applications(seed):
    applications = [need(application_id, needed=1) for application_id in (10, 11, 12, 13)]
    result = assign(applications, [expert(1), expert(2)], seed=seed)
    assert result.loads == {1: 2, 2: 2}


@pytest.mark.parametrize("seed", range(10))
def test_hardest_application_is_served_first(seed):
    # Expert 1 is the only ophthalmologist. Served in id order, application 10 (internal medicine) would
    # take expert 1 as the lighter-loaded and leave application 11 with a non-matching expert.
    experts = [expert(1, specialties={EYES, INTERNAL}, load=0, cap=1),
               expert(2, specialties={INTERNAL}, load=1, cap=2)]
    applications = [need(10, specialty=INTERNAL, needed=1), need(11, specialty=EYES, needed=1)]
    result = assign(applications, experts, seed=seed)
    assert result.pairs == {10: [2], 11: [1]}
    assert result.shortfalls == {}


def test_shortfall_when_the_pool_is_too_small():
    experts = [expert(1), expert(2), expert(3, specialties={SURGERY})]
    result = assign([need(10, needed=5)], experts, seed=4)
    assert set(result.pairs[10][:2]) == {1, 2}
    assert result.pairs[10][2:] == [3]
    assert result.shortfalls == {10: 2}


def test_applications_needing_nobody_get_nobody_and_no_shortfall():
    result = assign([need(10, needed=0)], [expert(1)])
    assert result == AssignmentResult(pairs={10: []}, shortfalls={}, loads={1: 0})
    assert assign([], []) == AssignmentResult()


# ---- assign: reproducibility and input checks ----

def test_same_seed_same_result_whatever_the_input_order():
    applications, experts = synthetic_pool(80, 120, seed=3)
    first = assign(applications, experts, seed=7)
    shuffled_applications, shuffled_experts = applications[:], experts[:]
    random.Random(0).shuffle(shuffled_applications)
    random.Random(1).shuffle(shuffled_experts)
    assert assign(applications, experts, seed=7) == first
    assert assign(shuffled_applications, shuffled_experts, seed=7) == first


def test_the_seed_breaks_ties():
    experts = [expert(expert_id) for expert_id in range(1, 11)]
    picks = {assign([need(10, needed=1)], experts, seed=seed).pairs[10][0] for seed in range(20)}
    assert len(picks) > 1


def test_duplicate_ids_are_refused():
    with pytest.raises(ValueError, match="duplicate expert id 1"):
        assign([need(10)], [expert(1), expert(1)])
    with pytest.raises(ValueError, match="duplicate application id 10"):
        assign([need(10), need(10)], [expert(1)])


def test_negative_need_is_refused():
    with pytest.raises(ValueError, match="experts_needed"):
        need(10, needed=-1)


# ---- verify ----

def test_verify_accepts_a_correct_result():
    experts = [expert(1, institution=7), expert(2, load=1, cap=2)]
    result = AssignmentResult(pairs={10: [2]}, shortfalls={10: 1}, loads={1: 0, 2: 2})
    assert verify([need(10, institutions={7}, needed=2)], experts, result) == []


def test_verify_reports_conflicts_caps_duplicates_excess_and_wrong_books():
    experts = [expert(1, institution=7), expert(2, load=1, cap=1), expert(3)]
    result = AssignmentResult(pairs={10: [1, 2, 3, 3]}, shortfalls={}, loads={1: 0, 2: 1, 3: 0})
    assert verify([need(10, institutions={7}, needed=2)], experts, result) == [
        "申请 10 需 2 名专家，却分配了 4 名",
        "申请 10 分配了专家 1：与申请人或团队成员同单位",
        "专家 3 在申请 10 中重复分配",
        "申请 10 已分配 4 名、缺额 0 名，与所需 2 名不符",
        "专家 1 负荷应为 1，结果为 0",
        "专家 2 负荷 2 超过上限 1",
        "专家 2 负荷应为 2，结果为 1",
        "专家 3 负荷应为 1，结果为 0",
    ]


def test_verify_names_every_rule_a_pair_breaks():
    experts = [expert(1, institution=7, person=42, declared={10})]
    result = AssignmentResult(pairs={10: [1]}, shortfalls={}, loads={1: 1})
    assert verify([need(10, institutions={7}, team={42}, already={1}, needed=1)], experts, result) == [
        "申请 10 分配了专家 1：与申请人或团队成员同单位",
        "申请 10 分配了专家 1：为项目团队成员",
        "申请 10 分配了专家 1：本人申报回避",
        "申请 10 分配了专家 1：已分配",
    ]


def test_verify_reports_unknown_ids_and_non_positive_shortfalls():
    result = AssignmentResult(pairs={10: [42], 99: [1]}, shortfalls={10: 0, 98: 1}, loads={1: 0})
    assert verify([need(10, needed=2)], [expert(1)], result) == [
        "申请 10 分配了不在专家库中的专家 42",
        "申请 99 不在待分配申请中",
        "申请 10 的缺额应为正数，结果为 0",
        "缺额记录中的申请 98 不在待分配申请中",
        "申请 10 已分配 1 名、缺额 0 名，与所需 2 名不符",
    ]


# ---- properties over random pools ----

SPECIALTIES = (INTERNAL, SURGERY, EYES)


@st.composite
def pools(draw) -> tuple[list[ApplicationNeed], list[ExpertCandidate]]:
    # Few institutions, persons and specialties so that conflicts, scarcity and full experts are common.
    application_ids = draw(st.lists(st.integers(1, 40), unique=True, max_size=8))
    expert_ids = draw(st.lists(st.integers(100, 160), unique=True, max_size=15))
    experts = [
        ExpertCandidate(
            id=expert_id,
            institution_id=draw(st.none() | st.integers(1, 4)),
            specialties=draw(st.frozensets(st.sampled_from(SPECIALTIES), max_size=3)),
            load=draw(st.integers(0, 4)),
            cap=draw(st.integers(0, 5)),
            person_id=draw(st.none() | st.integers(1, 10)),
            declared_conflicts=draw(st.frozensets(st.integers(1, 40), max_size=4)),
        )
        for expert_id in expert_ids
    ]
    applications = [
        ApplicationNeed(
            id=application_id,
            specialty=draw(st.sampled_from(SPECIALTIES)),
            institution_ids=draw(st.frozensets(st.integers(1, 4), max_size=3)),
            team_person_ids=draw(st.frozensets(st.integers(1, 10), max_size=4)),
            experts_needed=draw(st.integers(0, 5)),
            already_assigned=draw(st.frozensets(st.integers(100, 160), max_size=3)),
        )
        for application_id in application_ids
    ]
    return applications, experts


@given(pool=pools(), seed=st.integers(0, 2**32))
@settings(max_examples=200, deadline=None)
def test_every_hard_constraint_holds_and_the_books_balance(pool, seed):
    applications, experts = pool
    result = assign(applications, experts, seed=seed)
    assert verify(applications, experts, result) == []
    for application in applications:
        assigned = len(result.pairs[application.id])
        assert assigned <= application.experts_needed
        assert assigned + result.shortfalls.get(application.id, 0) == application.experts_needed


@given(pool=pools(), seed=st.integers(0, 2**32))
@settings(max_examples=200, deadline=None)
def test_nobody_eligible_is_left_idle(pool, seed):
    """Loads only grow, so an eligible expert with room at the end had room when each application was served:
    a short application, or one given a non-matching expert, must have had no such expert (matching) left."""
    applications, experts = pool
    result = assign(applications, experts, seed=seed)
    for application in applications:
        on_it = set(result.pairs[application.id])
        idle = [e for e in experts
                if result.loads[e.id] < e.cap and e.id not in on_it and conflict(e, application) is None]
        if application.id in result.shortfalls:
            assert idle == []
        if any(application.specialty not in e.specialties for e in experts if e.id in on_it):
            assert [e for e in idle if application.specialty in e.specialties] == []


@given(pool=pools(), seed=st.integers(0, 2**32))
@settings(max_examples=200, deadline=None)
def test_list_order_does_not_change_the_result(pool, seed):
    applications, experts = pool
    assert assign(applications[::-1], experts[::-1], seed=seed) == assign(applications, experts, seed=seed)


# ---- the synthetic pool ----

def test_synthetic_pool_is_realistic_and_reproducible():
    applications, experts = synthetic_pool(300, 400, seed=5)
    assert (applications, experts) == synthetic_pool(300, 400, seed=5)
    assert len(applications) == 300 and len(experts) == 400
    assert len({a.id for a in applications}) == 300 and len({e.id for e in experts}) == 400
    assert all(5 <= e.cap <= 10 and 0 <= e.load <= e.cap and 1 <= len(e.specialties) <= 3 for e in experts)
    assert all(3 <= len(a.team_person_ids) <= 8 for a in applications)
    assert 10 <= len({s for e in experts for s in e.specialties}) <= 50
    expert_persons = {e.person_id for e in experts if e.person_id is not None}
    assert any(a.team_person_ids & expert_persons for a in applications)
    assert any(e.declared_conflicts for e in experts)
    reassigned = [a for a in applications if a.already_assigned]
    assert reassigned and all(a.experts_needed == 5 - len(a.already_assigned) for a in applications)
    by_id = {e.id: e for e in experts}
    assert all(conflict(by_id[e], a) == ALREADY_ASSIGNED for a in reassigned for e in a.already_assigned)


def test_full_size_synthetic_pool_assigns_clean():
    applications, experts = synthetic_pool(2000, 3000, seed=1)
    result = assign(applications, experts, seed=0)
    assert verify(applications, experts, result) == []
    assert sum(len(ids) for ids in result.pairs.values()) + sum(result.shortfalls.values()) == sum(
        a.experts_needed for a in applications)

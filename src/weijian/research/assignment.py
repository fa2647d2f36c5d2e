"""Review-expert assignment for research funding applications (科研项目评审专家分配). Pure Python: no Django.

Owns the hard conflict-of-interest rules (`conflict`), the assignment itself (`assign`), an independent
checker of every hard constraint (`verify`) and a synthetic pool builder for tests and benchmarks
(`synthetic_pool`).

Hard constraints, never traded for a preference: no conflicted pair; no expert past `cap`, counting the
load from earlier rounds; no expert twice on one application; at most `experts_needed` new experts per
application. An application that cannot be served in full gets what is possible and a shortfall entry.

Preferences, in order: experts whose specialties contain the application's specialty; the least loaded
(current load, so work spreads as it is handed out); then a seeded random rank. Applications are served
hardest first: least slack, where slack = eligible matching experts − experts needed (with equal needs this
is "fewest eligible matching experts"), so scarce experts are not used up by easy applications. Hardness is
measured once, before any assignment. The greedy is maximal but not optimal: an application is left short
only when no eligible expert has room left, though a cleverer order might have served it.

The result is a function of the inputs and the seed only, not of list order: random ranks are dealt to ids
in sorted order, and every ordering key ends in a unique id.

Complexity, with A applications, E experts, s specialties per expert, k experts needed per application and
c conflicted candidates met per application: set-up O(E·s log E) (one heap per specialty plus one over all
experts); hardness O(A·(i + t + d)) from per-(specialty, institution) counts, where i, t, d are the sizes of
the application's institution set, team and declared-conflict list, never a pass over the pool; assignment
O(A·(k·s + c)·log E) heap operations. Heaps use lazy deletion: when an expert's load changes a new entry is
pushed and the old one is skipped when met; a full expert is dropped for good. Nothing loops over
applications × experts.
"""

import heapq
import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

SAME_INSTITUTION = "与申请人或团队成员同单位"
TEAM_MEMBER = "为项目团队成员"
DECLARED_CONFLICT = "本人申报回避"
ALREADY_ASSIGNED = "已分配"


@dataclass(frozen=True)
class ExpertCandidate:
    """An expert who may review. `load`: assignments from earlier rounds; `cap`: most allowed in total;
    `person_id`: the health-worker id when the expert is also a worker;
    `declared_conflicts`: ids of applications the expert declared a conflict with."""

    id: int
    institution_id: int | None
    specialties: frozenset[str]
    load: int = 0
    cap: int = 10
    person_id: int | None = None
    declared_conflicts: frozenset[int] = frozenset()

    @property
    def room(self) -> int:
        return max(0, self.cap - self.load)


@dataclass(frozen=True)
class ApplicationNeed:
    """An application waiting for reviewers. `institution_ids`: the PI's and every team member's;
    `team_person_ids`: PI and members (worker ids); `experts_needed`: how many MORE to assign;
    `already_assigned`: expert ids already on it, never picked again."""

    id: int
    specialty: str
    institution_ids: frozenset[int]
    team_person_ids: frozenset[int]
    experts_needed: int = 5
    already_assigned: frozenset[int] = frozenset()

    def __post_init__(self):
        if self.experts_needed < 0:
            raise ValueError(f"application {self.id}: experts_needed must not be negative")


@dataclass(frozen=True)
class AssignmentResult:
    """`pairs`: application id → new expert ids in assignment order (every application, maybe empty);
    `shortfalls`: application id → experts that could not be found (only where positive);
    `loads`: expert id → final load, initial load included (every expert)."""

    pairs: dict[int, list[int]] = field(default_factory=dict)
    shortfalls: dict[int, int] = field(default_factory=dict)
    loads: dict[int, int] = field(default_factory=dict)


def conflict(expert: ExpertCandidate, application: ApplicationNeed) -> str | None:
    """The first hard rule that keeps `expert` off `application`, as a short Chinese reason, or None."""
    if expert.institution_id is not None and expert.institution_id in application.institution_ids:
        return SAME_INSTITUTION
    if expert.person_id is not None and expert.person_id in application.team_person_ids:
        return TEAM_MEMBER
    if application.id in expert.declared_conflicts:
        return DECLARED_CONFLICT
    if expert.id in application.already_assigned:
        return ALREADY_ASSIGNED
    return None


# ---- assignment ----

# Heap entry: (load when pushed, seeded rank, expert id). Valid only while the load still matches.
_Entry = tuple[int, int, int]


def _by_id(items: Iterable, what: str) -> dict:
    by_id = {}
    for item in sorted(items, key=lambda x: x.id):
        if item.id in by_id:
            raise ValueError(f"duplicate {what} id {item.id}")
        by_id[item.id] = item
    return by_id


def _seeded_ranks(ids: Sequence[int], rng: random.Random) -> dict[int, int]:
    """A random permutation dealt to ids in sorted order, so list order never changes the outcome."""
    ranks = list(range(len(ids)))
    rng.shuffle(ranks)
    return dict(zip(sorted(ids), ranks, strict=True))


class _EligibleCounter:
    """Counts each application's eligible matching experts (room left, no conflict) from indexes, without
    walking the specialty pool: open experts of the specialty, minus those at the team's institutions,
    minus the few named by team, declarations or earlier rounds."""

    def __init__(self, pool: dict[int, ExpertCandidate]):
        self.pool = pool
        self.open_by_specialty: Counter[str] = Counter()
        self.open_by_specialty_institution: Counter[tuple[str, int]] = Counter()
        self.experts_by_person: dict[int, list[int]] = defaultdict(list)
        self.declared_by_application: dict[int, list[int]] = defaultdict(list)
        for expert in pool.values():
            if expert.person_id is not None:
                self.experts_by_person[expert.person_id].append(expert.id)
            for application_id in expert.declared_conflicts:
                self.declared_by_application[application_id].append(expert.id)
            if expert.room == 0:
                continue
            for specialty in expert.specialties:
                self.open_by_specialty[specialty] += 1
                if expert.institution_id is not None:
                    self.open_by_specialty_institution[specialty, expert.institution_id] += 1

    def eligible(self, application: ApplicationNeed) -> int:
        specialty = application.specialty
        count = self.open_by_specialty[specialty]
        for institution_id in application.institution_ids:
            count -= self.open_by_specialty_institution[specialty, institution_id]
        named = set(application.already_assigned)
        named.update(self.declared_by_application.get(application.id, ()))
        for person_id in application.team_person_ids:
            named.update(self.experts_by_person.get(person_id, ()))
        for expert_id in named:
            expert = self.pool.get(expert_id)
            # Experts at a team institution were already subtracted above; do not subtract them twice.
            if (expert is not None and expert.room > 0 and specialty in expert.specialties
                    and expert.institution_id not in application.institution_ids):
                count -= 1
        return count


class _Assigner:
    def __init__(self, pool: dict[int, ExpertCandidate], rng: random.Random):
        self.pool = pool
        self.rank = _seeded_ranks(list(pool), rng)
        self.load = {expert_id: expert.load for expert_id, expert in pool.items()}
        self.by_specialty: dict[str, list[_Entry]] = defaultdict(list)
        self.everyone: list[_Entry] = []
        for expert in pool.values():
            if expert.room > 0:
                for heap in self._heaps_of(expert):
                    heap.append(self._entry(expert.id))
        for heap in (*self.by_specialty.values(), self.everyone):
            heapq.heapify(heap)

    def _entry(self, expert_id: int) -> _Entry:
        return self.load[expert_id], self.rank[expert_id], expert_id

    def _heaps_of(self, expert: ExpertCandidate) -> Iterator[list[_Entry]]:
        for specialty in expert.specialties:
            yield self.by_specialty[specialty]
        yield self.everyone

    def serve(self, application: ApplicationNeed) -> list[int]:
        chosen: list[int] = []
        wanted = application.experts_needed
        matching = self.by_specialty.get(application.specialty)
        if matching:
            self._take(matching, application, chosen, wanted)
        if len(chosen) < wanted:
            # No eligible matching expert has room left: fall back to anyone eligible, least loaded first.
            self._take(self.everyone, application, chosen, wanted)
        for expert_id in chosen:
            self.load[expert_id] += 1
            expert = self.pool[expert_id]
            if self.load[expert_id] < expert.cap:
                for heap in self._heaps_of(expert):
                    heapq.heappush(heap, self._entry(expert_id))
        return chosen

    def _take(self, heap: list[_Entry], application: ApplicationNeed, chosen: list[int], wanted: int) -> None:
        set_aside: list[_Entry] = []
        while heap and len(chosen) < wanted:
            entry = heapq.heappop(heap)
            entry_load, _, expert_id = entry
            if entry_load != self.load[expert_id]:
                continue  # stale: a newer entry for this expert is in the heap
            expert = self.pool[expert_id]
            if entry_load >= expert.cap:
                continue  # full for good: loads never go down
            if expert_id in chosen or conflict(expert, application):
                set_aside.append(entry)  # still valid for other applications
                continue
            chosen.append(expert_id)
        # Loads are bumped only after the application is served, so chosen experts' entries are still
        # current here; drop them: serve() pushes fresh ones with the new load.
        for entry in set_aside:
            heapq.heappush(heap, entry)


def assign(applications: Iterable[ApplicationNeed], experts: Iterable[ExpertCandidate], *,
           seed: int = 0) -> AssignmentResult:
    """Assign up to `experts_needed` new experts to every application under the hard constraints; see the
    module docstring for preferences, order and complexity. Raises ValueError on duplicate ids."""
    apps = _by_id(applications, "application")
    pool = _by_id(experts, "expert")
    rng = random.Random(seed)
    assigner = _Assigner(pool, rng)
    application_rank = _seeded_ranks(list(apps), rng)
    counter = _EligibleCounter(pool)

    def hardness(application: ApplicationNeed) -> tuple[int, int, int]:
        eligible = counter.eligible(application)
        return eligible - application.experts_needed, eligible, application_rank[application.id]

    pairs: dict[int, list[int]] = {application_id: [] for application_id in apps}
    shortfalls: dict[int, int] = {}
    for application in sorted((a for a in apps.values() if a.experts_needed > 0), key=hardness):
        chosen = assigner.serve(application)
        pairs[application.id] = chosen
        if len(chosen) < application.experts_needed:
            shortfalls[application.id] = application.experts_needed - len(chosen)
    return AssignmentResult(pairs=pairs, shortfalls=dict(sorted(shortfalls.items())), loads=assigner.load)


# ---- independent checker ----

def _broken_rules(expert: ExpertCandidate, application: ApplicationNeed) -> list[str]:
    """Every hard rule the pair breaks. Written apart from `conflict` on purpose, so a slip in one is caught
    by the other."""
    broken = []
    if expert.institution_id is not None and expert.institution_id in set(application.institution_ids):
        broken.append(SAME_INSTITUTION)
    if expert.person_id is not None and expert.person_id in set(application.team_person_ids):
        broken.append(TEAM_MEMBER)
    if application.id in set(expert.declared_conflicts):
        broken.append(DECLARED_CONFLICT)
    if expert.id in set(application.already_assigned):
        broken.append(ALREADY_ASSIGNED)
    return broken


def verify(applications: Iterable[ApplicationNeed], experts: Iterable[ExpertCandidate],
           result: AssignmentResult) -> list[str]:
    """Every hard-constraint problem in `result`, in Chinese; empty when all hold. Also checks the books:
    assigned + shortfall == needed for every application and `loads` == initial load + new assignments."""
    apps = {application.id: application for application in applications}
    pool = {expert.id: expert for expert in experts}
    problems: list[str] = []
    added: Counter[int] = Counter()
    for application_id, expert_ids in result.pairs.items():
        application = apps.get(application_id)
        if application is None:
            problems.append(f"申请 {application_id} 不在待分配申请中")
            continue
        if len(expert_ids) > application.experts_needed:
            problems.append(f"申请 {application_id} 需 {application.experts_needed} 名专家，"
                            f"却分配了 {len(expert_ids)} 名")
        seen: set[int] = set()
        for expert_id in expert_ids:
            if expert_id in seen:
                problems.append(f"专家 {expert_id} 在申请 {application_id} 中重复分配")
                continue
            seen.add(expert_id)
            expert = pool.get(expert_id)
            if expert is None:
                problems.append(f"申请 {application_id} 分配了不在专家库中的专家 {expert_id}")
                continue
            added[expert_id] += 1
            for reason in _broken_rules(expert, application):
                problems.append(f"申请 {application_id} 分配了专家 {expert_id}：{reason}")
    for application_id, missing in result.shortfalls.items():
        if application_id not in apps:
            problems.append(f"缺额记录中的申请 {application_id} 不在待分配申请中")
        elif missing <= 0:
            problems.append(f"申请 {application_id} 的缺额应为正数，结果为 {missing}")
    for application in apps.values():
        assigned = len(result.pairs.get(application.id, ()))
        missing = result.shortfalls.get(application.id, 0)
        if assigned + missing != application.experts_needed:
            problems.append(f"申请 {application.id} 已分配 {assigned} 名、缺额 {missing} 名，"
                            f"与所需 {application.experts_needed} 名不符")
    for expert_id, expert in pool.items():
        final = expert.load + added[expert_id]
        if added[expert_id] and final > expert.cap:
            problems.append(f"专家 {expert_id} 负荷 {final} 超过上限 {expert.cap}")
        if result.loads.get(expert_id) != final:
            problems.append(f"专家 {expert_id} 负荷应为 {final}，结果为 {result.loads.get(expert_id)}")
    return problems


# ---- synthetic pool (tests and benchmarks) ----

SPECIALTY_NAMES = (
    "心血管内科", "呼吸内科", "消化内科", "神经内科", "肾内科", "内分泌科", "血液科", "感染科", "普外科", "骨科",
    "神经外科", "心胸外科", "泌尿外科", "妇产科", "儿科", "眼科", "耳鼻咽喉科", "口腔科", "皮肤科", "精神科",
    "肿瘤科", "麻醉科", "急诊医学", "重症医学", "康复医学", "放射科", "超声医学", "检验医学", "病理科", "药学",
    "护理学", "中医内科", "中医外科", "针灸推拿", "公共卫生", "流行病学", "卫生管理", "营养学", "全科医学", "老年医学",
    "生物统计", "健康教育", "妇幼保健", "职业卫生", "环境卫生", "疾病预防控制", "卫生信息", "医学伦理", "医院感染管理",
    "输血医学",
)
DECLARED_CONFLICT_RATE = 0.02
REASSIGNMENT_RATE = 0.05
EXPERT_PERSON_OFFSET = 1_000_000
OTHER_PERSON_OFFSET = 5_000_000


def _skewed_cum_weights(count: int, exponent: float) -> list[float]:
    """Cumulative Zipf-like weights: a few popular values, a long tail of scarce ones."""
    total, cumulative = 0.0, []
    for position in range(1, count + 1):
        total += position ** -exponent
        cumulative.append(total)
    return cumulative


def _bernoulli_positions(rng: random.Random, count: int, rate: float) -> Iterator[int]:
    """Positions below `count`, each kept with probability `rate`, by geometric skips: cost follows the hits,
    not `count`."""
    log_miss = math.log(1 - rate)
    position = -1
    while True:
        position += 1 + int(math.log(1 - rng.random()) / log_miss)
        if position >= count:
            return
        yield position


def synthetic_pool(applications: int, experts: int, *, seed: int) -> tuple[list[ApplicationNeed],
                                                                          list[ExpertCandidate]]:
    """A realistic random pool, reproducible from `seed`; synthetic people only.

    10–50 specialties and ~experts/10 institutions (at least 3), both skewed in size; experts hold 1–3
    specialties, cap 5–10, 0–2 earlier assignments, and 70% are also health workers. Each application has a
    team of 3–8 people (a quarter of them experts, mostly of the same specialty; other members mostly from the
    PI's institution); ~2% of expert–application pairs sharing a specialty are declared conflicts; ~5% of
    applications are reassignment rounds with 1–3 experts already on them and needing the rest of 5.
    """
    rng = random.Random(seed)
    specialties = SPECIALTY_NAMES[:rng.randint(10, len(SPECIALTY_NAMES))]
    specialty_weights = _skewed_cum_weights(len(specialties), 0.8)
    institution_ids = list(range(1, max(3, experts // 10) + 1))
    institution_weights = _skewed_cum_weights(len(institution_ids), 0.5)

    def institution() -> int:
        return rng.choices(institution_ids, cum_weights=institution_weights)[0]

    rows = []  # mutable expert fields, frozen once applications have added declarations and loads
    for expert_id in range(1, experts + 1):
        cap = rng.randint(5, 10)
        rows.append(dict(
            id=expert_id, institution_id=institution(),
            specialties=frozenset(rng.choices(specialties, cum_weights=specialty_weights,
                                              k=rng.randint(1, 3))),
            load=rng.choice((0, 0, 0, 1, 2)), cap=cap,
            person_id=EXPERT_PERSON_OFFSET + expert_id if rng.random() < 0.7 else None,
            declared_conflicts=set(),
        ))
    by_specialty: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        for specialty in sorted(row["specialties"]):
            by_specialty[specialty].append(row)
    workers = [row for row in rows if row["person_id"] is not None]
    workers_by_specialty = {s: [row for row in members if row["person_id"] is not None]
                            for s, members in by_specialty.items()}

    needs = []
    for application_id in range(1, applications + 1):
        specialty = rng.choices(specialties, cum_weights=specialty_weights)[0]
        pi_institution = institution()
        team_size = rng.randint(3, 8)
        persons: set[int] = set()
        institutions = {pi_institution}
        while len(persons) < team_size:
            if workers and len(persons) > 0 and rng.random() < 0.25:
                same_field = workers_by_specialty.get(specialty)
                member = rng.choice(same_field if same_field and rng.random() < 0.6 else workers)
                persons.add(member["person_id"])
                institutions.add(member["institution_id"])
            else:
                persons.add(OTHER_PERSON_OFFSET + rng.randrange(max(1, experts) * 20))
                institutions.add(pi_institution if rng.random() < 0.6 else institution())
        matching = by_specialty.get(specialty, [])
        for position in _bernoulli_positions(rng, len(matching), DECLARED_CONFLICT_RATE):
            matching[position]["declared_conflicts"].add(application_id)
        already: set[int] = set()
        if matching and rng.random() < REASSIGNMENT_RATE:
            for row in rng.sample(matching, min(len(matching), 3))[:rng.randint(1, 3)]:
                clean = (row["institution_id"] not in institutions and row["person_id"] not in persons
                         and application_id not in row["declared_conflicts"])
                if clean and row["load"] < row["cap"]:
                    row["load"] += 1
                    already.add(row["id"])
        needs.append(ApplicationNeed(
            id=application_id, specialty=specialty, institution_ids=frozenset(institutions),
            team_person_ids=frozenset(persons), experts_needed=5 - len(already),
            already_assigned=frozenset(already),
        ))
    pool = [ExpertCandidate(**{**row, "declared_conflicts": frozenset(row["declared_conflicts"])})
            for row in rows]
    return needs, pool

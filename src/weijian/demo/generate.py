"""Write the demo city through the real services: divisions, institutions, workers, demo accounts.

Idempotent: everything is derived from the seed, rows that exist are skipped (divisions by code,
institutions by credit code, accounts by username) and workers go through `worker_bulk_upsert`,
which reports an identical row as unchanged. The commission information centre's demo account is
the actor of every write, so the audit log shows who built the city.
"""

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from weijian.accounts import services as account_services
from weijian.accounts.models import User
from weijian.accounts.roles import Role
from weijian.demo.city import CITY, DEMO_DISTRICT, DISTRICTS, PROVINCE
from weijian.demo.cme import generate_cme
from weijian.demo.institutions import DEFAULT_INSTITUTIONS, InstitutionSpec, plan_institutions
from weijian.demo.quality import generate_quality
from weijian.demo.records import DEFAULT_RESIDENTS, RecordsSummary, generate_records
from weijian.demo.research import generate_research
from weijian.demo.research_ethics import generate_ethics
from weijian.demo.targets import generate_targets
from weijian.demo.users import DEMO_PASSWORD, DEMO_USERS
from weijian.demo.workers import DEFAULT_WORKERS, WorkerRow, generate_workers
from weijian.orgs import services as org_services
from weijian.orgs.models import Division, DivisionLevel, Institution
from weijian.workforce import services as workforce_services
from weijian.workforce.models import Worker

BATCH = 2000  # workers per bulk upsert: bounded memory, few queries
DEFAULT_SEED = 2026


@dataclass
class CitySummary:
    divisions: int = 0
    institutions: int = 0
    workers_created: int = 0
    workers_unchanged: int = 0
    users: int = 0
    records: RecordsSummary | None = None
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)


def city_exists() -> bool:
    """Whether the database already holds a city (the demo's or real data): then `weijian demo`
    does not generate one."""
    return Division.objects.filter(pk=CITY[0]).exists() or Institution.objects.exists()


def _user(spec, **anchors) -> tuple[User, bool]:
    existing = User.objects.filter(username=spec.username).first()
    if existing:
        return existing, False
    display_name = spec.display_name or str(anchors.get("worker", ""))
    user = account_services.user_create(
        actor=None, bootstrap=True, username=spec.username, password=DEMO_PASSWORD,
        display_name=display_name, role=spec.role, **anchors)
    return user, True


def _divisions(actor, summary: CitySummary) -> dict[str, Division]:
    existing = {d.code: d for d in Division.objects.filter(code__in=[PROVINCE[0], CITY[0],
                                                                       *(d.code for d in DISTRICTS)])}

    def ensure(code, name, level, parent):
        if code not in existing:
            existing[code] = org_services.division_create(actor=actor, code=code, name=name, level=level,
                                                          parent=parent)
            summary.divisions += 1
        return existing[code]

    province = ensure(*PROVINCE, DivisionLevel.PROVINCE, None)
    city = ensure(*CITY, DivisionLevel.CITY, province)
    return {d.code: ensure(d.code, d.name, DivisionLevel.DISTRICT, city) for d in DISTRICTS}


def _institutions(actor, specs: list[InstitutionSpec], districts, summary) -> dict[str, Institution]:
    existing = {i.uscc: i for i in Institution.objects.filter(uscc__in=[s.uscc for s in specs])}
    by_key = {}
    for spec in specs:
        institution = existing.get(spec.uscc)
        if institution is None:
            institution = org_services.institution_create(
                actor=actor, uscc=spec.uscc, name=spec.name, type=spec.type, grade=spec.grade,
                ownership=spec.ownership, division=districts[spec.district_code])
            summary.institutions += 1
        by_key[spec.key] = institution
    return by_key


def _workers(actor, rows, institutions: dict[str, Institution], summary: CitySummary, today) -> WorkerRow:
    """Upsert all rows in batches; return the row of the demo health worker: the first doctor of
    the first institution (the demo district's 人民医院), else its first worker."""
    first, batch = None, []

    def flush():
        result = workforce_services.worker_bulk_upsert(actor=actor, rows=batch)
        summary.workers_created += result.created
        summary.workers_unchanged += result.unchanged + result.updated
        batch.clear()

    for row in rows:
        if first is None or (first.profession != "doctor" and row.institution_key == first.institution_key
                             and row.profession == "doctor"):
            first = row
        batch.append(workforce_services.worker_clean(
            actor=actor, name=row.name, id_number=row.id_number, institution=institutions[row.institution_key],
            profession=row.profession, title_level=row.title_level, practising_since=row.practising_since,
            status=row.status, today=today))
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    return first


def generate_city(
    *, workers: int = DEFAULT_WORKERS, institutions: int = DEFAULT_INSTITUTIONS, seed: int = DEFAULT_SEED,
    residents: int | None = None, progress: Callable[[str], None] | None = None,
) -> CitySummary:
    """Build (or complete) the demo city; safe to run again with the same arguments. `residents` (synthetic
    residents with health records): by default DEFAULT_RESIDENTS for a full-size city (workers >=
    DEFAULT_WORKERS) and none for a reduced one; they are written once (see `demo.records`)."""
    say = progress or (lambda message: None)
    summary = CitySummary()
    started = time.monotonic()
    today = dt.date.today()

    def lap(name: str, since: float) -> float:
        now = time.monotonic()
        summary.timings[name] = round(now - since, 2)
        return now

    specs = plan_institutions(institutions, seed=seed)
    users = {u.role: u for u in DEMO_USERS}
    with transaction.atomic():
        info, created = _user(users[Role.COMMISSION_INFO])
        summary.users += created
        districts = _divisions(info, summary)
        by_key = _institutions(info, specs, districts, summary)
        t = lap("divisions+institutions", started)
        say(f"{len(districts)} 个区县、{len(by_key)} 家机构 / districts, institutions "
            f"({summary.timings['divisions+institutions']}s)")
        first = _workers(info, generate_workers(specs, workers, seed=seed, today=today), by_key, summary, today)
        t = lap("workers", t)
        say(f"{workers} 名卫生人员 / health workers ({summary.timings['workers']}s)")
        anchors = {
            "district": {"district": districts[DEMO_DISTRICT]},
            "institution": {"institution": by_key[specs[0].key]},
            "worker": {"worker": _worker_of(first)} if first else {},
        }
        for spec in DEMO_USERS:
            if spec.anchor and not anchors[spec.anchor]:
                continue  # a city without workers has no demo health worker
            user, created = _user(spec, **anchors.get(spec.anchor, {}))
            summary.users += created
        t = lap("users", t)
        cme = generate_cme(actor=User.objects.get(username="commission_science"), seed=seed,
                           institutions=institutions, today=today)
        lap("cme", t)
        if not cme.skipped:
            say(f"继续医学教育：{cme.projects} 个项目、{cme.attendances} 条参加记录、{cme.credits} 条学分记录 / "
                f"CME projects, attendance, credits ({summary.timings['cme']}s)")
        t = time.monotonic()
        research = generate_research(actor=User.objects.get(username="commission_science"), seed=seed, today=today)
        if not research.skipped:
            generate_ethics(actor=User.objects.get(username="commission_science"), seed=seed, today=today)
        lap("research", t)
        if not research.skipped:
            say(f"科研项目：{research.calls} 个申报通知、{research.applications} 份申报书、{research.experts} 名专家 / "
                f"research calls, applications, experts ({summary.timings['research']}s)")
    # Records commit per round of residents, outside the city's transaction (a million resources).
    if residents is None:
        residents = DEFAULT_RESIDENTS if workers >= DEFAULT_WORKERS else 0
    if residents > 0:
        t = time.monotonic()
        summary.records = records = generate_records(actor=info, seed=seed, today=today, residents=residents, say=say)
        lap("records", t)
        if not records.skipped:
            say(f"健康档案：{records.residents} 名居民、{sum(records.uploads.values())} 个上传批次、"
                f"{records.resources['created']} 条资源 / residents, uploads, resources ({summary.timings['records']}s)")
        if records.showcase:
            say(f"展示居民 / showcase resident: {records.showcase}（{'、'.join(records.showcase_institutions)}；"
                f"以 worker_jinjiang 登录 → 健康档案 → 检索病案号 {records.showcase_number}）")
    t = time.monotonic()
    checked = generate_quality(actor=info)
    lap("dq", t)
    if checked:
        say(f"数据质控：{checked.rules} 条规则、{checked.resources} 条资源 / data-quality run ({summary.timings['dq']}s)")
    t = time.monotonic()
    targets = generate_targets(actor=User.objects.get(username="commission_science"), today=today)
    lap("targets", t)
    if not targets.skipped:
        say(f"目标考核：{targets.items} 项指标、{targets.units} 个考核单位 / work plan and assessment "
            f"({summary.timings['targets']}s)")
    summary.seconds = round(time.monotonic() - started, 2)
    return summary


def _worker_of(row: WorkerRow) -> Worker:
    index = workforce_services.id_number_index(row.id_number)
    return Worker.objects.get(id_number_index=index)

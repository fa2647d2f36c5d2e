"""Benchmark: compute a full work plan for a whole city — every declared indicator, every district and
institution — on SQLite and PostgreSQL.

    uv run python benchmarks/targets.py                  # 70,000 workers, 2,000,000 credits, 5,000 projects
    uv run python benchmarks/targets.py --quick          # 3,000 workers, 100,000 credits, 300 projects (< 1 min)
    uv run python benchmarks/targets.py --engine sqlite  # sqlite | postgres | both (default)

For each engine, in a child process: a fresh database (an SQLite file in a temporary directory, or a
throwaway PostgreSQL database at postgres://postgres@127.0.0.1:5432, dropped afterwards), migrated; the
demo city's 20 districts and institutions, and its workers from the demo's generator written in bulk
(`worker_bulk_upsert`, encrypted ID numbers); CME requirements for the year; verified credit records
(classes I/II, remote and face-to-face, spread over the active workers) and research projects (one call;
projects funded over the last three years, some closed, some won at provincial level) written with
`bulk_create` (setting up is not what is measured). Then a work plan with every indicator of
`targets.registry` (equal weights, targets at the city, district and institution levels) is frozen and
`targets.services.run_assessment` is timed: every indicator computed for the whole city, rolled up,
scored, ranked and stored as a snapshot. It runs three times after ANALYZE (VACUUM ANALYZE on
PostgreSQL); the figure is the median. Goal: <= 5 s.

Prints a table, then as the LAST line one JSON object with the figures and the goal.
"""

import argparse
import datetime as dt
import json
import random
import statistics
import time
from decimal import Decimal

import _harness

GOAL_S = 5.0
FULL = {"workers": 70_000, "credits": 2_000_000, "projects": 5_000}
QUICK = {"workers": 3_000, "credits": 100_000, "projects": 300}
RUNS = 3
BATCH = 20_000


def child(engine: str, workers: int, credits: int, projects: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from weijian.cme.models import CreditRecord
    from weijian.research.models import Application, Call
    from weijian.targets import services as target_services
    from weijian.targets.registry import all_indicators
    from weijian.workforce.models import Worker

    call_command("migrate", verbosity=0)
    today = dt.date.today()
    year = today.year
    rng = random.Random(2026)
    figures: dict = {"engine": engine, "vendor": connection.vendor, "workers": workers}
    mark = time.perf_counter()
    info, science, rows = _harness.city_with_workers(workers=workers, year=year, today=today)
    del rows
    active = list(Worker.objects.filter(status="active").values_list("pk", "institution_id"))
    figures["active_workers"] = len(active)

    # credits: about credits / active per worker, some workers with none at all (coverage below 100%)
    def credit_rows():
        for n in range(credits):
            worker_id, _institution = active[rng.randrange(len(active) * 9 // 10)]
            remote = rng.random() < 0.3
            yield CreditRecord(
                worker_id=worker_id, year=year, credit_class="I" if rng.random() < 0.45 else "II",
                category="remote" if remote else "self_study", credits=Decimal(rng.choice((1, 2, 3, 5))) / 2,
                earned_on=dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(min(300, today.timetuple().tm_yday))),
                is_remote=remote, source="import", external_ref=f"B{n}", status="verified", stage="done")

    batch: list = []
    for record in credit_rows():
        batch.append(record)
        if len(batch) == BATCH:
            CreditRecord.objects.bulk_create(batch)
            batch.clear()
    CreditRecord.objects.bulk_create(batch)

    call = Call.objects.create(year=year - 2, title="基准测试申报通知", category="general",
                               budget_ceiling=Decimal(50), opens_on=dt.date(year - 3, 1, 1),
                               closes_on=dt.date(year - 3, 3, 1), status="closed", created_by=science)
    now = dt.datetime.now(dt.UTC)
    applications = []
    for n in range(projects):
        pi_id, institution_id = active[rng.randrange(len(active))]
        decided = now - dt.timedelta(days=rng.randrange(3 * 365))
        status = rng.choice(("approved", "executing", "closed", "closed", "terminated"))
        won = rng.random() < 0.05
        applications.append(Application(
            call=call, number=f"BENCH-{n:06d}", title=f"基准测试项目{n}", specialty="临床医学", pi_id=pi_id,
            institution_id=institution_id, status=status, decided_at=decided, funded_amount=Decimal(20),
            external_result="won" if won else "", external_decided_on=decided.date() if won else None))
    Application.objects.bulk_create(applications, batch_size=2000)
    figures["setup_s"] = round(time.perf_counter() - mark, 1)
    figures.update(credits=CreditRecord.objects.count(), projects=Application.objects.count())

    indicators = all_indicators()
    plan = target_services.create_plan(actor=science, year=year, title="基准测试工作计划")
    weights = _weights(len(indicators))
    for (code, indicator), weight in zip(indicators.items(), weights, strict=True):
        item = target_services.add_item(actor=science, plan=plan, indicator_code=code, weight=weight, rule="linear")
        target, floor = ("0.95", "0.5") if indicator.kind == "rate" else ("20", "0")
        for level in ("city", "district", "institution"):
            target_services.set_target(actor=science, item=item, level=level, target=target, floor=floor)
    plan = target_services.freeze_plan(actor=science, plan=plan)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        assessment = target_services.run_assessment(actor=science, plan=plan, today=today)
        times.append(time.perf_counter() - started)
    figures.update(
        indicators=len(indicators), units=assessment.totals.count(), values=assessment.values.count(),
        runs_s=[round(t, 2) for t in times], seconds=round(statistics.median(times), 2),
        city_score=str(assessment.totals.get(level="city").score))
    return figures


def _weights(n: int) -> list[str]:
    """n weights of two decimals adding up to exactly 100."""
    base = (Decimal(100) / n).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    weights = [base] * n
    weights[-1] += Decimal(100) - base * n
    return [str(w) for w in weights]


def run_engine(engine: str, sizes: dict) -> dict:
    return _harness.run_in_fresh_database(
        engine, __file__, ["--workers", str(sizes["workers"]), "--credits", str(sizes["credits"]),
                           "--projects", str(sizes["projects"])], "weijian-bench-targets-")



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the city (under a minute)")
    parser.add_argument("--engine", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--child")
    parser.add_argument("--workers", type=int)
    parser.add_argument("--credits", type=int)
    parser.add_argument("--projects", type=int)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.workers, args.credits, args.projects), ensure_ascii=False))
        return
    sizes = QUICK if args.quick else FULL
    engines = ("sqlite", "postgres") if args.engine == "both" else (args.engine,)
    results = {engine: run_engine(engine, sizes) for engine in engines}
    print(f"{'engine':<10} {'workers':>8} {'credits':>10} {'projects':>9} {'indicators':>10} {'units':>6} "
          f"{'seconds':>8}  runs")
    for engine, r in results.items():
        if "skipped" in r:
            print(f"{engine:<10} skipped: {r['skipped']}")
            continue
        print(f"{engine:<10} {r['workers']:>8,} {r['credits']:>10,} {r['projects']:>9,} {r['indicators']:>10} "
              f"{r['units']:>6} {r['seconds']:>8}  {r['runs_s']}")
    measured = [r for r in results.values() if "seconds" in r]
    summary = {"sizes": sizes, "quick": args.quick, "goal_s": GOAL_S, "results": results,
               "goal_met": bool(measured) and all(r["seconds"] <= GOAL_S for r in measured)}
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()

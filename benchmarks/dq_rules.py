"""Benchmark: run every default data-quality rule over 1,000,000 stored resources, SQLite and PostgreSQL.

    uv run python benchmarks/dq_rules.py                  # 1,000,000 resources
    uv run python benchmarks/dq_rules.py --quick          # 100,000 resources (< 1 min per engine)
    uv run python benchmarks/dq_rules.py --engine sqlite  # sqlite | postgres | both (default)

For each engine, in a child process: a fresh database (an SQLite file in a temporary directory, or a
throwaway PostgreSQL database at postgres://postgres@127.0.0.1:5432, dropped afterwards), migrated; the demo
city's institutions with 40 record sources; synthetic FHIR resources written into the record store's table
in bulk (20% Patient, 30% Encounter, 50% Observation: blood-pressure panels and single values; a few percent
of them with the errors the rules look for: missing or invalid codes, swapped pressures, discharge before
admission, late uploads, duplicates, outlying values). Setting up is not measured.

Measured: `dq.loading.stored_resources` (the whole table read in chunks into one frame) and
`dq.engine.check` with `dq.defaults.DEFAULT_RULES` (17 rules of all six kinds), counts per rule and source.
Resources per second = resources / (load + check). Goal: >= 50,000/s. For contrast, in the same run, the
same rules (outliers left out: they need the whole source) judged by a Python loop per record
(`Element.read` + `Rule.evaluate`) on a sample of 20,000 resources.

Prints a table, then as the LAST line one JSON object with the figures and the goal.
"""

import argparse
import datetime as dt
import hashlib
import json
import random
import time
import uuid

import _harness

GOAL_PER_S = 50_000
FULL, QUICK = 1_000_000, 100_000
SOURCES = 40
LOOP_SAMPLE = 20_000
BATCH = 10_000
UTC8 = dt.timezone(dt.timedelta(hours=8))


def _bp(rng):
    systolic, diastolic = rng.randrange(95, 170), rng.randrange(55, 100)
    if rng.random() < 0.02:
        systolic, diastolic = diastolic, systolic
    if rng.random() < 0.002:
        systolic = rng.choice((20, 400))
    return [{"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
             "valueQuantity": {"value": systolic, "unit": "mm[Hg]"}},
            {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]},
             "valueQuantity": {"value": diastolic, "unit": "mm[Hg]"}}]


def resource(n: int, rng: random.Random, stored: dt.datetime) -> dict:
    roll = rng.random()
    if roll < 0.2:
        body = {"resourceType": "Patient", "id": f"p{n}", "gender": rng.choice(("male", "female")),
                "birthDate": f"{rng.randrange(1930, 2025)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
                "name": [{"text": "某某"}], "telecom": [{"system": "phone", "value": f"13{rng.randrange(10**9):09d}"}]}
        if rng.random() < 0.03:
            body["gender"] = rng.choice(("M", "女", ""))
        if rng.random() < 0.03:
            del body["birthDate"]
        return body
    start = stored - dt.timedelta(hours=rng.choice((2, 6, 12, 20, 30, 80)) if rng.random() < 0.1 else 3)
    if roll < 0.5:
        end = start + dt.timedelta(hours=rng.randrange(1, 48))
        if rng.random() < 0.02:
            end = start - dt.timedelta(hours=5)
        return {"resourceType": "Encounter", "id": f"e{n}", "status": "finished",
                "class": {"code": rng.choice(("AMB", "AMB", "IMP", "EMER")) if rng.random() > 0.01 else "门诊"},
                "period": {"start": start.isoformat(), "end": end.isoformat()},
                "subject": {"reference": f"Patient/p{rng.randrange(max(1, n // 5) + 1)}"}}
    body = {"resourceType": "Observation", "id": f"o{n}", "status": "final",
            "subject": {"reference": f"Patient/p{rng.randrange(max(1, n // 5) + 1)}"},
            "effectiveDateTime": start.isoformat()}
    if rng.random() < 0.5:
        body["code"] = {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]}
        body["component"] = _bp(rng)
    else:
        body["code"] = {"coding": [{"system": "http://loinc.org", "code": "2345-7"}]}
        body["valueQuantity"] = {"value": round(rng.gauss(5.5, 0.8) if rng.random() > 0.003 else 55.0, 2),
                                 "unit": "mmol/L"}
    return body


def child(engine: str, count: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from weijian.accounts import services as account_services
    from weijian.accounts.roles import Role
    from weijian.demo.generate import CitySummary, _divisions, _institutions
    from weijian.demo.institutions import DEFAULT_INSTITUTIONS, plan_institutions
    from weijian.dq import engine as dq_engine
    from weijian.dq.defaults import DEFAULT_RULES
    from weijian.dq.elements import ELEMENTS
    from weijian.dq.loading import stored_resources
    from weijian.records.models import Resource, Source

    call_command("migrate", verbosity=0)
    figures: dict = {"engine": engine, "vendor": connection.vendor}
    mark = time.perf_counter()
    info = account_services.user_create(actor=None, bootstrap=True, username="bench_info",
                                        password=f"Bench-{uuid.uuid4().hex[:12]}!", role=Role.COMMISSION_INFO)
    specs = plan_institutions(DEFAULT_INSTITUTIONS, seed=2026)
    with transaction.atomic():
        by_key = _institutions(info, specs, _divisions(info, CitySummary()), CitySummary())
    institutions = list(by_key.values())[:SOURCES]
    sources = [Source.objects.create(code=f"BENCH{i:02d}", name=f"基准来源{i}", kind="hospital", institution=inst,
                                     allowed_types=["Patient", "Encounter", "Observation"])
               for i, inst in enumerate(institutions)]
    rng = random.Random(20261123)
    stored = dt.datetime(2026, 11, 20, 12, tzinfo=UTC8)
    batch = []
    for n in range(count):
        body = resource(n, rng, stored)
        if body["resourceType"] == "Encounter" and rng.random() < 0.01 and batch:
            previous = json.loads(batch[-1].content)  # a duplicate of the one before
            if previous["resourceType"] == "Encounter":
                body = {**previous, "id": f"e{n}"}
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        source = sources[n % len(sources)]
        batch.append(Resource(type=body["resourceType"], fhir_id=body["id"], version=1, updated=stored,
                              content=content, content_hash=hashlib.sha256(content.encode()).hexdigest(),
                              source=source, institution_id=source.institution_id))
        if len(batch) == BATCH:
            Resource.objects.bulk_create(batch)
            batch = []
    Resource.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    figures["setup_s"] = round(time.perf_counter() - mark, 1)

    started = time.perf_counter()
    frame = stored_resources()
    loaded = time.perf_counter()
    result = dq_engine.check(frame, DEFAULT_RULES)
    checked = time.perf_counter()
    load_s, check_s = loaded - started, checked - loaded
    failed = sum(c.failed for c in result.counts.values())
    judged = sum(c.checked for c in result.counts.values())
    figures.update(resources=len(frame), rules=len(DEFAULT_RULES), load_s=round(load_s, 2),
                   check_s=round(check_s, 2), seconds=round(load_s + check_s, 2),
                   resources_per_s=round(len(frame) / (load_s + check_s)),
                   check_only_per_s=round(len(frame) / check_s), judgements=judged, failures=failed,
                   failure_share=round(failed / judged, 4) if judged else None,
                   by_type=result.resources)

    # the contrast: a Python loop per record over a sample, the same rules (outliers need a whole source)
    sample = frame.head(LOOP_SAMPLE)
    per_record = [spec for spec in DEFAULT_RULES if spec.kind not in ("outlier", "uniqueness")]
    started = time.perf_counter()
    for kind, content, updated in zip(sample["type"], sample["content"], sample["updated"], strict=True):
        body = json.loads(content)
        for spec in per_record:
            if spec.resource_type != kind:
                continue
            values = {code: ELEMENTS[code].read(body) for code in spec.elements}
            if spec.expression is not None:
                spec.expression.evaluate(values)
            elif spec.kind == "timeliness" and values[spec.element] is not None:
                _late = (updated.to_pydatetime() - values[spec.element]).total_seconds() > spec.limit_hours * 3600
            elif spec.kind == "validity" and values[spec.element] is not None and spec.values:
                _valid = values[spec.element] in spec.values
    loop_s = time.perf_counter() - started
    figures["python_loop_per_s"] = round(len(sample) / loop_s)
    return figures


def run_engine(engine: str, count: int) -> dict:
    return _harness.run_in_fresh_database(engine, __file__, ["--count", str(count)], "weijian-bench-dq-")



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 resources (under a minute per engine)")
    parser.add_argument("--engine", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--child")
    parser.add_argument("--count", type=int)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.count), ensure_ascii=False))
        return
    count = QUICK if args.quick else FULL
    engines = ("sqlite", "postgres") if args.engine == "both" else (args.engine,)
    results = {engine: run_engine(engine, count) for engine in engines}
    print(f"{'engine':<10} {'resources':>10} {'rules':>6} {'load s':>7} {'check s':>8} {'per s':>9} "
          f"{'loop per s':>11} {'failures':>9}")
    for engine, r in results.items():
        if "skipped" in r:
            print(f"{engine:<10} skipped: {r['skipped']}")
            continue
        print(f"{engine:<10} {r['resources']:>10,} {r['rules']:>6} {r['load_s']:>7} {r['check_s']:>8} "
              f"{r['resources_per_s']:>9,} {r['python_loop_per_s']:>11,} {r['failure_share']:>9}")
    measured = [r for r in results.values() if "resources_per_s" in r]
    print(json.dumps({"resources": count, "quick": args.quick, "goal_per_s": GOAL_PER_S, "results": results,
                      "goal_met": bool(measured) and all(r["resources_per_s"] >= GOAL_PER_S for r in measured)},
                     ensure_ascii=False))


if __name__ == "__main__":
    main()

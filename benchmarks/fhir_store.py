"""Benchmark: the FHIR store's read paths and concurrent transactions, on PostgreSQL and SQLite.

    uv run python benchmarks/fhir_store.py            # stores of 100,000 and 1,000,000 resources
    uv run python benchmarks/fhir_store.py --quick    # a store of 20,000 resources (under a minute)
    uv run python benchmarks/fhir_store.py --sizes 3000000 --engines postgresql

For each engine and store size, in a fresh database (a child process each, so memory is its own):
- the store is filled with synthetic residents (a Patient, encounters, vital-sign observations, conditions,
  prescriptions; ~20 resources each) written by the store's own engine (`store.apply_changes`, the code
  every upload path ends in), plus one resident with 2,000 resources;
- (3) `GET /fhir/Patient/<id>/$everything?_count=1000` for that resident, paging to the end (p95 per page and
  per whole record; goal p95 ≤ 100 ms per page on PostgreSQL);
- (4) `GET /fhir/Observation?subject=Patient/<id>&code=http://loinc.org|8480-6&date=ge2023-01-01` for random
  residents (p95; goal ≤ 20 ms);
- (2) 8 concurrent clients (processes, as gunicorn workers would be) each posting transaction Bundles of 100
  entries (goal ≥ 2,000 resources/s).
Requests go through Django's full stack in-process (URL routing, token authentication, the access gate,
audit rows, JSON rendering), without a network hop. HAPI FHIR is not installed on this machine, so it is
not measured here; see docs/records.md for what its users report.
The 10,000,000-resource store of the issue does not fit this machine's time budget: the figures at two sizes
show how each one grows. Prints a line per measurement, then as the LAST line one JSON object.
"""

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import ROOT, child_env, pg_create, pg_drop, pg_url, run_child  # noqa: E402

GOALS = {"everything_p95_ms": 100, "search_p95_ms": 20, "transaction_resources_per_s": 2000}
LOINC = "http://loinc.org"


def _p95(values):
    ordered = sorted(values)
    return round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 2)


def _resident(rng, n, big=False):
    """A resident's resources (PUT with stable ids) for the store."""
    pid = f"bench-p{n}"
    out = [{"resourceType": "Patient", "id": pid, "gender": rng.choice(["male", "female"]),
            "birthDate": f"{rng.randint(1930, 2010)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
            "identifier": [{"system": "http://bench.local/patient", "value": f"P{n}"}],
            "name": [{"family": "张", "given": [f"{n}"]}]}]
    visits = 200 if big else 3
    for v in range(visits):
        day = f"{rng.randint(2018, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        eid = f"{pid}-e{v}"
        out.append({"resourceType": "Encounter", "id": eid, "status": "finished",
                    "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
                    "subject": {"reference": f"Patient/{pid}"}, "period": {"start": day, "end": day}})
        for k, (code, value) in enumerate((("8480-6", rng.randint(100, 180)), ("8462-4", rng.randint(60, 110)),
                                           ("29463-7", rng.randint(45, 95)), ("8867-4", rng.randint(55, 100)))
                                          + ((("14771-0", rng.randint(4, 12)),) * (4 if big else 0))):
            out.append({"resourceType": "Observation", "id": f"{eid}-o{k}", "status": "final",
                        "code": {"coding": [{"system": LOINC, "code": code}]},
                        "subject": {"reference": f"Patient/{pid}"}, "encounter": {"reference": f"Encounter/{eid}"},
                        "effectiveDateTime": f"{day}T09:00:00+08:00", "valueQuantity": {"value": value}})
    for c in range(2 if not big else 1):
        out.append({"resourceType": "Condition", "id": f"{pid}-c{c}", "subject": {"reference": f"Patient/{pid}"},
                    "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": rng.choice(["I10", "E11.9"])}]},
                    "onsetDateTime": "2019-05-01"})
    for m in range(2 if not big else 0):
        out.append({"resourceType": "MedicationRequest", "id": f"{pid}-m{m}", "status": "active", "intent": "order",
                    "subject": {"reference": f"Patient/{pid}"},
                    "medicationCodeableConcept": {"text": rng.choice(["氨氯地平片", "二甲双胍片", "阿司匹林肠溶片"])},
                    "authoredOn": "2024-01-02"})
    return out


def _setup_world():
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from weijian.accounts import services as accounts
    from weijian.accounts.roles import Role
    from weijian.orgs.models import Division, DivisionLevel, Institution
    from weijian.records import sources

    city = Division.objects.create(code="510100", name="成都市", level=DivisionLevel.CITY)
    district = Division.objects.create(code="510104", name="锦江区", level=DivisionLevel.DISTRICT, parent=city)
    hospital = Institution.objects.create(uscc="12510100000000001N", name="基准医院", type="general_hospital",
                                          ownership="public", division=district, district=district)
    import secrets

    info = accounts.user_create(actor=None, username="bench_info", password=f"Bn-{secrets.token_urlsafe(16)}-7",
                                bootstrap=True, role=Role.COMMISSION_INFO)
    return sources.source_register(actor=info, institution=hospital)


def _fill(source, size, rng):
    from django.db import transaction

    from weijian.records import store

    big = _resident(rng, 0, big=True)
    written, n, chunk = 0, 1, list(big)
    started = time.perf_counter()
    while written + len(chunk) < size:
        chunk += _resident(rng, n)
        n += 1
        if len(chunk) >= 5000:
            with transaction.atomic():
                store.apply_changes([store.Change(r["resourceType"], r["id"], r) for r in chunk], source=source,
                                    institution_id=source.institution_id)
            written += len(chunk)
            chunk = []
    if chunk:
        with transaction.atomic():
            store.apply_changes([store.Change(r["resourceType"], r["id"], r) for r in chunk], source=source,
                                institution_id=source.institution_id)
        written += len(chunk)
    elapsed = time.perf_counter() - started
    print(f"  filled {written:,} resources ({n:,} residents) in {elapsed:.1f} s ({written / elapsed:,.0f}/s)")
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return written, n


def _client(source):
    from django.test import Client

    from weijian.accounts.services import api_token_issue

    _token, raw = api_token_issue(user=source.account, name="bench")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def _everything(client, rounds):
    pages, records, count = [], [], 0
    for _ in range(rounds):
        url, server, count = "/fhir/Patient/bench-p0/$everything?_count=1000", 0.0, 0
        while url:
            t = time.perf_counter()
            response = client.get(url)
            pages.append(time.perf_counter() - t)
            server += pages[-1]
            assert response.status_code == 200, response.content[:300]
            body = response.json()  # the client's parsing is not the server's time
            count += len(body.get("entry", []))
            url = next((link["url"].removeprefix("http://testserver") for link in body["link"]
                        if link["relation"] == "next"), None)
        records.append(server)
    return _p95(pages), _p95(records), count


def _search(client, residents, rng, rounds):
    times = []
    for _ in range(rounds):
        n = rng.randrange(1, residents)
        t = time.perf_counter()
        response = client.get(f"/fhir/Observation?subject=Patient/bench-p{n}&code={LOINC}|8480-6&date=ge2023-01-01")
        times.append(time.perf_counter() - t)
        assert response.status_code == 200, response.content[:300]
    return _p95(times)


def _poster(args):
    worker, bundles, token = args
    import django
    from django.test import Client

    django.setup()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    rng = random.Random(worker)
    for b in range(bundles):
        entries = []
        for i in range(100):
            entries.append({"fullUrl": f"urn:uuid:w{worker}-b{b}-{i}", "request": {"method": "POST", "url": "Observation"},
                            "resource": {"resourceType": "Observation", "status": "final",
                                         "code": {"coding": [{"system": LOINC, "code": "8480-6"}]},
                                         "subject": {"reference": f"Patient/bench-p{rng.randrange(1, 50)}"},
                                         "effectiveDateTime": f"2025-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
                                         "valueQuantity": {"value": rng.randint(90, 200), "unit": "mmHg",
                                                           "system": "http://unitsofmeasure.org", "code": "mm[Hg]"},
                                         "note": [{"text": f"w{worker} b{b} e{i}"}]}})
        response = client.post("/fhir/", data=json.dumps({"resourceType": "Bundle", "type": "transaction",
                                                          "entry": entries}), content_type="application/fhir+json")
        assert response.status_code == 200, response.content[:300]
    return bundles * 100


def _transactions(source, clients, bundles):
    import multiprocessing

    from django.db import connections

    from weijian.accounts.services import api_token_issue

    _token, raw = api_token_issue(user=source.account, name="bench-tx")
    connections.close_all()
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(clients) as pool:
        total = sum(pool.map(_poster, [(w, bundles, raw) for w in range(clients)]))
    return total, time.perf_counter() - started


def child(size: int, quick: bool) -> None:
    import django

    django.setup()
    from django.db import connection

    rng = random.Random(2026)
    source = _setup_world()
    written, residents = _fill(source, size, rng)
    client = _client(source)
    _everything(client, 1)  # warm the caches
    everything_page, everything_record, count = _everything(client, 10 if quick else 30)
    print(f"  $everything ({count} resources): p95 {everything_page} ms per page, {everything_record} ms per record")
    search_p95 = _search(client, residents, rng, 100 if quick else 300)
    print(f"  search Observation?subject&code&date: p95 {search_p95} ms")
    total, seconds = _transactions(source, 8, 3 if quick else 10)
    rate = round(total / seconds)
    print(f"  8 clients × transaction Bundles of 100: {total:,} resources in {seconds:.1f} s = {rate:,}/s")
    print(json.dumps({"engine": connection.vendor, "store_resources": written, "residents": residents,
                      "everything_resources": count, "everything_p95_ms": everything_page,
                      "everything_record_p95_ms": everything_record, "search_p95_ms": search_p95,
                      "transaction_resources": total, "transaction_resources_per_s": rate}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--sizes", type=int, nargs="*")
    parser.add_argument("--engines", nargs="*", default=["postgresql", "sqlite"])
    parser.add_argument("--child", type=int)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.quick)
        return
    sizes = args.sizes or ([20_000] if args.quick else [100_000, 1_000_000])
    results = []
    for engine in args.engines:
        for size in sizes:
            print(f"{engine}, store of {size:,} resources:")
            with tempfile.TemporaryDirectory() as data_dir:
                if engine == "postgresql":
                    name, problem = pg_create()
                    if name is None:
                        print(f"  skipped: {problem}")
                        continue
                    url = pg_url(name)
                else:
                    name, url = None, f"sqlite:///{Path(data_dir) / 'bench.sqlite3'}"
                try:
                    cmd = [sys.executable, __file__, "--child", str(size)] + (["--quick"] if args.quick else [])
                    results.append(run_child(engine, cmd, child_env(url, Path(data_dir))))
                finally:
                    if name:
                        pg_drop(name)
    pg = [r for r in results if r["engine"] == "postgresql"]
    largest = max(pg or results, key=lambda r: r["store_resources"]) if results else {}
    summary = {"results": results, "goals": GOALS,
               "goal_met": {k: (largest.get(k) is not None and (largest[k] <= v if k.endswith("_ms") else largest[k] >= v))
                            for k, v in GOALS.items()} if largest and not args.quick else None}
    print(json.dumps(summary))


if __name__ == "__main__":
    os.chdir(ROOT)
    main()

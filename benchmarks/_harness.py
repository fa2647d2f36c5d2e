"""What every benchmark shares: a throwaway PostgreSQL database, and running one engine's measurement
in a child process (clean peak-memory figure) whose last stdout line is its JSON result."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_ADMIN_URL = f"{PG_SERVER}/postgres"


def child_env(database_url: str, data_dir: Path) -> dict:
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "weijian.settings.base",
            "WEIJIAN_DATABASE_URL": database_url, "WEIJIAN_DATA_DIR": str(data_dir),
            "WEIJIAN_DEBUG": "0", "PYTHONPATH": str(ROOT / "src")}


def run_child(engine: str, cmd: list[str], env: dict) -> dict:
    """Run `cmd`, echo its output but the last line, and return that line parsed as JSON."""
    out = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{engine} child failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    sys.stdout.write("".join(line + "\n" for line in out.stdout.splitlines()[:-1]))
    return json.loads(out.stdout.splitlines()[-1])


def pg_create() -> tuple[str | None, str]:
    try:
        import psycopg

        name = f"wj_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name, ""
    except Exception as exc:  # any reason PostgreSQL is not usable here: skip with a note
        return None, f"PostgreSQL unreachable at {PG_ADMIN_URL}: {exc.__class__.__name__}: {exc}"


def pg_url(name: str) -> str:
    return f"{PG_SERVER}/{name}"


def pg_drop(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_in_fresh_database(engine: str, script: str, args: list[str], prefix: str) -> dict:
    """Run `script --child ENGINE ARGS…` against a fresh database of `engine` ("sqlite": a file in a
    temporary directory; "postgres": a throwaway database, dropped afterwards) and return its last line
    as JSON; {"engine", "skipped"} when PostgreSQL is unreachable."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        data_dir = Path(folder)
        database = None
        if engine == "postgres":
            database, note = pg_create()
            if database is None:
                return {"engine": engine, "skipped": note}
            url = pg_url(database)
        else:
            url = f"sqlite:///{data_dir / 'bench.sqlite3'}"
        try:
            return run_child(engine, [sys.executable, script, "--child", engine, *args], child_env(url, data_dir))
        finally:
            if database:
                pg_drop(database)


def city_with_workers(*, workers: int, year: int, today) -> tuple:
    """Inside a child with Django set up and migrated: the two commission users, the demo city's divisions
    and institutions, `workers` workers from the demo's generator (written in bulk) and the year's CME
    requirements (25/10/10/10 and 20/5/10/10). Returns (info user, science user, the generated worker rows)."""
    import uuid

    from django.db import transaction

    from weijian.accounts import services as account_services
    from weijian.accounts.roles import Role
    from weijian.cme import services as cme_services
    from weijian.demo.generate import CitySummary, _divisions, _institutions, _workers
    from weijian.demo.institutions import DEFAULT_INSTITUTIONS, plan_institutions
    from weijian.demo.workers import generate_workers

    password = f"Bench-{uuid.uuid4().hex[:12]}!"
    info = account_services.user_create(actor=None, bootstrap=True, username="bench_info", password=password,
                                        role=Role.COMMISSION_INFO)
    science = account_services.user_create(actor=None, bootstrap=True, username="bench_science",
                                           password=password, role=Role.COMMISSION_SCIENCE)
    specs = plan_institutions(DEFAULT_INSTITUTIONS, seed=2026)
    rows = list(generate_workers(specs, workers, seed=2026, today=today))
    with transaction.atomic():
        districts = _divisions(info, CitySummary())
        by_key = _institutions(info, specs, districts, CitySummary())
        _workers(info, rows, by_key, CitySummary(), today)
        for group, values in (("intermediate_and_above", (25, 10, 10, 10)), ("junior_and_below", (20, 5, 10, 10))):
            cme_services.requirement_set(actor=science, year=year, title_group=group, total=values[0],
                                         min_class_i=values[1], min_class_ii=values[2], remote_cap=values[3])
    return info, science, rows

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

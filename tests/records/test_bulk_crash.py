"""A real crash of the bulk NDJSON job: SIGKILL in the middle, then resume.

The job runs as `manage.py records_import --resume` in a separate process group (the command and its
forked checker processes), against a database of its own. That is a SQLite file in a temporary data
directory, or, when the suite runs on PostgreSQL, a fresh database `wj_crash_<random>` on the same
server, dropped afterwards. It is not pytest-django's test database: a transactional test would have to
flush the tables at the end, and the audit log refuses DELETE and TRUNCATE (see
tests/browser/conftest.py). The test kills the whole group once some chunks have committed
(`Upload.position` moved), while others are in flight. It then resumes and checks that every resource is
present exactly once, the counts add up, and nothing was lost or duplicated.
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHUNK = 25
PATIENTS = 300  # + one Encounter and three Observations each, + a few bad lines

SETUP = """
import json, sys
import django
django.setup()
import orjson
from tests.conftest import build_world
from weijian.records import bulk, sources

world = build_world()
source = sources.source_register(actor=world.user("commission_info"), institution=world.inst_a1)
lines = []
n = int(sys.argv[1])
for i in range(n):
    lines.append({"resourceType": "Patient", "id": f"p{i}", "gender": "male", "birthDate": "1950-01-01"})
    lines.append({"resourceType": "Encounter", "id": f"e{i}", "status": "finished",
                  "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
                  "subject": {"reference": f"Patient/p{i}"}})
    for k in range(3):
        lines.append({"resourceType": "Observation", "id": f"o{i}-{k}", "status": "final",
                      "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
                      "subject": {"reference": f"Patient/p{i}"}, "encounter": {"reference": f"Encounter/e{i}"},
                      "valueQuantity": {"value": 60 + k}})
lines.insert(7, {"resourceType": "Patient", "id": "bad-date", "birthDate": "1950-02-31"})
lines.insert(500, {"resourceType": "Observation", "id": "orphan", "status": "final",
                   "code": {"text": "x"}, "subject": {"reference": "Patient/nobody"}})
data = b"".join(orjson.dumps(line) + b"\\n" for line in lines)
upload = bulk.bulk_upload(actor=source.account, files=[("crash.ndjson", data)], background=False,
                          chunk_size=int(sys.argv[2]))
from weijian.records.models import Resource
print(json.dumps({"upload": upload.pk, "user": source.account.username, "total": upload.total,
                  "resources_before": Resource.objects.count()}))
"""

CHECK = """
import json, sys
import django
django.setup()
from django.db.models import Count
from weijian.records.models import Resource, ResourceVersion, Upload, UploadIssue

upload = Upload.objects.get(pk=int(sys.argv[1]))
versions = ResourceVersion.objects.filter(upload_id=upload.pk)
print(json.dumps({
    "status": upload.status, "position": upload.position, "total": upload.total, "created": upload.created,
    "updated": upload.updated, "unchanged": upload.unchanged, "rejected": upload.rejected,
    "resources": Resource.objects.count(), "versions": versions.count(),
    "mine": Resource.objects.filter(source=upload.source).count(),
    "most_versions": max(versions.values("resource_id").annotate(n=Count("id")).values_list("n", flat=True),
                         default=0),
    "distinct_ids": Resource.objects.values("type", "fhir_id").distinct().count(),
    "issues": UploadIssue.objects.filter(upload=upload).count(),
    "issue_lines": sorted(UploadIssue.objects.filter(upload=upload).values_list("entry", flat=True)),
}))
"""


def _database(tmp_path: Path):
    """(url for the child processes, a function reading Upload.position, clean-up)."""
    configured = os.environ.get("WEIJIAN_DATABASE_URL", "")
    if configured.startswith("postgres"):
        import psycopg

        parts = urlsplit(configured)
        name = f"wj_crash_{uuid.uuid4().hex[:10]}"
        admin = urlunsplit(parts._replace(path="/postgres"))
        url = urlunsplit(parts._replace(path=f"/{name}"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

        def position(upload_id):
            with psycopg.connect(url, autocommit=True) as conn:
                return conn.execute("SELECT position FROM records_upload WHERE id = %s", [upload_id]).fetchone()[0]

        def drop():
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        return url, position, drop
    path = tmp_path / "crash.sqlite3"

    def position(upload_id):
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute("SELECT position FROM records_upload WHERE id = ?", [upload_id]).fetchone()[0]
        finally:
            conn.close()

    return f"sqlite:///{path}", position, lambda: None


def _env(url: str, data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEIJIAN_")}
    env.update({"DJANGO_SETTINGS_MODULE": "weijian.settings.test", "WEIJIAN_DATABASE_URL": url,
                "WEIJIAN_DATA_DIR": str(data_dir), "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"})
    return env


def _run(env, *args, timeout=300) -> str:
    result = subprocess.run([sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True,
                            timeout=timeout, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, f"{args[:3]} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def _json(output: str) -> dict:
    return json.loads(output.strip().splitlines()[-1])


def test_sigkill_mid_import_then_resume(tmp_path):
    url, position, drop = _database(tmp_path)
    env = _env(url, tmp_path / "data")
    try:
        _run(env, "manage.py", "migrate", "--no-input", "-v", "0", timeout=600)
        setup = _json(_run(env, "-c", SETUP, str(PATIENTS), str(CHUNK)))
        upload_id, user, total = setup["upload"], setup["user"], setup["total"]
        assert total == PATIENTS * 5 + 2
        command = [sys.executable, "manage.py", "records_import", "--as-user", user, "--resume", str(upload_id),
                   "--workers", "2"]
        job = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               stdin=subprocess.DEVNULL, start_new_session=True)
        killed_at = None
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and job.poll() is None:
                done = position(upload_id)
                if done >= 4 * CHUNK:
                    os.killpg(job.pid, signal.SIGKILL)  # the command and its checker processes, mid-chunk
                    killed_at = done
                    break
                time.sleep(0.002)
        finally:
            if job.poll() is None and killed_at is None:
                os.killpg(job.pid, signal.SIGKILL)
            job.wait(timeout=30)
        assert killed_at is not None, "the job ended before it could be killed: make the data larger"
        crashed = _json(_run(env, "-c", CHECK, str(upload_id)))
        assert crashed["status"] == "running" and 4 * CHUNK <= crashed["position"] < total, crashed
        # What was committed is consistent: the counts cover exactly the committed chunks.
        committed = crashed["created"] + crashed["updated"] + crashed["unchanged"] + crashed["rejected"]
        assert committed == crashed["position"] and crashed["versions"] == crashed["created"]

        out = _run(env, "manage.py", "records_import", "--as-user", user, "--resume", str(upload_id))
        assert "已完成" in out
        final = _json(_run(env, "-c", CHECK, str(upload_id)))
        valid = PATIENTS * 5
        assert final["status"] == "done" and final["position"] == total
        assert (final["created"], final["updated"], final["unchanged"], final["rejected"]) == (valid, 0, 0, 2)
        assert final["mine"] == final["versions"] == valid
        assert final["resources"] == final["distinct_ids"] == setup["resources_before"] + valid
        assert final["most_versions"] == 1
        assert final["issues"] == 2 and final["issue_lines"] == [8, 501]

        again = _run(env, "manage.py", "records_import", "--as-user", user, "--resume", str(upload_id))
        assert "已完成导入，未重复处理" in again
        assert _json(_run(env, "-c", CHECK, str(upload_id)))["versions"] == valid
    finally:
        drop()


@pytest.fixture(autouse=True)
def _posix_only():
    if not hasattr(os, "killpg"):
        pytest.skip("needs POSIX process groups")

"""`weijian serve` supervises its children: a stop signal or a dying child stops them all.

Real gunicorn and db_worker processes are exercised by the browser harness; here the children are
small Python processes, so the supervision logic is tested quickly and without the network.
"""

import io
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from weijian.web.management.commands import serve


def _command():
    return serve.Command(stdout=io.StringIO(), stderr=io.StringIO())


def _sleeper(pidfile: Path, ignore_term: bool = False) -> list[str]:
    code = (f"import os, signal, time; open({str(pidfile)!r}, 'w').write(str(os.getpid()));"
            + ("signal.signal(signal.SIGTERM, signal.SIG_IGN);" if ignore_term else "")
            + "time.sleep(60)")
    return [sys.executable, "-c", code]


def _gone(pidfile: Path) -> bool:
    pid = int(pidfile.read_text())
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _after(seconds, action):
    timer = threading.Timer(seconds, action)
    timer.start()
    return timer


def _wait_for(*paths: Path) -> None:
    deadline = time.monotonic() + 10
    while not all(p.exists() and p.read_text() for p in paths):
        assert time.monotonic() < deadline
        time.sleep(0.05)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_stops_every_child_and_exits_cleanly(tmp_path, signum):
    web, jobs = tmp_path / "web.pid", tmp_path / "jobs.pid"
    _after(0, lambda: (_wait_for(web, jobs), os.kill(os.getpid(), signum)))
    started = time.monotonic()
    code = _command()._supervise([("web", _sleeper(web)), ("jobs-1", _sleeper(jobs))], "http://x/")
    assert code == 0
    assert time.monotonic() - started < 10
    assert _gone(web) and _gone(jobs)
    assert signal.getsignal(signal.SIGTERM) is not None  # our handler was removed again


def test_a_child_that_dies_stops_the_others_with_its_exit_code(tmp_path):
    web = tmp_path / "web.pid"
    failing = [sys.executable, "-c", "import time, sys; time.sleep(0.5); sys.exit(3)"]
    code = _command()._supervise([("web", _sleeper(web)), ("jobs-1", failing)], "http://x/")
    assert code == 3
    assert _gone(web)


def test_a_child_that_ignores_sigterm_is_killed_after_the_grace_period(tmp_path, monkeypatch):
    monkeypatch.setattr(serve, "GRACE_SECONDS", 1)
    stubborn = tmp_path / "stubborn.pid"
    _after(0, lambda: (_wait_for(stubborn), os.kill(os.getpid(), signal.SIGTERM)))
    code = _command()._supervise([("web", _sleeper(stubborn, ignore_term=True))], "http://x/")
    assert code == 0
    assert _gone(stubborn)


# ---- what `serve` starts ---------------------------------------------------------------------

@pytest.fixture
def started(monkeypatch):
    """Capture what serve would run instead of running it."""
    calls = []

    def fake(self, commands, url, address=None):
        calls.append((commands, url))
        return 0

    monkeypatch.setattr(serve.Command, "_supervise", fake)
    return calls


def test_serve_refuses_demo_secrets_outside_demo_mode(settings, started):
    from weijian.settings import env

    settings.DEBUG, settings.DEMO_MODE, settings.SECRET_KEY = False, False, env.DEMO_SECRET
    with pytest.raises(CommandError, match="weijian.E001"):
        call_command("serve", stdout=io.StringIO(), stderr=io.StringIO())
    assert started == []


def test_serve_runs_gunicorn_and_db_workers(settings, started):
    settings.DEMO_MODE = True
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with pytest.raises(SystemExit) as exit_:
        call_command("serve", host="0.0.0.0", port=8123, processes=3, job_workers=2,
                     stdout=io.StringIO(), stderr=io.StringIO())
    assert exit_.value.code == 0
    (commands, url), = started
    names = [name for name, _ in commands]
    assert names == ["web", "jobs-1", "jobs-2"] and url == "http://0.0.0.0:8123/"
    web = commands[0][1]
    assert web[1:4] == ["-m", "gunicorn", "weijian.wsgi:application"]
    assert web[web.index("--bind") + 1] == "0.0.0.0:8123" and web[web.index("--workers") + 1] == "3"
    assert commands[1][1][-4:] == ["db_worker", "--no-reload", "--queue-name", "*"]


def test_serve_with_redis_leaves_workers_to_rq(settings, started):
    settings.DEMO_MODE = True
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:6379/0"}}  # never connected to here
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("serve", stdout=out, stderr=io.StringIO())
    (commands, _), = started
    assert [name for name, _ in commands] == ["web"]
    assert "rqworker" in out.getvalue()

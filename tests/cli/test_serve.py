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

from weijian.web.management.commands import serve


def _command():
    cmd = serve.Command(stdout=io.StringIO(), stderr=io.StringIO())
    return cmd


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

"""Browser test harness: a real `weijian serve` process on a small demo city, driven by Chromium.

Why a separate server process and not Django's live_server: the audit table refuses DELETE and
TRUNCATE (append-only triggers), so TransactionTestCase cannot flush the database between tests.
Instead one server runs for the whole session against a fresh SQLite file in a temporary
WEIJIAN_DATA_DIR, exactly as `weijian serve` runs in production (gunicorn + db_worker), and is
stopped at the end.

Fixtures for tests in this folder (all of them are marked `browser` automatically):
- `server`: the base URL, e.g. "http://127.0.0.1:41234";
- `browser`: a Playwright Chromium (Debian's /usr/bin/chromium, or $WEIJIAN_CHROMIUM);
- `page`: a fresh browser context and page per test (zh-CN);
- `login(page, username)`: log in with the demo password, return the page on the home page;
- `screenshot(page, name)`: save a full-page PNG into the session's screenshot folder
  ($WEIJIAN_SCREENSHOTS, or a temporary folder printed at the end).
Environment: WEIJIAN_BROWSER_WORKERS / WEIJIAN_BROWSER_INSTITUTIONS size the demo city.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from weijian.demo import DEMO_PASSWORD

CHROMIUM = os.environ.get("WEIJIAN_CHROMIUM", "/usr/bin/chromium")
HERE = Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_env(data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEIJIAN_")}
    env.update({
        "DJANGO_SETTINGS_MODULE": "weijian.settings.base",  # pytest-django set the test settings
        "WEIJIAN_DATA_DIR": str(data_dir),
        "WEIJIAN_DATABASE_URL": f"sqlite:///{data_dir / 'weijian.sqlite3'}",
        "WEIJIAN_DEMO_MODE": "1",
        "PYTHONUNBUFFERED": "1",
    })
    return env


def _weijian(env, log, *args, timeout=600) -> None:
    result = subprocess.run([sys.executable, "-m", "weijian.cli", *args], env=env, stdout=log,
                            stderr=subprocess.STDOUT, timeout=timeout, stdin=subprocess.DEVNULL)
    if result.returncode:
        pytest.fail(f"`weijian {' '.join(args)}` failed ({result.returncode}); see {log.name}")


def _wait_until_up(url: str, process: subprocess.Popen, log_path: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited ({process.returncode}):\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own localhost server
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    pytest.fail(f"the server did not answer within {seconds}s:\n{log_path.read_text()[-3000:]}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """Base URL of a `weijian serve` process on a fresh, small demo city."""
    data_dir = tmp_path_factory.mktemp("weijian-browser")
    env = _server_env(data_dir)
    log_path = data_dir / "server.log"
    with open(log_path, "a") as log:
        _weijian(env, log, "migrate", "--no-input", "-v", "0")
        _weijian(env, log, "collectstatic", "--no-input", "-v", "0")
        _weijian(env, log, "generate-demo", "--workers", os.environ.get("WEIJIAN_BROWSER_WORKERS", "300"),
                 "--institutions", os.environ.get("WEIJIAN_BROWSER_INSTITUTIONS", "60"))
        port = _free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "weijian.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
             "--processes", "1", "--threads", "8"],
            env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(f"{base}/accounts/login/", process, log_path)
            yield base
        finally:
            _stop(process)
    assert process.returncode == 0, f"`weijian serve` did not stop cleanly ({process.returncode}); see {log_path}"
    from tests.log_guard import sensitive_values

    leaked = sensitive_values(log_path.read_text(encoding="utf-8", errors="replace"))
    assert not leaked, f"the server logged sensitive values: {leaked[:5]} (see {log_path})"


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set WEIJIAN_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-background-networking"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(base_url=server, locale="zh-CN", viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def login():
    def log_in(page, username: str, password: str = DEMO_PASSWORD):
        page.goto("/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_load_state("domcontentloaded")
        assert "/accounts/login" not in page.url, f"{username} could not log in: {page.url}"
        return page

    return log_in


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory):
    configured = os.environ.get("WEIJIAN_SCREENSHOTS")
    folder = Path(configured) if configured else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    yield folder
    sys.stderr.write(f"\nscreenshots: {folder}\n")


@pytest.fixture
def screenshot(screenshot_dir):
    def take(page, name: str) -> Path:
        path = screenshot_dir / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


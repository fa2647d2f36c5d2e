"""`weijian serve`: the web server (gunicorn, static files by WhiteNoise) and the job worker(s).

With the database task backend (the default) it also starts `db_worker` child processes, so one
command runs everything on one machine. With WEIJIAN_TASK_BACKEND=redis the workers are RQ
workers, started separately (`weijian rqworker default`, on as many machines as needed).
Ctrl-C or SIGTERM stops every child gracefully (a second Ctrl-C forces running jobs to stop).
"""

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core import checks
from django.core.management.base import CommandError

from weijian.core.commands import WeijianCommand

GRACE_SECONDS = 20


def _listening(address: tuple[str, int]) -> bool:
    host, port = address
    try:
        with socket.create_connection(("127.0.0.1" if host in ("0.0.0.0", "") else host, port), timeout=0.5):
            return True
    except OSError:
        return False


def task_backend() -> str:
    return settings.TASKS["default"]["BACKEND"]


class Command(WeijianCommand):
    help = "启动 Web 服务（gunicorn）与后台任务进程 / serve the web app (gunicorn) and the job worker(s)"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
        parser.add_argument("--processes", type=int, default=2, help="gunicorn worker processes (default 2)")
        parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn process (default 4)")
        parser.add_argument("--job-workers", type=int, default=1,
                            help="db_worker processes for background jobs (default 1; 0: none)")
        parser.add_argument("--access-log", action="store_true", help="log every request to stdout")
        parser.add_argument("--forwarded-allow-ips", default="",
                            help="addresses of the reverse proxy whose X-Forwarded-Proto is trusted "
                                 "(gunicorn's default: 127.0.0.1,::1, or $FORWARDED_ALLOW_IPS)")

    def handle(self, *args, host, port, processes, threads, job_workers, access_log, forwarded_allow_ips,
               **options):
        self._refuse_demo_secrets()
        if not (Path(settings.STATIC_ROOT) / "weijian").exists():
            self.stderr.write(self.style.WARNING(
                "静态文件尚未收集：请先运行 `weijian collectstatic --noinput` (static files not collected)"))
        web = [sys.executable, "-m", "gunicorn", "weijian.wsgi:application", "--bind", f"{host}:{port}",
               "--workers", str(processes), "--threads", str(threads), "--worker-class", "gthread",
               "--graceful-timeout", "10", "--timeout", "120", "--log-level", "warning"]
        if access_log:
            web += ["--access-logfile", "-"]
        if forwarded_allow_ips:
            web += ["--forwarded-allow-ips", forwarded_allow_ips]
        commands = [("web", web)]
        if task_backend() == "django_tasks_db.DatabaseBackend":
            commands += [(f"jobs-{n + 1}", [sys.executable, "-m", "weijian.cli", "db_worker", "--no-reload",
                                            "--queue-name", "*"])
                         for n in range(job_workers)]
        elif task_backend() == "django_tasks_rq.RQBackend":
            self.stdout.write(self.style.WARNING(
                "任务队列为 Redis：请另行启动 RQ 进程 `weijian rqworker default`（可多台、多个）。\n"
                "Task backend is Redis: start RQ workers separately with `weijian rqworker default`."))
        raise SystemExit(self._supervise(commands, f"http://{host}:{port}/", (host, port)))

    @staticmethod
    def _refuse_demo_secrets() -> None:
        """Outside debug/demo mode, do not serve with the demo secret or derived field keys
        Gunicorn loads the WSGI app without running system checks, so serve runs ours first."""
        problems = [m for m in checks.run_checks()
                    if m.is_serious() and (m.id or "").startswith("weijian.")]
        if problems:
            raise CommandError("拒绝启动 / refusing to start:\n" + "\n".join(f"  {m.id}: {m.msg}" for m in problems))

    def _supervise(self, commands, url, address: tuple[str, int] | None = None) -> int:
        """Run the children until one of them exits or we are told to stop; then stop them all."""
        stopping = []

        def on_signal(signum, frame):
            stopping.append(signum)

        old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        # Children get their own process group: a Ctrl-C reaches only us, and we stop them in order.
        children = {name: subprocess.Popen(argv, start_new_session=True) for name, argv in commands}
        announced = address is None
        code = 0
        try:
            while not stopping:
                if not announced and _listening(address):
                    announced = True
                    self.stdout.write(self.style.SUCCESS(
                        f"卫健平台已启动 / Weijian is serving on {url}  "
                        f"({len(children) - 1} 个后台任务进程 / job workers; Ctrl-C 停止 / to stop)"))
                    self.stdout.flush()
                ended = [(name, p.returncode) for name, p in children.items() if p.poll() is not None]
                if ended:
                    name, code = ended[0]
                    self.stderr.write(f"进程 {name} 已退出（{code}），正在停止其余进程 / {name} exited, stopping")
                    code = code or 1
                    break
                time.sleep(0.5)
            self._stop(children, stopping)
        finally:
            for s, handler in old.items():
                signal.signal(s, handler)
        return code

    def _stop(self, children, stopping) -> None:
        for p in children.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + GRACE_SECONDS
        forced = len(stopping)
        for p in children.values():
            while p.poll() is None and time.monotonic() < deadline:
                if len(stopping) > forced:  # a second Ctrl-C: do not wait for running jobs
                    forced = len(stopping)
                    for q in children.values():
                        if q.poll() is None:
                            q.send_signal(signal.SIGTERM)
                time.sleep(0.1)
        for p in children.values():
            if p.poll() is None:
                p.kill()
                p.wait()
        self.stdout.write("已停止 / stopped")


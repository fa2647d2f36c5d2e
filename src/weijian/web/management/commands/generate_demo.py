"""`weijian generate-demo --workers N [--institutions M] [--residents R] [--seed S]`: build a synthetic city.

Safe to run again: with the same arguments nothing changes; a bigger --workers adds workers.
Only in demo mode (WEIJIAN_DEMO_MODE=1) or debug: the demo accounts have a published password.
"""

from django.conf import settings
from django.core.management.base import CommandError

from weijian.core.commands import WeijianCommand
from weijian.demo import generate_city
from weijian.demo.generate import DEFAULT_SEED
from weijian.demo.institutions import DEFAULT_INSTITUTIONS
from weijian.demo.records import DEFAULT_RESIDENTS
from weijian.demo.workers import DEFAULT_WORKERS


def refuse_outside_demo_mode() -> None:
    """The demo city comes with accounts (administrators included) whose password is published:
    never create them in a real deployment."""
    if not (settings.DEMO_MODE or settings.DEBUG):
        raise CommandError("演示数据只能在演示模式下生成（WEIJIAN_DEMO_MODE=1，`weijian demo` 会自动设置）。"
                           " The demo city has accounts with a published password: demo mode only.")


class Command(WeijianCommand):
    help = "生成合成演示城市（成都市真实区划代码 + 虚构机构与人员）/ build a synthetic demo city"

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="health workers (default 20000)")
        parser.add_argument("--institutions", type=int, default=DEFAULT_INSTITUTIONS,
                            help="institutions (default 300)")
        parser.add_argument("--residents", type=int, default=None,
                            help=f"residents with health records (default {DEFAULT_RESIDENTS} with the default "
                                 "--workers, else 0; written once)")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (same seed, same city)")

    def handle(self, *args, workers, institutions, residents, seed, **options):
        refuse_outside_demo_mode()
        if workers < 0 or institutions < 1 or (residents is not None and residents < 0):
            raise CommandError("--workers and --residents must be >= 0 and --institutions >= 1")
        say = (lambda m: self.stdout.write(f"  {m}")) if options["verbosity"] else None
        summary = generate_city(workers=workers, institutions=institutions, residents=residents, seed=seed,
                                progress=say)
        records = summary.records
        self.stdout.write(self.style.SUCCESS(
            f"演示城市已就绪 / demo city ready in {summary.seconds}s: "
            f"+{summary.divisions} divisions, +{summary.institutions} institutions, "
            f"+{summary.workers_created} workers ({summary.workers_unchanged} already present), "
            f"+{summary.users} accounts"
            + (f", +{records.residents} residents ({records.resources['created']} health-record resources)"
               if records and not records.skipped else "")))

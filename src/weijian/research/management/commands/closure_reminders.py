"""`weijian closure-reminders --as-user USER [--date YYYY-MM-DD]`: send the closure reminders due today.

Run daily from cron as a commission science & education account; safe to repeat (each stage is sent
once per project and due date).
"""

import datetime as dt

from django.core.management.base import CommandError

from weijian.core.commands import WeijianCommand
from weijian.research.reminders import STAGE_LABELS, closure_reminders_send


class Command(WeijianCommand):
    help = "发送到期的科研项目结题提醒（距期限90/60/30天及逾期）；可重复运行，每个阶段只发送一次"
    requires_actor = True

    def add_arguments(self, parser):
        parser.add_argument("--date", default="", metavar="YYYY-MM-DD", help="按该日期计算（默认今天）")

    def handle(self, *args, date, **options):
        try:
            today = dt.date.fromisoformat(date) if date else None
        except ValueError:
            raise CommandError(f"日期格式应为 YYYY-MM-DD：{date}") from None
        counts = closure_reminders_send(actor=self.actor, today=today)
        parts = "，".join(f"{STAGE_LABELS[stage]} {count}" for stage, count in counts.items())
        self.stdout.write(f"已发送结题提醒 {sum(counts.values())} 条：{parts}")

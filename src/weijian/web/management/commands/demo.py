"""`weijian demo`: migrate, collect static files, build the demo city once, print the demo logins, serve.

`weijian demo` (the CLI) sets WEIJIAN_DEMO_MODE=1, which only lets the demo's commission and
administrator accounts skip the mandatory two-factor enrolment; a banner on every page says so.
"""

import time

from django.core.management import call_command

from weijian.core.commands import WeijianCommand
from weijian.demo import city_exists, generate_city
from weijian.demo.users import logins_table
from weijian.web.management.commands.generate_demo import refuse_outside_demo_mode


class Command(WeijianCommand):
    help = "一键演示：迁移数据库、生成演示城市、打印演示账户并启动服务 / set up and serve the demo city"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="set everything up, print the logins, exit")

    def handle(self, *args, host, port, no_serve, **options):
        started = time.monotonic()
        refuse_outside_demo_mode()
        self.stdout.write("1/4 数据库迁移 / migrating the database …")
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("2/4 收集静态文件 / collecting static files …")
        call_command("collectstatic", interactive=False, verbosity=0)
        if city_exists():
            self.stdout.write("3/4 数据库中已有城市数据，跳过生成 / the database already holds a city, kept as is")
        else:
            self.stdout.write("3/4 生成演示城市 / building the demo city …")
            summary = generate_city(progress=lambda m: self.stdout.write(f"    {m}"))
            self.stdout.write(f"    用时 / took {summary.seconds}s")
        self.stdout.write(self.style.SUCCESS(
            f"4/4 就绪 / ready in {time.monotonic() - started:.0f}s. 演示账户 / demo logins:"))
        self.stdout.write(logins_table())
        if no_serve:
            return
        self.stdout.write(f"\n打开 / open http://{host}:{port}/\n")
        call_command("serve", host=host, port=port)

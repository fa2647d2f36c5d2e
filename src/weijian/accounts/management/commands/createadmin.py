"""`weijian createadmin`: create the three separated administrators (三员), once.

Weijian has no superuser. The system administrator manages accounts, the security administrator
grants roles and handles lockouts and two-factor resets, the audit administrator reads the audit
log. Each must be a different person, so each gets a different password; each enrols two-factor
authentication at first login. Passwords come from the flags or are prompted for (prompting keeps
them out of the shell history).
"""

import getpass
import sys

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.db import transaction

from weijian.accounts import services
from weijian.accounts.models import User
from weijian.accounts.roles import ADMIN_ROLES, Role
from weijian.core.commands import WeijianCommand

ADMINS = (
    ("system", Role.SYSTEM_ADMIN, "system_admin", "系统管理员"),
    ("security", Role.SECURITY_ADMIN, "security_admin", "安全管理员"),
    ("audit", Role.AUDIT_ADMIN, "audit_admin", "审计管理员"),
)


class Command(WeijianCommand):
    help = "创建三员账户（系统管理员、安全管理员、审计管理员）/ create the three separated administrators"

    def add_arguments(self, parser):
        for key, _role, username, label in ADMINS:
            parser.add_argument(f"--{key}-username", default=username, help=f"{label} username (default {username})")
            parser.add_argument(f"--{key}-password", default="", help=f"{label} password (prompted when omitted)")

    def handle(self, *args, **options):
        existing = list(User.objects.filter(role__in=ADMIN_ROLES).values_list("username", flat=True))
        if existing:
            raise CommandError(f"三员账户已存在（{', '.join(sorted(existing))}），不再创建。"
                               " Administrators already exist; nothing created.")
        accounts = []
        for key, role, _default, label in ADMINS:
            username = options[f"{key}_username"].strip()
            password = options[f"{key}_password"] or self._prompt(label, username)
            self._validate(label, username, password)
            accounts.append((username, password, role, label))
        if len({a[0] for a in accounts}) < len(accounts):
            raise CommandError("三员须为三个不同的账户 / the three administrators need three usernames")
        if len({a[1] for a in accounts}) < len(accounts):
            raise CommandError("三员分别由不同人员持有，密码不得相同 / each administrator needs their own password")
        with transaction.atomic():
            for username, password, role, label in accounts:
                services.user_create(actor=None, bootstrap=True, username=username, password=password, role=role,
                                     display_name=label)
        for username, _password, _role, label in accounts:
            self.stdout.write(self.style.SUCCESS(f"已创建 / created {label}: {username}"))
        self.stdout.write("首次登录时须启用双因素认证 / each must enrol two-factor authentication at first login.")

    def _prompt(self, label: str, username: str) -> str:
        if not sys.stdin.isatty():
            raise CommandError(f"非交互运行时须提供 {label}（{username}）的密码参数 / password flag required")
        while True:
            first = getpass.getpass(f"{label}（{username}）密码 / password: ")
            try:
                self._validate(label, username, first)
            except CommandError as exc:
                self.stderr.write(str(exc))
                continue
            if getpass.getpass("再次输入 / again: ") == first:
                return first
            self.stderr.write("两次输入不一致 / the passwords differ")

    @staticmethod
    def _validate(label: str, username: str, password: str) -> None:
        try:
            validate_password(password, User(username=username))
        except ValidationError as exc:
            raise CommandError(f"{label}（{username}）密码不符合要求：{'；'.join(exc.messages)}") from None

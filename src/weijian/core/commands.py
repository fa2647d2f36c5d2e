"""The base class of every `weijian` management command (conventions rule 10).

It gives each command the same options and the same habits:
- `--as-user USERNAME`: the account the command acts as (the actor passed to services, so the
  access gate and the audit log see a real user); `self.actor`, None when not given;
- `--district CODE` / `--institution USCC` (when `scope_options = True`): raw values in
  `self.district_code` / `self.institution_uscc`, for commands that work on one slice of the city;
- `--apply` (when `destructive = True`): without it the command is a dry run (`self.dry_run`);
- audit rows written during the command carry channel "cli" and the operating-system user;
- a BusinessError or PermissionDenied ends the command with its Chinese message, not a traceback.
"""

import getpass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from weijian.core import context
from weijian.core.errors import BusinessError


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry, e.g. in some containers
        return "unknown"


class WeijianCommand(BaseCommand):
    destructive = False  # True: dry run unless --apply
    scope_options = False  # True: accept --district / --institution
    requires_actor = False  # True: --as-user is mandatory

    actor = None
    dry_run = False
    district_code = ""
    institution_uscc = ""

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.add_argument("--as-user", dest="as_user", default="", metavar="USERNAME",
                            required=self.requires_actor,
                            help="act as this account (its role and data scope apply; audited under its name)")
        if self.scope_options:
            parser.add_argument("--district", default="", metavar="CODE", help="GB/T 2260 district code")
            parser.add_argument("--institution", default="", metavar="USCC",
                                help="an institution's unified social credit code")
        if self.destructive:
            parser.add_argument("--apply", action="store_true", help="write the changes (default: dry run)")
        return parser

    def execute(self, *args, **options):
        self.actor = self._resolve_actor(options.get("as_user") or "")
        self.dry_run = self.destructive and not options.get("apply", False)
        self.district_code = (options.get("district") or "").strip()
        self.institution_uscc = (options.get("institution") or "").strip().upper()
        address = f"cli:{_os_user()}"[:64]
        with context.request_origin(address=address, channel_name="cli"):
            try:
                return super().execute(*args, **options)
            except BusinessError as exc:
                raise CommandError(f"{exc.code}: {exc.message}") from None
            except PermissionDenied:
                raise CommandError("权限不足：该账户的角色不允许此操作（permission denied）") from None

    @staticmethod
    def _resolve_actor(username: str):
        if not username:
            return None
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"账户“{username}”不存在或已停用（no such active account）")
        return user

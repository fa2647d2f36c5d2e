"""`weijian issue-token --user USERNAME --name NAME [--days N]`: issue an API token and print it once."""

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from weijian.accounts.services import api_token_issue
from weijian.core.commands import WeijianCommand


class Command(WeijianCommand):
    help = "为账户签发 REST API 令牌（令牌只显示这一次，系统仅保存其摘要；签发记入审计）"

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, metavar="USERNAME", help="令牌所属账户")
        parser.add_argument("--name", required=True, help="令牌名称，如调用方系统名")
        parser.add_argument("--days", type=int, default=90, help="有效天数（默认 90）")

    def handle(self, *args, user, name, days, **options):
        name = name.strip()
        if days < 1:
            raise CommandError("--days 须为正整数")
        if not name or len(name) > 64:
            raise CommandError("--name 不能为空，且不超过 64 个字符")
        # The operator at the console names the owner; the token carries that account's role and scope.
        owner = get_user_model().objects.filter(username=user, is_active=True).first()
        if owner is None:
            raise CommandError(f"账户“{user}”不存在或已停用（no such active account）")
        token, raw = api_token_issue(user=owner, name=name, days=days)
        self.stderr.write(f"已为 {owner.username} 签发令牌“{token.name}”，有效期至 "
                          f"{token.expires_at:%Y-%m-%d}。令牌只显示这一次，请妥善保存：")
        self.stdout.write(raw)

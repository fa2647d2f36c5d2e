"""`weijian rotate-keys [--apply]`: re-encrypt values still under an old field-encryption key.

Key rotation: put the new key first in WEIJIAN_FIELD_KEYS (it encrypts from then on) and keep the
old keys after it (they still decrypt); then run this command. Without --apply it only counts
what would change. With --apply it works in primary-key batches, each in one transaction with
its rows locked and one audit row (key-rotate); it can be stopped and run again at any time.
Once it reports nothing left, the old key can be removed from WEIJIAN_FIELD_KEYS.
Blind indexes (WEIJIAN_BLIND_INDEX_KEY) are not affected.
"""

from django.apps import apps
from django.core.management.base import CommandError
from django.db import transaction

from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record
from weijian.core import crypto
from weijian.core.commands import WeijianCommand

# (model, encrypted field, audit entity): every column holding core.crypto ciphertext.
TARGETS = (
    ("workforce.Worker", "id_number_encrypted", "worker"),
    ("accounts.User", "totp_secret", "account"),
)


class Command(WeijianCommand):
    help = "用当前密钥重新加密旧密钥加密的字段（默认只统计，--apply 才写入）/ re-encrypt under the active key"
    destructive = True

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000, help="rows per transaction (default 1000)")

    def handle(self, *args, batch_size, **options):
        ring = crypto.keyring()
        active = ring.active_key_id
        if ring.derived_from_secret:
            self.stderr.write(self.style.WARNING(
                "未配置 WEIJIAN_FIELD_KEYS：使用由 SECRET_KEY 派生的演示密钥 / no field keys configured (demo key)"))
        self.stdout.write(f"当前加密密钥 / active key: {active} ({ring.cipher}); "
                          f"{'试运行，不写入 / dry run' if self.dry_run else '写入 / applying'}")
        total = 0
        for label, field, entity in TARGETS:
            model = apps.get_model(label)
            stale = self._rotate(model, field, entity, active, max(1, batch_size))
            total += stale
            verb = "待重新加密 / to re-encrypt" if self.dry_run else "已重新加密 / re-encrypted"
            self.stdout.write(f"  {label}.{field}: {stale} {verb}")
        if self.dry_run and total:
            self.stdout.write("加 --apply 执行 / add --apply to write")

    def _rotate(self, model, field: str, entity: str, active: str, batch_size: int) -> int:
        last_pk, count = None, 0
        while True:
            with transaction.atomic():
                rows = model.objects.exclude(**{field: ""}).order_by("pk")
                if last_pk is not None:
                    rows = rows.filter(pk__gt=last_pk)
                if not self.dry_run:
                    rows = rows.select_for_update()
                batch = list(rows.values_list("pk", field)[:batch_size])
                if not batch:
                    return count
                last_pk = batch[-1][0]
                stale = [(pk, value) for pk, value in batch if crypto.needs_rotation(value)]
                count += len(stale)
                if stale and not self.dry_run:
                    self._write(model, field, entity, active, stale)

    def _write(self, model, field, entity, active, stale) -> None:
        updated = []
        for pk, value in stale:
            try:
                plaintext = crypto.decrypt(value)
            except KeyError as exc:
                raise CommandError(f"{model._meta.label} #{pk}: 密钥 {exc} 不在 WEIJIAN_FIELD_KEYS 中，无法解密"
                                   " / its key is missing from WEIJIAN_FIELD_KEYS") from None
            updated.append(model(pk=pk, **{field: crypto.encrypt(plaintext)}))
        model.objects.bulk_update(updated, [field], batch_size=500)
        audit_record(actor=self.actor, username="cli", action=AuditAction.KEY_ROTATE, entity=entity,
                     summary=f"{len(updated)} 条 {field} 已用密钥 {active} 重新加密",
                     after={"field": field, "key_id": active, "rows": len(updated),
                            "first_pk": str(stale[0][0]), "last_pk": str(stale[-1][0])})

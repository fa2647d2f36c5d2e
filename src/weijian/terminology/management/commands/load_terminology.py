"""`weijian load_terminology`: load or refresh the built-in code systems (idempotent)."""

from weijian.core.commands import WeijianCommand
from weijian.terminology.seed import terminology_seed


class Command(WeijianCommand):
    help = "Load or refresh the built-in terminology (sex, marital status, ethnicity, WS 364, divisions)"

    def handle(self, *args, **options):
        for slug, result in terminology_seed(actor=self.actor).items():
            self.stdout.write(f"{slug}: created {result.created}, updated {result.updated}, "
                              f"unchanged {result.unchanged}")

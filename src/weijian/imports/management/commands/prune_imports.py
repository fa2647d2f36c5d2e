"""`weijian prune-imports [--days N] [--apply]`: remove old uploads, parsed rows and error reports."""

from weijian.core.commands import WeijianCommand
from weijian.imports.services import import_files_prune


class Command(WeijianCommand):
    help = "删除超过保存期的导入文件（上传文件、解析结果、错误报告）；默认仅统计，--apply 才删除"
    destructive = True

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30, help="保存天数（默认 30）")

    def handle(self, *args, days, **options):
        result = import_files_prune(actor=self.actor, older_than_days=days, apply=not self.dry_run)
        verb = "将清理" if self.dry_run else "已清理"
        self.stdout.write(f"{verb} {result.jobs} 个导入任务的 {result.files} 个文件"
                          f"（其中 {result.abandoned} 个任务未确认导入，将关闭）")
        if self.dry_run:
            self.stdout.write("这是试运行；加 --apply 执行删除。")

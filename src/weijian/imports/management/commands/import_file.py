"""`weijian import ENTITY FILE --as-user USERNAME [--apply] [--only-valid]`

Dry run by default: checks the file as the web page does and prints the counts and the first
row errors. `--apply` writes (all rows, or with `--only-valid` the valid ones). Runs in this
process, not as a background job. Exits non-zero when the file is rejected or nothing is written.
"""

from pathlib import Path

from django.core.management.base import CommandError

from weijian.core.commands import WeijianCommand
from weijian.imports import services
from weijian.imports.models import ImportJob, JobStatus
from weijian.imports.registry import all_specs

SHOWN_ERRORS = 20
CHUNK = 1024 * 1024
ALIASES = {"workers": "worker", "institutions": "institution", "divisions": "division"}  # as the docs write them


def _chunks(path: Path):
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            yield chunk


class Command(WeijianCommand):
    help = "从 .xlsx/.csv 文件导入数据：默认仅试导入（校验并显示结果，不写入）；加 --apply 写入"
    destructive = True
    requires_actor = True

    def add_arguments(self, parser):
        entities = "、".join(f"{s.entity}（{s.title}）" for s in all_specs())
        parser.add_argument("entity", help=f"导入对象：{entities}")
        parser.add_argument("file", help=".xlsx 或 .csv 文件路径")
        parser.add_argument("--only-valid", action="store_true", help="文件有错误行时，仅导入有效行")

    def handle(self, *args, entity, file, only_valid, **options):
        entity = ALIASES.get(entity, entity)
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件：{file}")
        job = services.import_upload(actor=self.actor, entity=entity, filename=path.name, chunks=_chunks(path),
                                     background=False)
        if job.status == JobStatus.REJECTED:
            raise CommandError(f"文件被拒绝：{job.message}")
        job = services.import_validate(job_id=job.pk)
        if job.status != JobStatus.VALIDATED:
            raise CommandError(f"校验未完成（{job.get_status_display()}）：{job.message}")
        self._summary(job, "试导入结果", "将")
        if self.dry_run:
            services.import_cancel(actor=self.actor, job=job)  # nothing to keep: drop the stored rows
            self.stdout.write("这是试导入，未写入任何数据。确认无误后加 --apply 执行导入"
                              + ("（有错误行时可加 --only-valid 仅导入有效行）。" if job.error_rows else "。"))
            return
        try:
            services.import_confirm(actor=self.actor, job=job, only_valid=only_valid, background=False)
        except Exception:
            services.import_cancel(actor=self.actor, job=job)
            raise
        job = services.import_apply(job_id=job.pk)
        if job.status != JobStatus.DONE:
            self._summary(job, "导入失败", "")
            raise CommandError(job.message or "导入失败，未写入任何数据")
        self._summary(job, "导入完成", "已")
        if job.message:
            self.stdout.write(job.message)

    def _summary(self, job: ImportJob, heading: str, verb: str) -> None:
        self.stdout.write(f"{heading}（共 {job.total_rows} 行）：{verb}新增 {job.create_count}、{verb}更新 "
                          f"{job.update_count}、无变化 {job.unchanged_count}、错误 {job.error_rows} 行")
        for error in job.errors_preview[:SHOWN_ERRORS]:
            column = f"「{error['column']}」" if error["column"] else ""
            value = f"“{error['value']}”" if error["value"] else ""
            self.stdout.write(f"  第 {error['row']} 行{column}{value}：{error['reason']}")
        if job.error_rows > SHOWN_ERRORS or len(job.errors_preview) > SHOWN_ERRORS:
            self.stdout.write(f"  ……其余错误请在网页“数据导入”中下载错误报告（任务 {job.pk}）")

"""`weijian records_import --as-user SOURCE_ACCOUNT FILE...` — bulk NDJSON ingest from the command line.

Uploads the files as the data source whose machine account is given (the same checks as the API), runs
the import job in this process and prints the counts and the first rejected lines. The same files again
are recognised and not imported twice. `--resume UPLOAD_ID` runs an interrupted (or failed) upload's
job again from where it stopped. `--rejects PATH` writes the full reject report (NDJSON).
"""

import time
from contextlib import ExitStack
from pathlib import Path

import orjson
from django.conf import settings
from django.core.management.base import CommandError

from weijian.core.commands import WeijianCommand
from weijian.records import bulk
from weijian.records.models import Upload, UploadStatus

SHOWN_REJECTS = 20


class Command(WeijianCommand):
    help = "批量导入 NDJSON 格式的 FHIR 资源（每行一个资源，须带 id）：上传并运行导入，打印结果；--resume 继续中断的批次"
    requires_actor = True

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", metavar="FILE", help=".ndjson 文件（可多个）")
        parser.add_argument("--resume", type=int, metavar="UPLOAD_ID", help="继续运行该上传批次的导入任务")
        parser.add_argument("--chunk-size", type=int, default=None, metavar="N",
                            help=f"每个事务写入的行数（默认 {settings.RECORDS_BULK_CHUNK}；仅对新上传生效）")
        parser.add_argument("--workers", type=int, default=None, metavar="N",
                            help="校验进程数（默认按处理器核数；0：在本进程内校验）")
        parser.add_argument("--rejects", default="", metavar="PATH", help="把拒收条目写入此文件（NDJSON）")

    def handle(self, *args, files, resume, chunk_size, workers, rejects, **options):
        if bool(files) == bool(resume):
            raise CommandError("请给出要导入的文件，或用 --resume 指定上传批次（二者选一）")
        began = time.monotonic()
        if resume:
            upload = bulk.upload_for_resume(actor=self.actor, upload_id=resume)
        else:
            upload = self._upload(files, chunk_size)
        if upload.status == UploadStatus.DONE:
            self.stdout.write(f"批次 {upload.pk} 已完成导入，未重复处理。")
        else:
            upload = bulk.ndjson_import_run(upload_id=upload.pk, workers=workers)
        self._report(upload, time.monotonic() - began)
        if rejects:
            Path(rejects).write_bytes(bulk.rejects_ndjson(upload))
            self.stdout.write(f"拒收条目已写入 {rejects}")
        if upload.status != UploadStatus.DONE:
            raise CommandError(upload.error or f"导入未完成（{upload.get_status_display()}），"
                                               f"可用 --resume {upload.pk} 继续")

    def _upload(self, files: list[str], chunk_size: int | None) -> Upload:
        paths = [Path(name) for name in files]
        for path in paths:
            if not path.is_file():
                raise CommandError(f"找不到文件：{path}")
        with ExitStack() as stack:
            opened = [(path.name, stack.enter_context(path.open("rb"))) for path in paths]
            return bulk.bulk_upload(actor=self.actor, files=opened, background=False, chunk_size=chunk_size)

    def _report(self, upload: Upload, seconds: float) -> None:
        counts = bulk.upload_counts(upload)
        rate = f"，{counts['done'] / seconds:.0f} 条/秒" if seconds > 0 and counts["done"] else ""
        self.stdout.write(
            f"批次 {upload.pk}（{upload.file_name}）{upload.get_status_display()}：共 {counts['total']} 条，"
            f"已处理 {counts['done']}；新增 {counts['created']}，更新 {counts['updated']}，"
            f"未变化 {counts['unchanged']}，拒收 {counts['rejected']}（用时 {seconds:.1f} 秒{rate}）")
        if not upload.rejected:
            return
        shown = bulk.rejects_ndjson(upload, limit=SHOWN_REJECTS).splitlines()
        for raw in shown:
            item = orjson.loads(raw)
            where = f"{item['file']} 第 {item['line']} 行" if item["file"] else f"第 {item['line']} 行"
            name = f" {item['resourceType']}/{item['id']}" if item["resourceType"] else ""
            self.stdout.write(f"  {where}{name}：{'；'.join(item['reasons'])}")
        if upload.rejected > SHOWN_REJECTS:
            self.stdout.write(f"  ……共拒收 {upload.rejected} 条，完整清单请用 --rejects 文件 导出")

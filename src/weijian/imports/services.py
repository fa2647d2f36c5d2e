"""Upload, dry run, confirm and apply an import. Jobs in tasks.py call these by job id."""

import hashlib
import os
import tempfile
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from weijian.accounts.access import require
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record
from weijian.core import crypto
from weijian.core.errors import BusinessError
from weijian.core.tasks import enqueue_on_commit
from weijian.imports import files, progress
from weijian.imports.errors import ImportErrorCode as E
from weijian.imports.models import ImportJob, JobStatus
from weijian.imports.registry import ApplyResult, ImportSpec, RowError, get_spec
from weijian.imports.reports import error_report_xlsx

BATCH_ROWS = 2_000
PREVIEW_ERRORS = 200
HEAD_BYTES = 8192


def _mask(value: str) -> str:
    return value[:4] + "*" * max(len(value) - 8, 0) + value[-4:] if len(value) > 8 else "****"


# ---- upload -----------------------------------------------------------------------------------

def _reject(*, actor, entity: str, filename: str, size: int, sha: str, reason: str) -> ImportJob:
    """Record a refused file: a job row for the user's history and an audit row; the file is not kept."""
    job = ImportJob.objects.create(entity=entity, uploaded_by=actor, filename=filename[:255], size=size,
                                   sha256=sha, status=JobStatus.REJECTED, message=reason)
    audit_record(actor=actor, action=AuditAction.IMPORT_REJECTED, entity=entity, entity_id=job.pk,
                 summary=f"{filename[:120]}：{reason}"[:255], outcome="rejected")
    return job


@transaction.atomic
def import_upload(*, actor, entity: str, filename: str, chunks, background: bool = True) -> ImportJob:
    """Check the file's size, type and headers, store it encrypted, and queue the dry run.

    `chunks` is an iterable of bytes (Django's UploadedFile.chunks()). A refused file gives a
    REJECTED job with a Chinese reason and writes no business data.
    """
    try:
        spec = get_spec(entity)
    except KeyError:
        raise BusinessError(E.UNKNOWN_ENTITY) from None
    require(actor, entity, "import")
    limit = settings.IMPORT_MAX_BYTES
    digest, size, parts = hashlib.sha256(), 0, []
    for chunk in chunks:
        size += len(chunk)
        if size > limit:
            reason = f"文件过大：上限为 {limit // (1024 * 1024)} MB，请拆分后分批上传"
            return _reject(actor=actor, entity=entity, filename=filename, size=size, sha="", reason=reason)
        digest.update(chunk)
        parts.append(chunk)
    data = b"".join(parts)
    sha = digest.hexdigest()
    try:
        kind = files.sniff(data[:HEAD_BYTES], filename)
        with _materialised(data, kind) as path:
            sheet = _open(path, kind, data)
            files.check_headers(sheet.headers, spec.headers, [c.header for c in spec.columns if c.required])
            first = next(sheet.rows, None)
            if first is None:
                raise files.FileRejected("文件中没有数据行（只有表头）")
    except files.FileRejected as exc:
        return _reject(actor=actor, entity=entity, filename=filename, size=size, sha=sha, reason=exc.reason)

    stored = default_storage.save(f"imports/{uuid.uuid4().hex}.{kind}.enc",
                                  ContentFile(crypto.encrypt_bytes(data)))
    job = ImportJob.objects.create(entity=entity, uploaded_by=actor, filename=filename[:255], size=size,
                                   sha256=sha, stored_name=stored, encoding=sheet.encoding,
                                   status=JobStatus.VALIDATING)
    earlier = (ImportJob.objects.filter(uploaded_by=actor, entity=entity, sha256=sha, status=JobStatus.DONE)
               .exclude(pk=job.pk).order_by("-applied_at").first())
    if earlier:
        job.message = (f"此文件与 {timezone.localtime(earlier.applied_at):%Y-%m-%d %H:%M} 已导入的文件内容相同；"
                       "再次导入不会产生重复数据。")
        job.save(update_fields=["message"])
    audit_record(actor=actor, action=AuditAction.IMPORT_UPLOAD, entity=entity, entity_id=job.pk,
                 summary=f"{filename[:120]}（{size} 字节）")
    if background:
        from weijian.imports.tasks import import_validate_job

        enqueue_on_commit(import_validate_job, str(job.pk))
    return job


@contextmanager
def _materialised(data: bytes, kind: str):
    """openpyxl wants a path; decrypted bytes live in a private temp file only while read."""
    if kind != "xlsx":
        yield None
        return
    fd, path = tempfile.mkstemp(suffix=".xlsx")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        yield path
    finally:
        os.unlink(path)


def _open(path: str | None, kind: str, data: bytes) -> files.Sheet:
    return files.open_xlsx(path) if kind == "xlsx" else files.open_csv(data)


def _load(job: ImportJob) -> tuple[bytes, str]:
    with default_storage.open(job.stored_name, "rb") as fh:
        data = crypto.decrypt_bytes(fh.read())
    kind = "xlsx" if job.stored_name.endswith(".xlsx.enc") else "csv"
    return data, kind


# ---- reading and validating rows ------------------------------------------------------------

@dataclass
class Pass:
    total: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_rows: set[int] = field(default_factory=set)
    result: ApplyResult = field(default_factory=ApplyResult)


def _parse_row(spec: ImportSpec, index: dict[str, int], number: int, values: list, out: Pass):
    parsed, ok = {}, True
    for column in spec.columns:
        pos = index.get(column.header)
        raw = values[pos] if pos is not None and pos < len(values) else None
        shown = "" if raw is None else str(raw)
        if column.sensitive and shown:
            shown = _mask(shown)
        reason = files.formula_reason(raw)
        if reason is None:
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                if column.required:
                    reason = "必填项为空"
                else:
                    parsed[column.key] = None
                    continue
            else:
                try:
                    parsed[column.key] = column.parse(raw) if column.parse else raw
                except ValueError as exc:
                    reason = str(exc)
        if reason:
            ok = False
            out.errors.append(RowError(number, column.header, shown, reason))
    return parsed if ok else None


def _run(*, job: ImportJob, spec: ImportSpec, actor, apply: bool) -> Pass:
    """Read every row once: parse, check duplicates, validate in batches; classify (dry run) or write."""
    data, kind = _load(job)
    out = Pass()
    seen: dict = {}
    key_header = spec.column(spec.natural_key).header
    with _materialised(data, kind) as path:
        sheet = _open(path, kind, data)
        index = {h: i for i, h in enumerate(sheet.headers) if h}
        batch: list = []

        def flush():
            prepared = spec.prepare(actor, batch)
            out.errors.extend(prepared.errors)
            out.error_rows.update(e.row for e in prepared.errors)
            cleaned = [obj for _, obj in prepared.valid]
            if cleaned:
                step = spec.apply(actor, cleaned) if apply else spec.classify(actor, cleaned)
                out.result.created += step.created
                out.result.updated += step.updated
                out.result.unchanged += step.unchanged
            batch.clear()
            progress.report(job.pk, phase="importing" if apply else "validating", done=out.total,
                            total=sheet.total_rows)

        for number, values in sheet.rows:
            out.total += 1
            if out.total > files.MAX_ROWS:
                raise files.FileRejected(f"数据行超过 {files.MAX_ROWS} 行，请拆分后分批上传")
            parsed = _parse_row(spec, index, number, values, out)
            if parsed is None:
                out.error_rows.add(number)
                continue
            key = parsed.get(spec.natural_key)
            if key in seen:
                out.errors.append(RowError(number, key_header, _mask(str(key)) if spec.column(
                    spec.natural_key).sensitive else str(key), f"与第 {seen[key]} 行重复"))
                out.error_rows.add(number)
                continue
            seen[key] = number
            batch.append((number, parsed))
            if len(batch) >= BATCH_ROWS:
                flush()
        if batch:
            flush()
    out.errors.sort(key=lambda e: e.row)
    return out


def _save_report(job: ImportJob, spec: ImportSpec, errors: list[RowError]) -> None:
    if job.report_name:
        default_storage.delete(job.report_name)
        job.report_name = ""
    if errors:
        job.report_name = default_storage.save(f"imports/reports/{job.pk}.xlsx",
                                               ContentFile(error_report_xlsx(spec.title, errors)))
    job.errors_preview = [e.__dict__ for e in errors[:PREVIEW_ERRORS]]


def import_validate(*, job_id) -> ImportJob:
    """The dry run: what would be created, updated, left unchanged or rejected. Writes no business data."""
    job = ImportJob.objects.select_related("uploaded_by").get(pk=job_id)
    if job.status != JobStatus.VALIDATING:
        return job  # already done: safe to run twice
    spec = get_spec(job.entity)
    try:
        result = _run(job=job, spec=spec, actor=job.uploaded_by, apply=False)
    except files.FileRejected as exc:
        job.status, job.message = JobStatus.REJECTED, exc.reason
        job.save(update_fields=["status", "message", "updated_at"])
        return job
    job.total_rows = result.total
    job.error_rows = len(result.error_rows)
    job.create_count, job.update_count = result.result.created, result.result.updated
    job.unchanged_count = result.result.unchanged
    _save_report(job, spec, result.errors)
    job.status = JobStatus.VALIDATED
    job.save()
    progress.clear(job.pk)
    return job


@transaction.atomic
def import_confirm(*, actor, job: ImportJob, only_valid: bool, background: bool = True) -> ImportJob:
    """The user's go-ahead after the dry run. With error rows, only an explicit `only_valid` proceeds."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.uploaded_by_id != actor.pk or job.status != JobStatus.VALIDATED:
        raise BusinessError(E.WRONG_STATE)
    require(actor, job.entity, "import")
    if job.error_rows and not only_valid:
        raise BusinessError(E.HAS_ERRORS)
    if job.valid_rows == 0:
        raise BusinessError(E.NOTHING_VALID)
    job.only_valid = only_valid
    job.status = JobStatus.QUEUED
    job.save(update_fields=["only_valid", "status", "updated_at"])
    if background:
        from weijian.imports.tasks import import_apply_job

        enqueue_on_commit(import_apply_job, str(job.pk))
    return job


@transaction.atomic
def import_cancel(*, actor, job: ImportJob) -> ImportJob:
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.uploaded_by_id != actor.pk or job.status != JobStatus.VALIDATED:
        raise BusinessError(E.WRONG_STATE)
    job.status = JobStatus.CANCELLED
    job.save(update_fields=["status", "updated_at"])
    _discard_upload(job)
    return job


class _AbortImport(Exception):
    def __init__(self, result: Pass):
        self.result = result


def import_apply(*, job_id) -> ImportJob:
    """Write the rows in one transaction. A row that fails now (the data changed since the dry
    run) aborts everything unless the user chose to import only the valid rows."""
    job = ImportJob.objects.select_related("uploaded_by").get(pk=job_id)
    if job.status not in (JobStatus.QUEUED, JobStatus.IMPORTING):
        return job
    spec = get_spec(job.entity)
    actor = job.uploaded_by
    job.status = JobStatus.IMPORTING
    job.save(update_fields=["status", "updated_at"])
    try:
        with transaction.atomic():
            result = _run(job=job, spec=spec, actor=actor, apply=True)
            if result.error_rows and not job.only_valid:
                raise _AbortImport(result)
            audit_record(actor=actor, action=AuditAction.IMPORT_APPLY, entity=job.entity, entity_id=job.pk,
                         summary=(f"{job.filename[:100]}：新增 {result.result.created}，更新 {result.result.updated}，"
                                  f"无变化 {result.result.unchanged}，跳过错误行 {len(result.error_rows)}"))
    except _AbortImport as exc:
        _finish(job, spec, exc.result, JobStatus.FAILED,
                "导入时发现新的错误行（数据在校验后已变化），未写入任何数据。请下载错误报告修正后重新上传。")
        return job
    except files.FileRejected as exc:
        job.status, job.message = JobStatus.FAILED, exc.reason
        job.save(update_fields=["status", "message", "updated_at"])
        return job
    _finish(job, spec, result, JobStatus.DONE, job.message)
    _discard_upload(job)
    return job


def _finish(job: ImportJob, spec: ImportSpec, result: Pass, status: str, message: str) -> None:
    job.total_rows = result.total
    job.error_rows = len(result.error_rows)
    job.create_count, job.update_count = result.result.created, result.result.updated
    job.unchanged_count = result.result.unchanged
    _save_report(job, spec, result.errors)
    job.status, job.message = status, message
    if status == JobStatus.DONE:
        job.applied_at = timezone.now()
    job.save()
    progress.clear(job.pk)


def _discard_upload(job: ImportJob) -> None:
    """Uploaded files hold identifiers: keep them only until the job is over."""
    if job.stored_name:
        default_storage.delete(job.stored_name)
        ImportJob.objects.filter(pk=job.pk).update(stored_name="")


def import_run_now(*, actor, entity: str, filename: str, data: bytes, only_valid: bool = False) -> ImportJob:
    """Upload, dry-run and apply in one go, in this process (the CLI and benchmarks)."""
    job = import_upload(actor=actor, entity=entity, filename=filename, chunks=[data], background=False)
    if job.status == JobStatus.REJECTED:
        return job
    import_validate(job_id=job.pk)
    job.refresh_from_db()
    if job.status != JobStatus.VALIDATED:
        return job
    try:
        import_confirm(actor=actor, job=job, only_valid=only_valid, background=False)
    except BusinessError:
        return job
    return import_apply(job_id=job.pk)

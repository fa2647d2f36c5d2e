"""Upload, dry run, confirm and apply an import. Jobs in tasks.py call these by job id.

The life of a job: `import_upload` checks the file (size, type, zip bomb, headers), stores it
encrypted and queues the dry run; `import_validate` reads every row once, checks it, counts
what would be created/updated, writes the error report, and replaces the upload with the
parsed rows (encrypted) so that the apply step need not read the spreadsheet again;
`import_confirm` is the user's go-ahead; `import_apply` re-checks every row against the
database as it is now and writes them in one transaction. Files holding identifiers are
deleted as soon as the job is over.
"""

import functools
import gc
import hashlib
import io
import logging
import pickle
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from weijian.accounts.access import require
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record
from weijian.core import crypto
from weijian.core.errors import BusinessError
from weijian.core.tasks import enqueue_on_commit
from weijian.imports import files, progress
from weijian.imports.errors import ImportErrorCode as E
from weijian.imports.models import ImportJob, JobStatus
from weijian.imports.parsing import Pass, close_sheet, open_sheet, parsed_batches
from weijian.imports.registry import ImportSpec, RowError, get_spec
from weijian.imports.reports import error_report_xlsx

logger = logging.getLogger(__name__)

PREVIEW_ERRORS = 200
HEAD_BYTES = 8192
ROWS_SUFFIX = ".rows.enc"
INTERNAL_ERROR = "处理文件时发生内部错误，未写入任何数据。请稍后重试；如仍失败，请联系系统管理员。"
NO_LONGER_ALLOWED = "您的账户已无权导入此类数据（角色或数据范围已变更），未写入任何数据。"


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
    del parts
    sha = digest.hexdigest()
    sheet = None
    try:
        kind = files.sniff(data[:HEAD_BYTES], filename)
        sheet = open_sheet(kind, data, header_only=True)
        files.check_headers(sheet.headers, spec.headers, [c.header for c in spec.columns if c.required])
        if next(sheet.rows, None) is None:
            raise files.FileRejected(_("文件中没有数据行（只有表头）"))
    except files.FileRejected as exc:
        return _reject(actor=actor, entity=entity, filename=filename, size=size, sha=sha, reason=exc.reason)
    finally:
        close_sheet(sheet)

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


def _read_stored(name: str) -> bytes:
    with default_storage.open(name, "rb") as fh:
        return crypto.decrypt_bytes(fh.read())


# ---- the parsed rows the dry run hands to the apply step ----------------------------------------

class _RowsUnpickler(pickle.Unpickler):
    """The rows file is ours and authenticated (AES/SM4-GCM), but unpickle only plain values anyway."""

    ALLOWED = {("datetime", "date"), ("datetime", "datetime"), ("datetime", "time"), ("datetime", "timedelta"),
               ("decimal", "Decimal")}

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in an import rows file")


class _RowsWriter:
    """Batches of (row number, parsed values), then a trailer; encrypted when saved.

    Not compressed: the parser process already pickled each batch to send it, so those very bytes are
    stored (`add_pickled`) and the dry run spends no time re-encoding them; the file lives only until
    the job ends. Rows files written compressed by earlier versions are still read."""

    def __init__(self):
        self._parts: list[bytes] = []

    def add(self, item) -> None:
        self._parts.append(pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL))

    def add_pickled(self, blob: bytes) -> None:
        self._parts.append(blob)

    def save(self, job: ImportJob) -> str:
        data = b"".join(self._parts)
        self._parts.clear()
        return default_storage.save(f"imports/{job.pk}{ROWS_SUFFIX}", ContentFile(crypto.encrypt_bytes(data)))


_ZLIB_HEADER = 0x78  # a pickle starts with 0x80 (PROTO)


def _read_rows(name: str) -> Iterator:
    data = _read_stored(name)
    if data[:1] == bytes([_ZLIB_HEADER]):
        data = zlib.decompress(data)
    stream = io.BytesIO(data)
    del data
    size = len(stream.getbuffer())
    while stream.tell() < size:
        yield _RowsUnpickler(stream).load()  # one unpickler per item: each was pickled with its own memo


def _without_cycle_collection(function):
    """A pass over a large file allocates millions of small acyclic objects (rows, tuples, dates);
    each allocation burst sets off Python's cycle collector, which then walks every live object,
    the people cache included, again and again. Nothing a pass builds forms cycles that must be
    freed before it ends, so the collector waits until the pass is over."""

    @functools.wraps(function)
    def run(*args, **kwargs):
        if not gc.isenabled():
            return function(*args, **kwargs)
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            gc.enable()

    return run


# ---- reading and checking rows ----------------------------------------------------------------

def _check(spec: ImportSpec, actor, batch: list, out: Pass, *, apply: bool) -> None:
    """The domain's checks for one batch, then its plan (dry run) or its writes (apply)."""
    prepared = spec.prepare(actor, batch, cache=out.cache) if spec.cache else spec.prepare(actor, batch)
    out.add_errors(prepared.errors)
    if not prepared.valid:
        return
    step = spec.apply(actor, prepared.valid) if apply else spec.classify(actor, prepared.valid)
    out.add_errors(step.errors)
    out.result.created += step.created
    out.result.updated += step.updated
    out.result.unchanged += step.unchanged


def _new_pass(spec: ImportSpec) -> Pass:
    return Pass(cache=spec.cache() if spec.cache else None)


def _report_progress(job: ImportJob, phase: str, done: int, total: int | None) -> None:
    progress.report(job.pk, phase=phase, done=done, total=total)


def import_report_bytes(job: ImportJob) -> bytes | None:
    """The decrypted error report of a job the caller already fetched through the gate."""
    if not job.report_name or not default_storage.exists(job.report_name):
        return None
    with default_storage.open(job.report_name, "rb") as fh:
        data = fh.read()
    return crypto.decrypt_bytes(data) if job.report_name.endswith(".enc") else data


def _save_report(job: ImportJob, spec: ImportSpec, errors: list[RowError]) -> None:
    if job.report_name:
        default_storage.delete(job.report_name)
        job.report_name = ""
    errors.sort(key=lambda e: e.row)
    if errors:
        # Reports quote cell values (names, say), so they are stored encrypted like the uploads.
        job.report_name = default_storage.save(
            f"imports/reports/{job.pk}.xlsx.enc",
            ContentFile(crypto.encrypt_bytes(error_report_xlsx(spec.title, errors))))
    job.errors_preview = [e.__dict__ for e in errors[:PREVIEW_ERRORS]]


def _record(job: ImportJob, out: Pass) -> None:
    job.total_rows = out.total
    job.error_rows = len(out.error_rows)
    job.create_count, job.update_count = out.result.created, out.result.updated
    job.unchanged_count = out.result.unchanged


# ---- dry run ----------------------------------------------------------------------------------

def import_validate(*, job_id) -> ImportJob:
    """The dry run: what would be created, updated, left unchanged or rejected. Writes no business data."""
    job = ImportJob.objects.select_related("uploaded_by").get(pk=job_id)
    if job.status != JobStatus.VALIDATING:
        return job  # already done, or cancelled: safe to run twice
    spec = get_spec(job.entity)
    upload = job.stored_name
    try:
        out, rows_name = _dry_run(job, spec)
    except files.FileRejected as exc:
        _end_early(job, JobStatus.REJECTED, exc.reason, audit=True)
        return job
    except PermissionDenied:
        _end_early(job, JobStatus.FAILED, NO_LONGER_ALLOWED)
        return job
    except Exception:
        logger.exception("import %s: dry run failed", job.pk)
        _end_early(job, JobStatus.FAILED, INTERNAL_ERROR)
        return job
    _record(job, out)
    _save_report(job, spec, out.errors)
    job.stored_name = rows_name
    fields = ["total_rows", "error_rows", "create_count", "update_count", "unchanged_count", "report_name",
              "errors_preview", "stored_name"]
    # Only a job still validating moves on: a user may have cancelled it meanwhile.
    moved = ImportJob.objects.filter(pk=job.pk, status=JobStatus.VALIDATING).update(
        status=JobStatus.VALIDATED, updated_at=timezone.now(), **{f: getattr(job, f) for f in fields})
    default_storage.delete(upload)
    if not moved:
        default_storage.delete(rows_name)
        job.refresh_from_db()
    else:
        job.status = JobStatus.VALIDATED
    progress.clear(job.pk)
    return job


@_without_cycle_collection
def _dry_run(job: ImportJob, spec: ImportSpec) -> tuple[Pass, str]:
    actor = job.uploaded_by
    require(actor, job.entity, "import")
    kind = "xlsx" if job.stored_name.endswith(".xlsx.enc") else "csv"
    out, cells, writer = _new_pass(spec), Pass(), _RowsWriter()
    _report_progress(job, "validating", 0, None)
    for batch, total_estimate, blob in parsed_batches(spec, kind, _read_stored(job.stored_name), out, cells):
        if blob is None:
            writer.add(batch)
        else:
            writer.add_pickled(blob)
        _check(spec, actor, batch, out, apply=False)
        _report_progress(job, "validating", out.total, total_estimate)
    # The trailer: the cell errors stay errors at apply time (the file has not changed).
    writer.add({"total": out.total, "errors": [(e.row, e.column, e.value, e.reason) for e in cells.errors],
                "error_rows": sorted(cells.error_rows)})
    return out, writer.save(job)


def _end_early(job: ImportJob, status: str, message: str, *, audit: bool = False) -> None:
    with transaction.atomic():
        moved = ImportJob.objects.filter(pk=job.pk, status=JobStatus.VALIDATING).update(
            status=status, message=message, updated_at=timezone.now())
        if moved and audit:
            audit_record(actor=job.uploaded_by, action=AuditAction.IMPORT_REJECTED, entity=job.entity,
                         entity_id=job.pk, summary=f"{job.filename[:120]}：{message}"[:255], outcome="rejected")
    job.refresh_from_db()
    _discard_upload(job)
    progress.clear(job.pk)


# ---- confirm, cancel --------------------------------------------------------------------------

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
    job.only_valid = bool(job.error_rows) and only_valid
    job.status = JobStatus.QUEUED
    job.save(update_fields=["only_valid", "status", "updated_at"])
    if background:
        from weijian.imports.tasks import import_apply_job

        enqueue_on_commit(import_apply_job, str(job.pk))
    return job


@transaction.atomic
def import_cancel(*, actor, job: ImportJob) -> ImportJob:
    """Drop a job that has not started writing: while validating or waiting for confirmation."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.uploaded_by_id != actor.pk or job.status not in (JobStatus.VALIDATING, JobStatus.VALIDATED):
        raise BusinessError(E.WRONG_STATE)
    job.status = JobStatus.CANCELLED
    job.save(update_fields=["status", "updated_at"])
    _discard_upload(job)
    progress.clear(job.pk)
    return job


# ---- apply ------------------------------------------------------------------------------------

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
    job.status = JobStatus.IMPORTING
    job.save(update_fields=["status", "updated_at"])
    try:
        outermost = not connection.in_atomic_block
        with transaction.atomic():
            if outermost:
                _commit_without_waiting_for_disk()
            out = _apply_rows(job, spec)
            if out.error_rows and not job.only_valid:
                raise _AbortImport(out)
            _refresh_statistics(spec, out.result.created + out.result.updated)
            audit_record(actor=job.uploaded_by, action=AuditAction.IMPORT_APPLY, entity=job.entity,
                         entity_id=job.pk,
                         summary=(f"{job.filename[:100]}：新增 {out.result.created}，更新 {out.result.updated}，"
                                  f"无变化 {out.result.unchanged}，跳过错误行 {len(out.error_rows)}"))
    except _AbortImport as exc:
        _finish(job, spec, exc.result, JobStatus.FAILED,
                "导入时发现新的错误行（数据在校验后已变化），未写入任何数据。请下载错误报告修正后重新上传。")
        return job
    except Exception as exc:
        if not isinstance(exc, PermissionDenied):
            logger.exception("import %s: apply failed", job.pk)
        job.status = JobStatus.FAILED
        job.message = NO_LONGER_ALLOWED if isinstance(exc, PermissionDenied) else INTERNAL_ERROR
        job.save(update_fields=["status", "message", "updated_at"])
        _discard_upload(job)
        progress.clear(job.pk)
        return job
    _finish(job, spec, out, JobStatus.DONE, job.message)
    return job


def _commit_without_waiting_for_disk() -> None:
    """PostgreSQL: this transaction's commit returns before its WAL reaches the disk (within a few
    hundred milliseconds it does). Safe here because nobody is told an import is done until the job
    is marked DONE, by a later, ordinary commit, whose flush makes everything before it durable; a
    crash in between leaves the job IMPORTING with its rows file, and applying it again finds the
    records written (imports are idempotent). It spares the wait for a large import's WAL flush."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


ANALYZE_AFTER_ROWS = 10_000
ANALYZE_AFTER_SHARE = 0.1  # as autovacuum's analyze_scale_factor: below this the statistics still hold


def _refresh_statistics(spec: ImportSpec, written: int) -> None:
    """After a large import, let PostgreSQL's planner see the new rows at once instead of when
    autovacuum gets round to it: a dashboard query planned on the old statistics of a table that
    has just grown by a million rows can take seconds instead of a fraction of one. An import that
    adds less than a tenth to a large table leaves its statistics as true as they were."""
    if written < ANALYZE_AFTER_ROWS or connection.vendor != "postgresql" or not spec.tables:
        return
    with connection.cursor() as cursor:
        for label in spec.tables:
            table = apps.get_model(label)._meta.db_table
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
            estimate = cursor.fetchone()[0]
            if estimate > 0 and written < ANALYZE_AFTER_SHARE * estimate:
                continue
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


@_without_cycle_collection
def _apply_rows(job: ImportJob, spec: ImportSpec) -> Pass:
    require(job.uploaded_by, job.entity, "import")  # still allowed? (role, scope or account may have changed)
    if spec.stream and job.total_rows - job.error_rows >= STREAM_AFTER_ROWS:
        out = _apply_streamed(job, spec)
        if out is not None:
            return out
    out = _new_pass(spec)
    _report_progress(job, "importing", 0, job.total_rows)
    for batch in _stored_batches(job, out):
        _check(spec, job.uploaded_by, batch, out, apply=True)
    return out


def _stored_batches(job: ImportJob, out: Pass) -> Iterator[list]:
    """The parsed batches of the dry run, reporting progress; the trailer's totals and cell errors go to `out`."""
    done = 0
    for item in _read_rows(job.stored_name):
        if isinstance(item, dict):  # the trailer: totals and the cell errors found by the dry run
            out.total = item["total"]
            out.add_errors([RowError(*e) for e in item["errors"]])
            out.error_rows.update(item["error_rows"])
            break
        yield item
        done += len(item)
        _report_progress(job, "importing", done, job.total_rows - job.error_rows)


STREAM_AFTER_ROWS = 20_000


class _QueryWhileStreaming(Exception):
    """A check asked the database something while the rows were streaming in: apply batch by batch."""


def _refuse_queries(execute, sql, params, many, context):
    raise _QueryWhileStreaming


def _apply_streamed(job: ImportJob, spec: ImportSpec) -> Pass | None:
    """Check the rows and write them in one stream (a single COPY on PostgreSQL): the database inserts
    one batch while this process reads and checks the next, instead of each waiting for the other.

    The checks must not query while the stream is open, so the spec's cache is filled first and any
    query is refused; the stream also stops at a record written since the dry run (the natural key
    refuses it). Either way nothing of it stays (a savepoint) and None sends the caller batch by batch."""
    actor = job.uploaded_by
    out = _new_pass(spec)

    def checked() -> Iterator[list]:
        for batch in _stored_batches(job, out):
            with connection.execute_wrapper(_refuse_queries):
                prepared = spec.prepare(actor, batch, cache=out.cache) if spec.cache else spec.prepare(actor, batch)
            out.add_errors(prepared.errors)
            yield prepared.valid

    _report_progress(job, "importing", 0, job.total_rows)
    try:
        with transaction.atomic():
            result = spec.stream(actor, checked(), cache=out.cache)
    except (IntegrityError, _QueryWhileStreaming):
        return None
    if result is None:  # the spec could not get ready to stream (e.g. too many people to hold)
        return None
    out.result.created += result.created
    out.result.updated += result.updated
    out.result.unchanged += result.unchanged
    out.add_errors(result.errors)
    return out


def _finish(job: ImportJob, spec: ImportSpec, out: Pass, status: str, message: str) -> None:
    _record(job, out)
    _save_report(job, spec, out.errors)
    job.status, job.message = status, message
    if status == JobStatus.DONE:
        job.applied_at = timezone.now()
    job.save()
    _discard_upload(job)
    progress.clear(job.pk)


def _discard_upload(job: ImportJob) -> None:
    """Uploaded files and parsed rows hold identifiers: keep them only until the job is over."""
    if job.stored_name:
        default_storage.delete(job.stored_name)
        ImportJob.objects.filter(pk=job.pk).update(stored_name="")
        job.stored_name = ""


@dataclass
class PruneResult:
    jobs: int = 0
    files: int = 0
    abandoned: int = 0


def import_files_prune(*, actor, older_than_days: int, apply: bool) -> PruneResult:
    """Delete stored uploads, parsed rows and error reports of jobs idle for `older_than_days`.

    Running jobs are left alone; a dry run (apply=False) only counts. Jobs left waiting for
    confirmation are closed as cancelled. One audit row records what was removed.
    """
    cutoff = timezone.now() - timedelta(days=older_than_days)
    running = (JobStatus.VALIDATING, JobStatus.QUEUED, JobStatus.IMPORTING)
    jobs = (ImportJob.objects.filter(updated_at__lt=cutoff).exclude(status__in=running)
            .exclude(stored_name="", report_name=""))
    result = PruneResult()
    for job in jobs.iterator():
        names = [n for n in (job.stored_name, job.report_name) if n]
        result.jobs += 1
        result.files += len(names)
        result.abandoned += job.status == JobStatus.VALIDATED
        if not apply:
            continue
        with transaction.atomic():
            for name in names:
                default_storage.delete(name)
            updates = {"stored_name": "", "report_name": "", "errors_preview": []}
            if job.status == JobStatus.VALIDATED:
                updates |= {"status": JobStatus.CANCELLED, "message": "文件保存期满，已自动清理，未写入任何数据。"}
            ImportJob.objects.filter(pk=job.pk).update(**updates)
    if apply and result.jobs:
        audit_record(actor=actor, action=AuditAction.DELETE, entity="import-files",
                     summary=f"清理 {older_than_days} 天前的导入文件：{result.jobs} 个任务、{result.files} 个文件")
    return result


def import_run_now(*, actor, entity: str, filename: str, data: bytes, only_valid: bool = False) -> ImportJob:
    """Upload, dry-run and apply in one go, in this process (the CLI and benchmarks)."""
    job = import_upload(actor=actor, entity=entity, filename=filename, chunks=[data], background=False)
    if job.status == JobStatus.REJECTED:
        return job
    job = import_validate(job_id=job.pk)
    if job.status != JobStatus.VALIDATED:
        return job
    try:
        import_confirm(actor=actor, job=job, only_valid=only_valid, background=False)
    except BusinessError:
        return job
    return import_apply(job_id=job.pk)

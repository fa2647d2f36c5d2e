"""WS 365 data-set files (.xlsx/.csv) from district platforms: each row becomes FHIR resources
(`ws365.map_row`) written by the store, in a background job that commits chunk by chunk.

An upload is checked before anything is kept (file kind, size, headers against the template), stored
encrypted, and recorded as one `Upload` batch; the same file from the same source again is the same batch.
A row with problems is rejected with every reason in Chinese (`UploadIssue`) and the rest go in. Each
chunk commits its resources with the upload's counts and `position`, so a restarted job resumes after the
last committed row, and re-writing a row changes nothing (stable ids, equal content → no new version)."""

import hashlib
import io
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record
from weijian.core import crypto
from weijian.core.errors import BusinessError
from weijian.core.tasks import background, enqueue_on_commit
from weijian.imports import files
from weijian.records import codes, store, ws365
from weijian.records.errors import RecordsErrorCode as E
from weijian.records.hooks import after_upload
from weijian.records.identity import organization_id
from weijian.records.models import Source, Upload, UploadIssue, UploadKind, UploadStatus
from weijian.records.services import check_type_allowed, missing_references, writer_source

CHUNK = 1000


def _dataset(key: str):
    dataset = ws365.DATASETS.get(key)
    if dataset is None:
        raise BusinessError(E.DATASET_UNKNOWN, dataset=key[:40])
    return dataset


def _sheet(kind: str, data: bytes) -> files.Sheet:
    return files.open_xlsx(io.BytesIO(data)) if kind == "xlsx" else files.open_csv(data)


def dataset_upload(*, actor, dataset_key: str, file_name: str, data: bytes) -> Upload:
    """Check and keep a data-set file and queue its import; the same file again returns its first upload."""
    source = writer_source(actor)
    dataset = _dataset(dataset_key)
    if len(data) > settings.IMPORT_MAX_BYTES:
        raise BusinessError(E.UPLOAD_FILE_INVALID, _("文件过大（上限 %(mb)s MB）")
                            % {"mb": settings.IMPORT_MAX_BYTES // (1024 * 1024)})
    try:
        kind = files.sniff(data[:8192], file_name)
        headers = _sheet(kind, data).headers
        columns = [c.header for c in dataset.columns]
        files.check_headers(headers, columns, [c.header for c in dataset.columns if c.required])
    except files.FileRejected as exc:
        audit_record(actor=actor, action=AuditAction.IMPORT_REJECTED, entity="Upload", summary=exc.reason[:255],
                     outcome="refused")
        raise BusinessError(E.UPLOAD_FILE_INVALID, exc.reason) from None
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        existing = Upload.objects.filter(source=source, kind=UploadKind.WS365, dataset=dataset.key,
                                         file_sha256=digest).exclude(status=UploadStatus.FAILED).first()
        if existing is not None:
            return existing
        name = default_storage.save(f"records/{uuid.uuid4().hex}.{kind}.enc", ContentFile(crypto.encrypt_bytes(data)))
        upload = Upload.objects.create(source=source, kind=UploadKind.WS365, dataset=dataset.key,
                                       file_name=file_name[:255], file_sha256=digest, stored_file=name,
                                       created_by=actor)
        audit_record(actor=actor, action=AuditAction.RECORD_UPLOAD, entity="Upload", entity_id=upload.pk,
                     summary=f"{dataset.title} {file_name}"[:255])
        enqueue_on_commit(dataset_import, upload.pk)
    return upload


_checkers: dict[float, object] = {}


def _checker():
    """The data sets' code checker, rebuilt when the store's code catalogue is (each minute, or on reset):
    a district platform sends many small files, and each would otherwise reload the value domains."""
    key = codes.catalogue().loaded_at  # a new load, a new key
    if key not in _checkers:
        _checkers.clear()
        _checkers[key] = ws365.terminology_checker()
    return _checkers[key]


@background
def dataset_import(upload_id: int) -> None:
    try:
        dataset_import_run(upload_id)
    except files.FileRejected as exc:
        Upload.objects.filter(pk=upload_id).update(status=UploadStatus.FAILED, error=exc.reason,
                                                   finished_at=timezone.now())


def dataset_import_run(upload_id: int, *, chunk: int = CHUNK) -> Upload:
    """Run (or resume) an upload's import from its committed position."""
    upload = Upload.objects.select_related("source").get(pk=upload_id)
    if upload.status == UploadStatus.DONE:
        return upload
    Upload.objects.filter(pk=upload.pk).update(status=UploadStatus.RUNNING, started_at=upload.started_at or timezone.now())
    dataset = _dataset(upload.dataset)
    with default_storage.open(upload.stored_file, "rb") as fh:
        data = crypto.decrypt_bytes(fh.read())
    sheet = _sheet("xlsx" if upload.stored_file.endswith(".xlsx.enc") else "csv", data)
    context = ws365.SourceContext(code=upload.source.code,
                                  organization_id=organization_id(upload.source.institution.uscc))
    checker = _checker()
    done = upload.position
    batch: list[tuple[int, dict]] = []
    for index, (number, values) in enumerate(sheet.rows, start=1):
        if index <= done:
            continue
        batch.append((number, dict(zip(sheet.headers, values, strict=False))))
        if len(batch) >= chunk:
            _write_chunk(upload, dataset, context, checker, batch, index)
            batch = []
    if batch:
        _write_chunk(upload, dataset, context, checker, batch, index)
    Upload.objects.filter(pk=upload.pk).update(status=UploadStatus.DONE, finished_at=timezone.now(),
                                               total=F("position"))
    upload.refresh_from_db()
    after_upload(upload.pk)
    return upload


def _write_chunk(upload: Upload, dataset, context, checker, rows: list[tuple[int, dict]], position: int) -> None:
    source: Source = upload.source
    issues, changes, row_of = [], [], {}
    for number, row in rows:
        try:
            resources = ws365.map_row(dataset, row, source=context, codes=checker)
            for resource in resources:
                check_type_allowed(source, resource["resourceType"])
        except ws365.RowError as exc:
            issues.extend(UploadIssue(upload=upload, entry=number, message=m) for m in exc.messages)
            continue
        except BusinessError as exc:
            issues.append(UploadIssue(upload=upload, entry=number, message=exc.message))
            continue
        row_of[number] = resources
    known = {(r["resourceType"], r["id"]) for resources in row_of.values() for r in resources}
    flat = [(number, r) for number, resources in row_of.items() for r in resources]
    for index, ref in missing_references([r for _n, r in flat], known):
        number = flat[index][0]
        if number in row_of:
            del row_of[number]
            hint = _("（请先上传个人基本信息表）") if ref.startswith("Patient/") else ""
            issues.append(UploadIssue(upload=upload, entry=number,
                                      message=_("引用的资源 %(ref)s 不存在") % {"ref": ref} + hint))
    for number, resources in row_of.items():
        changes.extend(store.Change(r["resourceType"], r["id"], r, "PUT", entry=number) for r in resources)
    with transaction.atomic():
        outcomes = store.apply_changes(changes, source=source, institution_id=source.institution_id,
                                       upload_id=upload.pk) if changes else []
        UploadIssue.objects.bulk_create(issues)
        counts = {"created": 0, "updated": 0, "unchanged": 0}
        for outcome in outcomes:
            counts["updated" if outcome.status == "deleted" else outcome.status] += 1
        rejected_rows = len({issue.entry for issue in issues})
        Upload.objects.filter(pk=upload.pk).update(
            created=F("created") + counts["created"], updated=F("updated") + counts["updated"],
            unchanged=F("unchanged") + counts["unchanged"], rejected=F("rejected") + rejected_rows,
            position=position)

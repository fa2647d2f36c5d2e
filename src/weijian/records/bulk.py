"""Bulk NDJSON ingest (FHIR `$import`-style): a data source uploads files of one resource per line, and a
background job writes them in chunks through the store's one write engine (`store.apply_changes`).

Upload (`bulk_upload`) reads every file once, as a stream: the size cap, UTF-8, line length, the sha256
and a quick look at each line's `resourceType`. The look sorts the lines by type, with referenced types
first (`TYPE_ORDER`: Organization, Practitioner, Patient, Encounter, … Provenance last). Lines are
stored encrypted in segments of one type and at most `chunk_size` lines. Each segment is one chunk of the
job. Each line keeps its number: lines are numbered through the files in the order given, so a
one-file upload's numbers are its line numbers.
The same files from the same source again give back the first upload (no second job).

The job (`ndjson_import`) works through the segments in that order. Forked checker processes parse
(orjson), validate (`validation.validate`) and prepare (`store.prepare`: content hash, index rows,
encrypted ID numbers) the next segments while this process writes the current one.
Per chunk, in ONE transaction: the chunk is claimed by moving `Upload.position` on, the references are
checked (`services.missing_references`; the chunk's own resources and those this job already wrote count
as known), the resources go through `store.apply_changes`, the rejected lines become `UploadIssue` rows
with Chinese reasons, and the counts are added.
A crash loses at most the chunk in flight; a restart resumes at `position`. `apply_changes` is
idempotent, so a chunk that is run again cannot create a duplicate. A second runner of the same upload
stops at its first chunk: the claim (`UPDATE … WHERE position = start`) lets only one runner through.
Memory: one segment per checker and the chunk being written, plus the ids of the types others refer to
that this run wrote (about 100 bytes each), so references to them need no query.

References must point at resources stored before, at earlier lines of the upload (in `TYPE_ORDER`), or
at resources in the same chunk. Cycles, such as Encounter.diagnosis ↔ Condition.encounter, are not
resolved: send one side without the reference, or through a transaction Bundle. See docs/records-bulk.md.
"""

import gc
import hashlib
import logging
import multiprocessing
import pickle
import re
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator

import orjson
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record
from weijian.core import crypto
from weijian.core.context import request_origin
from weijian.core.errors import BusinessError
from weijian.core.tasks import background, enqueue_on_commit
from weijian.imports import progress
from weijian.imports.bulk import index_lookups, insert_rows
from weijian.records import codes, services, store
from weijian.records.errors import RecordsErrorCode as E
from weijian.records.hooks import after_upload
from weijian.records.models import (
    Resource,
    Source,
    SourceStatus,
    Upload,
    UploadIssue,
    UploadKind,
    UploadStatus,
)
from weijian.records.searchparams import SUPPORTED_TYPES, reference_of, references_in
from weijian.records.validation import validate

logger = logging.getLogger(__name__)

SEGMENT_MAX_BYTES = 16 * 1024 * 1024  # a chunk of unusually large resources is cut earlier
READ_BLOCK = 1024 * 1024
POOL_MIN_SEGMENTS = 3  # fewer segments are checked in this process: forking costs more than it saves
REMEMBERED_TYPES = frozenset({"Organization", "Practitioner", "Patient", "Encounter", "MedicationRequest"})
STORAGE_PREFIX = "records/bulk"
INTERNAL_ERROR = "处理过程中发生内部错误，已写入的部分保留。请稍后重新运行（weijian records_import --resume）；如仍失败，请联系系统管理员。"

# Referenced types first, so that references point backwards (Provenance may point at anything: last).
TYPE_ORDER = ("Organization", "Practitioner", "Patient", "Encounter", "Condition", "Observation", "Procedure",
              "AllergyIntolerance", "Immunization", "MedicationRequest", "MedicationDispense", "DiagnosticReport",
              "ImagingStudy", "DocumentReference", "CarePlan", "Provenance")
_RANK = {type_: rank for rank, type_ in enumerate(TYPE_ORDER)}
_OTHER_RANK = len(TYPE_ORDER)  # unsupported or unreadable types: rejected, after everything else
_TYPE_SNIFF = re.compile(rb'"resourceType"\s*:\s*"([A-Za-z]{1,40})"')
_BOM = b"\xef\xbb\xbf"


def _progress_key(upload_id) -> str:
    return f"records-upload-{upload_id}"


# ---- upload -------------------------------------------------------------------------------------

class _Refused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _blocks(content) -> Iterator[bytes]:
    if isinstance(content, (bytes, bytearray, memoryview)):
        view = memoryview(content)
        for start in range(0, len(view), READ_BLOCK):
            yield bytes(view[start:start + READ_BLOCK])
        return
    while block := content.read(READ_BLOCK):
        yield block


class _Segments:
    """Lines sorted by type into encrypted segments of at most `chunk` lines (one chunk of the job each)."""

    def __init__(self, chunk: int):
        self.chunk = chunk
        self.prefix = f"{STORAGE_PREFIX}/{uuid.uuid4().hex}"
        self.buckets: dict[int, list[bytes]] = defaultdict(list)
        self.sizes: dict[int, int] = defaultdict(int)
        self.saved: list[tuple[int, int, str, int]] = []  # (rank, sequence, storage name, lines)

    def add(self, rank: int, number: int, line: bytes) -> None:
        bucket = self.buckets[rank]
        bucket.append(b"%d\t%b" % (number, line))
        self.sizes[rank] += len(line)
        if len(bucket) >= self.chunk or self.sizes[rank] >= SEGMENT_MAX_BYTES:
            self.flush(rank)

    def flush(self, rank: int) -> None:
        lines = self.buckets.pop(rank, None)
        self.sizes.pop(rank, None)
        if lines:
            sequence = len(self.saved)
            name = self.save(f"{sequence:06d}.ndjson.enc", b"\n".join(lines))
            self.saved.append((rank, sequence, name, len(lines)))

    def save(self, name: str, data: bytes) -> str:
        return default_storage.save(f"{self.prefix}/{name}", ContentFile(crypto.encrypt_bytes(data)))

    def close(self) -> list[dict]:
        for rank in sorted(self.buckets):
            self.flush(rank)
        return [{"name": name, "entries": lines, "type": TYPE_ORDER[rank] if rank < _OTHER_RANK else ""}
                for rank, _sequence, name, lines in sorted(self.saved)]

    def discard(self) -> None:
        for _rank, _sequence, name, _lines in self.saved:
            default_storage.delete(name)
        self.saved.clear()


def _read_file(name: str, content, first_line: int, segments: _Segments, used: int, limit: int) -> dict:
    """Stream one file into `segments`; returns what the manifest keeps of it. Raises _Refused."""
    digest = hashlib.sha256()
    size, number, entries = 0, first_line - 1, 0
    max_line = settings.FHIR_MAX_BODY_BYTES
    carry = b""
    sniff, rank_of, add = _TYPE_SNIFF.search, _RANK.get, segments.add

    def take(lines: Iterable[bytes]) -> None:
        nonlocal number, entries
        for line in lines:
            number += 1
            if number == first_line and line.startswith(_BOM):
                line = line[3:]
            if line.endswith(b"\r"):
                line = line[:-1]
            if not line or line.isspace():
                continue
            try:
                line.decode()
            except UnicodeDecodeError:
                raise _Refused(_("文件“%(file)s”第 %(line)s 行不是 UTF-8 编码，请以 UTF-8 保存后重新上传")
                               % {"file": name, "line": number - first_line + 1}) from None
            found = sniff(line)
            add(rank_of(found.group(1).decode(), _OTHER_RANK) if found else _OTHER_RANK, number, line)
            entries += 1

    for block in _blocks(content):
        size += len(block)
        if used + size > limit:
            raise _Refused(_("文件过大：一次上传的文件合计不能超过 %(limit)s MB，请拆分后分批上传")
                           % {"limit": limit // (1024 * 1024)})
        digest.update(block)
        lines = (carry + block if carry else block).split(b"\n")
        carry = lines.pop()
        if len(carry) > max_line:
            raise _Refused(_("文件“%(file)s”第 %(line)s 行超过 %(limit)s MB（每行一个资源）")
                           % {"file": name, "line": number + len(lines) - first_line + 2,
                              "limit": max_line // (1024 * 1024)})
        take(lines)
    if carry:
        take([carry])
    return {"name": name, "bytes": size, "sha256": digest.hexdigest(), "first_line": first_line,
            "lines": number - first_line + 1, "entries": entries}


def _digest(files: list[dict]) -> str:
    """One file: its own sha256 (what `sha256sum` prints). Several: sha256 over their digests, in order."""
    if len(files) == 1:
        return files[0]["sha256"]
    return hashlib.sha256(b"".join(bytes.fromhex(f["sha256"]) for f in files)).hexdigest()


def bulk_upload(*, actor, files: list[tuple[str, object]], background: bool = True,
                chunk_size: int | None = None) -> Upload:
    """Check and store NDJSON files (name, bytes or a binary file object) of the actor's data source, and
    queue the import job. The same files from the same source again return the upload already made.
    Raises BusinessError (in Chinese) for a file that cannot be taken: too large, not UTF-8, no resources."""
    source = services.writer_source(actor)
    if not files:
        raise BusinessError(E.UPLOAD_FILE_INVALID, _("没有上传文件"))
    chunk = max(1, int(chunk_size or settings.RECORDS_BULK_CHUNK))
    limit = settings.RECORDS_BULK_MAX_BYTES
    segments = _Segments(chunk)
    try:
        read, used, next_line = [], 0, 1
        for name, content in files:
            meta = _read_file(str(name)[:200], content, next_line, segments, used, limit)
            read.append(meta)
            used += meta["bytes"]
            next_line += meta["lines"]
        total = sum(f["entries"] for f in read)
        if total == 0:
            raise _Refused(_("文件中没有资源：NDJSON 文件应每行一个 FHIR 资源"))
        manifest = {"format": 1, "chunk": chunk, "total": total, "files": read, "segments": segments.close()}
        manifest_name = segments.save("manifest.json.enc", orjson.dumps(manifest))
    except _Refused as exc:
        segments.discard()
        raise BusinessError(E.UPLOAD_FILE_INVALID, exc.reason) from None
    except BaseException:
        segments.discard()
        raise
    digest = _digest(read)
    try:
        upload, again = _record_upload(actor, source, read, digest, total, manifest_name, background)
    except BaseException:
        _delete_stored(manifest_name, manifest)
        raise
    if again:
        _delete_stored(manifest_name, manifest)  # the first upload's copy is the one kept
    return upload


@transaction.atomic
def _record_upload(actor, source, files, digest, total, manifest_name, run_job) -> tuple[Upload, bool]:
    Source.objects.select_for_update().filter(pk=source.pk).first()  # one upload of a source at a time
    names = "、".join(f["name"] for f in files)
    earlier = (Upload.objects.filter(source=source, kind=UploadKind.NDJSON, file_sha256=digest)
               .order_by("-id").first())
    if earlier is not None:
        if earlier.status == UploadStatus.FAILED and earlier.stored_file:
            # The same files after a failure: carry on with the first upload where it stopped.
            Upload.objects.filter(pk=earlier.pk).update(status=UploadStatus.QUEUED, error="")
            earlier.refresh_from_db()
            if run_job:
                enqueue_on_commit(ndjson_import, earlier.pk)
        audit_record(actor=actor, action=AuditAction.RECORD_UPLOAD, entity="Upload", entity_id=earlier.pk,
                     summary=_("批量 NDJSON：%(files)s 与批次 %(id)s 内容相同，未重复导入")
                     % {"files": names[:120], "id": earlier.pk})
        return earlier, True
    upload = Upload.objects.create(source=source, kind=UploadKind.NDJSON, file_name=names[:255],
                                   file_sha256=digest, stored_file=manifest_name, total=total, created_by=actor,
                                   status=UploadStatus.QUEUED)
    audit_record(actor=actor, action=AuditAction.RECORD_UPLOAD, entity="Upload", entity_id=upload.pk,
                 summary=_("批量 NDJSON：%(files)s，%(n)s 条（%(bytes)s 字节）")
                 % {"files": names[:120], "n": total, "bytes": sum(f["bytes"] for f in files)})
    if run_job:
        enqueue_on_commit(ndjson_import, upload.pk)
    return upload, False


def _read_stored(name: str) -> bytes:
    with default_storage.open(name, "rb") as fh:
        return crypto.decrypt_bytes(fh.read())


def _manifest(upload: Upload) -> dict:
    return orjson.loads(_read_stored(upload.stored_file))


def _delete_stored(manifest_name: str, manifest: dict, *, keep_manifest: bool = False) -> None:
    for segment in manifest["segments"]:
        default_storage.delete(segment["name"])
    if not keep_manifest:
        default_storage.delete(manifest_name)


# ---- checking lines (in a checker process, or here) ----------------------------------------------

def _issue_text(issue) -> str:
    return f"{issue.expression}：{issue.message}" if issue.expression else issue.message


def _check_line(number: int, raw: bytes, source) -> tuple:
    """(line, type, id, `store.pack`ed Prepared or None when rejected, [(severity, reason)], reference targets)."""
    try:
        resource = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return number, "", "", None, [("error", _("该行不是合法的 JSON（第 %(pos)s 个字符附近）")
                                       % {"pos": exc.pos + 1})], ()
    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        return number, "", "", None, [("error", _("该行不是 FHIR 资源（缺少 resourceType）"))], ()
    type_, fhir_id = resource["resourceType"], resource.get("id")
    shown_type, shown_id = type_[:40], fhir_id[:64] if isinstance(fhir_id, str) else ""
    if type_ in SUPPORTED_TYPES:
        try:
            services.check_type_allowed(source, type_)
        except BusinessError as exc:
            return number, shown_type, shown_id, None, [("error", f"{exc.message}：{type_}")], ()
        if fhir_id is None or fhir_id == "":
            return number, shown_type, "", None, [("error", _("批量导入的资源必须带有 id（按 PUT 语义写入）"))], ()
    try:
        issues = validate(resource)
    except Exception:  # deeply nested or otherwise pathological content: a rejected line, not a failed job
        return number, shown_type, shown_id, None, [("error", _("资源内容无法校验"))], ()
    reasons = [(issue.severity, _issue_text(issue)) for issue in issues]
    if any(issue.severity == "error" for issue in issues):
        return number, shown_type, shown_id, None, reasons, ()
    # The (type, id) of every relative reference: the job looks up only those it does not know already.
    targets = tuple({target for node in references_in(resource) if (target := reference_of(node))})
    try:
        prepared = store.prepare(type_, fhir_id, resource)
    except Exception:  # as above: a rejected line, not a failed job
        return number, shown_type, shown_id, None, [("error", _("资源内容无法校验"))], ()
    return number, type_, fhir_id, store.pack(prepared), reasons, targets


def _check_segment(data: bytes, source) -> list[tuple]:
    out = []
    for item in data.split(b"\n"):
        number, _tab, raw = item.partition(b"\t")
        out.append(_check_line(int(number), raw, source))
    return out


def _checker(conn, inherited: list, source, catalogue) -> None:
    """A forked checker: segment names in, checked lines out. It never touches the database (the code
    catalogue was read before the fork), and ends when the job's end of the pipe closes."""
    for other in inherited:
        other.close()
    codes.catalogue = lambda: catalogue
    gc.disable()
    while True:
        try:
            name = conn.recv()
        except (EOFError, OSError):
            return
        if name is None:
            return
        try:
            reply = ("ok", _check_segment(_read_stored(name), source))
        except Exception as exc:  # the kind only: a message might quote content
            reply = ("failed", type(exc).__name__)
        try:
            conn.send_bytes(pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError:
            return


class _Checkers:
    """Forked checkers; segment k goes to checker k % n, so results come back in order, while every
    checker works ahead on its next segment."""

    def __init__(self, count: int, source):
        context = multiprocessing.get_context("fork")
        catalogue = codes.catalogue()
        self.conns, self.processes = [], []
        for _number in range(count):
            mine, theirs = context.Pipe()
            process = context.Process(target=_checker, args=(theirs, [*self.conns, mine], source, catalogue),
                                      daemon=True)
            process.start()
            theirs.close()
            self.conns.append(mine)
            self.processes.append(process)

    def results(self, names: list[str]) -> Iterator[list[tuple]]:
        count = len(self.conns)
        ahead = min(len(names), 2 * count)  # each checker has its next segment waiting
        for k in range(ahead):
            self.conns[k % count].send(names[k])
        for k in range(len(names)):
            try:
                reply = pickle.loads(self.conns[k % count].recv_bytes())  # noqa: S301 - our own child's bytes
            except EOFError:
                raise RuntimeError("a checker process ended unexpectedly") from None
            if reply[0] != "ok":
                raise RuntimeError(f"a checker process failed: {reply[1]}")
            if k + ahead < len(names):
                self.conns[(k + ahead) % count].send(names[k + ahead])
            yield reply[1]

    def close(self) -> None:
        for conn in self.conns:
            try:
                conn.send(None)
            except OSError:
                pass
            conn.close()
        for process in self.processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
                process.join()


def _worker_count(requested: int | None) -> int:
    if requested is not None:
        return max(0, requested)
    return max(0, settings.RECORDS_BULK_WORKERS)


# ---- the job ------------------------------------------------------------------------------------

class _Superseded(Exception):
    """Another run of the same upload moved it on: this one stops."""


@background
def ndjson_import(upload_id: int) -> None:
    with request_origin(address="worker", channel_name="job"):
        ndjson_import_run(upload_id=upload_id)


def ndjson_import_run(*, upload_id: int, workers: int | None = None) -> Upload:
    """Run (or resume, from `Upload.position`) the import of an NDJSON upload. Safe to run again: a done
    upload is left alone, a chunk already committed is never written twice. `workers`: checker processes
    (0: check in this process)."""
    upload = Upload.objects.select_related("source", "created_by").get(pk=upload_id, kind=UploadKind.NDJSON)
    if upload.status == UploadStatus.DONE:
        return upload
    with translation.override(settings.LANGUAGE_CODE):
        if upload.source.status != SourceStatus.ACTIVE:
            return _fail(upload, str(E.SOURCE_SUSPENDED.message))
        Upload.objects.filter(pk=upload.pk).exclude(status=UploadStatus.DONE).update(
            status=UploadStatus.RUNNING, error="", started_at=Coalesce(F("started_at"), timezone.now()))
        upload.refresh_from_db()
        enabled = gc.isenabled()
        gc.disable()  # millions of small acyclic objects: the cycle collector would only walk them again
        try:
            _run(upload, _worker_count(workers))
        except _Superseded:
            pass
        except Exception:
            logger.exception("ndjson upload %s: import failed", upload.pk)
            return _fail(upload, INTERNAL_ERROR)
        finally:
            if enabled:
                gc.enable()
        upload.refresh_from_db()
        return upload


def _fail(upload: Upload, message: str) -> Upload:
    Upload.objects.filter(pk=upload.pk).exclude(status=UploadStatus.DONE).update(
        status=UploadStatus.FAILED, error=message, finished_at=timezone.now())
    upload.refresh_from_db()
    progress.report(_progress_key(upload.pk), phase=upload.status, done=upload.position, total=upload.total)
    return upload


def _run(upload: Upload, workers: int) -> None:
    manifest = _manifest(upload)
    todo, start = [], 0
    for segment in manifest["segments"]:
        end = start + segment["entries"]
        if end > upload.position:
            todo.append((segment["name"], max(start, upload.position), end, upload.position - start))
        start = end
    source = upload.source
    written: set[tuple[str, str]] = set()  # ids this run wrote, of the types others refer to
    began, done_before = time.monotonic(), upload.position
    checkers = None
    if workers and len(todo) >= POOL_MIN_SEGMENTS and "fork" in multiprocessing.get_all_start_methods():
        checkers = _Checkers(min(workers, len(todo)), source)
        results = checkers.results([name for name, *_rest in todo])
    else:
        results = (_check_segment(_read_stored(name), source) for name, *_rest in todo)
    try:
        for (_name, begin, end, skip), checked in zip(todo, results, strict=True):
            counts = _commit_chunk(upload, source, checked[skip:] if skip > 0 else checked, begin, end, written)
            for key, value in counts.items():
                setattr(upload, key, getattr(upload, key) + value)
            upload.position = end
            elapsed = time.monotonic() - began
            progress.report(_progress_key(upload.pk), phase=UploadStatus.RUNNING, done=end, total=upload.total)
            logger.debug("ndjson upload %s: %s/%s (%.0f/s)", upload.pk, end, upload.total,
                         (end - done_before) / elapsed if elapsed else 0)
    finally:
        if checkers is not None:
            checkers.close()
    _finish(upload, manifest)


def _commit_chunk(upload: Upload, source, checked: list[tuple], begin: int, end: int, written: set) -> Counter:
    """One chunk, all or nothing: claim it, check references, write, record rejects and counts."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            # The chunk and its position commit together; should the server lose the last commits, the
            # position goes back with them and the job redoes those chunks. No need to wait for the disk.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        claimed = Upload.objects.filter(pk=upload.pk, status=UploadStatus.RUNNING, position=begin).update(
            position=end)
        if not claimed:
            raise _Superseded
        counts, issues = Counter(), []
        with index_lookups():
            accepted = _accepted(checked, issues, counts)
            accepted = _check_references(accepted, written, issues, counts)
            _write(upload, source, accepted, written, issues, counts)
        if issues:
            insert_rows(UploadIssue, ["upload_id", "entry", "severity", "resource_type", "fhir_id", "message"],
                        ((upload.pk, number, severity, type_[:40], fhir_id[:64], message)
                         for number, severity, type_, fhir_id, message in issues))
        Upload.objects.filter(pk=upload.pk).update(**{key: F(key) + value for key, value in counts.items()})
    return counts


def _accepted(checked: list[tuple], issues: list, counts: Counter) -> list[tuple]:
    accepted = []
    for number, type_, fhir_id, payload, reasons, references in checked:
        for severity, message in reasons:
            issues.append((number, severity, type_, fhir_id, message))
        if payload is None:
            counts["rejected"] += 1
        else:
            accepted.append((number, type_, fhir_id, payload, references))
    return accepted


def _check_references(accepted: list[tuple], written: set, issues: list, counts: Counter) -> list[tuple]:
    """Drop entries whose references resolve to nothing stored, written by this job, or in this chunk.
    Only references to neither this chunk nor what this job wrote go to `services.missing_references`
    (usually none: referenced types come first, and the job remembers what it wrote)."""
    while accepted:
        chunk = {(type_, fhir_id) for _n, type_, fhir_id, _p, _t in accepted}
        unknown = {index: [t for t in targets if t not in chunk and t not in written]
                   for index, (*_rest, targets) in enumerate(accepted)}
        unknown = {index: targets for index, targets in unknown.items() if targets}
        if not unknown:
            return accepted
        order = list(unknown)
        stubs = [[{"reference": f"{t}/{i}"} for t, i in unknown[index]] for index in order]
        missing = defaultdict(list)
        for position, ref in services.missing_references(stubs, chunk):
            missing[order[position]].append(ref)
        if not missing:
            return accepted
        dropped = set()
        for index, refs in missing.items():
            number, type_, fhir_id, _payload, _targets = accepted[index]
            for ref in dict.fromkeys(refs):
                issues.append((number, "error", type_, fhir_id, _("引用的资源 %(ref)s 不存在") % {"ref": ref}))
            counts["rejected"] += 1
            dropped.add((type_, fhir_id))
        accepted = [entry for index, entry in enumerate(accepted) if index not in missing]
        dropped -= {(type_, fhir_id) for _n, type_, fhir_id, _p, _t in accepted}
        # Rarely, another entry of the chunk points at one just dropped: check the rest again.
        if not any(target in dropped for *_rest, targets in accepted for target in targets):
            return accepted
    return accepted


def _write(upload: Upload, source, accepted: list[tuple], written: set, issues: list, counts: Counter) -> None:
    changes = [store.Change(type_, fhir_id, None, "PUT", entry=number, prepared=store.unpack(packed))
               for number, type_, fhir_id, packed, _refs in accepted]
    while changes:
        try:
            with transaction.atomic():
                outcomes = store.apply_changes(changes, source=source, institution_id=source.institution_id,
                                               upload_id=upload.pk)
        except BusinessError as exc:
            refused = _refused_entries(exc, changes, source)
            if not refused:
                raise
            for change in changes:
                if change.entry in refused:
                    issues.append((change.entry, "error", change.type, change.fhir_id, refused[change.entry]))
                    counts["rejected"] += 1
            changes = [change for change in changes if change.entry not in refused]
            continue
        for change, outcome in zip(changes, outcomes, strict=True):
            counts[outcome.status if outcome.status in ("created", "updated") else "unchanged"] += 1
            if change.type in REMEMBERED_TYPES:
                written.add((change.type, change.fhir_id))
        return


def _refused_entries(exc: BusinessError, changes: list, source) -> dict[int, str]:
    """The entries `apply_changes` refuses: all ids another source owns (found in one query per type),
    or the one entry the error names."""
    if exc.code == E.ID_OWNED_BY_OTHER_SOURCE:
        by_type = defaultdict(set)
        for change in changes:
            by_type[change.type].add(change.fhir_id)
        owned = set()
        for type_, ids in by_type.items():
            owned.update((type_, fhir_id) for fhir_id in Resource.objects.filter(
                type=type_, fhir_id__in=sorted(ids), source__isnull=False).exclude(source=source)
                .values_list("fhir_id", flat=True))
        refused = {c.entry: exc.message for c in changes if (c.type, c.fhir_id) in owned}
        if refused:
            return refused
    entry = exc.extra.get("entry")
    return {entry: exc.message} if entry else {}


def _finish(upload: Upload, manifest: dict) -> None:
    with transaction.atomic():
        finished = Upload.objects.filter(pk=upload.pk, status=UploadStatus.RUNNING, position__gte=upload.total) \
            .update(status=UploadStatus.DONE, finished_at=timezone.now())
        if not finished:
            raise _Superseded
        upload.refresh_from_db()
        audit_record(actor=upload.created_by, action=AuditAction.RECORD_UPLOAD, entity="Upload",
                     entity_id=upload.pk,
                     summary=_("批量 NDJSON 导入完成：%(n)s 条（新增 %(c)s，更新 %(u)s，未变化 %(s)s，拒收 %(r)s）")
                     % {"n": upload.total, "c": upload.created, "u": upload.updated, "s": upload.unchanged,
                        "r": upload.rejected})
        after_upload(upload.pk)
    # The lines hold personal data: once imported they are not kept (the small manifest stays, for the
    # reject report's file names and line numbers).
    _delete_stored(upload.stored_file, manifest, keep_manifest=True)
    _refresh_statistics(upload.created)
    progress.report(_progress_key(upload.pk), phase=UploadStatus.DONE, done=upload.position, total=upload.total)


ANALYZE_AFTER_ROWS = 10_000
_ANALYZED = ("records_resource", "records_resourceversion", "records_tokenindex", "records_stringindex",
             "records_dateindex", "records_referenceindex")


def _refresh_statistics(created: int) -> None:
    """PostgreSQL: after a large load, the planner sees the new rows at once (as the import framework does)."""
    if connection.vendor != "postgresql" or created < ANALYZE_AFTER_ROWS:
        return
    with connection.cursor() as cursor:
        for table in _ANALYZED:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


# ---- reading back: progress, counts, the reject report --------------------------------------------

def upload_progress(upload_id: int) -> dict:
    """Where the import of an upload stands, for a page to poll (the caller fetched the upload through the
    gate): {"phase", "done", "total"} live from the cache, else from the upload row."""
    live = progress.read(_progress_key(upload_id))
    if live is not None:
        return live
    row = Upload.objects.filter(pk=upload_id).values("status", "position", "total").first()
    if row is None:
        return {}
    return {"phase": row["status"], "done": row["position"], "total": row["total"]}


def upload_counts(upload: Upload) -> dict:
    return {"total": upload.total, "done": upload.position, "created": upload.created, "updated": upload.updated,
            "unchanged": upload.unchanged, "rejected": upload.rejected, "status": upload.status}


def _line_of(files: list[dict], entry: int) -> tuple[str, int]:
    for meta in reversed(files):
        if entry >= meta["first_line"]:
            return meta["name"], entry - meta["first_line"] + 1
    return "", entry


def rejects_ndjson(upload: Upload, *, limit: int | None = None) -> bytes:
    """One JSON line per rejected entry: {"line", "file", "resourceType", "id", "reasons"} (reasons in
    Chinese), in line order; `line` is the line in its file. `limit`: the first so many entries only."""
    try:
        files = _manifest(upload)["files"] if upload.stored_file else []
    except (OSError, ValueError):
        files = []
    rejected = (UploadIssue.objects.filter(upload=upload, severity="error").order_by("entry", "id")
                .values_list("entry", "resource_type", "fhir_id", "message"))
    out, current = [], None
    for entry, type_, fhir_id, message in rejected.iterator(chunk_size=5000):
        if current is None or current["entry"] != entry:
            if current is not None:
                out.append(_reject_line(current, files))
                if limit is not None and len(out) >= limit:
                    return b"".join(out)
            current = {"entry": entry, "resourceType": type_, "id": fhir_id, "reasons": []}
        current["reasons"].append(message)
    if current is not None:
        out.append(_reject_line(current, files))
    return b"".join(out)


def _reject_line(item: dict, files: list[dict]) -> bytes:
    name, line = _line_of(files, item["entry"])
    return orjson.dumps({"line": line, "file": name, "resourceType": item["resourceType"], "id": item["id"],
                         "reasons": item["reasons"]}) + b"\n"


def upload_for_resume(*, actor, upload_id: int) -> Upload:
    """The actor's own NDJSON upload, to run its job again (the command's --resume)."""
    source = services.writer_source(actor)
    upload = Upload.objects.filter(pk=upload_id, source=source, kind=UploadKind.NDJSON).first()
    if upload is None:
        raise BusinessError(E.RESOURCE_NOT_FOUND, _("上传批次不存在，或不属于当前数据来源"))
    return upload

"""Writes to the record store: the FHIR create, update, delete and Bundle interactions of a data source.

Every write goes: the source's rights → JSON shape → validation (structure, codes) → references resolve
→ `store.apply_changes` inside one transaction with its audit row and its upload batch. A transaction
Bundle is all or nothing; a batch Bundle commits entry by entry (savepoints). Sending the same content
again creates nothing: PUT of equal content is "unchanged", and a POST whose content equals a resource
this source already sent answers with that resource (the platform's idempotency rule for uploads).
"""

import datetime as dt
import hashlib
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from weijian.accounts.access import record_source_of, require
from weijian.accounts.roles import Role
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record, audit_snapshot
from weijian.core.errors import BusinessError, NotFoundOrForbidden
from weijian.imports.bulk import field_in
from weijian.records import searchparams, store
from weijian.records.errors import RecordsErrorCode as E
from weijian.records.hooks import after_upload
from weijian.records.models import (
    BreakGlass,
    ClinicalGrant,
    Resource,
    SourceStatus,
    Upload,
    UploadIssue,
    UploadKind,
    UploadStatus,
)
from weijian.records.validation import errors_of, validate
from weijian.records.wire import entry_response

ENTITY = "health-record"


@dataclass
class EntryError:
    entry: int  # 1-based position in the Bundle (0: the request itself)
    code: E
    message: str
    expression: str = ""


class RequestRejected(BusinessError):
    """Validation failed: carries every problem found (OperationOutcome with one issue each)."""

    def __init__(self, code: E, problems: list[EntryError], **extra):
        super().__init__(code, **extra)
        self.problems = problems


def writer_source(actor, type_: str | None = None):
    """The actor's registered, active source, allowed to send `type_`."""
    require(actor, ENTITY, "create")
    source = record_source_of(actor)
    if source is None:
        raise BusinessError(E.SOURCE_NOT_REGISTERED)
    if source.status != SourceStatus.ACTIVE:
        raise BusinessError(E.SOURCE_SUSPENDED)
    if type_ is not None:
        check_type_allowed(source, type_)
    return source


def check_type_allowed(source, type_: str) -> None:
    if source.allowed_types and type_ not in source.allowed_types:
        raise BusinessError(E.SOURCE_TYPE_NOT_ALLOWED, type=type_)


def _problems(issues, entry: int, prefix: str = "") -> list[EntryError]:
    return [EntryError(entry, E(issue.code) if issue.code in E._value2member_map_ else E.RESOURCE_INVALID,
                       issue.message, f"{prefix}{issue.expression}") for issue in errors_of(issues)]


def missing_references(resources: list[dict], known: set[tuple[str, str]] = frozenset()) -> list[tuple[int, str]]:
    """(index, "Type/id") of every relative reference that names neither a stored, undeleted resource nor
    one in `known` (resources written in the same request)."""
    wanted = defaultdict(set)
    found_at = []
    for index, resource in enumerate(resources):
        for ref in searchparams.references_in(resource):
            target = searchparams.reference_of(ref)
            if target and target not in known:
                wanted[target[0]].add(target[1])
                found_at.append((index, target))
    if not wanted:
        return []
    existing = set()
    for type_, ids in wanted.items():
        rows = Resource.objects.filter(field_in("fhir_id", sorted(ids)), type=type_, deleted=False)
        existing.update((type_, fid) for fid in rows.values_list("fhir_id", flat=True))
    return [(index, f"{t}/{i}") for index, (t, i) in found_at if (t, i) not in existing]


def _bad_references(resources, known=frozenset(), entries=None) -> list[EntryError]:
    return [EntryError(entries[i] if entries else i + 1, E.REFERENCE_MISSING,
                       _("引用的资源 %(ref)s 不存在") % {"ref": ref})
            for i, ref in missing_references(resources, known)]


def _same_content_ids(source, keys: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(type, content hash) → id of this source's live resource with that content, in one query per type."""
    by_type = defaultdict(set)
    for type_, digest in keys:
        by_type[type_].add(digest)
    found = {}
    for type_, digests in by_type.items():
        rows = Resource.objects.filter(field_in("content_hash", sorted(digests)), type=type_, source=source,
                                       deleted=False)
        for digest, fhir_id in rows.values_list("content_hash", "fhir_id"):
            found.setdefault((type_, digest), fhir_id)
    return found


def _audit_write(actor, outcome: store.Outcome, action=AuditAction.CREATE) -> None:
    audit_record(actor=actor, action=action, entity=outcome.type, entity_id=outcome.fhir_id,
                 summary=f"{outcome.type}/{outcome.fhir_id} v{outcome.version} {outcome.status}")


def _single(actor, source, change: store.Change, action) -> store.Outcome:
    with transaction.atomic():
        outcome = store.apply_changes([change], source=source, institution_id=source.institution_id)[0]
        if outcome.status != "unchanged":
            _audit_write(actor, outcome, action)
    return outcome


def _check_resource(resource, type_: str | None = None) -> None:
    if not isinstance(resource, dict) or "resourceType" not in resource:
        raise BusinessError(E.NOT_A_RESOURCE)
    if type_ is not None and resource["resourceType"] != type_:
        raise BusinessError(E.TYPE_MISMATCH, expected=type_, actual=str(resource["resourceType"])[:40])
    problems = _problems(validate(resource), 0)
    problems += _bad_references([resource])
    if problems:
        raise RequestRejected(E.RESOURCE_INVALID if problems[0].code != E.REFERENCE_MISSING else
                              E.REFERENCE_MISSING, problems)


def resource_create(*, actor, resource: dict, if_none_exist_ids: list[str] | None = None) -> store.Outcome:
    """POST: a new resource with a server-assigned id. `if_none_exist_ids` are the ids of the same type
    matching the client's If-None-Exist search (the view runs it): one → that resource, several → 412."""
    type_ = resource.get("resourceType") if isinstance(resource, dict) else None
    source = writer_source(actor, type_)
    _check_resource(resource)
    if if_none_exist_ids:
        if len(if_none_exist_ids) > 1:
            raise BusinessError(E.CONDITIONAL_MULTIPLE)
        row = Resource.objects.get(type=type_, fhir_id=if_none_exist_ids[0])
        return store.Outcome(type_, row.fhir_id, "exists", row.version, row.updated, row.pk)
    digest = store.content_hash(resource)
    same_id = _same_content_ids(source, [(type_, digest)]).get((type_, digest))
    if same_id is not None:
        row = Resource.objects.get(type=type_, fhir_id=same_id)
        return store.Outcome(type_, row.fhir_id, "exists", row.version, row.updated, row.pk)
    change = store.Change(type_, str(uuid.uuid4()), resource, "POST")
    return _single(actor, source, change, AuditAction.CREATE)


def resource_update(*, actor, type_: str, fhir_id: str, resource: dict, if_match: int | None = None) -> store.Outcome:
    """PUT: update, or create with the client's id (update-as-create). `if_match` guards against lost updates."""
    source = writer_source(actor, type_)
    _check_resource(resource, type_)
    if resource.get("id") not in (None, fhir_id):
        raise BusinessError(E.ID_MISMATCH)
    change = store.Change(type_, fhir_id, resource, "PUT", if_match=if_match)
    return _single(actor, source, change, AuditAction.UPDATE)


def resource_delete(*, actor, type_: str, fhir_id: str) -> store.Outcome:
    """DELETE: a new, deleted version (history stays; reads answer 410 Gone). Deleting twice is harmless."""
    source = writer_source(actor, type_)
    row = Resource.objects.filter(type=type_, fhir_id=fhir_id).first()
    if row is not None and row.source_id not in (None, source.pk):
        raise BusinessError(E.ID_OWNED_BY_OTHER_SOURCE)
    return _single(actor, source, store.Change(type_, fhir_id, None, "DELETE"), AuditAction.DELETE)


# ---- Bundles --------------------------------------------------------------------------------------------

@dataclass
class _Entry:
    number: int  # 1-based
    method: str
    type: str
    fhir_id: str = ""
    resource: dict | None = None
    full_url: str = ""
    if_match: int | None = None
    if_none_exist: str = ""
    outcome: store.Outcome | None = None
    error: EntryError | None = None
    extra: dict = field(default_factory=dict)


def parse_if_match(value) -> int | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    if text.startswith("W/"):
        text = text[2:]
    text = text.strip('"')
    if not text.isdigit():
        raise BusinessError(E.IF_MATCH_INVALID)
    return int(text)


def _parse_entries(bundle: dict) -> tuple[str, list[_Entry]]:
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise BusinessError(E.BUNDLE_INVALID, _("请求体应为 Bundle 资源"))
    kind = bundle.get("type")
    if kind not in ("transaction", "batch"):
        raise BusinessError(E.BUNDLE_TYPE_UNSUPPORTED)
    raw_entries = bundle.get("entry", [])
    if not isinstance(raw_entries, list):
        raise BusinessError(E.BUNDLE_INVALID, _("Bundle.entry 应为数组"))
    entries, problems, full_urls = [], [], {}
    for number, raw in enumerate(raw_entries, start=1):
        try:
            entries.append(_parse_entry(number, raw))
        except BusinessError as exc:
            problems.append(EntryError(number, exc.code, exc.message, f"Bundle.entry[{number - 1}]"))
            continue
        url = entries[-1].full_url
        if url:
            if url in full_urls:
                problems.append(EntryError(number, E.FULLURL_DUPLICATED,
                                           _("fullUrl %(url)s 与第 %(other)s 条重复") % {"url": url[:100],
                                                                                    "other": full_urls[url]},
                                           f"Bundle.entry[{number - 1}].fullUrl"))
            full_urls[url] = number
    if problems and kind == "transaction":
        raise RequestRejected(E.ENTRY_FAILED, problems)
    for problem in problems:  # batch: bad entries answer for themselves
        entries.insert(problem.entry - 1, _Entry(problem.entry, "", "", error=problem))
    return kind, entries


def _parse_entry(number: int, raw) -> _Entry:
    if not isinstance(raw, dict) or not isinstance(raw.get("request"), dict):
        raise BusinessError(E.ENTRY_INVALID, _("条目缺少 request"))
    request = raw["request"]
    method, url = str(request.get("method", "")).upper(), str(request.get("url", "")).strip()
    full_url = raw.get("fullUrl", "") or ""
    if not isinstance(full_url, str):
        raise BusinessError(E.ENTRY_INVALID, _("fullUrl 应为字符串"))
    path = url.split("?", 1)[0].strip("/")
    parts = path.split("/") if path else []
    resource = raw.get("resource")
    if method == "POST":
        if len(parts) != 1 or not isinstance(resource, dict):
            raise BusinessError(E.ENTRY_INVALID, _("POST 条目应为“类型”地址并带有资源"))
        return _Entry(number, method, parts[0], resource=resource, full_url=full_url,
                      if_none_exist=str(request.get("ifNoneExist") or ""))
    if method == "PUT":
        if len(parts) != 2 or not isinstance(resource, dict):
            raise BusinessError(E.ENTRY_INVALID, _("PUT 条目应为“类型/id”地址并带有资源"))
        return _Entry(number, method, parts[0], parts[1], resource=resource, full_url=full_url,
                      if_match=parse_if_match(request.get("ifMatch")))
    if method == "DELETE":
        if len(parts) != 2:
            raise BusinessError(E.ENTRY_INVALID, _("DELETE 条目应为“类型/id”地址"))
        return _Entry(number, method, parts[0], parts[1], full_url=full_url)
    raise BusinessError(E.ENTRY_INVALID, _("不支持的请求方法：%(method)s（只支持 POST、PUT、DELETE）")
                        % {"method": method[:10]})


def _rewrite(node, mapping: dict[str, str]):
    if isinstance(node, dict):
        ref = node.get("reference")
        if isinstance(ref, str) and ref in mapping:
            node["reference"] = mapping[ref]
        for value in node.values():
            if isinstance(value, (dict, list)):
                _rewrite(value, mapping)
    elif isinstance(node, list):
        for item in node:
            _rewrite(item, mapping)


def _check_entry(source, entry: _Entry, conditional) -> list[EntryError]:
    """Type rights, resource shape and validation of one entry; fills in nothing yet."""
    prefix = f"Bundle.entry[{entry.number - 1}].resource."
    try:
        check_type_allowed(source, entry.type)
    except BusinessError as exc:
        return [EntryError(entry.number, exc.code, exc.message)]
    if entry.resource is None:
        return []
    if entry.resource.get("resourceType") != entry.type:
        return [EntryError(entry.number, E.TYPE_MISMATCH, E.TYPE_MISMATCH.message, prefix + "resourceType")]
    if entry.method == "PUT" and entry.resource.get("id") not in (None, entry.fhir_id):
        return [EntryError(entry.number, E.ID_MISMATCH, E.ID_MISMATCH.message, prefix + "id")]
    probe = {**entry.resource, "id": entry.fhir_id} if entry.fhir_id else entry.resource
    problems = _problems(validate(probe), entry.number, prefix)
    if not problems and entry.if_none_exist:
        ids = conditional(entry.type, entry.if_none_exist)
        if len(ids) > 1:
            problems.append(EntryError(entry.number, E.CONDITIONAL_MULTIPLE, E.CONDITIONAL_MULTIPLE.message))
        elif ids:
            entry.fhir_id = ids[0]
            entry.extra["exists"] = True
    return problems


def _assign_ids(source, entries: list[_Entry]) -> dict[str, str]:
    """Ids for POSTed resources and the fullUrl → "Type/id" map. A POST whose content (after its references
    are resolved) equals a resource this source already sent takes that resource's id instead."""
    mapping = {e.full_url: f"{e.type}/{e.fhir_id}" for e in entries if e.full_url and e.fhir_id}
    pending = [e for e in entries if e.method == "POST" and not e.fhir_id and e.error is None]
    while pending:
        ready = []
        for entry in pending:
            refs = {r["reference"] for r in searchparams.references_in(entry.resource)}
            if not any(ref in {p.full_url for p in pending if p is not entry and p.full_url} for ref in refs):
                ready.append(entry)
        ready = ready or pending  # a reference cycle: give the rest fresh ids
        for entry in ready:
            _rewrite(entry.resource, mapping)
        same = _same_content_ids(source, [(e.type, store.content_hash(e.resource)) for e in ready])
        for entry in ready:
            found = same.get((entry.type, store.content_hash(entry.resource)))
            entry.fhir_id = found or str(uuid.uuid4())
            if found is not None:
                entry.extra["exists"] = True
            if entry.full_url:
                mapping[entry.full_url] = f"{entry.type}/{entry.fhir_id}"
        pending = [e for e in pending if e not in ready]
    for entry in entries:
        if entry.resource is not None:
            _rewrite(entry.resource, mapping)
    return mapping


def bundle_submit(*, actor, bundle: dict, body: bytes = b"", conditional=None) -> tuple[dict, Upload | None]:
    """Process a transaction or batch Bundle; returns the response Bundle and the upload batch recorded.
    `conditional(type, query) -> [ids]` runs an If-None-Exist search (the view passes the search selector)."""
    source = writer_source(actor)
    kind, entries = _parse_entries(bundle)
    conditional = conditional or (lambda type_, query: [])
    problems = []
    for entry in entries:
        if entry.error is None:
            found = _check_entry(source, entry, conditional)
            if found:
                entry.error = found[0]
                problems += found
    if kind == "transaction" and problems:
        raise RequestRejected(E.ENTRY_FAILED, problems)
    _assign_ids(source, entries)
    known = {(e.type, e.fhir_id) for e in entries if e.resource is not None and e.error is None}
    live = [e for e in entries if e.resource is not None and e.error is None]
    for problem in _bad_references([e.resource for e in live], known, [e.number for e in live]):
        live_entry = next(e for e in live if e.number == problem.entry)
        live_entry.error = live_entry.error or problem
        problems.append(problem)
    if kind == "transaction" and problems:
        raise RequestRejected(E.ENTRY_FAILED, problems)
    digest = hashlib.sha256(body).hexdigest() if body else ""
    if kind == "transaction":
        upload = _write_transaction(actor, source, entries, digest)
    else:
        upload = _write_batch(actor, source, entries, digest)
    return _response_bundle(kind, entries), upload


def _changes(entries: list[_Entry]) -> list[store.Change]:
    # FHIR's transaction order: DELETE, then POST, then PUT.
    order = {"DELETE": 0, "POST": 1, "PUT": 2}
    return [store.Change(e.type, e.fhir_id, e.resource, e.method, if_match=e.if_match, entry=e.number)
            for e in sorted(entries, key=lambda e: order[e.method]) if not e.extra.get("exists")]


def _new_upload(source, actor, kind: str, digest: str, total: int) -> Upload:
    return Upload.objects.create(source=source, kind=kind, file_sha256=digest, total=total, created_by=actor,
                                 status=UploadStatus.RUNNING)


def _finish_upload(upload: Upload, entries: list[_Entry]) -> None:
    counts = defaultdict(int)
    for entry in entries:
        counts["rejected" if entry.error else _count_key(entry)] += 1
    Upload.objects.filter(pk=upload.pk).update(
        status=UploadStatus.DONE, created=counts["created"], updated=counts["updated"],
        unchanged=counts["unchanged"], rejected=counts["rejected"], position=len(entries),
        started_at=upload.received_at, finished_at=timezone.now())
    upload.refresh_from_db()
    after_upload(upload.pk)


def _count_key(entry: _Entry) -> str:
    if entry.extra.get("exists") or entry.outcome is None:
        return "unchanged"
    return {"created": "created", "updated": "updated", "deleted": "updated"}.get(entry.outcome.status, "unchanged")


def _write_transaction(actor, source, entries, digest) -> Upload:
    try:
        with transaction.atomic():
            upload = _new_upload(source, actor, UploadKind.TRANSACTION, digest, len(entries))
            by_number = {e.number: e for e in entries}
            outcomes = store.apply_changes(_changes(entries), source=source, institution_id=source.institution_id,
                                           upload_id=upload.pk)
            for change_outcome, change in zip(outcomes, _changes(entries), strict=True):
                by_number[change.entry].outcome = change_outcome
            _finish_upload(upload, entries)
            audit_record(actor=actor, action=AuditAction.RECORD_UPLOAD, entity="Upload", entity_id=upload.pk,
                         summary=_("事务 Bundle：%(n)s 条（新增 %(c)s，更新 %(u)s，未变化 %(s)s）")
                         % {"n": upload.total, "c": upload.created, "u": upload.updated, "s": upload.unchanged})
    except BusinessError as exc:
        number = exc.extra.get("entry", 0)
        raise RequestRejected(E.ENTRY_FAILED, [EntryError(number, exc.code, exc.message)]) from exc
    return upload


def _write_batch(actor, source, entries, digest) -> Upload:
    with transaction.atomic():
        upload = _new_upload(source, actor, UploadKind.BATCH, digest, len(entries))
    for entry in entries:
        if entry.error is not None or entry.extra.get("exists"):
            continue
        change = store.Change(entry.type, entry.fhir_id, entry.resource, entry.method, if_match=entry.if_match,
                              entry=entry.number)
        try:
            with transaction.atomic():
                entry.outcome = store.apply_changes([change], source=source, institution_id=source.institution_id,
                                                    upload_id=upload.pk)[0]
        except BusinessError as exc:
            entry.error = EntryError(entry.number, exc.code, exc.message)
    with transaction.atomic():
        _finish_upload(upload, entries)
        UploadIssue.objects.bulk_create(
            UploadIssue(upload=upload, entry=e.number, resource_type=e.type[:40], fhir_id=e.fhir_id[:64],
                        message=e.error.message) for e in entries if e.error is not None)
        audit_record(actor=actor, action=AuditAction.RECORD_UPLOAD, entity="Upload", entity_id=upload.pk,
                     summary=_("批处理 Bundle：%(n)s 条（新增 %(c)s，更新 %(u)s，拒收 %(r)s）")
                     % {"n": upload.total, "c": upload.created, "u": upload.updated, "r": upload.rejected})
    return upload


def _response_bundle(kind: str, entries: list[_Entry]) -> dict:
    return {"resourceType": "Bundle", "id": str(uuid.uuid4()), "type": f"{kind}-response",
            "entry": [entry_response(e) for e in entries]}


# ---- emergency access and grants ---------------------------------------------------------------------

BREAK_GLASS_HOURS = 12


REASON_MIN = 10  # characters of a break-glass, grant or revoke reason


def _one_line(reason: str) -> str:
    return " ".join((reason or "").split())


def break_glass_open(*, actor, patient_id: str, reason: str):
    """A clinician opens a resident's record outside their institution for an emergency, with a reason.
    The access lasts BREAK_GLASS_HOURS and is audited (the audit administrator reviews these)."""
    require(actor, ENTITY, "break-glass")
    reason = _one_line(reason)
    if len(reason) < REASON_MIN:
        audit_record(actor=actor, action=AuditAction.BREAK_GLASS, entity="Patient", entity_id=patient_id,
                     summary=_("紧急访问被拒绝：理由不足"), outcome="refused")
        raise BusinessError(E.BREAK_GLASS_REASON_REQUIRED, field="reason")
    if not Resource.objects.filter(type="Patient", fhir_id=patient_id, deleted=False).exists():
        raise NotFoundOrForbidden
    with transaction.atomic():
        access = BreakGlass.objects.create(user=actor, patient=patient_id, reason=reason[:255],
                                           expires_at=timezone.now() + dt.timedelta(hours=BREAK_GLASS_HOURS))
        audit_record(actor=actor, action=AuditAction.BREAK_GLASS, entity="Patient", entity_id=patient_id,
                     summary=reason[:255])
    return access


def clinical_grant_create(*, actor, user, reason: str, days: int = 30):
    """The security administrator opens clinical content to an information-centre user, for a time."""
    require(actor, "record-grant", "create")
    if user.role != Role.COMMISSION_INFO:
        raise BusinessError(E.GRANT_USER_INVALID)
    reason = _one_line(reason)
    if len(reason) < REASON_MIN:
        raise BusinessError(E.GRANT_REASON_REQUIRED, field="reason")
    with transaction.atomic():
        grant = ClinicalGrant.objects.create(user=user, granted_by=actor, reason=reason[:255],
                                             expires_at=timezone.now() + dt.timedelta(days=days))
        audit_record(actor=actor, action=AuditAction.GRANT, entity="record-grant", entity_id=grant.pk,
                     summary=f"{user.username}: {reason[:200]}")
    return grant


def clinical_grant_revoke(*, actor, grant, reason: str):
    """The security administrator ends a grant before its expiry, with a reason. From the commit on, the gate
    (`accounts.access.clinical_grant_active_q`) no longer counts it: the grantee's next read is refused.
    A grant already revoked or expired is refused (nothing written), so a second click changes nothing."""
    require(actor, "record-grant", "revoke")
    reason = _one_line(reason)
    if len(reason) < REASON_MIN:
        raise BusinessError(E.GRANT_REVOKE_REASON_REQUIRED, field="reason")
    with transaction.atomic():
        # Locked: two administrators revoking at once write one revoke and one refusal.
        grant = ClinicalGrant.objects.select_for_update().select_related("user").get(pk=grant.pk)
        now = timezone.now()
        if grant.revoked_at is not None:
            raise BusinessError(E.GRANT_NOT_ACTIVE, _("该授权已于 %(when)s 撤销，不能重复撤销")
                                % {"when": timezone.localtime(grant.revoked_at).strftime("%Y-%m-%d %H:%M")})
        if grant.expires_at <= now:
            raise BusinessError(E.GRANT_NOT_ACTIVE, _("该授权已于 %(when)s 到期失效，无需撤销")
                                % {"when": timezone.localtime(grant.expires_at).strftime("%Y-%m-%d %H:%M")})
        before = audit_snapshot(grant)
        grant.revoked_at, grant.revoked_by, grant.revoke_reason = now, actor, reason[:255]
        grant.full_clean()
        grant.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        audit_record(actor=actor, action=AuditAction.REVOKE, entity="record-grant", entity_id=grant.pk,
                     summary=f"{grant.user.username}: {reason[:200]}", before=before, after=audit_snapshot(grant))
    return grant

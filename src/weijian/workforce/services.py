"""Writes for health workers. The ID number is validated (GB 11643), encrypted, blind-indexed and masked here."""

import dataclasses
import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from weijian.accounts.access import access_object, institution_in_scope, require
from weijian.audit.actions import AuditAction
from weijian.audit.models import AuditEvent
from weijian.audit.services import audit_changes, audit_record, audit_snapshot
from weijian.core import context, crypto
from weijian.core.errors import BusinessError, NotFoundOrForbidden
from weijian.orgs.models import Institution
from weijian.workforce.errors import WorkforceErrorCode as E
from weijian.workforce.idnumber import IdNumberError, mask_id_number, parse_id_number
from weijian.workforce.models import Profession, TitleLevel, Worker, WorkerStatus
from weijian.workforce.selectors import worker_list

ID_PURPOSE = "worker-id-number"


def id_number_index(value: str) -> str:
    return crypto.blind_index(value.strip().upper(), purpose=ID_PURPOSE)


@dataclass
class WorkerData:
    """A validated worker, ready to write. Built only by `worker_clean`."""

    name: str
    id_number: str
    birth_date: dt.date
    sex: str
    institution: Institution
    profession: str
    title_level: str
    practising_since: dt.date | None
    status: str
    # 执业证书编码; None means "not given": an update keeps the stored one, a new worker gets none.
    licence_number: str | None = None

    @property
    def index(self) -> str:
        return id_number_index(self.id_number)

    def model_fields(self) -> dict:
        parsed = parse_id_number(self.id_number)
        fields = {
            "name": self.name,
            "id_number_masked": parsed.masked,
            "birth_date": self.birth_date,
            "sex": self.sex,
            "institution": self.institution,
            "profession": self.profession,
            "title_level": self.title_level,
            "practising_since": self.practising_since,
            "status": self.status,
        }
        if self.licence_number is not None:
            fields["licence_number"] = self.licence_number
        return fields


def clean_licence_number(value) -> str | None:
    """执业证书编码: letters and digits, at most 32; blank gives "" (None stays None: not given)."""
    if value is None:
        return None
    value = str(value).strip().upper()
    if len(value) > 32 or (value and not (value.isascii() and value.isalnum())):
        raise BusinessError(E.LICENCE_INVALID, field="licence_number")
    return value


def _licence_taken(licence: str, exclude_pk=None) -> bool:
    if not licence:
        return False
    return Worker.objects.filter(licence_number=licence).exclude(pk=exclude_pk).exists()


def _choice(value: str, choices, field: str) -> str:
    if value not in choices._value2member_map_:  # O(1); `choices.values` rebuilds a list per call
        raise BusinessError(E.CHOICE_INVALID, f"取值“{value}”无效", field=field)
    return value


def worker_clean(
    *, actor, name: str, id_number: str, institution: Institution | None, profession: str,
    title_level: str = "none", practising_since: dt.date | None = None, status: str = "active",
    birth_date: dt.date | None = None, sex: str | None = None, today: dt.date | None = None,
    licence_number: str | None = None,
) -> WorkerData:
    """Validate one worker's fields and the actor's right to place them in `institution`."""
    name = (name or "").strip()
    if not name:
        raise BusinessError(E.NAME_REQUIRED, field="name")
    if len(name) > 64:
        raise BusinessError(E.NAME_TOO_LONG, field="name")
    try:
        parsed = parse_id_number(id_number)
    except IdNumberError as exc:
        raise BusinessError(E.ID_NUMBER_INVALID, str(exc), field="id_number") from None
    if birth_date is not None and birth_date != parsed.birth_date:
        raise BusinessError(E.BIRTH_DATE_MISMATCH, field="birth_date")
    if sex and sex != parsed.sex:
        raise BusinessError(E.SEX_MISMATCH, field="sex")
    if institution is None or not institution_in_scope(actor, institution):
        raise BusinessError(E.INSTITUTION_OUT_OF_SCOPE, field="institution")
    _choice(profession, Profession, "profession")
    _choice(title_level, TitleLevel, "title_level")
    _choice(status, WorkerStatus, "status")
    if practising_since is not None:
        if practising_since < parsed.birth_date:
            raise BusinessError(E.PRACTISING_BEFORE_BIRTH, field="practising_since")
        if practising_since > (today or dt.date.today()):
            raise BusinessError(E.PRACTISING_IN_FUTURE, field="practising_since")
    return WorkerData(name, parsed.value, parsed.birth_date, parsed.sex, institution, profession,
                      title_level, practising_since, status, clean_licence_number(licence_number))


@transaction.atomic
def worker_create(*, actor, data: WorkerData) -> Worker:
    require(actor, "worker", "create")
    if not data.institution.is_active:
        raise BusinessError(E.INSTITUTION_CLOSED, field="institution")
    index = data.index
    if Worker.objects.filter(id_number_index=index).exists():
        raise BusinessError(E.ID_NUMBER_TAKEN, field="id_number")
    if _licence_taken(data.licence_number):
        raise BusinessError(E.LICENCE_TAKEN, field="licence_number")
    worker = Worker(**data.model_fields(), id_number_index=index,
                    id_number_encrypted=crypto.encrypt(data.id_number))
    worker.full_clean()
    worker.save()
    audit_record(actor=actor, action=AuditAction.CREATE, entity="worker", entity_id=worker.pk,
                 summary=worker.name, after=audit_snapshot(worker))
    return worker


@transaction.atomic
def worker_update(*, actor, worker: Worker, data: WorkerData) -> Worker:
    require(actor, "worker", "update")
    if not institution_in_scope(actor, worker.institution):
        raise NotFoundOrForbidden
    index = data.index
    if index != worker.id_number_index:
        if Worker.objects.filter(id_number_index=index).exclude(pk=worker.pk).exists():
            raise BusinessError(E.ID_NUMBER_TAKEN, field="id_number")
        worker.id_number_index = index
        worker.id_number_encrypted = crypto.encrypt(data.id_number)
    if data.licence_number and data.licence_number != worker.licence_number and _licence_taken(
            data.licence_number, exclude_pk=worker.pk):
        raise BusinessError(E.LICENCE_TAKEN, field="licence_number")
    before = audit_snapshot(worker)
    for field, value in data.model_fields().items():
        setattr(worker, field, value)
    worker.full_clean()
    worker.save()
    old, new = audit_changes(before, audit_snapshot(worker))
    if new:
        audit_record(actor=actor, action=AuditAction.UPDATE, entity="worker", entity_id=worker.pk,
                     summary=worker.name, before=old, after=new)
    return worker


@transaction.atomic
def worker_deactivate(*, actor, worker: Worker) -> Worker:
    """Workers are not deleted (credits and projects point at them): they are marked as having left."""
    require(actor, "worker", "delete")
    if worker.status == WorkerStatus.ACTIVE:
        worker.status = WorkerStatus.LEFT
        worker.save(update_fields=["status", "updated_at"])
        audit_record(actor=actor, action=AuditAction.DEACTIVATE, entity="worker", entity_id=worker.pk,
                     summary=worker.name, before={"status": "active"}, after={"status": "left"})
    return worker


@transaction.atomic
def worker_reveal_id_number(*, actor, pk) -> str:
    """The full ID number, for roles allowed to see it and workers in their scope; always audited."""
    worker = access_object(actor, Worker, pk, "reveal")
    audit_record(actor=actor, action=AuditAction.REVEAL, entity="worker", entity_id=worker.pk,
                 summary=f"{worker.name} {worker.id_number_masked}")
    return crypto.decrypt(worker.id_number_encrypted)


def worker_view(*, actor, pk) -> Worker:
    """One worker for a detail page. Opening a person's record is a read of personal data: audited."""
    worker = access_object(actor, Worker, pk, "view")
    audit_record(actor=actor, action=AuditAction.VIEW_PERSONAL, entity="worker", entity_id=worker.pk,
                 summary=f"{worker.name} {worker.id_number_masked}")
    return worker


def worker_clean_update(*, actor, worker: Worker, id_number: str = "", **fields) -> WorkerData:
    """`worker_clean` for an edit form, where a blank ID number means "keep the stored one".

    The stored number is decrypted only to re-validate the row; it never leaves this function.
    """
    return worker_clean(actor=actor, id_number=id_number or crypto.decrypt(worker.id_number_encrypted), **fields)


def worker_find_by_id_number(*, actor, id_number: str):
    """Exact search by ID number through the blind index, within the actor's scope."""
    return worker_list(actor=actor).filter(id_number_index=id_number_index(id_number)).first()


# ---- bulk, for the import framework ----------------------------------------------------------

@dataclass
class BulkResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # (position in `rows`, reason): rows left alone, e.g. an ID number registered to a worker
    # outside the actor's scope (an import must not move people between institutions it cannot see).
    refused: list[tuple[int, BusinessError]] = dataclasses.field(default_factory=list)


COMPARED = ("name", "institution_id", "profession", "title_level", "practising_since", "status", "licence_number")
_INSERTED = ("id", "name", "id_number_encrypted", "id_number_index", "id_number_masked", "birth_date", "sex",
             "institution_id", "profession", "title_level", "practising_since", "status", "licence_number",
             "created_at", "updated_at")
_AUDITED = ("at", "actor_id", "actor_username", "actor_role", "address", "channel", "action", "entity",
            "entity_id", "summary", "before", "after", "outcome")


def _changed_fields(worker: Worker, row: WorkerData) -> dict[str, tuple]:
    """{field: (stored, incoming)} for the fields an import may change."""
    incoming = {"name": row.name, "institution_id": row.institution.pk, "profession": row.profession,
                "title_level": row.title_level, "practising_since": row.practising_since, "status": row.status}
    if row.licence_number is not None:  # a blank cell keeps the stored licence number
        incoming["licence_number"] = row.licence_number
    return {k: (getattr(worker, k), v) for k, v in incoming.items() if getattr(worker, k) != v}


def _existing(actor, rows: list[WorkerData]):
    """Classify each row: (position, row, blind index, stored worker or None) for the rows that may be
    written, and the refused ones. The blind index is computed once per row (it is an HMAC)."""
    from weijian.imports.bulk import field_in, index_lookups

    indexes = [id_number_index(row.id_number) for row in rows]
    with index_lookups():
        found = {w.id_number_index: w for w in
                 Worker.objects.filter(field_in("id_number_index", indexes)).select_related("institution")}
        licences = [row.licence_number for row in rows if row.licence_number]
        holders = dict(Worker.objects.filter(field_in("licence_number", licences))
                       .values_list("licence_number", "id_number_index")) if licences else {}
    usable, refused, seen = [], [], set()
    licence_rows: dict[str, str] = {}  # licence number -> the blind index of the batch row carrying it
    for position, (row, index) in enumerate(zip(rows, indexes, strict=True)):
        worker = found.get(index)
        if index in seen:
            refused.append((position, BusinessError(E.ID_NUMBER_TAKEN, "与同批次中的另一行身份证号重复",
                                                    field="id_number")))
        elif worker is not None and not institution_in_scope(actor, worker.institution):
            refused.append((position, BusinessError(
                E.ID_NUMBER_TAKEN, "该身份证号已在您管辖范围以外的机构登记，不能通过导入修改", field="id_number")))
        elif worker is None and not row.institution.is_active:  # as worker_create
            refused.append((position, BusinessError(E.INSTITUTION_CLOSED, field="institution")))
        elif row.licence_number and (holders.get(row.licence_number, index) != index
                                     or licence_rows.setdefault(row.licence_number, index) != index):
            refused.append((position, BusinessError(E.LICENCE_TAKEN, field="licence_number")))
        else:
            usable.append((position, row, index, worker))
        seen.add(index)
    return usable, refused


def worker_bulk_plan(*, actor, rows: list[WorkerData]) -> BulkResult:
    """What `worker_bulk_upsert` would do with these rows, without writing (the dry run)."""
    require(actor, "worker", "import")
    usable, refused = _existing(actor, rows)
    result = BulkResult(refused=refused)
    for _, row, _, worker in usable:
        if worker is None:
            result.created += 1
        elif _changed_fields(worker, row):
            result.updated += 1
        else:
            result.unchanged += 1
    return result


@transaction.atomic
def worker_bulk_upsert(*, actor, rows: list[WorkerData]) -> BulkResult:
    """Create or update many workers keyed by ID number; one audit row per created or changed worker.

    Idempotent: re-applying the same rows changes nothing and reports them as unchanged. ID
    numbers are encrypted and blind-indexed as in `worker_create`; audit rows carry masked
    numbers only. Rows are written with multi-row INSERTs (see imports.bulk) for speed.
    """
    from weijian.imports.bulk import insert_rows, reserve_ids

    require(actor, "worker", "import")
    usable, refused = _existing(actor, rows)
    result = BulkResult(refused=refused)
    now = timezone.now()
    event = (now, actor.pk, actor.username, actor.role, context.client_address(), context.channel())
    new_rows = [(row, index) for _, row, index, worker in usable if worker is None]
    ids = reserve_ids(Worker, len(new_rows))
    to_create, to_update, events = [], [], []
    for pk, (row, index) in zip(ids, new_rows, strict=True):
        masked, institution_id = mask_id_number(row.id_number), row.institution.pk
        to_create.append((pk, row.name, crypto.encrypt(row.id_number), index, masked, row.birth_date, row.sex,
                          institution_id, row.profession, row.title_level, row.practising_since, row.status,
                          row.licence_number or "", now, now))
        events.append((*event, AuditAction.CREATE, "worker", str(pk), f"导入新增 {row.name}"[:255], None,
                       {"name": row.name, "institution_id": institution_id, "id_number_masked": masked}, "ok"))
    for _, row, _index, worker in usable:
        if worker is None:
            continue
        changes = _changed_fields(worker, row)
        if not changes:
            result.unchanged += 1
            continue
        for name, (_, new) in changes.items():
            setattr(worker, name, new)
        worker.updated_at = now
        to_update.append(worker)
        events.append((*event, AuditAction.UPDATE, "worker", str(worker.pk), f"导入更新 {worker.name}"[:255],
                       {k: _json(old) for k, (old, _) in changes.items()},
                       {k: _json(new) for k, (_, new) in changes.items()}, "ok"))
    insert_rows(Worker, _INSERTED, to_create)
    if to_update:
        Worker.objects.bulk_update(to_update, [*COMPARED, "updated_at"], batch_size=500)
    insert_rows(AuditEvent, _AUDITED, events)
    result.created, result.updated = len(to_create), len(to_update)
    return result


def _json(value):
    return value if isinstance(value, (str, int, type(None))) else str(value)

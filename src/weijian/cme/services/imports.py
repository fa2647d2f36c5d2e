"""Bulk writes behind the CME imports and the bulk API: national/provincial project lists, sign-in
sheets and e-learning credit files.

Each kind has three steps over a batch of parsed rows (see weijian.imports.registry): a *check*
(rows -> PreparedBatch: the row rules, with a few queries per batch, never per row), a *plan* (the
dry run: what would be created, updated, left unchanged or refused) and a *write*. The import specs
in cme.importers and the bulk API (`credit_bulk_import`) both use these functions, so a row is judged
the same way whichever door it comes in by.

ID numbers are matched through the blind index only; error rows show masked numbers.
"""

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import NamedTuple

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from weijian.accounts.access import institution_in_scope, require
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_changes, audit_record, audit_snapshot
from weijian.cme.errors import CmeErrorCode as E
from weijian.cme.models import (
    PUBLISHED,
    Attendance,
    AttendanceMethod,
    CmeProject,
    CreditCategory,
    CreditClass,
    CreditRecord,
    CreditSource,
    ProjectLevel,
    Verification,
    VerificationStage,
)
from weijian.cme.services._common import _audit
from weijian.cme.services.credits import attendance_record
from weijian.cme.services.projects import project_create
from weijian.core.errors import BusinessError
from weijian.imports.bulk import field_in, index_lookups, insert_rows
from weijian.imports.registry import ApplyResult, PreparedBatch, RowError, mask
from weijian.orgs.models import Institution
from weijian.workforce.models import Worker, WorkerStatus
from weijian.workforce.services import id_number_index

# Column headers of the three templates (the import specs use them; row errors name them).
PROJECT_HEADERS = {
    "number": "项目编号", "name": "项目名称", "level": "项目级别", "host": "主办机构", "credits": "学分",
    "delivery": "举办方式", "start_date": "开始日期", "end_date": "结束日期", "discipline": "学科",
}
ATTENDANCE_HEADERS = {
    "project": "项目编号", "id_number": "身份证号", "licence_number": "执业证书编码", "name": "姓名",
    "attended_on": "参加日期",
}
CREDIT_HEADERS = {
    "record_id": "平台记录号", "id_number": "身份证号", "name": "姓名", "course": "课程名称",
    "credit_class": "学分类别", "credits": "学分", "earned_on": "获得日期",
}
LISTED_LEVELS = (ProjectLevel.NATIONAL, ProjectLevel.PROVINCIAL)
MAX_API_RECORDS = 5_000
SEPARATOR = "\x1f"  # joins platform record numbers into one query parameter; refused inside them


def _reason(code: E) -> str:
    return str(code.message)


# ---- people: found by ID number (blind index) or licence number, in the uploader's scope ------------

class Person(NamedTuple):
    pk: int
    name: str
    institution_id: int
    district_id: int
    status: str


def id_key(id_number: str) -> tuple[str, str]:
    """What the CME imports keep of a (valid) ID number cell: (blind index, masked number). Computed
    once, while the file is parsed; the clear number goes no further (not into the rows file either)."""
    return id_number_index(id_number), mask(id_number)


_PERSON_FIELDS = ("pk", "name", "institution_id", "institution__district_id", "status")


def people_by_index(indexes) -> dict[str, Person]:
    """Workers by blind index, one query for the batch."""
    indexes = list(set(indexes))
    if not indexes:
        return {}
    with index_lookups():
        rows = (Worker.objects.filter(field_in("id_number_index", indexes))
                .values_list("id_number_index", *_PERSON_FIELDS))
        make = Person._make
        return {row[0]: make(row[1:]) for row in rows}


class PeopleCache:
    """Workers by blind index for one pass over a file (its dry run, or its apply), kept across the
    pass's batches: an e-learning file names each person about twice per 5,000 rows, and looking the
    same 60,000 people up batch after batch was a third of an import's time.

    Once the pass has asked for more people than FULL_READ_AFTER, the rest of the city's workers are
    read in one plain query instead: on PostgreSQL reading 70,000 workers costs what looking up 15,000
    by index does. A pass stays inside one transaction when it writes, so what is kept stays true."""

    FULL_READ_AFTER = 20_000
    FULL_READ_MAX = 500_000  # above this many workers, memory says keep looking up batch by batch

    def __init__(self):
        self._people: dict[str, Person] = {}
        self._missing: set[str] = set()
        self._complete = False
        self._city_fits: bool | None = None  # asked once, when the threshold is first passed

    def __call__(self, indexes) -> dict[str, Person]:
        wanted = set(indexes)
        if not self._complete:
            unknown = [i for i in wanted if i not in self._people and i not in self._missing]
            if unknown and len(self._people) + len(self._missing) + len(unknown) > self.FULL_READ_AFTER \
                    and self._fits():
                self._read_all()
            elif unknown:
                found = people_by_index(unknown)
                self._people.update(found)
                self._missing.update(i for i in unknown if i not in found)
        people = self._people
        return {i: people[i] for i in wanted if i in people}

    def fill(self) -> bool:
        """Read every worker now (before a stream that may not query), if the city fits in memory."""
        if not self._complete and self._fits():
            self._read_all()
        return self._complete

    def _fits(self) -> bool:
        if self._city_fits is None:
            self._city_fits = Worker.objects.count() <= self.FULL_READ_MAX
        return self._city_fits

    def _read_all(self) -> None:
        make = Person._make
        rows = Worker.objects.values_list("id_number_index", *_PERSON_FIELDS).iterator(chunk_size=10_000)
        self._people = {row[0]: make(row[1:]) for row in rows}
        self._missing.clear()
        self._complete = True


def _people_by_licence(licences) -> dict[str, Person | None]:
    """Workers by licence number; None where two workers share the number (ambiguous)."""
    licences = list(set(licences))
    if not licences:
        return {}
    found: dict[str, Person | None] = {}
    rows = Worker.objects.filter(field_in("licence_number", licences)).values_list("licence_number", *_PERSON_FIELDS)
    for row in rows:
        found[row[0]] = None if row[0] in found else Person._make(row[1:])
    return found


def _scope_test(actor):
    """person -> whether the actor may write for him (institution_in_scope), remembered per institution."""
    seen: dict[int, bool] = {}

    def allowed(person: Person) -> bool:
        hit = seen.get(person.institution_id)
        if hit is None:
            place = SimpleNamespace(pk=person.institution_id, district_id=person.district_id)
            hit = seen[person.institution_id] = institution_in_scope(actor, place)
        return hit

    return allowed


# ---- e-learning credits ---------------------------------------------------------------------------

@dataclass(slots=True)
class CreditRow:
    record_id: str
    worker_id: int
    credit_class: str
    credits: Decimal
    earned_on: dt.date
    course: str


def credit_rows_check(actor, rows, *, today: dt.date | None = None, cache: PeopleCache | None = None
                      ) -> PreparedBatch:
    """The row rules of an e-learning credit file: the person exists (by ID number), the name matches,
    the person is in the actor's scope, the date is not in the future. `rows` are (row number,
    {column key: parsed value}) with the cell rules (credits, class, date format) already applied;
    `cache` keeps the people found across the batches of one pass over a file."""
    today = today or timezone.localdate()
    h = CREDIT_HEADERS
    people = (cache or people_by_index)([row["id_number"][0] for _n, row in rows])
    allowed = _scope_test(actor)
    out = PreparedBatch()
    valid, errors = out.valid.append, out.errors.append
    not_found, mismatch, outside, future = (_reason(E.PERSON_NOT_FOUND), _reason(E.NAME_MISMATCH),
                                            _reason(E.PERSON_OUT_OF_SCOPE), str(E.DATE_IN_FUTURE.message))
    for number, row in rows:
        index, masked = row["id_number"]
        person = people.get(index)
        if person is None:
            errors(RowError(number, h["id_number"], masked, not_found))
        elif not allowed(person):  # before the name: say nothing about people outside the scope
            errors(RowError(number, h["id_number"], masked, outside))
        elif person.name != row["name"]:
            errors(RowError(number, h["name"], row["name"], mismatch))
        elif row["earned_on"] > today:
            errors(RowError(number, h["earned_on"], row["earned_on"].isoformat(), future))
        else:
            valid((number, CreditRow(row["record_id"], person.pk, row["credit_class"], row["credits"],
                                     row["earned_on"], row["course"][:200])))
    return out


def _stored_imports(pairs: list[tuple[int, str]]) -> dict[tuple[int, str], tuple]:
    """{(worker id, platform record id): (class, credits, earned on, title)} of imported records: one
    query on the natural-key index, which leads with (source, external_ref); pairs of another worker
    with the same record id are dropped here."""
    if not pairs:
        return {}
    wanted = set(pairs)
    table = connection.ops.quote_name(CreditRecord._meta.db_table)
    columns = "external_ref, worker_id, credit_class, credits, earned_on, title"
    refs = sorted({ref for _w, ref in pairs})
    with index_lookups(), connection.cursor() as cursor:
        if not _any_stored_between(cursor, table, refs):
            return {}
        if connection.vendor == "postgresql":
            # One joined string, not an array parameter: psycopg renders long arrays slowly.
            cursor.execute(
                f"SELECT {columns} FROM {table} WHERE source = %s AND NOT (external_ref = '') "
                "AND external_ref = ANY(string_to_array(%s, %s))",
                [CreditSource.IMPORT, SEPARATOR.join(refs), SEPARATOR])
        else:
            cursor.execute(
                f"SELECT {columns} FROM {table} WHERE source = %s AND NOT (external_ref = '') "
                "AND external_ref IN (SELECT value FROM json_each(%s))",
                [CreditSource.IMPORT, json.dumps(refs)])
        rows = cursor.fetchall()
    tenth = Decimal("0.1")
    return {(worker_id, ref): (credit_class, Decimal(str(credits)).quantize(tenth),
                               day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)[:10]), title)
            for ref, worker_id, credit_class, credits, day, title in rows if (worker_id, ref) in wanted}


def _any_stored_between(cursor, table: str, refs: list[str]) -> bool:
    """Whether any imported record's number lies between the smallest and largest of `refs`, in the
    database's own collation (min and max are taken there). A platform numbers its records in sequence,
    so a new file's batch usually has none: one probe of the natural-key index instead of thousands."""
    if connection.vendor == "postgresql":
        values = "(SELECT {} (r) FROM unnest(string_to_array(%s, %s)) r)"
        params = [SEPARATOR.join(refs), SEPARATOR]
    else:
        values = "(SELECT {} (value) FROM json_each(%s))"
        params = [json.dumps(refs)]
    cursor.execute(
        f"SELECT 1 FROM {table} WHERE source = %s AND NOT (external_ref = '') "
        f"AND external_ref BETWEEN {values.format('min')} AND {values.format('max')} LIMIT 1",
        [CreditSource.IMPORT, *params, *params])
    return cursor.fetchone() is not None


def _credit_plan(valid) -> tuple[list, ApplyResult]:
    """Split checked rows into new ones and the rest (unchanged, or refused: same record id, other content)."""
    stored = _stored_imports([(row.worker_id, row.record_id) for _n, row in valid])
    result, new, conflict = ApplyResult(), [], _reason(E.RECORD_CONFLICT)
    for number, row in valid:
        found = stored.get((row.worker_id, row.record_id))
        if found is None:
            new.append(row)
        elif found == (row.credit_class, row.credits, row.earned_on, row.course):
            result.unchanged += 1
        else:
            result.errors.append(RowError(number, CREDIT_HEADERS["record_id"], row.record_id, conflict))
    result.created = len(new)
    return new, result


def credit_rows_plan(actor, valid) -> ApplyResult:
    require(actor, "cme-credit", "import")
    return _credit_plan(valid)[1]


_CREDIT_COLUMNS = ("worker_id", "year", "credit_class", "category", "credits", "earned_on", "is_remote", "title",
                   "source", "external_ref", "status", "stage", "verified_by_id", "verified_at", "created_at",
                   "updated_at")


@transaction.atomic
def credit_rows_write(actor, valid) -> ApplyResult:
    """Insert the new records (verified: the platform's file is the evidence) with the bulk writer, and
    one audit row per batch listing the platform record numbers written.

    A batch is usually all new (its dry run said so a moment ago), so it is written straight away and
    the natural-key index refuses it if any of its records has been written since; only then is the
    batch sorted out record by record (new, unchanged, or a conflicting record)."""
    require(actor, "cme-credit", "import")
    if not valid:
        return ApplyResult()
    try:
        with transaction.atomic():  # a savepoint: a refused batch leaves nothing behind
            _insert_credits(actor, [row for _n, row in valid])
        return ApplyResult(created=len(valid))
    except IntegrityError:
        pass
    new, result = _credit_plan(valid)
    if new:
        _insert_credits(actor, new)
    return result


def credit_rows_stream(actor, batches, *, cache: PeopleCache) -> ApplyResult | None:
    """A large file's apply in one stream: every batch's checked rows go to one bulk insert as the
    batches are checked (see imports.services._apply_streamed); None if the people cannot all be held
    in memory (the checks would have to query mid-stream). A record written since the dry run makes
    the insert fail on the natural key, and the caller goes batch by batch."""
    require(actor, "cme-credit", "import")
    if not cache.fill():
        return None
    return ApplyResult(created=_insert_credits(actor, (row for valid in batches for _n, row in valid)))


AUDITED_REFS = 5_000  # platform record numbers listed per audit row


def _insert_credits(actor, rows) -> int:
    """Insert credit rows (any iterable, consumed once), then one audit row per AUDITED_REFS records
    listing their platform record numbers. Returns the number written."""
    refs: list[str] = []
    now = timezone.now()
    remote, imported, verified, done = (CreditCategory.REMOTE, CreditSource.IMPORT, Verification.VERIFIED,
                                        VerificationStage.DONE)

    def values():
        for row in rows:
            refs.append(row.record_id)
            yield (row.worker_id, row.earned_on.year, row.credit_class, remote, row.credits, row.earned_on, True,
                   row.course, imported, row.record_id, verified, done, actor.pk, now, now, now)

    insert_rows(CreditRecord, _CREDIT_COLUMNS, values())
    for start in range(0, len(refs), AUDITED_REFS):
        chunk = refs[start:start + AUDITED_REFS]
        audit_record(actor=actor, action=AuditAction.CREATE, entity="cme-credit",
                     summary=f"导入远程教育学分记录 {len(chunk)} 条",
                     after={"created": len(chunk), "external_refs": chunk})
    return len(refs)


def credit_bulk_import(*, actor, rows, errors: list[RowError]) -> ApplyResult:
    """The bulk API: all or nothing. `rows` are parsed records (row number = position in the request),
    `errors` the cell problems already found. Any invalid record refuses the whole request."""
    require(actor, "cme-credit", "import")
    if len(rows) + len({e.row for e in errors}) > MAX_API_RECORDS:
        raise BusinessError(E.TOO_MANY_RECORDS)
    errors = list(errors)
    seen: dict[str, int] = {}
    unique = []
    for number, row in rows:
        first = seen.setdefault(row["record_id"], number)
        if first != number:
            errors.append(RowError(number, CREDIT_HEADERS["record_id"], row["record_id"],
                                   _("与第 %(row)s 条记录的平台记录号重复") % {"row": first}))
        else:
            unique.append((number, row))
    prepared = credit_rows_check(actor, unique)
    errors.extend(prepared.errors)
    if not errors:
        with transaction.atomic():
            result = credit_rows_write(actor, prepared.valid)
            if not result.errors:
                return result
            errors.extend(result.errors)
            transaction.set_rollback(True)
    errors.sort(key=lambda e: e.row)
    raise BusinessError(E.ROWS_INVALID, errors=[e.__dict__ for e in errors])


# ---- sign-in sheets -------------------------------------------------------------------------------

@dataclass(slots=True)
class AttendanceRow:
    project: CmeProject
    worker_id: int
    attended_on: dt.date
    active: bool


def attendance_rows_check(actor, rows, *, today: dt.date | None = None) -> PreparedBatch:  # noqa: C901
    """The row rules of a sign-in sheet. A person is found by ID number (blind index), else by licence
    number; the name must match; the project must be approved or held and the date inside it."""
    today = today or timezone.localdate()
    h = ATTENDANCE_HEADERS
    projects = {p.number: p for p in CmeProject.objects.filter(number__in={row["project"] for _n, row in rows})}
    indexes = {number: row["id_number"][0] for number, row in rows if row.get("id_number")}
    by_index = people_by_index(indexes.values())
    by_licence = _people_by_licence(row["licence_number"] for number, row in rows
                                    if number not in indexes and row.get("licence_number"))
    allowed = _scope_test(actor)
    out, seen = PreparedBatch(), {}
    for number, row in rows:
        project = projects.get(row["project"])
        id_number, licence = row.get("id_number"), row.get("licence_number")
        who = (h["id_number"], id_number[1]) if id_number else (h["licence_number"], licence or "")
        if not id_number and not licence:
            out.errors.append(RowError(number, h["id_number"], "", _reason(E.IDENTIFIER_REQUIRED)))
            continue
        if project is None or project.status not in PUBLISHED:
            out.errors.append(RowError(number, h["project"], row["project"], _reason(E.PROJECT_NOT_APPROVED)))
            continue
        person = by_index.get(indexes[number]) if id_number else by_licence.get(licence, False)
        if person is None and not id_number:
            out.errors.append(RowError(number, *who, _reason(E.LICENCE_AMBIGUOUS)))
        elif not person:
            out.errors.append(RowError(number, *who, _reason(E.PERSON_NOT_FOUND)))
        elif not allowed(person):
            out.errors.append(RowError(number, *who, _reason(E.PERSON_OUT_OF_SCOPE)))
        elif person.name != row["name"]:
            out.errors.append(RowError(number, h["name"], row["name"], _reason(E.NAME_MISMATCH)))
        elif row["attended_on"] > today:
            out.errors.append(RowError(number, h["attended_on"], row["attended_on"].isoformat(),
                                       str(E.DATE_IN_FUTURE.message)))
        elif not project.start_date <= row["attended_on"] <= project.end_date:
            out.errors.append(RowError(number, h["attended_on"], row["attended_on"].isoformat(),
                                       str(E.DATE_OUTSIDE_PROJECT.message)))
        elif (first := seen.setdefault((project.pk, person.pk), number)) != number:
            out.errors.append(RowError(number, *who, _("与第 %(row)s 行重复（同一项目、同一人员）") % {"row": first}))
        else:
            out.valid.append((number, AttendanceRow(project, person.pk, row["attended_on"],
                                                    person.status == WorkerStatus.ACTIVE)))
    return out


def _attendance_plan(valid) -> tuple[list, ApplyResult]:
    recorded = set(Attendance.objects.filter(project_id__in={row.project.pk for _n, row in valid},
                                             worker_id__in={row.worker_id for _n, row in valid})
                   .values_list("project_id", "worker_id"))
    result, new = ApplyResult(), []
    for number, row in valid:
        if (row.project.pk, row.worker_id) in recorded:
            result.unchanged += 1
        elif not row.active:
            result.errors.append(RowError(number, ATTENDANCE_HEADERS["name"], "", str(E.WORKER_NOT_ACTIVE.message)))
        else:
            new.append((number, row))
    result.created = len(new)
    return new, result


def attendance_rows_plan(actor, valid) -> ApplyResult:
    require(actor, "cme-attendance", "import")
    return _attendance_plan(valid)[1]


_ATTENDANCE_FIELDS = {"project": "project", "worker": "name", "attended_on": "attended_on"}


@transaction.atomic
def attendance_rows_write(actor, valid) -> ApplyResult:
    """Record each new attendance through `attendance_record` (which credits and audits it)."""
    require(actor, "cme-attendance", "import")
    new, result = _attendance_plan(valid)
    workers = Worker.objects.select_related("institution").in_bulk({row.worker_id for _n, row in new})
    created = 0
    for number, row in new:
        try:
            _, made = attendance_record(actor=actor, project=row.project, worker=workers[row.worker_id],
                                        attended_on=row.attended_on, method=AttendanceMethod.SIGN_IN_SHEET)
        except BusinessError as exc:
            header = ATTENDANCE_HEADERS.get(_ATTENDANCE_FIELDS.get(exc.field, ""), "")
            result.errors.append(RowError(number, header, "", exc.message))
            continue
        created += made
        result.unchanged += not made
    result.created = created
    return result


# ---- national and provincial project lists --------------------------------------------------------

@dataclass(slots=True)
class ProjectRow:
    number: str
    name: str
    level: str
    host: Institution
    credits: Decimal
    delivery: str
    start_date: dt.date
    end_date: dt.date
    discipline: str

    def values(self) -> dict:
        return {"name": self.name, "level": self.level, "host_id": self.host.pk, "credits": self.credits,
                "delivery": self.delivery, "start_date": self.start_date, "end_date": self.end_date,
                "discipline": self.discipline}


def project_rows_check(actor, rows) -> PreparedBatch:
    """The row rules of a project list: the host is a registered institution, the dates are in order."""
    from weijian.orgs.selectors import institutions_by_uscc

    h = PROJECT_HEADERS
    hosts = institutions_by_uscc(actor=actor, codes={row["host"] for _n, row in rows})
    out = PreparedBatch()
    for number, row in rows:
        host = hosts.get(row["host"])
        if row["level"] not in LISTED_LEVELS:
            out.errors.append(RowError(number, h["level"], str(row["level"]), _reason(E.LEVEL_NOT_LISTED)))
        elif host is None:
            out.errors.append(RowError(number, h["host"], row["host"], str(E.HOST_OUT_OF_SCOPE.message)))
        elif row["end_date"] < row["start_date"]:
            out.errors.append(RowError(number, h["end_date"], row["end_date"].isoformat(),
                                       str(E.DATES_INVALID.message)))
        else:
            out.valid.append((number, ProjectRow(row["number"], row["name"], row["level"], host, row["credits"],
                                                 row["delivery"], row["start_date"], row["end_date"],
                                                 row.get("discipline") or "")))
    return out


def _project_plan(valid) -> tuple[list, list, ApplyResult]:
    stored = {p.number: p for p in CmeProject.objects.filter(number__in={row.number for _n, row in valid})}
    attended = set(Attendance.objects.filter(project__in=list(stored.values()))
                   .values_list("project_id", flat=True).distinct())
    result, new, changed = ApplyResult(), [], []
    for number, row in valid:
        project = stored.get(row.number)
        if project is None:
            new.append(row)
            continue
        if project.level not in LISTED_LEVELS:
            result.errors.append(RowError(number, PROJECT_HEADERS["number"], row.number,
                                          _reason(E.PROJECT_NOT_LISTED)))
            continue
        if all(getattr(project, k) == v for k, v in row.values().items()):
            result.unchanged += 1
        elif project.pk in attended:
            result.errors.append(RowError(number, PROJECT_HEADERS["number"], row.number,
                                          _reason(E.PROJECT_ATTENDED)))
        else:
            changed.append((project, row))
    result.created, result.updated = len(new), len(changed)
    return new, changed, result


def project_rows_plan(actor, valid) -> ApplyResult:
    require(actor, "cme-project", "import")
    return _project_plan(valid)[2]


@transaction.atomic
def project_rows_write(actor, valid) -> ApplyResult:
    """New projects through `project_create` (approved: they are on a published list); changed ones
    are updated and audited field by field, unless someone already attended them."""
    require(actor, "cme-project", "import")
    new, changed, result = _project_plan(valid)
    for row in new:
        project_create(actor=actor, number=row.number, name=row.name, level=row.level, host=row.host,
                       credits=row.credits, start_date=row.start_date, end_date=row.end_date,
                       discipline=row.discipline, credit_class=CreditClass.I, delivery=row.delivery)
    for project, row in changed:
        project = CmeProject.objects.select_for_update().get(pk=project.pk)
        before = audit_snapshot(project)
        for field, value in row.values().items():
            setattr(project, field, value)
        project.full_clean()
        project.save()
        old, new_values = audit_changes(before, audit_snapshot(project))
        _audit(actor, AuditAction.UPDATE, "cme-project", project, f"名单导入更新 {project.name}"[:255],
               before=old, after=new_values)
    return result

"""Validation and audit helpers shared by the CME services."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from weijian.accounts.access import (
    institution_in_scope,
)
from weijian.accounts.roles import Scope
from weijian.audit.services import audit_record
from weijian.cme.errors import CmeErrorCode as E
from weijian.core.errors import BusinessError
from weijian.workforce.models import Worker

MAX_CREDITS = Decimal("9999.9")


def _choice(value: str, choices, field: str) -> str:
    if value not in choices._value2member_map_:
        raise BusinessError(E.CHOICE_INVALID, f"取值“{value}”无效", field=field)
    return value


def parse_credits(value, field: str = "credits") -> Decimal:
    """A positive number of credits with at most one decimal place (shared with the importers)."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise BusinessError(E.CREDITS_INVALID, field=field) from None
    if (
        not number.is_finite()
        or number <= 0
        or number > MAX_CREDITS
        or number != number.quantize(Decimal("0.1"))
    ):
        raise BusinessError(E.CREDITS_INVALID, field=field)
    return number.quantize(Decimal("0.1"))


def _not_future(day: dt.date, today: dt.date | None, field: str) -> None:
    if day > (today or timezone.localdate()):
        raise BusinessError(E.DATE_IN_FUTURE, field=field)


def _worker_in_write_scope(actor, worker: Worker) -> bool:
    if actor.scope == Scope.SELF:
        return worker.pk == actor.worker_id
    return institution_in_scope(actor, worker.institution)


def _require_worker(actor, worker: Worker) -> None:
    if worker is None or not _worker_in_write_scope(actor, worker):
        raise BusinessError(E.WORKER_OUT_OF_SCOPE, field="worker")


def _audit(actor, action, entity: str, obj, summary: str, before=None, after=None) -> None:
    audit_record(
        actor=actor,
        action=action,
        entity=entity,
        entity_id=obj.pk,
        summary=summary,
        before=before,
        after=after,
    )


def _year(year: int) -> int:
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise BusinessError(E.YEAR_INVALID, field="year")
    return year


def _non_negative(value, field: str) -> Decimal:
    if str(value).strip() in {"0", "0.0"}:
        return Decimal("0.0")
    return parse_credits(value, field)

from django.db import models

from weijian.audit.actions import AuditAction
from weijian.audit.models import AuditEvent
from weijian.core import context


def _actor_fields(actor) -> dict:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return {"actor": None, "actor_username": getattr(actor, "username", "") or "", "actor_role": ""}
    return {"actor": actor, "actor_username": actor.username, "actor_role": actor.role}


def audit_record(
    *,
    actor,
    action: AuditAction,
    entity: str = "",
    entity_id="",
    summary: str = "",
    before: dict | None = None,
    after: dict | None = None,
    outcome: str = "ok",
    username: str = "",
) -> AuditEvent:
    """Write one audit row. Call inside the same transaction as the change it records.

    `before`/`after` must already be safe to store: callers pass `audit_snapshot()` values,
    which carry masked identifiers only.
    """
    fields = _actor_fields(actor)
    if username and not fields["actor_username"]:
        fields["actor_username"] = username
    return AuditEvent.objects.create(
        **fields,
        address=context.client_address(),
        channel=context.channel(),
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        summary=summary[:255],
        before=before,
        after=after,
        outcome=outcome,
    )


def audit_many(*, actor, action: AuditAction, entity: str, entity_ids, summary: str = "") -> int:
    """One row per entity in a single INSERT: a search that returns fifty residents' records names
    each resident (the audit administrator searches by person), without fifty round trips."""
    fields = {**_actor_fields(actor), "address": context.client_address(), "channel": context.channel()}
    rows = [AuditEvent(**fields, action=action, entity=entity, entity_id=str(entity_id), summary=summary[:255])
            for entity_id in dict.fromkeys(entity_ids)]
    AuditEvent.objects.bulk_create(rows)
    return len(rows)


def audit_snapshot(instance: models.Model, *, exclude: tuple[str, ...] = ()) -> dict:
    """A JSON-safe dict of concrete field values; fields named *_encrypted or *_index are never included."""
    data = {}
    for field in instance._meta.concrete_fields:
        name = field.attname
        if name in exclude or name.endswith(("_encrypted", "_index")) or name in {"password", "totp_secret"}:
            continue
        value = getattr(instance, name)
        data[name] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
    return data


def audit_changes(before: dict, after: dict) -> tuple[dict, dict]:
    """Keep only the fields that changed, for compact update rows."""
    changed = [k for k in after if before.get(k) != after.get(k) and k != "updated_at"]
    return {k: before.get(k) for k in changed}, {k: after[k] for k in changed}

import pytest
from django.db import DatabaseError, connection, transaction

from weijian.audit.actions import AuditAction
from weijian.audit.models import AppendOnlyError, AuditEvent
from weijian.orgs import services as org_services


def test_every_service_write_leaves_an_audit_row_with_before_and_after(world):
    actor = world.user("commission_info")
    org_services.institution_update(actor=actor, institution=world.inst_a1, name="锦江区第一人民医院")
    event = AuditEvent.objects.filter(action=AuditAction.UPDATE, entity="institution").latest("id")
    assert event.actor_username == "commission_info"
    assert event.before == {"name": "锦江区人民医院"}
    assert event.after == {"name": "锦江区第一人民医院"}


def test_audit_rows_cannot_be_changed_or_deleted_through_the_orm(world):
    event = AuditEvent.objects.first()
    event.summary = "tampered"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


@pytest.mark.parametrize("sql", ["UPDATE audit_auditevent SET summary = 'x'", "DELETE FROM audit_auditevent"])
def test_audit_table_refuses_update_and_delete_in_the_database(world, sql):
    before = AuditEvent.objects.count()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert AuditEvent.objects.count() == before


def test_audit_snapshots_never_hold_encrypted_or_index_fields(world):
    created = AuditEvent.objects.filter(entity="worker", action=AuditAction.CREATE).first()
    assert "id_number_encrypted" not in created.after
    assert "id_number_index" not in created.after
    assert created.after["id_number_masked"].count("*") == 10


def test_audit_address_ignores_forged_x_real_ip_unless_trusted(world, client_for, settings):
    client = client_for(world.user("institution_a1"))
    client.get("/orgs/institutions/?export=csv", HTTP_X_REAL_IP="203.0.113.9")
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT).latest("id").address == "127.0.0.1"
    settings.TRUST_X_REAL_IP = True
    client.get("/orgs/institutions/?export=csv", HTTP_X_REAL_IP="203.0.113.9")
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT).latest("id").address == "203.0.113.9"

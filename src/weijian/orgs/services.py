"""Writes for divisions and institutions. Every write checks scope, validates, and audits in one transaction."""

from django.db import transaction
from django.db.models import ProtectedError

from weijian.accounts.access import division_in_scope, require
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_changes, audit_record, audit_snapshot
from weijian.core.errors import BusinessError
from weijian.orgs.errors import OrgsErrorCode as E
from weijian.orgs.models import (
    Division,
    DivisionLevel,
    Institution,
    InstitutionGrade,
    InstitutionType,
    Ownership,
)
from weijian.orgs.uscc import uscc_problem

PARENT_LEVEL = {
    DivisionLevel.CITY: DivisionLevel.PROVINCE,
    DivisionLevel.DISTRICT: DivisionLevel.CITY,
    DivisionLevel.TOWNSHIP: DivisionLevel.DISTRICT,
}


def _choice(value, choices, field: str) -> str:
    if value not in choices.values:
        raise BusinessError(E.CHOICE_INVALID, f"取值“{value}”无效", field=field)
    return value


def district_of(division: Division) -> Division:
    """The district-level division an institution's division belongs to."""
    if division.level == DivisionLevel.DISTRICT:
        return division
    if division.level == DivisionLevel.TOWNSHIP and division.parent_id:
        return division.parent
    raise BusinessError(E.DIVISION_NOT_IN_DISTRICT, field="division")


# ---- divisions -------------------------------------------------------------------------------

def division_clean(*, code: str, name: str, level: str, parent: Division | None) -> None:
    if not code.isdigit() or len(code) not in (6, 9, 12):
        raise BusinessError(E.DIVISION_CODE_INVALID, field="code")
    if not name.strip():
        raise BusinessError(E.NAME_REQUIRED, field="name")
    _choice(level, DivisionLevel, "level")
    expected = PARENT_LEVEL.get(level)
    if (parent is None) != (expected is None) or (parent is not None and parent.level != expected):
        raise BusinessError(E.DIVISION_PARENT_INVALID, field="parent")


@transaction.atomic
def division_create(*, actor, code: str, name: str, level: str, parent: Division | None) -> Division:
    require(actor, "division", "create")
    division_clean(code=code, name=name, level=level, parent=parent)
    if Division.objects.filter(pk=code).exists():
        raise BusinessError(E.DIVISION_CODE_TAKEN, field="code")
    division = Division(code=code, name=name.strip(), level=level, parent=parent)
    division.full_clean()
    division.save()
    audit_record(actor=actor, action=AuditAction.CREATE, entity="division", entity_id=code,
                 summary=division.name, after=audit_snapshot(division))
    return division


@transaction.atomic
def division_update(*, actor, division: Division, name: str, is_active: bool) -> Division:
    require(actor, "division", "update")
    if not name.strip():
        raise BusinessError(E.NAME_REQUIRED, field="name")
    before = audit_snapshot(division)
    division.name, division.is_active = name.strip(), is_active
    division.full_clean()
    division.save(update_fields=["name", "is_active", "updated_at"])
    old, new = audit_changes(before, audit_snapshot(division))
    audit_record(actor=actor, action=AuditAction.UPDATE, entity="division", entity_id=division.pk,
                 summary=division.name, before=old, after=new)
    return division


@transaction.atomic
def division_delete(*, actor, division: Division) -> None:
    require(actor, "division", "delete")
    if division.children.exists() or division.institutions.exists():
        raise BusinessError(E.DIVISION_IN_USE)
    before = audit_snapshot(division)
    code = division.pk
    try:
        division.delete()
    except ProtectedError:  # e.g. a district bureau account is anchored to it
        raise BusinessError(E.DIVISION_IN_USE) from None
    audit_record(actor=actor, action=AuditAction.DELETE, entity="division", entity_id=code,
                 summary=before["name"], before=before)


# ---- institutions ----------------------------------------------------------------------------

def institution_clean(
    *, actor, uscc: str, name: str, type: str, grade: str, ownership: str, division: Division
) -> Division:
    """Validate an institution's fields; return its district. Raises BusinessError with `field`."""
    problem = uscc_problem(uscc)
    if problem:
        raise BusinessError(E.USCC_INVALID, problem, field="uscc")
    if not name.strip():
        raise BusinessError(E.NAME_REQUIRED, field="name")
    _choice(type, InstitutionType, "type")
    _choice(grade, InstitutionGrade, "grade")
    _choice(ownership, Ownership, "ownership")
    district = district_of(division)
    if not division_in_scope(actor, district):
        raise BusinessError(E.DIVISION_OUT_OF_SCOPE, field="division")
    return district


@transaction.atomic
def institution_create(
    *, actor, uscc: str, name: str, type: str, grade: str = "none", ownership: str, division: Division
) -> Institution:
    require(actor, "institution", "create")
    uscc = uscc.strip().upper()
    district = institution_clean(actor=actor, uscc=uscc, name=name, type=type, grade=grade,
                                 ownership=ownership, division=division)
    if Institution.objects.filter(uscc=uscc).exists():
        raise BusinessError(E.USCC_TAKEN, field="uscc")
    institution = Institution(uscc=uscc, name=name.strip(), type=type, grade=grade, ownership=ownership,
                              division=division, district=district)
    institution.full_clean()
    institution.save()
    audit_record(actor=actor, action=AuditAction.CREATE, entity="institution", entity_id=institution.pk,
                 summary=institution.name, after=audit_snapshot(institution))
    return institution


UPDATABLE = ("name", "type", "grade", "ownership", "division", "is_active")


@transaction.atomic
def institution_update(*, actor, institution: Institution, **changes) -> Institution:
    """Change any of UPDATABLE; the unified social credit code is the institution's identity and stays."""
    require(actor, "institution", "update")
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise TypeError(f"cannot update {sorted(unknown)}")
    before = audit_snapshot(institution)
    for field, value in changes.items():
        setattr(institution, field, value.strip() if isinstance(value, str) else value)
    institution.district = institution_clean(
        actor=actor, uscc=institution.uscc, name=institution.name, type=institution.type,
        grade=institution.grade, ownership=institution.ownership, division=institution.division,
    )
    institution.full_clean()
    institution.save(update_fields=[*changes, "district", "updated_at"])
    old, new = audit_changes(before, audit_snapshot(institution))
    if new:
        audit_record(actor=actor, action=AuditAction.UPDATE, entity="institution", entity_id=institution.pk,
                     summary=institution.name, before=old, after=new)
    return institution


@transaction.atomic
def institution_deactivate(*, actor, institution: Institution) -> Institution:
    """Institutions are never deleted (records point at them); closing one marks it inactive."""
    require(actor, "institution", "delete")
    if institution.is_active:
        institution.is_active = False
        institution.save(update_fields=["is_active", "updated_at"])
        audit_record(actor=actor, action=AuditAction.DEACTIVATE, entity="institution",
                     entity_id=institution.pk, summary=institution.name,
                     before={"is_active": True}, after={"is_active": False})
    return institution

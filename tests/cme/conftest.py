"""A small CME year (2025) on top of the base world, written through the CME services.

Requirements for 2025 (all professions):
  intermediate and above: total 25, class I ≥ 10, class II ≥ 10, remote counted ≤ 10
  junior and below:       total 20, class I ≥ 5,  class II ≥ 10, remote counted ≤ 10

Projects: P1 municipal, host inst_a1, class I 10 credits, face to face, 2025-03-01..03;
          P2 national, host inst_b1, class I 8 credits, remote, 2025-05-01..31.

Workers (district A: a1, a2, a3; district B: b1, b2) and their verified 2025 credits:
  a1 intermediate: P1 (I 10) + self-study II 15 (+ II 3 rejected)      → I 10, II 15, total 25: pass
  a2 intermediate: P2 (I 8 remote) + remote II 6 + paper II 5 (+ II 4 pending)
                   remote 14 > cap 10 → I remote 8 counted, II remote 2 counted
                   → I 8, II 5+2 = 7, total 15: short total 10, I 2, II 3 → fail
  a3 junior:       P1 (I 10) + self-study II 8 → I 10, II 8, total 18: short total 2, II 2 → fail
  b1 intermediate: nothing, exempt (出国进修) → pass
  b2 junior:       P2 (I 8 remote, under cap) + self-study II 12 → I 8, II 12, total 20: pass

Self-reports are verified through the real chain (department and institution steps by the worker's
institution user — the world adds `institution_a2` for inst_a2 — then the commission); the rejected one
is sent back at the department step.
"""

import datetime as dt
from dataclasses import dataclass

import pytest

from tests import factories
from weijian.accounts import services as account_services
from weijian.accounts.roles import Role
from weijian.cme import services
from weijian.cme.models import CmeProject, CreditRecord
from weijian.workforce.models import Worker

YEAR = 2025
D = dt.date
MID_YEAR = D(YEAR, 6, 1)


@dataclass
class CmeWorld:
    base: object
    p1: CmeProject
    p2: CmeProject
    a1: Worker
    a2: Worker
    a3: Worker
    b1: Worker
    b2: Worker
    pending_a2: CreditRecord
    rejected_a1: CreditRecord

    def user(self, key):
        return self.base.user(key)


def set_requirements(actor, year=YEAR):
    services.requirement_set(actor=actor, year=year, title_group="intermediate_and_above", total="25",
                             min_class_i="10", min_class_ii="10", remote_cap="10")
    services.requirement_set(actor=actor, year=year, title_group="junior_and_below", total="20",
                             min_class_i="5", min_class_ii="10", remote_cap="10")


def institution_user_of(world, worker):
    """The institution user who checks the department and institution steps for `worker`."""
    key = {world.inst_a1.pk: "institution_a1", world.inst_a2.pk: "institution_a2",
           world.inst_b1.pk: "institution_b1"}[worker.institution_id]
    return world.user(key)


def verify_through_chain(world, record, approve=True, comment="证明材料不符"):
    """Walk a pending record through department → institution (the worker's institution user) → commission.
    A rejection stops at the department step."""
    institution = institution_user_of(world, record.worker)
    if not approve:
        return services.credit_review(actor=institution, record=record, approve=False, comment=comment)
    for reviewer in (institution, institution, world.user("commission_science")):
        record = services.credit_review(actor=reviewer, record=record, approve=True)
    return record


def verified_credit(*, reporter, world, worker, credits, category="self_study", credit_class="II",
                    earned_on=MID_YEAR, approve=True):
    record = services.credit_record_create(actor=reporter, worker=worker, credit_class=credit_class,
                                           category=category, credits=credits, earned_on=earned_on)
    return verify_through_chain(world, record, approve=approve)


def add_institution_a2_user(world):
    """The base world has no user for inst_a2; the chain needs one to check its workers' records."""
    if "institution_a2" not in world.users:
        world.users["institution_a2"] = account_services.user_create(
            actor=None, username="institution_a2", password=factories.PASSWORD, role=Role.INSTITUTION,
            bootstrap=True, institution=world.inst_a2)
    return world.users["institution_a2"]


def build_cme_world(world) -> CmeWorld:
    u = world.user
    science, info = u("commission_science"), u("commission_info")
    a3 = factories.worker(actor=info, institution=world.inst_a1, name="赵住院医", title_level="junior")
    b2 = factories.worker(actor=info, institution=world.inst_b1, name="钱技士", profession="technician",
                          title_level="junior")
    set_requirements(science)

    p1 = services.project_create(actor=u("institution_a1"), number="510100-2025-001", name="基层常见病诊疗进展",
                                 level="municipal", host=world.inst_a1, credits="10",
                                 start_date=D(2025, 3, 1), end_date=D(2025, 3, 3), discipline="全科医学")
    p1 = services.project_endorse(actor=u("institution_a1"), project=p1)
    p1 = services.project_approve(actor=science, project=p1)
    p2 = services.project_create(actor=science, number="N2025-01-001", name="国家级远程心电诊断培训",
                                 level="national", host=world.inst_b1, credits="8", delivery="remote",
                                 start_date=D(2025, 5, 1), end_date=D(2025, 5, 31))

    services.attendance_record(actor=u("institution_a1"), project=p1, worker=world.worker_a1,
                               attended_on=D(2025, 3, 2))
    services.attendance_record(actor=u("institution_a1"), project=p1, worker=a3, attended_on=D(2025, 3, 2))
    services.attendance_record(actor=u("district_a"), project=p2, worker=world.worker_a2,
                               attended_on=D(2025, 5, 10))
    services.attendance_record(actor=u("institution_b1"), project=p2, worker=b2, attended_on=D(2025, 5, 10))

    inst_a1, district_a, inst_b1 = u("institution_a1"), u("district_a"), u("institution_b1")
    add_institution_a2_user(world)
    verified_credit(reporter=u("worker_a1"), world=world, worker=world.worker_a1, credits="15")
    rejected = verified_credit(reporter=u("worker_a1"), world=world, worker=world.worker_a1, credits="3",
                               approve=False)
    verified_credit(reporter=district_a, world=world, worker=world.worker_a2, credits="6", category="remote")
    verified_credit(reporter=district_a, world=world, worker=world.worker_a2, credits="5", category="paper")
    pending = services.credit_record_create(actor=district_a, worker=world.worker_a2, credit_class="II",
                                            category="lecture", credits="4", earned_on=D(2025, 7, 1))
    verified_credit(reporter=inst_a1, world=world, worker=a3, credits="8")
    verified_credit(reporter=inst_b1, world=world, worker=b2, credits="12")
    services.exemption_grant(actor=u("district_b"), worker=world.worker_b1, year=YEAR, reason="出国进修")
    return CmeWorld(world, p1, p2, world.worker_a1, world.worker_a2, a3, world.worker_b1, b2, pending, rejected)


@pytest.fixture
def cme(world) -> CmeWorld:
    return build_cme_world(world)


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Evidence files go to a throwaway folder per test."""
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}

"""Re-linking when the model or the rules change: train a candidate model on the current identities (a job
with progress), compare it with the active one (how many links would change), and apply it as a job that
moves only automatically linked identities — manual decisions always stay.

The plan is the same for the comparison and for applying it: the batch model scores every blocked pair of
identities (Splink), pairs at or above the upper threshold form clusters (records whose ID numbers prove
them different people kept apart, as real-time matching does), pairs a reviewer rejected are left out, and
each cluster keeps the person that already holds most of it. A person holds at most one cluster;
a cluster that finds none gets a new person.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from weijian.accounts.access import require
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record
from weijian.core import crypto
from weijian.core.errors import BusinessError
from weijian.core.tasks import background, enqueue_on_commit
from weijian.linkage.engines import cluster, predict, prepare_frame, train
from weijian.linkage.model import Model
from weijian.mpi import matching, services
from weijian.mpi.errors import MpiErrorCode as E
from weijian.mpi.models import (
    MANUAL_STATES,
    LinkageModel,
    LinkageModelStatus,
    LinkEvent,
    LinkEventKind,
    LinkState,
    MpiJob,
    MpiJobKind,
    MpiJobStatus,
    Person,
    ReviewItem,
    ReviewStatus,
    SourceIdentity,
)

ENTITY = "mpi-model"
MIN_TRAINING_RECORDS = 1000  # fewer, and EM has too few pairs to estimate m reliably


@dataclass
class Plan:
    moves: dict[int, int]  # identity id → person id to move to (negative: the n-th new person of this plan)
    clusters: int
    identities: int
    manual_kept: int


def _identities() -> tuple[list[dict], dict[int, tuple[int, str]]]:
    records, where = [], {}
    for pk, person_id, state, text in SourceIdentity.objects.values_list(
            "pk", "person_id", "link_state", "standardised").iterator(chunk_size=5000):
        records.append({**json.loads(crypto.decrypt(text)), "record_id": str(pk)})
        where[pk] = (person_id, state)
    return records, where


def plan(model: Model, records: list[dict], where: dict[int, tuple[int, str]]) -> Plan:
    """Where each automatically linked identity would go under `model` (see the module docstring)."""
    if len(records) < 2:
        return Plan({}, len(records), len(records), 0)
    prepared = prepare_frame(records)
    pairs = predict(prepared, model, threshold=model.threshold_upper).pairs
    rejected = {(item, person) for item, person in ReviewItem.objects.filter(
        status=ReviewStatus.REJECTED).values_list("identity_id", "candidate_id")}
    fixed = {pk for pk, (_person, state) in where.items() if state == LinkState.MANUAL_NO_MATCH}

    def usable(left: int, right: int) -> bool:  # a no-match decision pulls nobody anywhere
        return left not in fixed and right not in fixed and (left, where[right][0]) not in rejected \
            and (right, where[left][0]) not in rejected

    kept = [(left, right, weight) for left, right, weight in zip(pairs["record_id_l"], pairs["record_id_r"],
                                                                 pairs["match_weight"], strict=True)
            if usable(int(left), int(right))]
    clusters = defaultdict(list)
    # records with different ID numbers that prove who they are stay apart (`comparisons.distinct_id`)
    found = cluster(kept, model.threshold_upper, record_ids=prepared["record_id"], distinct=prepared)
    for record_id, root in found.items():
        clusters[root].append(int(record_id))
    taken: set[int] = set()
    moves: dict[int, int] = {}
    manual = 0
    for number, members in enumerate(sorted(clusters.values(), key=lambda m: (-len(m), min(m))), start=1):
        holders = Counter(where[i][0] for i in members)
        target = next((person for person, _n in sorted(holders.items(), key=lambda h: (-h[1], h[0]))
                       if person not in taken), -number)
        taken.add(target)
        for identity in members:
            person, state = where[identity]
            if state in MANUAL_STATES:
                manual += person != target
                continue
            if person != target and (identity, target) not in rejected:
                moves[identity] = target
    return Plan(moves, len(clusters), len(records), manual)


# ---- jobs ---------------------------------------------------------------------------------------------


def _progress(job: MpiJob, phase: str, done: int = 0, total: int = 0) -> None:
    MpiJob.objects.filter(pk=job.pk).update(phase=phase, done=done, total=total)


def _fail(job: MpiJob, message: str) -> None:
    MpiJob.objects.filter(pk=job.pk).update(status=MpiJobStatus.FAILED, error=message, finished_at=timezone.now())


def model_train(*, actor) -> MpiJob:
    """Queue training of a candidate model on the current identities."""
    require(actor, ENTITY, "train")
    with transaction.atomic():
        job = MpiJob.objects.create(kind=MpiJobKind.RETRAIN, created_by=actor)
        audit_record(actor=actor, action=AuditAction.MPI_MODEL, entity=ENTITY, entity_id=job.pk,
                     summary="提交匹配模型重新训练任务")
        enqueue_on_commit(retrain_job, job.pk)
    return job


@background
def retrain_job(job_id: int) -> None:
    job = MpiJob.objects.get(pk=job_id)
    MpiJob.objects.filter(pk=job.pk).update(status=MpiJobStatus.RUNNING)
    try:
        _progress(job, "读取来源身份")
        records, where = _identities()
        if len(records) < MIN_TRAINING_RECORDS:
            _fail(job, f"来源身份只有 {len(records)} 条，少于训练所需的 {MIN_TRAINING_RECORDS} 条；继续使用当前模型")
            return
        _progress(job, "训练模型（Splink）", 1, 3)
        current = matching.active_model()
        candidate = train(records, version="mpi-" + timezone.now().strftime("%Y%m%d%H%M%S"),
                          threshold_upper=current.threshold_upper, threshold_lower=current.threshold_lower)
        _progress(job, "与当前模型比较", 2, 3)
        now, then = plan(current, records, where), plan(candidate, records, where)
        comparison = {"identities": len(records), "moves_now": len(now.moves), "moves_new": len(then.moves),
                      "clusters_now": now.clusters, "clusters_new": then.clusters,
                      "manual_kept": then.manual_kept, "against": current.version}
        stored = LinkageModel.objects.create(version=candidate.version, artefact=candidate.to_json(),
                                             record_count=len(records), comparison=comparison,
                                             created_by=job.created_by)
        MpiJob.objects.filter(pk=job.pk).update(status=MpiJobStatus.DONE, model=stored, result=comparison,
                                                phase="完成", done=3, total=3, finished_at=timezone.now())
    except Exception as exc:  # a failed job says why on the model page; the active model is untouched
        _fail(job, f"训练失败：{type(exc).__name__}")
        raise


def model_activate(*, actor, model: LinkageModel) -> MpiJob:
    """Make `model` the active one and queue the re-link that applies it."""
    require(actor, ENTITY, "activate")
    with transaction.atomic():
        model = LinkageModel.objects.select_for_update().get(pk=model.pk)
        if model.status == LinkageModelStatus.ACTIVE:
            raise BusinessError(E.MODEL_ALREADY_ACTIVE)
        LinkageModel.objects.filter(status=LinkageModelStatus.ACTIVE).update(status=LinkageModelStatus.RETIRED)
        model.status, model.activated_at = LinkageModelStatus.ACTIVE, timezone.now()
        model.save(update_fields=["status", "activated_at"])
        job = MpiJob.objects.create(kind=MpiJobKind.RELINK, model=model, created_by=actor)
        audit_record(actor=actor, action=AuditAction.MPI_MODEL, entity=ENTITY, entity_id=model.pk,
                     summary=f"启用匹配模型 {model.version}，并按新模型重新关联")
        enqueue_on_commit(relink_job, job.pk)
    return job


@background
def relink_job(job_id: int) -> None:
    job = MpiJob.objects.select_related("model").get(pk=job_id)
    MpiJob.objects.filter(pk=job.pk).update(status=MpiJobStatus.RUNNING)
    try:
        _progress(job, "读取来源身份")
        records, where = _identities()
        _progress(job, "按新模型计算关联", 0, len(records))
        result = plan(Model.from_json(job.model.artefact), records, where)
        moved = apply(result, actor=job.created_by, model_version=job.model.version,
                      progress=lambda done: _progress(job, "移动来源身份", done, len(result.moves)))
        summary = {"identities": result.identities, "moved": moved, "manual_kept": result.manual_kept}
        audit_record(actor=job.created_by, action=AuditAction.MPI_RELINK, entity=ENTITY, entity_id=job.model_id,
                     summary=f"按模型 {job.model.version} 重新关联：移动 {moved} 个来源身份，保留人工决定 {result.manual_kept} 个")
        MpiJob.objects.filter(pk=job.pk).update(status=MpiJobStatus.DONE, result=summary, phase="完成",
                                                finished_at=timezone.now())
    except Exception as exc:
        _fail(job, f"重新关联失败：{type(exc).__name__}")
        raise


def apply(result: Plan, *, actor, model_version: str, progress=lambda done: None) -> int:
    """Move the planned identities (each move a RELINK event); persons left empty point at where theirs
    went, so their numbers keep resolving. Returns how many identities moved."""
    moved = 0
    touched: set[int] = set()
    new_people: dict[int, int] = {}  # plan's negative key → the person created for it
    for start in range(0, len(result.moves), 500):
        with transaction.atomic():
            for identity_id, target in list(result.moves.items())[start:start + 500]:
                identity = SourceIdentity.objects.select_for_update().get(pk=identity_id)
                if identity.link_state in MANUAL_STATES:
                    continue  # decided by a person meanwhile
                if target < 0:
                    if target not in new_people:
                        new_people[target] = Person.objects.create(empi=services.new_empi()).pk
                    target = new_people[target]
                old = identity.person_id
                LinkEvent.objects.create(identity=identity, kind=LinkEventKind.RELINK, from_person_id=old,
                                         to_person_id=target, state=LinkState.AUTO, match_weight=identity.match_weight,
                                         actor=actor, reason=f"模型 {model_version}")
                identity.person_id, identity.link_state, identity.model_version = target, LinkState.AUTO, model_version
                identity.save(update_fields=["person", "link_state", "model_version", "updated_at"])
                touched.update((old, target))
                moved += 1
        progress(min(start + 500, len(result.moves)))
    for person in Person.objects.filter(pk__in=touched):
        if person.identities.exists():
            services.refresh_golden(person)
        elif person.active:
            went = LinkEvent.objects.filter(from_person=person).order_by("-id").values_list("to_person_id",
                                                                                             flat=True).first()
            person.active, person.merged_into_id = False, went
            person.save(update_fields=["active", "merged_into", "updated_at"])
    return moved

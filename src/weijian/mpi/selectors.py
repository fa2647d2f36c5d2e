"""Reads of the master patient index."""

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy

from weijian.accounts.access import require, scoped_queryset
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record
from weijian.core import crypto
from weijian.mpi import services
from weijian.mpi.models import LinkEvent, LinkEventKind, LinkState, Person, ReviewItem, SourceIdentity
from weijian.workforce.idnumber import mask_id_number

UPLOAD_DECISIONS = (LinkState.AUTO, LinkState.POSSIBLE, LinkState.NEW)


def upload_link_counts(upload_id: int) -> dict[str, int]:
    """How the patients an upload brought were linked: automatically, queued for review, new persons."""
    counts = dict(LinkEvent.objects.filter(upload_id=upload_id, kind=LinkEventKind.LINK)
                  .values_list("state").annotate(n=Count("id")))
    return {str(state): counts.get(state, 0) for state in UPLOAD_DECISIONS}


# ---- review queue ---------------------------------------------------------------------------------------

def review_items(actor, *, status: str = "", source: str = "", weight_min: float | None = None,
                 weight_max: float | None = None):
    items = scoped_queryset(actor, ReviewItem, "list").select_related("identity", "candidate", "decided_by")
    if status:
        items = items.filter(status=status)
    if source:
        items = items.filter(identity__source_code=source.strip())
    if weight_min is not None:
        items = items.filter(match_weight__gte=weight_min)
    if weight_max is not None:
        items = items.filter(match_weight__lt=weight_max)
    return items


SEX = {"1": gettext_lazy("男"), "2": gettext_lazy("女"), "0": gettext_lazy("未知"), "9": gettext_lazy("未说明")}


def shown_identity(identity: SourceIdentity) -> dict:
    """An identity's demographics as a page shows them: ID number and phone masked."""
    record = services.standardised_of(identity)
    return {"name": record.get("name", ""), "sex": str(SEX.get(record.get("sex", ""), "")),
            "birth_date": record.get("birth_date", ""),
            "id_number": mask_id_number(record["id_number"]) if record.get("id_number") else "",
            "id_status": record.get("id_status", ""), "phone": services.mask_phone(record.get("phone", "")),
            "address": record.get("address", "")}


def shown_person(person: Person) -> dict:
    return {"name": person.name, "sex": str(SEX.get(person.sex, "")),
            "birth_date": person.birth_date.isoformat() if person.birth_date else "",
            "id_number": person.id_number_masked, "id_status": "", "phone": person.phone_masked,
            "address": person.address}


# Which shown fields each comparison compares (for the side-by-side rows).
COMPARED_FIELDS = {"name": ("name",), "id_number": ("id_number",), "birth_date": ("birth_date",),
                   "sex": ("sex",), "contact": ("phone", "address")}


def review_sides(actor, item: ReviewItem) -> dict:
    """Both sides of a possible match with each comparison's level and weight. Reading them is audited."""
    left, right = shown_identity(item.identity), shown_person(item.candidate)
    rows = []
    for row in item.comparison:
        fields = COMPARED_FIELDS.get(row["comparison"], ())
        rows.append({**row, "left": " / ".join(left[f] for f in fields if left[f]),
                     "right": " / ".join(right[f] for f in fields if right[f])})
    audit_record(actor=actor, action=AuditAction.MPI_READ, entity="mpi-person", entity_id=item.candidate_id,
                 summary=f"查看疑似匹配 #{item.pk}：{item.identity} ? {item.candidate.empi}")
    return {"identity": item.identity, "candidate": item.candidate, "left": left, "right": right, "rows": rows,
            "candidate_identities": item.candidate.identities.count()}


# ---- persons --------------------------------------------------------------------------------------------

def persons(actor, *, q: str = "", active: str = ""):
    found = scoped_queryset(actor, Person, "list")
    q = q.strip()
    if q:
        found = found.filter(Q(empi=q) | Q(name__startswith=q) | Q(identities__local_id=q)).distinct()
    if active in ("1", "0"):
        found = found.filter(active=active == "1")
    return found.annotate(identity_count=Count("identities"))


def person_page(actor, person: Person) -> dict:
    """The person page: golden record, identities with their demographics, merged-in persons, history."""
    identities = list(person.identities.select_related("institution").order_by("received_at", "pk"))
    merged_in = list(Person.objects.filter(merged_into=person, active=False).order_by("empi"))
    ids = [i.pk for i in identities]
    history = (LinkEvent.objects.filter(Q(identity_id__in=ids) | Q(to_person=person) | Q(from_person=person))
               .select_related("identity", "from_person", "to_person", "actor").order_by("-id")[:100])
    audit_record(actor=actor, action=AuditAction.MPI_READ, entity="mpi-person", entity_id=person.pk,
                 summary=f"查看主索引 {person.empi}（{len(identities)} 个来源身份）")
    return {"person": person, "shown": shown_person(person),
            "identities": [(i, shown_identity(i)) for i in identities], "merged_in": merged_in,
            "history": history, "open_reviews": ReviewItem.objects.filter(
                Q(identity_id__in=ids) | Q(candidate=person), status="open").count()}


# ---- queries by other systems ($match, PIX, $everything) -----------------------------------------------

QUERY_ENTITY = "mpi-query"


def linked_patient_ids(patient_fhir_id: str) -> list[str]:
    """The record store's Patient ids of every source identity of the same person (the id itself first)."""
    person_id = SourceIdentity.objects.filter(patient_fhir_id=patient_fhir_id).values_list(
        "person_id", flat=True).first()
    if person_id is None:
        return [patient_fhir_id]
    others = SourceIdentity.objects.filter(person_id=person_id).exclude(patient_fhir_id="").exclude(
        patient_fhir_id=patient_fhir_id).order_by("pk").values_list("patient_fhir_id", flat=True)
    return [patient_fhir_id, *others]


def match_candidates(actor, raw: dict, *, count: int = 5, only_certain: bool = False) -> list[dict]:
    """Patient/$match: the persons an (unstored) patient's demographics may be, best first, each with its
    weight, probability, grade (certain / probable / possible) and linked source identities. Audited."""
    from weijian.mpi import matching

    require(actor, QUERY_ENTITY, "match")
    model = matching.active_model()
    result = matching.match(matching.standardise(raw), model)
    found = []
    for candidate in result.candidates:
        weight = candidate.score.match_weight
        if weight < model.threshold_lower:
            break
        # a person kept apart (another proving ID, birth order or attested name) is never certain (matching.match)
        certain = weight >= model.threshold_upper and candidate.person_id not in result.kept_apart
        grade = "certain" if certain else "possible"
        if only_certain and not certain:
            continue
        found.append({"person": Person.objects.get(pk=candidate.person_id), "score": candidate.score,
                      "grade": grade})
        if len(found) >= count:
            break
    audit_record(actor=actor, action=AuditAction.MPI_READ, entity="mpi-person",
                 entity_id=",".join(str(f["person"].pk) for f in found)[:64],
                 summary=f"Patient/$match：{len(found)} 个候选主索引")
    return found


def cross_references(actor, *, source_code: str = "", local_id: str = "", id_number: str = "") -> tuple[
        Person | None, list[SourceIdentity]]:
    """PIX query: the person behind one source's local ID (or a citizen ID number), and all its identities."""
    require(actor, QUERY_ENTITY, "match")
    person = None
    if source_code and local_id:
        identity = SourceIdentity.objects.select_related("person").filter(
            source_code=source_code, local_id=local_id).first()
        person = identity.person if identity else None
    elif id_number:
        index = crypto.blind_index(id_number.strip().upper(), purpose=services.ID_PURPOSE)
        person = Person.objects.filter(id_number_index=index, active=True).first()
    identities = list(person.identities.order_by("source_code", "local_id")) if person else []
    audit_record(actor=actor, action=AuditAction.MPI_READ, entity="mpi-person",
                 entity_id=person.pk if person else "",
                 summary=f"PIX 查询：{source_code or '身份证号'} → {len(identities)} 个来源身份")
    return person, identities

"""Writes and reads of what research produces: achievements and their appraisal (成果鉴定), award
nominations and results, technology transfer (成果转化), and the appropriate-technology library
(适宜技术推广库) with its promotion records, searchable by primary-care institutions.
"""

import datetime as dt

from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from weijian.accounts.access import access_object, institution_in_scope, require, scoped_queryset
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record
from weijian.core.errors import BusinessError, NotFoundOrForbidden
from weijian.research.errors import ResearchErrorCode as E
from weijian.research.models import (
    Achievement,
    AppraisalVerdict,
    AppropriateTech,
    Award,
    AwardStatus,
    Promotion,
    TechTransfer,
)
from weijian.research.services import _money

ENTITY = "research-achievement"
# What the library's "applicable institutions" are chosen from (stored as these labels, as the demo does).
TECH_LEVELS = ("社区卫生服务中心", "乡镇卫生院", "村卫生室", "民营诊所", "综合医院", "中医医院", "专科医院", "妇幼保健院")


def _audit(actor, action, obj, summary: str) -> None:
    audit_record(actor=actor, action=action, entity=ENTITY, entity_id=obj.pk, summary=summary[:255])


@transaction.atomic
def achievement_register(*, actor, title: str, institution, lead, summary: str = "", application=None) -> Achievement:
    require(actor, ENTITY, "create")
    if not institution_in_scope(actor, institution):
        raise BusinessError(E.WORKER_OUT_OF_SCOPE, _("完成单位不在您的管辖范围内"), field="institution")
    achievement = Achievement.objects.create(title=title.strip(), institution=institution, lead=lead,
                                             summary=summary.strip(), application=application)
    _audit(actor, AuditAction.CREATE, achievement, f"登记科研成果：{achievement.title}")
    return achievement


@transaction.atomic
def achievement_appraise(*, actor, achievement: Achievement, panel: list[str], verdict: str,
                         appraised_on: dt.date) -> Achievement:
    """The commission records an appraisal panel's verdict (at least five experts sit on a panel)."""
    require(actor, ENTITY, "appraise")
    names = [name.strip() for name in panel if name.strip()]
    if len(names) < 5 or len(set(names)) != len(names):
        raise BusinessError(E.CALL_INVALID, _("鉴定专家组应由至少5名不同的专家组成"), field="panel")
    if verdict not in AppraisalVerdict.values:
        raise BusinessError(E.CALL_INVALID, _("鉴定结论无效"), field="verdict")
    achievement.panel, achievement.verdict, achievement.appraised_on = names, verdict, appraised_on
    achievement.save(update_fields=["panel", "verdict", "appraised_on", "updated_at"])
    _audit(actor, AuditAction.APPROVE, achievement,
           f"成果鉴定：{achievement.title}，{achievement.get_verdict_display()}")
    return achievement


@transaction.atomic
def award_record(*, actor, achievement: Achievement, name: str, level: str, year: int, status: str = "nominated",
                 grade: str = "") -> Award:
    require(actor, ENTITY, "appraise")
    if status == AwardStatus.WON and not grade.strip():
        raise BusinessError(E.CALL_INVALID, _("获奖时请填写奖励等级"), field="grade")
    award = Award.objects.create(achievement=achievement, name=name.strip(), level=level, year=year,
                                 status=status, grade=grade.strip())
    _audit(actor, AuditAction.CREATE, award, f"科技奖励：{award.name}（{award.get_level_display()}，"
                                            f"{award.get_status_display()}{award.grade}）")
    return award


@transaction.atomic
def award_result_record(*, actor, award: Award, status: str, grade: str = "") -> Award:
    """The result of a nomination: won (with its grade: 一等奖, 二等奖 …) or not won; recorded once."""
    require(actor, ENTITY, "appraise")
    if award.status != AwardStatus.NOMINATED:
        raise BusinessError(E.STATUS_INVALID, _("该奖项的评审结果已登记"), field="status")
    if status not in (AwardStatus.WON, AwardStatus.NOT_WON):
        raise BusinessError(E.CALL_INVALID, _("请选择评审结果：获奖或未获奖"), field="status")
    if status == AwardStatus.WON and not grade.strip():
        raise BusinessError(E.CALL_INVALID, _("获奖时请填写奖励等级"), field="grade")
    before = {"status": award.status, "grade": award.grade}
    award.status, award.grade = status, grade.strip() if status == AwardStatus.WON else ""
    award.save(update_fields=["status", "grade", "updated_at"])
    audit_record(actor=actor, action=AuditAction.UPDATE, entity=ENTITY, entity_id=award.pk,
                 summary=f"科技奖励结果：{award.name}（{award.get_level_display()}），{award.get_status_display()}"
                         f"{award.grade}", before=before, after={"status": award.status, "grade": award.grade})
    return award


@transaction.atomic
def transfer_record(*, actor, achievement: Achievement, contract_number: str, partner: str, amount,
                    signed_on: dt.date) -> TechTransfer:
    require(actor, ENTITY, "create")
    transfer = TechTransfer.objects.create(achievement=achievement, contract_number=contract_number.strip(),
                                           partner=partner.strip(), amount=_money(amount), signed_on=signed_on)
    _audit(actor, AuditAction.CREATE, transfer, f"成果转化：{achievement.title} → {transfer.partner}，"
                                               f"{transfer.amount} 万元")
    return transfer


@transaction.atomic
def technology_publish(*, actor, name: str, description: str, applicable_levels: list[str], contact: str,
                       training_materials: str = "", achievement=None) -> AppropriateTech:
    require(actor, ENTITY, "appraise")
    if not applicable_levels:
        raise BusinessError(E.CALL_INVALID, _("请选择适用的机构类别"), field="applicable_levels")
    technology = AppropriateTech.objects.create(name=name.strip(), description=description.strip(),
                                                applicable_levels=list(applicable_levels), contact=contact.strip(),
                                                training_materials=training_materials.strip(),
                                                achievement=achievement)
    _audit(actor, AuditAction.CREATE, technology, f"适宜技术入库：{technology.name}")
    return technology


@transaction.atomic
def promotion_record(*, actor, technology: AppropriateTech, institution, adopted_on: dt.date,
                     people_trained: int) -> Promotion:
    """An institution adopted the technology (once per institution; a later record updates the count)."""
    require(actor, ENTITY, "create")
    if not institution_in_scope(actor, institution):
        raise BusinessError(E.WORKER_OUT_OF_SCOPE, _("推广机构不在您的管辖范围内"), field="institution")
    if people_trained < 0:
        raise BusinessError(E.CALL_INVALID, _("培训人数不能为负数"), field="people_trained")
    promotion, _created = Promotion.objects.update_or_create(
        technology=technology, institution=institution,
        defaults={"adopted_on": adopted_on, "people_trained": people_trained})
    _audit(actor, AuditAction.CREATE, promotion, f"适宜技术推广：{technology.name} @ {institution.name}，"
                                                f"培训 {people_trained} 人")
    return promotion


# ---- reads ---------------------------------------------------------------------------------------------

def achievement_list(*, actor, year: int | None = None, institution=None, verdict: str = "", q: str = "",
                     action: str = "list") -> QuerySet:
    """Achievements in scope (an institution its own, a district its district's, a health worker those he
    leads, the commission all), with the awards won and the transfers of each. `year` is the year of
    registration; `verdict` "pending" means not appraised yet."""
    qs = (scoped_queryset(actor, Achievement, action).select_related("institution", "lead")
          .annotate(awards_won=Count("awards", filter=Q(awards__status=AwardStatus.WON), distinct=True),
                    transfer_count=Count("transfers", distinct=True)))
    if year:
        qs = qs.filter(created_at__year=year)
    if institution:
        qs = qs.filter(institution_id=getattr(institution, "pk", institution))
    if verdict:
        qs = qs.filter(verdict="" if verdict == "pending" else verdict)
    if q:
        qs = qs.filter(title__contains=q)
    return qs


def achievement_get(*, actor, pk, action: str = "view") -> Achievement:
    """One achievement in scope for `action`, or NotFoundOrForbidden (missing and out of scope alike)."""
    return access_object(actor, Achievement, pk, action)


def technology_get(*, actor, pk) -> AppropriateTech:
    """A published entry of the library, readable by everyone who may search it."""
    require(actor, ENTITY, "view")
    try:
        return (AppropriateTech.objects.filter(is_published=True).select_related("achievement")
                .annotate(adopters=Count("promotions"), trained=Sum("promotions__people_trained")).get(pk=pk))
    except (AppropriateTech.DoesNotExist, ValueError, TypeError):
        raise NotFoundOrForbidden from None


def technology_promotions(*, actor, technology: AppropriateTech) -> QuerySet:
    """Who adopted a technology and how many they trained (the library's own figures, public to its readers)."""
    require(actor, ENTITY, "view")
    return technology.promotions.select_related("institution").order_by("-adopted_on", "id")


def technology_search(*, actor, text: str = "", institution_type: str = "") -> QuerySet:
    """The library as primary care searches it: published entries matching words in the name or the
    description and, optionally, one institution type; with how many adopted it and people trained."""
    require(actor, ENTITY, "list")
    qs = AppropriateTech.objects.filter(is_published=True)
    for word in text.split():
        qs = qs.filter(Q(name__icontains=word) | Q(description__icontains=word))
    technologies = qs.annotate(adopters=Count("promotions"), trained=Sum("promotions__people_trained"))
    if institution_type:
        # A JSON list "contains" differs between engines; the library is small, so filter here.
        wanted = [t.pk for t in technologies if institution_type in t.applicable_levels]
        technologies = technologies.filter(pk__in=wanted)
    return technologies.order_by("name", "id")


def achievement_counts(*, actor, year: int, district=None) -> dict[str, int]:
    """Awards won by level, achievements transferred and technologies promoted in the year, in scope
    (inside `district` when given: its institutions' achievements and adoptions)."""
    require(actor, ENTITY, "list")
    achievements = scoped_queryset(actor, Achievement, "list")
    promotions = Promotion.objects.filter(adopted_on__year=year)
    if district is not None:
        achievements = achievements.filter(institution__district=district)
        promotions = promotions.filter(institution__district=district)
    won = (Award.objects.filter(achievement__in=achievements, year=year, status=AwardStatus.WON)
           .values("level").annotate(n=Count("id")))
    counts = {f"awards_{row['level']}": row["n"] for row in won}
    counts["transferred"] = (TechTransfer.objects.filter(achievement__in=achievements, signed_on__year=year)
                             .values("achievement").distinct().count())
    counts["promoted"] = promotions.values("technology").distinct().count()
    return counts

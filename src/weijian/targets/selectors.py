"""Reads of target assessment, always through the access gate: plans are city-wide rules; an assessment's
rows follow their unit (a district bureau reads its district and its institutions)."""

from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet

from weijian.accounts.access import access_object, require, scoped_queryset
from weijian.accounts.roles import Scope
from weijian.targets.models import Assessment, AssessmentTotal, AssessmentValue, Level, WorkPlan
from weijian.targets.registry import all_indicators


def plan_list(*, actor, year: int | None = None) -> QuerySet:
    """Plans in the actor's scope, each with `item_count`."""
    qs = scoped_queryset(actor, WorkPlan, "list").annotate(item_count=Count("items"))
    return qs.filter(year=year) if year else qs


def plan_get(*, actor, pk, action: str = "view") -> WorkPlan:
    return access_object(actor, WorkPlan, pk, action)


def plan_items(plan: WorkPlan) -> list:
    return list(plan.items.prefetch_related("targets"))


def indicator_choices(plan: WorkPlan | None = None) -> list[tuple[str, str]]:
    """(code, "domain · name") of every declared indicator not yet in `plan`."""
    taken = set(plan.items.values_list("indicator_code", flat=True)) if plan else set()
    return [(code, str(ind.name)) for code, ind in all_indicators().items() if code not in taken]


def latest_assessment(*, actor, plan: WorkPlan) -> Assessment | None:
    require(actor, "target-assessment", "view")
    return scoped_queryset(actor, Assessment, "view").filter(plan=plan).first()


def latest_for_year(*, actor, year: int) -> Assessment | None:
    """The newest assessment of the year's newest frozen plan."""
    require(actor, "target-assessment", "view")
    return (scoped_queryset(actor, Assessment, "view").filter(plan__year=year).select_related("plan")
            .order_by("-created_at", "-pk").first())


def assessment_get(*, actor, pk) -> Assessment:
    return access_object(actor, Assessment, pk, "view")


def assessment_list(*, actor, plan: WorkPlan) -> QuerySet:
    return scoped_queryset(actor, Assessment, "list").filter(plan=plan).select_related("computed_by")


def totals(*, actor, assessment: Assessment, level: str, district_code: str = "") -> QuerySet:
    qs = scoped_queryset(actor, AssessmentTotal, "view").filter(assessment=assessment, level=level)
    if district_code:
        qs = qs.filter(district_code=district_code)
    return qs.order_by("rank", "unit_name", "pk")


def values(*, actor, assessment: Assessment, level: str, district_code: str = "",
           institution_id: int | None = None) -> QuerySet:
    qs = (scoped_queryset(actor, AssessmentValue, "view").filter(assessment=assessment, level=level)
          .select_related("item"))
    if level == Level.INSTITUTION and institution_id is not None:
        qs = qs.filter(institution_id=institution_id)
    elif district_code:
        qs = qs.filter(district_code=district_code)
    return qs.order_by("item__position", "item_id", "unit_name", "pk")


def unit_total(*, actor, assessment: Assessment, level: str, district_code: str = "",
               institution_id: int | None = None) -> AssessmentTotal | None:
    """One unit's composite, or None when it is not there or not in the reader's scope."""
    qs = scoped_queryset(actor, AssessmentTotal, "view").filter(assessment=assessment, level=level)
    if level == Level.INSTITUTION:
        qs = qs.filter(institution_id=institution_id)
    elif level == Level.DISTRICT:
        qs = qs.filter(district_code=district_code)
    return qs.first()


def previous_year_values(*, actor, assessment: Assessment, level: str, district_code: str = "",
                         institution_id: int | None = None) -> dict[str, object]:
    """indicator code -> the same unit's value in the newest assessment of the year before (any plan), for
    the trend column; empty when there is none or it is outside the reader's scope."""
    before = (scoped_queryset(actor, Assessment, "view").filter(plan__year=assessment.plan.year - 1)
              .order_by("-created_at", "-pk").first())
    if before is None:
        return {}
    qs = values(actor=actor, assessment=before, level=level, district_code=district_code,
                institution_id=institution_id)
    return {value.item.indicator_code: value.actual for value in qs}


def city_composite_by_month(*, actor, assessment: Assessment) -> list[tuple[str, object]]:
    """("2026-03", composite) for the last computation of each month of the assessment's plan, oldest first:
    the line of the city dashboard."""
    points: dict[str, object] = {}
    rows = (scoped_queryset(actor, AssessmentTotal, "view")
            .filter(assessment__plan=assessment.plan, level=Level.CITY)
            .order_by("assessment__as_of", "assessment__created_at")
            .values_list("assessment__as_of", "score"))
    for as_of, score in rows:
        points[as_of.strftime("%Y-%m")] = score
    return list(points.items())


def summary_assessment(*, actor, pk) -> Assessment:
    """An assessment whose annual summary the actor may read: the summary names every district's figures,
    so it is for the city's readers only (others get PermissionDenied; out of scope is not found)."""
    assessment = assessment_get(actor=actor, pk=pk)
    require(actor, "target-assessment", "export")
    if actor.scope != Scope.CITY:
        raise PermissionDenied
    return assessment

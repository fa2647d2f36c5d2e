"""Projects the commission recommends to provincial and national programmes (省级、国家级推荐项目).

The commission's "approval" of an application to a recommendation call is its recommendation; what the
province or the nation then decides is recorded here and counts towards the indicator of projects won
at provincial level and above (`indicators.provincial_projects_won`). Recommended projects are managed by
the programme that funds them, so they are not the commission's own funded projects (no task agreement,
not in the commission's closure rate).
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from weijian.accounts.access import require
from weijian.accounts.roles import Role
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record
from weijian.core.errors import BusinessError
from weijian.research.errors import ResearchErrorCode as E
from weijian.research.models import (
    Application,
    ApplicationStatus,
    CallCategory,
    ExternalLevel,
    ExternalResult,
)
from weijian.research.services import _money, _refuse

ENTITY = "research-application"


def is_recommendation(application: Application) -> bool:
    return application.call.category == CallCategory.RECOMMENDATION


def external_result_record(*, actor, application: Application, level: str, won: bool, funding=None,
                           decided_on: dt.date, today: dt.date | None = None) -> Application:
    """Record the provincial or national result of a recommended project (the commission's step); a
    correction overwrites it, audited with the values before and after."""
    if actor.role != Role.COMMISSION_SCIENCE:
        _refuse(actor, E.STATUS_INVALID, entity=ENTITY, obj=application, reason=_("只有卫健委科教处可以登记上级评审结果"))
    require(actor, ENTITY, "decide")
    if not is_recommendation(application) or application.status != ApplicationStatus.APPROVED:
        raise BusinessError(E.EXTERNAL_INVALID)
    if level not in ExternalLevel.values:
        raise BusinessError(E.EXTERNAL_INVALID, _("请选择省级或国家级"), field="level")
    if decided_on > (today or timezone.localdate()):
        raise BusinessError(E.EXTERNAL_INVALID, _("上级立项日期不能晚于今天"), field="decided_on")
    amount = _money(funding) if won and funding not in (None, "") else None
    before = {"level": application.external_level, "result": application.external_result,
              "funding": str(application.external_funding or "")}
    with transaction.atomic():
        application.external_level = level
        application.external_result = ExternalResult.WON if won else ExternalResult.NOT_WON
        application.external_funding, application.external_decided_on = amount, decided_on
        application.save(update_fields=["external_level", "external_result", "external_funding",
                                        "external_decided_on", "updated_at"])
        audit_record(actor=actor, action=AuditAction.UPDATE, entity=ENTITY, entity_id=application.pk,
                     summary=f"登记上级评审结果：{application.number} {application.get_external_level_display()}"
                             f"{application.get_external_result_display()}",
                     before=before, after={"level": level, "result": application.external_result,
                                           "funding": str(amount or "")})
    return application

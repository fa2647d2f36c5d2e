"""Navigation by role: each entry shows only when the role may list that entity."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from weijian.accounts.access import can

NAV = (
    ("web:home", _("首页"), "bi-speedometer2", None),
    ("orgs:division-list", _("行政区划"), "bi-map", "division"),
    ("orgs:institution-list", _("医疗卫生机构"), "bi-building", "institution"),
    ("workforce:worker-list", _("卫生人员"), "bi-people", "worker"),
    ("imports:job-list", _("数据导入"), "bi-upload", "import-job"),
    ("accounts:user-list", _("账户管理"), "bi-person-gear", "account"),
    ("audit:event-list", _("审计日志"), "bi-journal-check", "audit"),
)


def _scope_label(user) -> str:
    scope = user.scope.label
    if user.district_id:
        return f"{scope}：{user.district.name}"
    if user.institution_id:
        return f"{scope}：{user.institution.name}"
    return str(scope)


def navigation(request):
    user = getattr(request, "user", None)
    context = {"demo_mode": settings.DEMO_MODE}
    if user is None or not user.is_authenticated:
        return context
    items = []
    for url_name, label, icon, entity in NAV:
        if entity and not can(user, entity, "list"):
            continue
        url = reverse(url_name)
        active = request.path == url if url == "/" else request.path.startswith(url)
        items.append({"url": url, "label": label, "icon": icon, "active": active})
    context.update(nav_items=items, user_scope_label=_scope_label(user))
    return context

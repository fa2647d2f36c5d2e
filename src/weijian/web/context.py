"""Navigation by role: each entry shows only when the role may list that entity."""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from weijian.accounts.access import can

# (URL name, label, icon, (entity, action) the role needs — or a tuple of such pairs, any of which will do —
# or None for everyone)
NAV = (
    ("web:home", _("首页"), "bi-speedometer2", None),
    ("orgs:division-list", _("行政区划"), "bi-map", ("division", "list")),
    ("orgs:institution-list", _("医疗卫生机构"), "bi-building", ("institution", "list")),
    ("workforce:worker-list", _("卫生人员"), "bi-people", ("worker", "list")),
    ("cme:dashboard", _("继续医学教育"), "bi-mortarboard", ("cme-indicator", "view")),
    # Only health workers check in to sessions, so the permission singles them out.
    ("cme:my-transcript", _("我的学分"), "bi-mortarboard", ("cme-checkin", "check-in")),
    ("research:index", _("科研项目"), "bi-clipboard2-pulse", ("research-application", "list")),
    # Only experts score, so the permission singles them out (they see none of the rest of the section).
    ("research:my-reviews", _("我的评审"), "bi-clipboard-check", ("research-review", "score")),
    # Only ethics committees' accounts review submissions (the commission and institutions read them from
    # the section's pages).
    ("research:ethics-list", _("伦理审查"), "bi-shield-check", ("research-ethics-submission", "review")),
    ("dq:scorecards", _("数据质控"), "bi-clipboard-check", ("dq-result", "view")),
    ("targets:dashboard", _("目标考核"), "bi-bullseye", ("target-assessment", "view")),
    ("terminology:code-system-list", _("术语字典"), "bi-book", ("terminology-code-system", "list")),
    # Clinicians read records; the information centre, districts, institutions and sources follow uploads;
    # the security administrator grants clinical access.
    ("records:index", _("健康档案"), "bi-heart-pulse",
     (("health-record", "view"), ("record-upload", "list"), ("record-grant", "list"))),
    # The information centre keeps the index; district bureaus follow its review queue; institutions and
    # card readers use the health card.
    ("mpi:index", _("主索引与健康卡"), "bi-person-vcard",
     (("mpi-review", "list"), ("mpi-person", "list"), ("health-card", "list"))),
    ("imports:job-list", _("数据导入"), "bi-upload", ("import-job", "list")),
    ("accounts:user-list", _("账户管理"), "bi-person-gear", ("account", "list")),
    ("audit:event-list", _("审计日志"), "bi-journal-check", ("audit", "list")),
)

# The second row of links inside a section, keyed by the URL prefix of the section.
SECTION_TABS = {
    "/cme/": (
        ("cme:dashboard", _("概览"), ("cme-indicator", "view")),
        ("cme:project-list", _("项目目录"), ("cme-project", "list")),
        ("cme:project-review", _("项目评审"), ("cme-project", "approve")),
        ("cme:project-overdue-filings", _("逾期备案"), ("cme-project", "list")),
        ("cme:project-overdue-reports", _("逾期报告"), ("cme-project", "list")),
        ("cme:credit-list", _("学分记录"), ("cme-credit", "list")),
        ("cme:credit-queue", _("学分审核"), ("cme-credit", "verify")),
        ("cme:requirement-list", _("学分要求"), ("cme-requirement", "list")),
        ("cme:activity-type-list", _("活动类别"), ("cme-activity-type", "list")),
        ("cme:exemption-list", _("豁免"), ("cme-exemption", "list")),
        ("cme:audit-list", _("年度审验"), ("cme-audit", "list")),
        ("cme:cycle-list", _("周期验证"), ("cme-cycle", "list")),
        ("cme:spot-check-list", _("项目抽查"), ("cme-spot-check", "list")),
        ("cme:policy", _("年度参数"), ("cme-policy", "view")),
    ),
    "/research/": (
        ("research:dashboard", _("概览"), ("research-application", "export")),
        ("research:call-list", _("申报通知"), ("research-call", "list")),
        ("research:application-list", _("申报书"), ("research-application", "list")),
        ("research:review-queue", _("评审任务"), ("research-review", "assign")),
        ("research:project-cleanup", _("结题清理"), ("research-application", "export")),
        ("research:achievement-list", _("成果与适宜技术"), ("research-achievement", "list")),
        ("research:expert-list", _("专家库"), ("research-expert", "list")),
        ("research:integrity-list", _("科研诚信"), ("research-integrity", "list")),
        ("research:my-reviews", _("我的评审"), ("research-review", "score")),
        ("research:ethics-list", _("伦理审查"), ("research-ethics-submission", "export")),
        ("research:ethics-meeting-list", _("审查会议"), ("research-ethics-meeting", "create")),
        ("research:ethics-committee-list", _("伦理委员会"), ("research-ethics-submission", "review")),
    ),
    "/records/": (
        ("records:index", _("居民检索"), ("health-record", "view")),
        ("records:upload-list", _("上传批次"), ("record-upload", "list")),
        ("records:source-list", _("数据来源"), ("record-source", "list")),
        ("records:grant-list", _("临床授权"), ("record-grant", "list")),
    ),
    "/mpi/": (
        ("mpi:review-list", _("疑似匹配审核"), ("mpi-review", "list")),
        ("mpi:person-list", _("主索引"), ("mpi-person", "list")),
        ("mpi:models", _("匹配模型"), ("mpi-model", "view")),
        ("cards:list", _("居民健康卡"), ("health-card", "list")),
    ),
    "/dq/": (
        ("dq:scorecards", _("质量评分"), ("dq-result", "view")),
        ("dq:rule-list", _("质控规则"), ("dq-rule", "list")),
        ("dq:ticket-list", _("整改单"), ("dq-ticket", "list")),
    ),
    "/targets/": (
        ("targets:dashboard", _("考核结果"), ("target-assessment", "view")),
        ("targets:plan-list", _("工作计划"), ("target-plan", "list")),
    ),
    "/terminology/": (
        ("terminology:code-system-list", _("代码系统"), ("terminology-code-system", "list")),
        ("terminology:value-set-list", _("值集"), ("terminology-value-set", "list")),
        ("terminology:concept-map-list", _("映射表"), ("terminology-concept-map", "list")),
    ),
}


def _allowed(user, needs) -> bool:
    if not needs:
        return True
    return any(can(user, *pair) for pair in (needs if isinstance(needs[0], tuple) else (needs,)))


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
    for url_name, label, icon, needs in NAV:
        if not _allowed(user, needs):
            continue
        url = reverse(url_name)
        active = request.path == url if url == "/" else request.path.startswith(url)
        items.append({"url": url, "label": label, "icon": icon, "active": active})
    context.update(nav_items=items, user_scope_label=_scope_label(user), section_tabs=_section_tabs(request, user))
    return context


def _section_tabs(request, user) -> list[dict]:
    for prefix, tabs in SECTION_TABS.items():
        if request.path.startswith(prefix):
            visible = [(reverse(name), label) for name, label, needs in tabs if _allowed(user, needs)]
            if len(visible) < 2:
                return []
            # The longest matching URL is the current tab; the section's own page only on itself.
            current = max((url for url, _label in visible if request.path.startswith(url) and url != prefix),
                          key=len, default=prefix if request.path == prefix else None)
            return [{"url": url, "label": label, "active": url == current} for url, label in visible]
    return []

"""The page mixins that bind core.pages to the access gate and the audit log."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404

from weijian.accounts.access import require
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record
from weijian.core.errors import NotFoundOrForbidden
from weijian.core.pages import ListPage


class ScopedListPage(LoginRequiredMixin, ListPage):
    entity = ""

    def authorize(self, request, action: str) -> None:
        require(request.user, self.entity, action)

    def record_export(self, request, fmt: str, count: int) -> None:
        audit_record(actor=request.user, action=AuditAction.EXPORT, entity=self.entity,
                     summary=f"导出{self.title} {count} 行（{fmt}）；筛选：{request.GET.urlencode()[:150]}")


def get_or_404(fetch, *args, **kwargs):
    """Call an access_*/selector *_get; missing and out-of-scope both become 404."""
    try:
        return fetch(*args, **kwargs)
    except NotFoundOrForbidden:
        raise Http404 from None


__all__ = ["ScopedListPage", "get_or_404", "PermissionDenied"]

"""The page mixins that bind core.pages to the access gate and the audit log."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404

from weijian.accounts.access import can, require
from weijian.audit.actions import AuditAction
from weijian.audit.services import audit_record
from weijian.core.errors import NotFoundOrForbidden
from weijian.core.pages import ListPage


class ScopedListPage(LoginRequiredMixin, ListPage):
    entity = ""
    empty_text = ""  # what the table says when nothing matches (the template's default when empty)
    create_action: tuple[str, str] | None = None  # (label, url name): shown to whoever may create `entity`

    def extra_context(self, request) -> dict:
        context = {"empty_text": self.empty_text} if self.empty_text else {}
        if self.create_action and can(request.user, self.entity, "create"):
            context["actions"] = (*self.actions, self.create_action)
        return context

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

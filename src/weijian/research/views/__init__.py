"""Research pages, one module per area (calls, applications, reviews); each lists its own `urlpatterns`.

What the modules share lives here: the list page with its empty state, the status badges, and how a
business error is put on a form. Page text is Chinese source strings in the translation catalogue:
`gettext` at request time (messages, titles built per page), `gettext_lazy` for what a class or module
holds (list titles, columns, empty states), and `{% translate %}` in the templates.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from weijian.accounts.access import can, require
from weijian.accounts.pages import ScopedListPage
from weijian.core.errors import BusinessError
from weijian.research.models import ApplicationStatus, AssignmentStatus, CallStatus

CALL_BADGE = {CallStatus.DRAFT: "secondary", CallStatus.OPEN: "success", CallStatus.CLOSED: "dark"}
APPLICATION_BADGE = {
    ApplicationStatus.DRAFT: "secondary", ApplicationStatus.SUBMITTED: "info", ApplicationStatus.RETURNED: "warning",
    ApplicationStatus.ENDORSED: "primary", ApplicationStatus.IN_REVIEW: "primary",
    ApplicationStatus.APPROVED: "success", ApplicationStatus.REJECTED: "danger", ApplicationStatus.WITHDRAWN: "dark",
    # After funding: execution and closure.
    "executing": "success", "closed": "dark", "terminated": "danger",
}
ASSIGNMENT_BADGE = {AssignmentStatus.ASSIGNED: "warning", AssignmentStatus.SUBMITTED: "success",
                    AssignmentStatus.NO_SHOW: "danger"}

SAVE = gettext_lazy("保存")


def iso(day) -> str:
    return day.isoformat() if day else ""


def add_error(form, exc: BusinessError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def form_page(request, form, *, title: str, crumbs=(), cancel_url: str = "", submit_label: str = SAVE,
              intro: str = "", warning: str = ""):
    """A form on its own page; with errors it comes back with status 422."""
    return render(request, "research/form.html", {
        "form": form, "title": title, "crumbs": crumbs, "cancel_url": cancel_url, "submit_label": submit_label,
        "intro": intro, "warning": warning,
    }, status=422 if form.errors else 200)


class ResearchListPage(ScopedListPage):
    """ScopedListPage with the research empty state ("暂无…", shown by the shared list table) and export
    shown only to who may export."""

    empty_text = gettext_lazy("暂无记录")
    export_entity = ""  # the entity whose "export" right the export needs; empty: no export

    def authorize(self, request, action: str) -> None:
        if action == "export":
            super().authorize(request, "list")
            if not self.export_entity:
                raise PermissionDenied
            require(request.user, self.export_entity, "export")
            return
        super().authorize(request, action)

    def extra_context(self, request) -> dict:
        return {"empty_text": self.empty_text,
                "hide_export": not (self.export_entity and can(request.user, self.export_entity, "export"))}

"""Page helpers shared by every list page: filter form, sorting, pagination, .xlsx/.csv export, htmx partials.

`ListPage` knows nothing of roles; subclasses (see accounts.pages.ScopedListPage) supply
`authorize()` and `record_export()`. Forms with errors re-render with status 422.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views import View

from weijian.core.spreadsheets import csv_bytes, xlsx_bytes

PAGE_SIZES = (20, 50, 100)
EXPORT_LIMIT = 100_000


@dataclass(frozen=True)
class Col:
    label: str
    value: Callable[[Any], Any]
    sort: str = ""  # ORM ordering field; empty = not sortable
    link: bool = False  # render as link to the row's detail page
    export: bool = True


def display(obj, field: str):
    """`get_<field>_display()` when it exists, else the attribute."""
    getter = getattr(obj, f"get_{field}_display", None)
    return getter() if getter else getattr(obj, field)


class ListPage(View):
    title = ""
    columns: tuple[Col, ...] = ()
    filter_form: type[forms.Form] | None = None
    default_sort = "-pk"
    export_name = "export"
    template_name = "web/list.html"
    partial_name = "web/partials/_list_table.html"
    detail_url_name = ""
    actions: tuple[tuple[str, str], ...] = ()  # (label, url name) buttons over the table

    # hooks -----------------------------------------------------------------------------
    def authorize(self, request, action: str) -> None:
        raise NotImplementedError

    def record_export(self, request, fmt: str, count: int) -> None:
        raise NotImplementedError

    def get_queryset(self, request, filters: dict):
        raise NotImplementedError

    def row_url(self, obj) -> str:
        return obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else ""

    def extra_context(self, request) -> dict:
        return {}

    # flow ------------------------------------------------------------------------------
    def get(self, request):
        self.authorize(request, "list")
        form = self.filter_form(request.GET or None) if self.filter_form else None
        filters = form.cleaned_data if form is not None and form.is_valid() else {}
        qs = self.get_queryset(request, {k: v for k, v in filters.items() if v not in (None, "")})
        sort = self._sort(request.GET.get("sort", ""))
        qs = qs.order_by(sort, "pk") if sort.lstrip("-") != "pk" else qs.order_by(sort)
        fmt = request.GET.get("export")
        if fmt in ("xlsx", "csv"):
            return self.export(request, qs, fmt)
        size = self._page_size(request.GET.get("size"))
        page = Paginator(qs, size).get_page(request.GET.get("page"))
        base_query = {k: v for k, v in request.GET.items() if k not in ("page", "sort", "export") and v}
        context = {
            "title": self.title,
            "form": form,
            "page": page,
            "rows": [(obj, self.row_url(obj), [c.value(obj) for c in self.columns]) for obj in page.object_list],
            "columns": [
                {"label": c.label, "sort": c.sort, "active": sort.lstrip("-") == c.sort and bool(c.sort),
                 "desc": sort.startswith("-"), "next": ("" if sort == f"-{c.sort}" else "-") + c.sort
                 if sort.lstrip("-") == c.sort else c.sort, "link": c.link}
                for c in self.columns
            ],
            "sort": sort,
            "size": size,
            "page_sizes": PAGE_SIZES,
            "query": urlencode(base_query),
            "query_with_sort": urlencode({**base_query, "sort": sort}),
            "actions": self.actions,
            **self.extra_context(request),
        }
        # Buttons name their URL ("app:name"); a ready path ("/…") is kept as it is.
        context["actions"] = [(label, url if url.startswith("/") else reverse(url)) for label, url in context["actions"]]
        template = self.partial_name if getattr(request, "htmx", False) and not request.htmx.boosted else \
            self.template_name
        return render(request, template, context)

    def _sort(self, requested: str) -> str:
        allowed = {c.sort for c in self.columns if c.sort}
        return requested if requested.lstrip("-") in allowed else self.default_sort

    @staticmethod
    def _page_size(raw) -> int:
        try:
            size = int(raw)
        except (TypeError, ValueError):
            return PAGE_SIZES[0]
        return size if size in PAGE_SIZES else PAGE_SIZES[0]

    def export(self, request, qs, fmt: str) -> HttpResponse:
        self.authorize(request, "export")
        columns = [c for c in self.columns if c.export]
        rows = [[_cell(c.value(obj)) for c in columns] for obj in qs[:EXPORT_LIMIT].iterator(chunk_size=2000)]
        self.record_export(request, fmt, len(rows))
        stamp = timezone.localtime().strftime("%Y%m%d%H%M")
        headers = [str(c.label) for c in columns]  # labels may be lazy translations
        if fmt == "xlsx":
            body = xlsx_bytes(headers, rows, sheet_title=str(self.title)[:30] or "数据")
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            body, content_type = csv_bytes(headers, rows), "text/csv; charset=utf-8"
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f"attachment; filename={self.export_name}-{stamp}.{fmt}"
        return response


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, (int, float, str)):
        return value
    return str(value)


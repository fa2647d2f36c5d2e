"""Dictionary pages (术语字典): code systems with their concepts and change history, value sets with an
expansion preview, concept maps with a translate box, and the forms that create each of the three.

Every reader of terminology (business roles and health workers) browses; the information centre creates
code systems and value sets, edits code systems and imports concepts; the information centre and the
institutions create concept maps (an institution only its own) and an institution imports into its own
concept maps only. Each POST calls one service of terminology.services; a refusal comes back on the page
with status 422 (form errors, import row errors), a request by someone who may not write is 403.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from weijian.accounts.access import can, concept_map_in_write_scope, require
from weijian.accounts.pages import ScopedListPage, get_or_404
from weijian.core.errors import BusinessError
from weijian.core.forms import StyledForm
from weijian.core.pages import Col, display
from weijian.terminology import operations, selectors, services
from weijian.terminology.errors import TerminologyErrorCode as E
from weijian.terminology.forms import CodeSystemCreateForm, ConceptMapCreateForm, ValueSetCreateForm
from weijian.terminology.models import Equivalence

CS, VS, CM = services.CS, services.VS, services.CM
CONCEPT_PAGE = 50
HISTORY_PAGE = 20
PREVIEW = 50
MAX_UPLOAD = 20 * 1024 * 1024
STATUS_BADGE = {"draft": "secondary", "active": "success", "retired": "dark"}


# ---- shared ------------------------------------------------------------------------------------------

class SearchForm(StyledForm):
    q = forms.CharField(label=gettext_lazy("名称、标题或规范地址"), required=False,
                        widget=forms.TextInput(attrs={"type": "search"}))


class TerminologyListPage(ScopedListPage):
    """Lists with a Chinese empty state; export only for who may export (not health workers)."""

    empty_text = gettext_lazy("暂无记录")
    filter_form = SearchForm

    def extra_context(self, request) -> dict:
        return {"empty_text": self.empty_text, "hide_export": not can(request.user, self.entity, "export")}


class UploadForm(StyledForm):
    file = forms.FileField(label=gettext_lazy("文件（.xlsx 或 .csv）"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("文件过大（最大 20 MB）"))
        return upload


def _import(request, form, run) -> tuple[list[str], bool]:
    """Run an import from an upload form: (row errors, done). On success a message gives the counts."""
    if not form.is_valid():
        return [], False
    upload = form.cleaned_data["file"]
    try:
        result = run(upload.read(), upload.name)
    except BusinessError as exc:
        form.add_error("file" if exc.code == E.FILE_REJECTED else None, exc.message)
        return list(exc.extra.get("errors", [])), False
    messages.success(request, _("导入完成：新增 %(created)s 条，更新 %(updated)s 条，未变 %(unchanged)s 条") % {
        "created": result.created, "updated": result.updated, "unchanged": result.unchanged})
    return [], True


def _page(qs, number, size):
    return Paginator(qs, size).get_page(number)


# A business error is shown under the field the user can fix: a taken (url, version) under the URL.
_ERROR_FIELD = {E.VERSION_TAKEN: "url", E.INCLUDE_REQUIRED: "code_systems"}


def _add_error(form, exc: BusinessError) -> None:
    field = _ERROR_FIELD.get(exc.code, exc.field)
    field = field if field in form.fields else None
    for line in exc.extra.get("errors") or [exc.message]:
        form.add_error(field, line)


def _create_page(request, form, *, title, list_url_name: str, list_label):
    """A create form on its own page (terminology/form.html); with errors it comes back with status 422."""
    list_url = reverse(list_url_name)
    return render(request, "terminology/form.html", {
        "form": form, "title": title, "crumbs": [(list_url, list_label)], "cancel_url": list_url,
        "submit_label": _("保存"),
    }, status=422 if form.errors else 200)


def _posted(request):
    return request.POST if request.method == "POST" else None


# ---- code systems ------------------------------------------------------------------------------------

class CodeSystemListView(TerminologyListPage):
    entity = CS
    title = gettext_lazy("代码系统")
    export_name = "terminology-code-systems"
    empty_text = gettext_lazy("暂无代码系统")
    default_sort = "name"
    columns = (
        Col(gettext_lazy("名称"), lambda c: c.title or c.name, sort="name", link=True),
        Col(gettext_lazy("标准"), lambda c: c.standard, sort="standard"),
        Col(gettext_lazy("版本"), lambda c: c.version, sort="version"),
        Col(gettext_lazy("状态"), lambda c: display(c, "status"), sort="status"),
        Col(gettext_lazy("概念数"), lambda c: c.concept_count, sort="concept_count"),
        Col(gettext_lazy("规范地址"), lambda c: c.url, sort="url"),
    )

    def get_queryset(self, request, filters):
        return selectors.code_system_list(actor=request.user, search=filters.get("q", "")).annotate(
            concept_count=Count("concepts"))

    def row_url(self, obj):
        return reverse("terminology:code-system-detail", args=[obj.pk])

    @property
    def actions(self):
        if can(self.request.user, CS, "create"):
            return ((_("新建代码系统"), "terminology:code-system-create"),)
        return ()


@login_required
def code_system_create_view(request):
    require(request.user, CS, "create")
    form = CodeSystemCreateForm(_posted(request))
    if form.is_valid():
        try:
            system = services.code_system_create(actor=request.user, **form.cleaned_data)
        except BusinessError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("已新建代码系统：%(name)s") % {"name": system})
            return redirect("terminology:code-system-detail", pk=system.pk)
    return _create_page(request, form, title=_("新建代码系统"), list_url_name="terminology:code-system-list",
                        list_label=_("代码系统"))


class ConceptSearchForm(StyledForm):
    q = forms.CharField(label=gettext_lazy("代码（前缀）或名称"), required=False,
                        widget=forms.TextInput(attrs={"type": "search"}))


class ConceptForm(StyledForm):
    code = forms.CharField(label=gettext_lazy("代码"), max_length=64)
    display = forms.CharField(label=gettext_lazy("名称"), max_length=255)
    parent_code = forms.CharField(label=gettext_lazy("上级代码"), max_length=64, required=False)
    definition = forms.CharField(label=gettext_lazy("说明"), required=False)


class ConceptEditForm(StyledForm):
    display = forms.CharField(label=gettext_lazy("名称"), max_length=255)
    parent_code = forms.CharField(label=gettext_lazy("上级代码"), max_length=64, required=False)
    definition = forms.CharField(label=gettext_lazy("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


def _code_system(request, pk):
    require(request.user, CS, "view")
    return get_or_404(selectors.code_system_get, actor=request.user, pk=pk)


def _code_system_page(request, system, *, status=200, add_form=None, import_form=None, import_errors=()):
    actor = request.user
    search = ConceptSearchForm(request.GET or None)
    q = search.cleaned_data["q"].strip() if search.is_valid() else ""
    concepts = _page(selectors.concept_list(actor=actor, code_system=system, search=q).order_by("code"),
                     request.GET.get("page"), CONCEPT_PAGE)
    history = None
    if can(actor, CS, "export"):
        history = _page(selectors.code_system_history(actor=actor, code_system=system), request.GET.get("hpage"),
                        HISTORY_PAGE)
    changes = [(event, _changes(event)) for event in history] if history is not None else []
    return render(request, "terminology/code_system.html", {
        "title": str(system), "system": system, "status_badge": STATUS_BADGE.get(system.status, "secondary"),
        "search": search, "q": q, "concepts": concepts, "history": history, "changes": changes,
        "concept_keep": urlencode({"q": q}) + "&" if q else "", "history_keep": "",
        "writer": can(actor, CS, "update"),
        "add_form": add_form or ConceptForm(prefix="add"),
        "import_form": import_form or UploadForm(prefix="import"),
        "import_errors": import_errors,
    }, status=status)


# Bookkeeping fields an audit snapshot carries that say nothing to a reader of the dictionary.
_BOOKKEEPING = {"id", "created_at", "updated_at", "code_system_id"}


def _changes(event) -> list[tuple[str, str, str]]:
    """(field, before, after) for the fields an audit row changed, bookkeeping left out."""
    before, after = event.before or {}, event.after or {}
    fields = [name for name in {**before, **after} if name not in _BOOKKEEPING]
    return [(name, "" if before.get(name) is None else str(before.get(name)),
             "" if after.get(name) is None else str(after.get(name)))
            for name in fields if before.get(name) != after.get(name)]


@login_required
def code_system_detail_view(request, pk: int):
    return _code_system_page(request, _code_system(request, pk))


@login_required
@require_POST
def concept_add_view(request, pk: int):
    system = _code_system(request, pk)
    require(request.user, CS, "update")
    form = ConceptForm(request.POST, prefix="add")
    if form.is_valid():
        try:
            concept = services.concept_add(actor=request.user, code_system=system, **form.cleaned_data)
        except BusinessError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("已新增概念：%(code)s %(display)s") % {
                "code": concept.code, "display": concept.display})
            return redirect("terminology:code-system-detail", pk=system.pk)
    return _code_system_page(request, system, status=422, add_form=form)


@login_required
@require_POST
def concept_import_view(request, pk: int):
    system = _code_system(request, pk)
    require(request.user, CS, "import")
    form = UploadForm(request.POST, request.FILES, prefix="import")
    errors, done = _import(request, form, lambda data, name: services.concepts_import_file(
        actor=request.user, code_system=system, data=data, filename=name))
    if done:
        return redirect("terminology:code-system-detail", pk=system.pk)
    return _code_system_page(request, system, status=422, import_form=form, import_errors=errors)


def _concept(request, system, concept_pk):
    concept = selectors.concept_list(actor=request.user, code_system=system).filter(pk=concept_pk).first()
    if concept is None:
        raise Http404
    return concept


@login_required
def concept_edit_view(request, pk: int, concept_pk: int):
    system = _code_system(request, pk)
    require(request.user, CS, "update")
    concept = _concept(request, system, concept_pk)
    initial = {"display": concept.display, "definition": concept.definition,
               "parent_code": concept.parent.code if concept.parent_id else ""}
    form = ConceptEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.concept_update(actor=request.user, concept=concept, **form.cleaned_data)
        except BusinessError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("已修改概念：%(code)s") % {"code": concept.code})
            return redirect("terminology:code-system-detail", pk=system.pk)
    detail = reverse("terminology:code-system-detail", args=[system.pk])
    return render(request, "terminology/form.html", {
        "form": form, "title": _("修改概念 %(code)s") % {"code": concept.code},
        "crumbs": [(reverse("terminology:code-system-list"), _("代码系统")), (detail, str(system))],
        "cancel_url": detail, "submit_label": _("保存"),
    }, status=422 if form.errors else 200)


@login_required
@require_POST
def concept_deactivate_view(request, pk: int, concept_pk: int):
    system = _code_system(request, pk)
    require(request.user, CS, "update")
    concept = _concept(request, system, concept_pk)
    services.concept_deactivate(actor=request.user, concept=concept)
    messages.success(request, _("已停用概念：%(code)s %(display)s") % {"code": concept.code, "display": concept.display})
    return redirect("terminology:code-system-detail", pk=system.pk)


# ---- value sets --------------------------------------------------------------------------------------

class ValueSetListView(TerminologyListPage):
    entity = VS
    title = gettext_lazy("值集")
    export_name = "terminology-value-sets"
    empty_text = gettext_lazy("暂无值集")
    default_sort = "name"
    columns = (
        Col(gettext_lazy("名称"), lambda v: v.title or v.name, sort="name", link=True),
        Col(gettext_lazy("版本"), lambda v: v.version, sort="version"),
        Col(gettext_lazy("状态"), lambda v: display(v, "status"), sort="status"),
        Col(gettext_lazy("规范地址"), lambda v: v.url, sort="url"),
    )

    def get_queryset(self, request, filters):
        return selectors.value_set_list(actor=request.user, search=filters.get("q", ""))

    def row_url(self, obj):
        return reverse("terminology:value-set-detail", args=[obj.pk])

    @property
    def actions(self):
        if can(self.request.user, VS, "create"):
            return ((_("新建值集"), "terminology:value-set-create"),)
        return ()


@login_required
def value_set_create_view(request):
    require(request.user, VS, "create")
    form = ValueSetCreateForm(_posted(request), actor=request.user)
    if form.is_valid():
        data = dict(form.cleaned_data)
        code_systems, codes = data.pop("code_systems"), data.pop("codes")
        try:
            includes = services.value_set_compose(code_systems=list(code_systems), codes=codes)
            value_set = services.value_set_create(actor=request.user, includes=includes, **data)
        except BusinessError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("已新建值集：%(name)s") % {"name": value_set})
            return redirect("terminology:value-set-detail", pk=value_set.pk)
    return _create_page(request, form, title=_("新建值集"), list_url_name="terminology:value-set-list",
                        list_label=_("值集"))


class ExpandForm(StyledForm):
    filter = forms.CharField(label=gettext_lazy("筛选（代码前缀或名称）"), required=False,
                             widget=forms.TextInput(attrs={"type": "search"}))


@login_required
def value_set_detail_view(request, pk: int):
    require(request.user, VS, "view")
    value_set = get_or_404(selectors.value_set_get, actor=request.user, pk=pk)
    form = ExpandForm(request.GET or None)
    text = form.cleaned_data["filter"].strip() if form.is_valid() else ""
    expansion = operations.expand(value_set.url, filter=text or None, count=PREVIEW, version=value_set.version)
    return render(request, "terminology/value_set.html", {
        "title": str(value_set), "value_set": value_set,
        "includes": value_set.includes.select_related("code_system"), "form": form, "expansion": expansion,
        "preview": PREVIEW, "status_badge": STATUS_BADGE.get(value_set.status, "secondary"),
    })


# ---- concept maps ------------------------------------------------------------------------------------

class ConceptMapListView(TerminologyListPage):
    entity = CM
    title = gettext_lazy("映射表")
    export_name = "terminology-concept-maps"
    empty_text = gettext_lazy("暂无映射表")
    default_sort = "name"
    columns = (
        Col(gettext_lazy("名称"), lambda m: m.title or m.name, sort="name", link=True),
        Col(gettext_lazy("来源机构"), lambda m: m.source_institution.name if m.source_institution_id else _("全市通用")),
        Col(gettext_lazy("源代码系统"), lambda m: m.source_system, sort="source_system"),
        Col(gettext_lazy("目标代码系统"), lambda m: m.target_system, sort="target_system"),
        Col(gettext_lazy("状态"), lambda m: display(m, "status"), sort="status"),
        Col(gettext_lazy("条目数"), lambda m: m.element_count, sort="element_count"),
    )

    def get_queryset(self, request, filters):
        return selectors.concept_map_list(actor=request.user, search=filters.get("q", "")).annotate(
            element_count=Count("elements"))

    def row_url(self, obj):
        return reverse("terminology:concept-map-detail", args=[obj.pk])

    @property
    def actions(self):
        if can(self.request.user, CM, "create"):
            return ((_("新建映射表"), "terminology:concept-map-create"),)
        return ()


@login_required
def concept_map_create_view(request):
    require(request.user, CM, "create")
    form = ConceptMapCreateForm(_posted(request), actor=request.user)
    if form.is_valid():
        data = dict(form.cleaned_data)
        data["target_system"] = data["target_system"].url
        try:
            concept_map = services.concept_map_create(actor=request.user, **data)
        except BusinessError as exc:
            _add_error(form, exc)
        else:
            messages.success(request, _("已新建映射表：%(name)s") % {"name": concept_map})
            return redirect("terminology:concept-map-detail", pk=concept_map.pk)
    return _create_page(request, form, title=_("新建映射表"), list_url_name="terminology:concept-map-list",
                        list_label=_("映射表"))


class TranslateForm(StyledForm):
    code = forms.CharField(label=gettext_lazy("本地代码"), max_length=64)


def _concept_map(request, pk):
    require(request.user, CM, "view")
    return get_or_404(selectors.concept_map_get, actor=request.user, pk=pk)


def _map_writer(actor, concept_map) -> bool:
    return can(actor, CM, "import") and concept_map_in_write_scope(actor, concept_map.source_institution)


def _concept_map_page(request, concept_map, *, status=200, import_form=None, import_errors=()):
    actor = request.user
    translation = None
    form = TranslateForm(request.GET or None, prefix="t")
    if form.is_valid():
        translation = operations.translate(code=form.cleaned_data["code"].strip(), concept_map_url=concept_map.url)
    elements = _page(concept_map.elements.order_by("source_code", "target_code"), request.GET.get("page"),
                     CONCEPT_PAGE)
    return render(request, "terminology/concept_map.html", {
        "title": str(concept_map), "concept_map": concept_map,
        "status_badge": STATUS_BADGE.get(concept_map.status, "secondary"), "elements": elements,
        "element_keep": urlencode({"t-code": request.GET["t-code"]}) + "&" if request.GET.get("t-code") else "",
        "writer": _map_writer(actor, concept_map), "translate_form": form, "translation": translation,
        "equivalences": Equivalence.choices,
        "import_form": import_form or UploadForm(prefix="import"), "import_errors": import_errors,
    }, status=status)


@login_required
def concept_map_detail_view(request, pk: int):
    return _concept_map_page(request, _concept_map(request, pk))


@login_required
@require_POST
def concept_map_import_view(request, pk: int):
    concept_map = _concept_map(request, pk)
    if not _map_writer(request.user, concept_map):
        raise PermissionDenied
    form = UploadForm(request.POST, request.FILES, prefix="import")
    errors, done = _import(request, form, lambda data, name: services.concept_map_import_file(
        actor=request.user, concept_map=concept_map, data=data, filename=name))
    if done:
        return redirect("terminology:concept-map-detail", pk=concept_map.pk)
    return _concept_map_page(request, concept_map, status=422, import_form=form, import_errors=errors)


urlpatterns = [
    path("", CodeSystemListView.as_view(), name="code-system-list"),
    path("code-systems/new/", code_system_create_view, name="code-system-create"),
    path("code-systems/<int:pk>/", code_system_detail_view, name="code-system-detail"),
    path("code-systems/<int:pk>/concepts/add/", concept_add_view, name="concept-add"),
    path("code-systems/<int:pk>/concepts/import/", concept_import_view, name="concept-import"),
    path("code-systems/<int:pk>/concepts/<int:concept_pk>/edit/", concept_edit_view, name="concept-edit"),
    path("code-systems/<int:pk>/concepts/<int:concept_pk>/deactivate/", concept_deactivate_view,
         name="concept-deactivate"),
    path("value-sets/", ValueSetListView.as_view(), name="value-set-list"),
    path("value-sets/new/", value_set_create_view, name="value-set-create"),
    path("value-sets/<int:pk>/", value_set_detail_view, name="value-set-detail"),
    path("concept-maps/", ConceptMapListView.as_view(), name="concept-map-list"),
    path("concept-maps/new/", concept_map_create_view, name="concept-map-create"),
    path("concept-maps/<int:pk>/", concept_map_detail_view, name="concept-map-detail"),
    path("concept-maps/<int:pk>/import/", concept_map_import_view, name="concept-map-import"),
]

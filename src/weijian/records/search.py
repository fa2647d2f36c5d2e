"""FHIR R4 search over the record store: parse a query string, run it on a queryset the caller scoped.

Pure query layer: `parse` turns (name, value) pairs into a `SearchQuery` (raising the store's search error
codes, naming the parameter); `run` applies it to the caller's access-scoped `Resource` queryset and returns
one page; `ids` answers a conditional create. Access is never decided here.

How a query becomes SQL:
- every parameter is one condition on `Resource`, never a join, so no row is repeated: an `EXISTS` probe on
  an index table by resource id (`records_tok_resource`, `records_date_resource`, ...) when the query is
  anchored on a few rows (the Patient compartment or `_id`), otherwise `id IN (index rows matching the
  value)`, driven by the index table's lookup index (the form SQLite plans well; PostgreSQL treats both as
  semi-joins);
- `subject=Patient/X` / `patient=X` on a compartment type filter `Resource.patient` (indexed with type and
  updated) instead of the reference index;
- chained parameters (`subject:Patient.identifier=...`) select the target's ids in a subquery over the
  caller's include scope, so a chain never reaches through resources the caller may not read;
- citizen ID numbers are compared through their blind index; the clear number never reaches the database.

Paging is by offset over a total order (the sort keys, then `Resource.id`): an update keeps a resource's id
and its clinical dates, so a client following `next` sees each match once.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from weijian.core.errors import BusinessError
from weijian.records import store
from weijian.records.errors import RecordsErrorCode as E
from weijian.records.identity import CITIZEN_ID_SYSTEM
from weijian.records.models import DateIndex, ReferenceIndex, Resource, StringIndex, TokenIndex
from weijian.records.searchparams import (
    COMPARTMENT,
    PARAMS,
    SUPPORTED_TYPES,
    SearchParam,
    date_range,
    normalise,
)

DEFAULT_COUNT, MAX_COUNT = 20, 500
MAX_OFFSET = 2**31 - 1  # beyond what any engine pages through; SQLite's integers overflow at 2**63
IGNORED = frozenset({"_format", "_pretty"})
DATE_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")
MODIFIERS = {"token": ("not", "missing"), "string": ("exact", "contains", "missing"), "date": ("missing",),
             "reference": ("missing",), "id": ("missing",), "updated": ("missing",)}
INDEX_MODELS = {"token": TokenIndex, "string": StringIndex, "date": DateIndex, "reference": ReferenceIndex}
_ID = SearchParam("_id", "id", ())
_LAST_UPDATED = SearchParam("_lastUpdated", "updated", ())
_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_CITIZEN_ID = re.compile(r"^(\d{17}[\dXx]|\d{15})$")
# Elements that put a resource in a Patient compartment and hold one reference at most (R4 cardinality),
# so `Resource.patient` answers a search on them exactly. Provenance.target (0..*) is not one of them.
_SINGLE_COMPARTMENT_PATHS = ("subject", "patient")


@dataclass(frozen=True)
class Token:
    system: str | None  # None: any system; "": no system
    code: str | None  # None: any code in `system`


@dataclass(frozen=True)
class DateValue:
    prefix: str
    low: datetime
    high: datetime


@dataclass(frozen=True)
class Ref:
    type: str | None  # None: any target type
    id: str


@dataclass(frozen=True)
class Clause:
    """One occurrence of a parameter: its values are alternatives (OR); clauses are all required (AND)."""

    name: str  # as written, for messages
    param: str  # the parameter on the searched type ("_id" and "_lastUpdated" included)
    kind: str  # token | string | date | reference | id | updated
    modifier: str = ""  # "", not, exact, contains, missing, or a resource type (reference)
    values: tuple = ()  # Token | str | DateValue | Ref | bool (missing)
    chain: tuple[tuple[str, "Clause"], ...] = ()  # (target type, clause on that type), OR between them


@dataclass(frozen=True)
class Include:
    source: str  # the type holding the reference
    param: str
    target: str | None = None  # only targets of this type


@dataclass
class SearchQuery:
    type: str
    clauses: list[Clause] = field(default_factory=list)
    sort: list[tuple[str, bool]] = field(default_factory=list)  # (parameter, descending)
    count: int = DEFAULT_COUNT
    offset: int = 0
    includes: list[Include] = field(default_factory=list)
    revincludes: list[Include] = field(default_factory=list)
    total: bool = True  # _total=none → False
    summary_count: bool = False  # _summary=count (or _count=0): the total only


@dataclass
class SearchPage:
    rows: list[Resource]
    included: list[Resource]
    total: int | None
    offset: int
    count: int
    has_next: bool


# ---- parsing -----------------------------------------------------------------------------------------------

def _unknown(name: str, message: str | None = None) -> BusinessError:
    return BusinessError(E.SEARCH_PARAM_UNKNOWN, message or _("不支持的查询参数：%(name)s") % {"name": name[:80]},
                         parameter=name[:80])


def _invalid(name: str, message: str | None = None) -> BusinessError:
    return BusinessError(E.SEARCH_VALUE_INVALID,
                         message or _("查询参数 %(name)s 的值无效") % {"name": name[:80]}, parameter=name[:80])


def _split(text: str, separator: str = ",") -> list[str]:
    """`text` cut at each separator not escaped with a backslash (FHIR's `\\,` `\\|` `\\$`); pieces stay escaped."""
    pieces, current, escaped = [], [], False
    for char in text:
        if escaped:
            current.append("\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator:
            pieces.append("".join(current))
            current = []
        else:
            current.append(char)
    if escaped:
        current.append("\\")
    pieces.append("".join(current))
    return pieces


def _unescape(text: str) -> str:
    return re.sub(r"\\([\\,|$])", r"\1", text)


def _alternatives(value: str) -> list[str]:
    return [piece.strip() for piece in _split(value) if piece.strip()]


def _param(type_: str, name: str, label: str) -> SearchParam:
    if name == "_id":
        return _ID
    if name == "_lastUpdated":
        return _LAST_UPDATED
    found = PARAMS[type_].get(name)
    if found is None:
        raise _unknown(label)
    return found


def _reference_types(param: SearchParam) -> tuple[str, ...]:
    return param.targets or SUPPORTED_TYPES


def parse(type_: str, params: list[tuple[str, str]]) -> SearchQuery:
    """The query for `type_` from the query string's (name, value) pairs, in order, repeats allowed."""
    if type_ not in PARAMS:
        raise BusinessError(E.TYPE_UNSUPPORTED, type=type_[:40])
    query = SearchQuery(type_)
    for name, raw in params:
        value = (raw or "").strip()
        if name in IGNORED:
            continue
        if name.startswith("_") and name.partition(":")[0] not in ("_id", "_lastUpdated"):
            _result_parameter(query, name, value)
            continue
        clause = _clause(type_, name, value, label=name, chained=True)
        if clause is not None:
            query.clauses.append(clause)
    return query


def _clause(type_: str, name: str, value: str, *, label: str, chained: bool) -> Clause | None:
    """One parameter occurrence; None when its value is empty (FHIR: ignored)."""
    head, dot, rest = name.partition(".")
    pname, _colon, modifier = head.partition(":")
    param = _param(type_, pname, label)
    if dot:
        return _chained(type_, param, modifier, rest, value, label=label, chained=chained)
    if modifier and modifier not in MODIFIERS[param.type]:
        if not (param.type == "reference" and modifier in _reference_types(param)):
            raise _unknown(label, _("查询参数 %(name)s 不支持修饰符“:%(modifier)s”")
                           % {"name": pname, "modifier": modifier[:40]})
    if not value:
        return None
    if modifier == "missing":
        if value not in ("true", "false"):
            raise _invalid(label, _("%(name)s 的值应为 true 或 false") % {"name": label[:80]})
        return Clause(label, param.name, param.type, modifier, (value == "true",))
    pieces = _alternatives(value)
    if not pieces:
        return None
    parse_value = {"token": _token, "string": _string, "date": _date, "reference": _reference,
                   "id": _fhir_id, "updated": _date}[param.type]
    values = tuple(parse_value(type_, param, modifier, piece, label) for piece in pieces)
    return Clause(label, param.name, param.type, modifier, values)


def _chained(type_, param, modifier, rest, value, *, label, chained) -> Clause | None:
    if not chained or param.type != "reference":
        raise _unknown(label, _("查询参数 %(name)s 不能链式查询（只支持经引用参数的一级链式查询）")
                       % {"name": label[:80]})
    if modifier and modifier not in _reference_types(param):
        raise _unknown(label, _("查询参数 %(name)s 不支持修饰符“:%(modifier)s”")
                       % {"name": param.name, "modifier": modifier[:40]})
    inner_name = rest.partition(":")[0]
    targets = [t for t in ((modifier,) if modifier else _reference_types(param))
               if inner_name in PARAMS[t] or inner_name in ("_id", "_lastUpdated")]
    if not targets:
        raise _unknown(label)
    chain = []
    for target in targets:
        inner = _clause(target, rest, value, label=label, chained=False)
        if inner is None:
            return None
        chain.append((target, inner))
    return Clause(label, param.name, "reference", modifier, (), tuple(chain))


def _token(type_, param, modifier, text, label) -> Token:
    parts = _split(text, "|")
    if len(parts) == 1:
        system, code = None, _unescape(parts[0])
    elif len(parts) == 2:
        system, code = _unescape(parts[0]), _unescape(parts[1]) or None
        if not system and code is None:
            raise _invalid(label)
    else:
        raise _invalid(label)
    if type_ in store.PERSON_TYPES and code is not None:
        # Citizen ID numbers are indexed by their keyed blind index: compare that, never the clear number.
        if system == CITIZEN_ID_SYSTEM or (system is None and param.name == "identifier" and _CITIZEN_ID.match(code)):
            return Token(CITIZEN_ID_SYSTEM, store.id_number_index(code))
    return Token(system, code)


def _string(type_, param, modifier, text, label) -> str:
    return normalise(_unescape(text))


def _date(type_, param, modifier, text, label) -> DateValue:
    prefix = text[:2] if text[:2].isalpha() else "eq"
    rest = text[2:] if text[:2].isalpha() else text
    if prefix not in DATE_PREFIXES:
        raise _invalid(label, _("查询参数 %(name)s 的日期前缀无效：只支持 eq、ne、gt、lt、ge、le、sa、eb、ap")
                       % {"name": label[:80]})
    # An unencoded "+" of a zone offset arrives as a space.
    extent = date_range(re.sub(r" (\d{2}:\d{2})$", r"+\1", rest))
    if extent is None:
        raise _invalid(label, _("查询参数 %(name)s 的日期无效：应为 FHIR 日期或时间，如 2024-03、2024-03-15、"
                                "2024-03-15T08:30:00+08:00") % {"name": label[:80]})
    return DateValue(prefix, *extent)


def _reference(type_, param, modifier, text, label) -> Ref:
    parts = [p for p in text.split("?", 1)[0].split("/") if p]
    if len(parts) >= 4 and parts[-2] == "_history":
        parts = parts[:-2]
    allowed = _reference_types(param)
    if len(parts) == 1:
        target = modifier or (allowed[0] if len(allowed) == 1 else None)
        fhir_id = parts[0]
    elif len(parts) >= 2 and parts[-2] in SUPPORTED_TYPES:
        target, fhir_id = parts[-2], parts[-1]
    else:
        target, fhir_id = "", ""
    if not _FHIR_ID.match(fhir_id) or (target is not None and target not in allowed) \
            or (modifier and target != modifier):
        raise _invalid(label, _("查询参数 %(name)s 的引用无效：应为“类型/id”、id 或以“类型/id”结尾的地址，"
                                "类型须为该参数可引用的类型") % {"name": label[:80]})
    return Ref(target, fhir_id)


def _fhir_id(type_, param, modifier, text, label) -> str:
    if not _FHIR_ID.match(text):
        raise _invalid(label)
    return text


def _non_negative(name: str, value: str) -> int:
    if not value.isascii() or not value.isdigit() or int(value) > MAX_OFFSET:
        raise _invalid(name, _("%(name)s 应为不超过 %(max)s 的非负整数") % {"name": name, "max": MAX_OFFSET})
    return int(value)


def _result_parameter(query: SearchQuery, name: str, value: str) -> None:
    if name not in ("_count", "_offset", "_sort", "_include", "_revinclude", "_total", "_summary"):
        raise _unknown(name)
    if not value:
        return
    if name == "_count":
        query.count = min(_non_negative(name, value), MAX_COUNT)
        query.summary_count = query.summary_count or query.count == 0
    elif name == "_offset":
        query.offset = _non_negative(name, value)
    elif name == "_sort":
        query.sort = [_sort_key(query.type, piece) for piece in _alternatives(value)]
    elif name == "_include":
        query.includes += [_include(query.type, piece, reverse=False) for piece in _alternatives(value)]
    elif name == "_revinclude":
        query.revincludes += [_include(query.type, piece, reverse=True) for piece in _alternatives(value)]
    elif name == "_total":
        if value not in ("none", "estimate", "accurate"):
            raise _invalid(name, _("_total 只支持 none、estimate 或 accurate"))
        query.total = value != "none"
    elif value in ("count", "false"):  # _summary
        query.summary_count = value == "count"
    else:
        raise _invalid(name, _("_summary 只支持 count 或 false"))


def _sort_key(type_: str, text: str) -> tuple[str, bool]:
    descending = text.startswith("-")
    name = text.lstrip("-")
    param = PARAMS[type_].get(name)
    if name not in ("_id", "_lastUpdated") and (param is None or param.type not in ("date", "string")):
        raise _invalid("_sort", _("_sort 不能按 %(name)s 排序：只支持 _id、_lastUpdated 及本资源的日期、字符串参数")
                       % {"name": name[:80]})
    return name, descending


def _include(type_: str, text: str, *, reverse: bool) -> Include:
    name = "_revinclude" if reverse else "_include"
    parts = text.split(":")
    source, pname = (parts + ["", ""])[:2]
    target = parts[2] if len(parts) == 3 else None
    param = PARAMS.get(source, {}).get(pname)
    allowed = _reference_types(param) if param is not None else ()
    valid = (len(parts) in (2, 3) and param is not None and param.type == "reference"
             and (target is None or target in allowed)
             and (type_ in allowed and target in (None, type_) if reverse else source == type_))
    if not valid:
        raise _invalid(name, _("%(name)s 的值 %(value)s 无效：应为“类型:引用参数”或“类型:引用参数:目标类型”，"
                               "_include 的类型须为所查资源类型，_revinclude 的参数须能引用所查资源类型")
                       % {"name": name, "value": text[:80]})
    return Include(source, pname, target)


# ---- conditions --------------------------------------------------------------------------------------------

def _any(conditions) -> Q:
    combined = None
    for condition in conditions:
        combined = condition if combined is None else combined | condition
    return combined if combined is not None else Q(pk__in=[])


def _date_q(value: DateValue, low: str, high: str) -> Q:
    """FHIR R4's prefixes as comparisons of the search value's range [vl, vh] with a stored [low, high]."""
    vl, vh = value.low, value.high
    within = Q(**{f"{low}__gte": vl, f"{high}__lte": vh})
    if value.prefix == "eq":
        return within
    if value.prefix == "ne":
        return ~within
    if value.prefix == "gt":
        return Q(**{f"{high}__gt": vh})
    if value.prefix == "lt":
        return Q(**{f"{low}__lt": vl})
    if value.prefix == "ge":
        return Q(**{f"{high}__gt": vh}) | within
    if value.prefix == "le":
        return Q(**{f"{low}__lt": vl}) | within
    if value.prefix == "sa":
        return Q(**{f"{low}__gt": vh})
    if value.prefix == "eb":
        return Q(**{f"{high}__lt": vl})
    margin = abs(timezone.now() - vl) / 10  # ap: 10% of the gap between now and the value, as FHIR suggests
    return Q(**{f"{low}__lte": vh + margin, f"{high}__gte": vl - margin})


def _token_q(token: Token) -> Q:
    condition = Q()
    if token.system is not None:
        condition &= Q(system=token.system)
    if token.code is not None:
        condition &= Q(code=token.code)
    return condition


def _string_q(modifier: str, text: str) -> Q:
    if modifier == "exact":
        return Q(value=text)
    if modifier == "contains":
        return Q(value__contains=text)
    return Q(value__startswith=text)


def _reference_q(ref: Ref) -> Q:
    return Q(target_id=ref.id) if ref.type is None else Q(target_type=ref.type, target_id=ref.id)


def _compartment_param(type_: str, clause: Clause) -> bool:
    """Whether the clause is answered by `Resource.patient` (subject=Patient/X, patient=X, subject:Patient...)."""
    param = PARAMS.get(type_, {}).get(clause.param)
    return (param is not None and param.type == "reference" and param.targets == ("Patient",)
            and param.paths == (COMPARTMENT.get(type_),) and param.paths[0] in _SINGLE_COMPARTMENT_PATHS
            and clause.modifier in ("", "Patient"))


def _anchors(type_: str, clause: Clause) -> bool:
    """Clauses that narrow the search to a few rows through an index on Resource itself."""
    return (clause.kind == "id" and clause.modifier == "") or _compartment_param(type_, clause)


def _targets(clause: Clause, scope: QuerySet) -> list[tuple[str, QuerySet]]:
    """For a chained clause: each target type with the ids (a subquery) of its resources that match."""
    return [(target, scope.filter(type=target, deleted=False)
             .filter(_condition(target, inner, _anchors(target, inner), scope)).values("fhir_id"))
            for target, inner in clause.chain]


def _condition(type_: str, clause: Clause, anchored: bool, scope: QuerySet) -> Q:
    """The clause as one condition on Resource rows of `type_` (no join: EXISTS or IN subqueries)."""
    if clause.kind in ("id", "updated"):
        if clause.modifier == "missing":  # both are always present
            return Q(pk__in=[]) if clause.values[0] else Q()
        if clause.kind == "id":
            return Q(fhir_id__in=list(clause.values))
        return _any(_date_q(value, "updated", "updated") for value in clause.values)
    if _compartment_param(type_, clause):
        if clause.chain:
            return _any(Q(patient__in=ids) for _target, ids in _targets(clause, scope))
        return Q(patient__in=sorted({ref.id for ref in clause.values}))
    model = INDEX_MODELS[clause.kind]
    own = model.objects.filter(resource_id=OuterRef("pk"), param=clause.param)
    if clause.modifier == "missing":
        return ~Q(Exists(own)) if clause.values[0] else Q(Exists(own))
    if clause.chain:
        match = _any(Q(target_type=target, target_id__in=ids) for target, ids in _targets(clause, scope))
    elif clause.kind == "token":
        match = _any(_token_q(value) for value in clause.values)
    elif clause.kind == "string":
        match = _any(_string_q(clause.modifier, value) for value in clause.values)
    elif clause.kind == "date":
        match = _any(_date_q(value, "low", "high") for value in clause.values)
    else:
        match = _any(_reference_q(value) for value in clause.values)
    if clause.modifier == "not":
        return ~Q(Exists(own.filter(match)))
    if anchored:
        return Q(Exists(own.filter(match)))
    return Q(pk__in=model.objects.filter(match, type=type_, param=clause.param).values("resource_id"))


def matches(query: SearchQuery, base: QuerySet, scope: QuerySet | None = None) -> QuerySet:
    """Every current, undeleted resource of `base` matching the query's parameters (unordered).
    Chained parameters look their targets up in `scope` (the caller's readable resources)."""
    scope = scope if scope is not None else base.model._default_manager.all()
    anchored = any(_anchors(query.type, clause) for clause in query.clauses)
    found = base.filter(type=query.type, deleted=False)
    for clause in query.clauses:
        found = found.filter(_condition(query.type, clause, anchored, scope))
    return found


# ---- running -------------------------------------------------------------------------------------------

def _ordered(query: SearchQuery, found: QuerySet) -> QuerySet:
    order = []
    for position, (name, descending) in enumerate(query.sort):
        if name in ("_id", "_lastUpdated"):
            key = F("fhir_id" if name == "_id" else "updated")
        else:
            param = PARAMS[query.type][name]
            if param.type == "date":  # ascending by the earliest instant, descending by the latest
                column = "high" if descending else "low"
                rows = DateIndex.objects.filter(resource_id=OuterRef("pk"), param=name)
            else:
                column = "value"
                rows = StringIndex.objects.filter(resource_id=OuterRef("pk"), param=name)
            alias = f"search_sort_{position}"
            found = found.annotate(**{alias: Subquery(
                rows.order_by(f"-{column}" if descending else column).values(column)[:1])})
            key = F(alias)
        order.append(key.desc(nulls_last=True) if descending else key.asc(nulls_last=True))
    return found.order_by(*order, "id")


def _included(query: SearchQuery, rows: list[Resource], scope: QuerySet) -> list[Resource]:
    if not rows or not (query.includes or query.revincludes):
        return []
    seen = {row.pk for row in rows}
    found: list[Resource] = []

    def add(candidates):
        for row in candidates:
            if row.pk not in seen:
                seen.add(row.pk)
                found.append(row)

    pks = [row.pk for row in rows]
    for include in query.includes:
        links = ReferenceIndex.objects.filter(resource_id__in=pks, param=include.param)
        if include.target:
            links = links.filter(target_type=include.target)
        wanted: dict[str, set[str]] = {}
        for target_type, target_id in links.values_list("target_type", "target_id"):
            wanted.setdefault(target_type, set()).add(target_id)
        for target_type in sorted(wanted):
            add(scope.filter(type=target_type, fhir_id__in=sorted(wanted[target_type]), deleted=False).order_by("id"))
    fhir_ids = sorted({row.fhir_id for row in rows})
    for include in query.revincludes:
        links = ReferenceIndex.objects.filter(target_type=query.type, target_id__in=fhir_ids, type=include.source,
                                              param=include.param).values("resource_id")
        add(scope.filter(pk__in=links, type=include.source, deleted=False).order_by("id"))
    return found


def run(query: SearchQuery, base: QuerySet[Resource], include_base: QuerySet[Resource] | None = None) -> SearchPage:
    """One page of matches of `base` (the caller's scoped rows), with _include/_revinclude resources taken
    from `include_base` (the caller's readable rows; chained parameters look there too)."""
    scope = include_base if include_base is not None else base.model._default_manager.all()
    found = matches(query, base, scope)
    if query.summary_count:
        return SearchPage([], [], found.count(), query.offset, 0, False)
    rows = list(_ordered(query, found)[query.offset:query.offset + query.count + 1])
    has_next = len(rows) > query.count
    rows = rows[:query.count]
    total = None
    if query.total:  # a first page that holds every match needs no COUNT
        total = len(rows) if query.offset == 0 and not has_next else found.count()
    return SearchPage(rows, _included(query, rows, scope), total, query.offset, query.count, has_next)


def ids(query: SearchQuery, base: QuerySet[Resource], include_base: QuerySet[Resource] | None = None, *,
        limit: int = 2) -> list[str]:
    """The fhir_ids of the first `limit` matches (a conditional create needs to tell none, one and several)."""
    scope = include_base if include_base is not None else base.model._default_manager.all()
    return list(matches(query, base, scope).order_by("id").values_list("fhir_id", flat=True)[:limit])

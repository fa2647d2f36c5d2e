"""What a domain declares to make an entity importable."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the Chinese header in the template; the file must use it
    required: bool = True
    help: str = ""
    example: str = ""
    parse: Callable[[Any], Any] | None = None  # raw cell -> value, raising ValueError("中文原因")
    sensitive: bool = False  # masked in error reports
    options: tuple[str, ...] = ()  # allowed labels: a drop-down list in the template


def mask(value: str) -> str:
    """What error reports show of a sensitive cell (ID numbers): the first and last four characters."""
    return value[:4] + "*" * max(len(value) - 8, 0) + value[-4:] if len(value) > 8 else "****"


@dataclass
class RowError:
    row: int
    column: str  # header text, or "" for the whole row
    value: str
    reason: str


@dataclass
class PreparedBatch:
    """What a spec's `prepare` returns for one batch of rows."""

    valid: list[tuple[int, Any]] = field(default_factory=list)  # (row number, cleaned object)
    errors: list[RowError] = field(default_factory=list)


@dataclass
class ApplyResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)  # rows refused at this step (not written)


@dataclass(frozen=True)
class ImportSpec:
    entity: str  # also the access entity name: "worker", "institution", "division"
    title: str
    columns: Sequence[Column]
    natural_key: str  # column key identifying a row; duplicates within a file are errors
    # prepare(actor, rows: list[(row_number, {key: parsed value})]) -> PreparedBatch
    prepare: Callable[..., PreparedBatch]
    # classify(actor, valid: list[(row_number, cleaned)]) -> ApplyResult (dry run: what would happen)
    classify: Callable[..., ApplyResult]
    # apply(actor, valid: list[(row_number, cleaned)]) -> ApplyResult (inside the import transaction)
    # Both may refuse rows (ApplyResult.errors), e.g. a record that exists outside the actor's scope.
    apply: Callable[..., ApplyResult]
    notes: Sequence[str] = ()
    batch_rows: int = 2_000  # rows checked and written together: bounded memory, few queries
    # The in-file duplicate key of a parsed row, when one column does not identify it (e.g. a sign-in
    # row is (project, ID number or licence number)); by default the natural_key column's value.
    row_key: Callable[[dict], Any] | None = None
    # Models ("app.Model") the import fills; PostgreSQL re-analyzes them after a large import.
    tables: Sequence[str] = ()
    # Called once per pass over a file (the dry run, then the apply); what it returns is handed to each
    # `prepare` of that pass as `cache=`, so that lookups made for one batch serve the later ones.
    cache: Callable[[], Any] | None = None
    # Optional, for large files: stream(actor, batches, cache=) -> ApplyResult | None writes the valid rows
    # of every batch as `batches` yields them, in one stream (see imports.services._apply_streamed). It
    # returns None if it cannot stream (then the batches were not consumed and `apply` runs per batch).
    stream: Callable[..., ApplyResult | None] | None = None

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


_SPECS: dict[str, ImportSpec] = {}


def register(spec: ImportSpec) -> None:
    _SPECS[spec.entity] = spec


def get_spec(entity: str) -> ImportSpec:
    return _SPECS[entity]


def all_specs() -> list[ImportSpec]:
    return list(_SPECS.values())

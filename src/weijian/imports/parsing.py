"""Reading a spreadsheet into checked values: the first half of the dry run.

`parsed_batches` opens the file, turns cells into values column by column (with the column's
parser, the formula check and duplicate keys), and yields batches of (row number, {key: value}).
It touches no database. For large files it runs in a forked child process, so that reading the
file and checking the rows against the database (the parent's half) use both processor cores.
"""

import io
import multiprocessing
import pickle
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from weijian.core.spreadsheets import looks_like_formula
from weijian.imports import files
from weijian.imports.registry import ApplyResult, ImportSpec, RowError, get_spec, mask

MAX_REPORTED_ERRORS = 100_000  # error rows are all counted; the report lists this many problems
CHILD_MIN_BYTES = 1024 * 1024  # smaller files are read in this process: starting a child costs more


def open_sheet(kind: str, data: bytes, *, header_only: bool = False) -> files.Sheet:
    # The decrypted bytes stay in memory: no plaintext copy of the file is written to disk.
    return files.open_xlsx(io.BytesIO(data), header_only=header_only) if kind == "xlsx" else files.open_csv(data)


def close_sheet(sheet: files.Sheet | None) -> None:
    close = getattr(sheet.rows, "close", None) if sheet is not None else None
    if close:
        close()


@dataclass
class Pass:
    """What one pass over the rows found: rows read, row errors (the report), counts."""

    total: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_rows: set[int] = field(default_factory=set)
    result: ApplyResult = field(default_factory=ApplyResult)
    cache: Any = None  # the spec's per-pass lookup cache (ImportSpec.cache), if it has one

    def add_errors(self, errors: list[RowError]) -> None:
        room = MAX_REPORTED_ERRORS - len(self.errors)
        if room > 0:
            self.errors.extend(errors[:room])
        self.error_rows.update(e.row for e in errors)


MEMO_LIMIT = 20_000  # distinct values remembered per column


def _cell_reader(column) -> tuple[Callable[[Any], tuple[Any, str | None]], dict | None]:
    """raw cell (not blank) -> (value, None) or (None, Chinese reason), and a memo for it.

    Parsers are pure, so results are remembered per column for repeated text (choice labels,
    codes, dates): most cells of a large file repeat. Sensitive columns (ID numbers) and columns
    without a parser are never remembered."""
    parse = column.parse

    def read(raw):
        if raw.__class__ is str and looks_like_formula(raw):
            return None, files.formula_reason(raw)
        if parse is None:
            return raw, None
        try:
            return parse(raw), None
        except ValueError as exc:
            return None, str(exc)

    return read, (None if column.sensitive or parse is None else {})


def _parse_rows(spec: ImportSpec, sheet: files.Sheet, out: Pass, cells: Pass) -> Iterator[list]:  # noqa: C901
    """Turn cells into values, column by column; yield batches of (row number, {key: value}).
    Cell problems and duplicate keys become row errors, in `out` and in `cells` (for the apply step).
    This loop runs for every cell of the file: it is kept flat on purpose."""
    index = {h: i for i, h in enumerate(sheet.headers) if h}
    defaults = {c.key: None for c in spec.columns if index.get(c.header) is None}  # optional columns left out
    plan = [(c.key, index[c.header], c.header, *_cell_reader(c), c.required, c.sensitive)
            for c in spec.columns if index.get(c.header) is not None]
    width = max((entry[1] for entry in plan), default=-1) + 1
    natural_key, key_column = spec.natural_key, spec.column(spec.natural_key)
    seen: dict = {}
    batch: list = []
    total = 0
    for number, values in sheet.rows:
        total += 1
        if total > files.MAX_ROWS:
            raise files.FileRejected(f"数据行超过 {files.MAX_ROWS} 行，请拆分后分批上传")
        if len(values) < width:
            values = values + [None] * (width - len(values))
        parsed, problems = defaults.copy(), None
        for key, pos, header, read, memo, required, sensitive in plan:
            raw = values[pos]
            if raw is None or (raw.__class__ is str and (not raw or raw.isspace())):
                if required:
                    problems = problems or []
                    problems.append(RowError(number, header, "", "必填项为空"))
                else:
                    parsed[key] = None
                continue
            if memo is not None and raw.__class__ is str:
                hit = memo.get(raw)
                if hit is None:
                    hit = read(raw)
                    if len(memo) < MEMO_LIMIT:
                        memo[raw] = hit
            else:
                hit = read(raw)
            if hit[1] is None:
                parsed[key] = hit[0]
                continue
            shown = str(raw)
            problems = problems or []
            problems.append(RowError(number, header, mask(shown) if sensitive else shown, hit[1]))
        if problems is None:
            key = spec.row_key(parsed) if spec.row_key else parsed.get(natural_key)
            first = seen.setdefault(key, number)
            if first != number:
                shown = mask(str(key)) if key_column.sensitive else str(key)
                problems = [RowError(number, key_column.header, shown, f"与第 {first} 行重复")]
        if problems:
            out.add_errors(problems)
            cells.add_errors(problems)
            continue
        batch.append((number, parsed))
        if len(batch) >= spec.batch_rows:
            out.total = total
            yield batch
            batch = []
    out.total = total
    if batch:
        yield batch


def _estimate(sheet: files.Sheet, done: int) -> int | None:
    """Rows in the file, for the progress bar: counted up front, or judged from the bytes read."""
    if sheet.total_rows is not None:
        return sheet.total_rows
    share = sheet.fraction_read() if sheet.fraction_read else 0
    return max(done, round(done / share)) if share > 0.02 else None


def parsed_batches(spec: ImportSpec, kind: str, data: bytes, out: Pass, cells: Pass
                   ) -> Iterator[tuple[list, int | None, bytes | None]]:
    """Yield (batch, estimated total rows, the batch pickled or None); cell errors land in `out` and
    `cells`. Raises FileRejected. A batch from the parser process comes with the pickle it was sent as."""
    if len(data) >= CHILD_MIN_BYTES and "fork" in multiprocessing.get_all_start_methods():
        yield from _in_child(spec, kind, data, out, cells)
        return
    sheet = open_sheet(kind, data)
    try:
        for batch in _parse_rows(spec, sheet, out, cells):
            yield batch, _estimate(sheet, out.total), None
    finally:
        close_sheet(sheet)


def _child(entity: str, kind: str, data: bytes, sender) -> None:
    """In the forked child: parse, send batches, then the totals. Never touches the database."""
    try:
        spec = get_spec(entity)
        out, cells = Pass(), Pass()
        sheet = open_sheet(kind, data)
        try:
            for batch in _parse_rows(spec, sheet, out, cells):
                blob = pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL)
                sender.send(("batch", blob, out.total, _estimate(sheet, out.total)))
        finally:
            close_sheet(sheet)
        sender.send(("end", out.total, [(e.row, e.column, e.value, e.reason) for e in cells.errors],
                     sorted(cells.error_rows)))
    except files.FileRejected as exc:
        sender.send(("rejected", exc.reason))
    except BaseException as exc:  # report the kind only: messages may quote cell values
        sender.send(("failed", type(exc).__name__))
    finally:
        sender.close()


def _in_child(spec: ImportSpec, kind: str, data: bytes, out: Pass, cells: Pass
              ) -> Iterator[tuple[list, int | None, bytes]]:
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(spec.entity, kind, data, sender), daemon=True)
    process.start()
    sender.close()
    try:
        while True:
            try:
                message = receiver.recv()
            except EOFError:
                raise RuntimeError("the parsing process ended without a result") from None
            tag = message[0]
            if tag == "batch":
                out.total = message[2]
                yield pickle.loads(message[1]), message[3], message[1]  # noqa: S301 - our own child's bytes
            elif tag == "end":
                errors = [RowError(*e) for e in message[2]]
                for target in (out, cells):
                    target.add_errors(errors)
                    target.error_rows.update(message[3])
                out.total = cells.total = message[1]
                return
            elif tag == "rejected":
                raise files.FileRejected(message[1])
            else:
                raise RuntimeError(f"the parsing process failed: {message[1]}")
    finally:
        receiver.close()
        if process.is_alive():
            process.terminate()
        process.join()

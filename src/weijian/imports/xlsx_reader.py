"""A small streaming reader for the first worksheet of an .xlsx file.

Why not openpyxl's read-only mode: with defusedxml installed (we want it for every other XML
we parse) openpyxl falls back to the pure-Python XML parser and builds an object per cell,
which reads ~2,000 rows/s; the import benchmark needs many times that.

Two paths give the same values. The fast path cuts the plain SpreadsheetML that Excel, WPS,
LibreOffice and openpyxl write (rows of `<c>` cells holding `<v>`, `<f>` or `<is>`) with
compiled regular expressions, so Python touches each cell once rather than each XML event;
it expands only the five XML entities and character references, so no entity tricks apply.
A part containing anything unusual (comments, CDATA, a DTD, processing instructions) goes
to the careful path: expat with small callbacks, refusing any DTD. Both count the bytes they
inflate (zip bombs that lie about their size) and return what openpyxl returns with
``data_only=False``: text, int/float, bool, datetime for date-formatted numbers, and
``"=" + formula`` for formula cells, so the formula check sees them.
"""

import codecs
import datetime as dt
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterator
from functools import lru_cache
from xml.parsers import expat

from defusedxml.ElementTree import fromstring
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

CHUNK = 1024 * 1024
# Built-in date formats: the international ones plus the CJK-locale ones (27-36, 50-58),
# which Chinese Excel and WPS use for 2024年1月1日 and similar.
BUILTIN_DATE_IDS = {i for i, f in BUILTIN_FORMATS.items() if is_date_format(f)} | set(range(27, 37)) | set(
    range(50, 59))

_P = r"(?:[A-Za-z_][\w.-]*:)?"  # any namespace prefix (<x:f>), for the rarely used patterns
_FORMULA = re.compile(r"<" + _P + r"f\b[^>]*?(?:/>|>(.*?)</" + _P + r"f>)", re.S)
_VALUE = re.compile(r"<" + _P + r"v\b[^>]*?(?:/>|>(.*?)</" + _P + r"v>)", re.S)
_TEXT = re.compile(r"<" + _P + r"t\b[^>]*?(?:/>|>(.*?)</" + _P + r"t>)", re.S)
_PHONETIC = re.compile(r"<" + _P + r"rPh\b.*?</" + _P + r"rPh>", re.S)
_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?(worksheet|sst)[\s>/]")
_DIMENSION = re.compile(r"<" + _P + r"dimension\b[^>]*?\bref=[\"']([^\"']*)[\"']")
_ROW_NUMBER = re.compile(r"\br\s*=\s*[\"'](\d+)[\"']")
_CELL_REF = re.compile(r"\br\s*=\s*[\"']([A-Z]{1,3})\d*[\"']")
_TYPE = re.compile(r"\bt\s*=\s*[\"']([^\"']*)[\"']")
_STYLE = re.compile(r"\bs\s*=\s*[\"'](\d+)[\"']")


@lru_cache(maxsize=8)
def _cell_pattern(prefix: str) -> re.Pattern:
    """A row's opening tag (groups 1-2: "row", its attributes) or a cell: column letters, the other
    attributes, then the common contents captured directly (<v>text</v>, <is><t>text</t></is>), or
    anything else for the general path. One findall per chunk walks every row and cell."""
    p = re.escape(prefix)
    return re.compile(
        r"<" + p + r"(row)\b([^>]*)>|"
        r"<" + p + r"c(?=[\s/>])(?: r=\"([A-Z]{1,3})\d*\")?([^>]*?)(?:/>|>(?:"
        r"<" + p + r"v>([^<]*)</" + p + r"v>"
        r"|<" + p + r"is><" + p + r"t>([^<]*)</" + p + r"t></" + p + r"is>"
        r"|(.*?))</" + p + r"c>)", re.S)


@lru_cache(maxsize=8)
def _shared_pattern(prefix: str) -> re.Pattern:
    p = re.escape(prefix)
    return re.compile(r"<" + p + r"si(?:/>|>(.*?)</" + p + r"si>)", re.S)


_ENTITY = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+|amp|lt|gt|quot|apos);")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


class XlsxError(Exception):
    """The workbook is malformed or hostile; the message is a Chinese reason for the user."""


# ---- plumbing -------------------------------------------------------------------------------

def _local(tag: str) -> str:
    """'x:row' / '{ns}row' -> 'row' (Strict OOXML and some generators use other prefixes)."""
    return tag[tag.rfind("}") + 1:] if tag.startswith("{") else tag[tag.find(":") + 1:]


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        if "A" <= ch <= "Z":
            n = n * 26 + ord(ch) - 64
        else:
            break
    return n - 1


def _entity(match: re.Match) -> str:
    name = match.group(1)
    if name[0] != "#":
        return _NAMED[name]
    try:
        return chr(int(name[2:], 16) if name[1] == "x" else int(name[1:]))
    except (ValueError, OverflowError):
        raise XlsxError("Excel 文件内容格式错误，可能已损坏") from None


def _text(text: str) -> str:
    """Element text as an XML parser would give it: entities expanded, CRLF -> LF."""
    if "&" in text:
        text = _ENTITY.sub(_entity, text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _decoded(chunks: Iterator[bytes]) -> Iterator[str]:
    """UTF-8 text of a part, chunk by chunk (a character split between chunks waits for the next)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in chunks:
            yield decoder.decode(chunk)
        yield decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise XlsxError("Excel 文件内容编码错误，可能已损坏") from None


class _Budget:
    """Counts inflated bytes across every part we read."""

    def __init__(self, limit: int):
        self.left = limit

    def take(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise XlsxError("Excel 文件解压后过大（疑似压缩炸弹），已拒绝")


def _chunks(zf: zipfile.ZipFile, name: str, budget: _Budget | None) -> Iterator[bytes]:
    try:
        with zf.open(name) as fh:
            while chunk := fh.read(CHUNK):
                if budget is not None:
                    budget.take(len(chunk))
                yield chunk
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError):
        raise XlsxError("Excel 文件无法解压，可能已损坏") from None


def _plain_prefix(zf: zipfile.ZipFile, name: str, budget: _Budget, *, whole: bool = True) -> str | None:
    """The namespace prefix of the part's root ("" or "x:") when the part is plain UTF-8 markup
    without comments, CDATA, DTDs or processing instructions beyond the XML declaration, so that
    the fast path reads it exactly; None otherwise. Also enforces the inflation budget. With
    `whole=False` only the first chunk is looked at: enough to read the header row."""
    first, tail, questions, plain, prefix = True, b"", 0, True, None
    for chunk in _chunks(zf, name, budget):
        if first:
            first = False
            declaration = chunk[:200].split(b"?>", 1)[0].lower() if chunk.startswith(b"<?") else b""
            if chunk.startswith((b"\xff\xfe", b"\xfe\xff")) or (
                    b"encoding" in declaration and b"utf-8" not in declaration):
                plain = False
            root = _ROOT.search(chunk, 0, 4096)
            prefix = (root.group(1) or b"").decode("ascii") if root else None
        if b"<!" in tail + chunk[:1] or b"<!" in chunk:
            plain = False
        questions += chunk.count(b"<?") + (1 if tail == b"<" and chunk.startswith(b"?") else 0)
        tail = chunk[-1:]
        if not whole:
            break
    return prefix if plain and questions <= 1 else None


def _forbid_dtd(*_args):
    raise XlsxError("Excel 文件含有不允许的 XML 声明（DTD），已拒绝")


def _expat(handlers: tuple) -> expat.XMLParserType:
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = _forbid_dtd
    parser.EntityDeclHandler = _forbid_dtd
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = handlers
    return parser


def _expat_feed(chunks: Iterator[bytes], parser, after_chunk: Callable[[], Iterator]) -> Iterator:
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
            yield from after_chunk()
        parser.Parse(b"", True)
        yield from after_chunk()
    except expat.ExpatError:
        raise XlsxError("Excel 文件内容格式错误，可能已损坏") from None


# ---- the small parts: workbook, relationships, styles -----------------------------------------

def _read_small(zf: zipfile.ZipFile, name: str, budget: _Budget):
    info = zf.NameToInfo.get(name)
    if info is None:
        return None
    budget.take(info.file_size)
    try:
        data = zf.read(name)
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError):
        raise XlsxError("Excel 文件无法解压，可能已损坏") from None
    try:
        return fromstring(data)
    except Exception:  # defusedxml raises its own types for DTDs/entities, ParseError for junk
        raise XlsxError("Excel 文件内容格式错误，可能已损坏") from None


def _first_sheet_path(zf: zipfile.ZipFile, budget: _Budget) -> tuple[str, bool]:
    workbook = _read_small(zf, "xl/workbook.xml", budget)
    rels = _read_small(zf, "xl/_rels/workbook.xml.rels", budget)
    if workbook is None or rels is None:
        raise XlsxError("文件不是有效的 Excel（.xlsx）文件")
    date1904 = any(_local(e.tag) == "workbookPr" and e.get("date1904") in ("1", "true") for e in workbook.iter())
    sheet = next((e for e in workbook.iter() if _local(e.tag) == "sheet"), None)
    if sheet is None:
        raise XlsxError("Excel 文件中没有工作表")
    rel_id = next((v for k, v in sheet.attrib.items() if _local(k) == "id"), None)
    target = next((e.get("Target") for e in rels.iter() if e.get("Id") == rel_id), None)
    if not target:
        raise XlsxError("Excel 文件结构异常：找不到第一个工作表")
    path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    return path, date1904


def _date_styles(zf: zipfile.ZipFile, budget: _Budget) -> set[int]:
    """Indexes of the cell formats (the `s` attribute) that display numbers as dates."""
    styles = _read_small(zf, "xl/styles.xml", budget)
    if styles is None:
        return set()
    custom: set[int] = set()
    xfs: list[int] = []
    for element in styles.iter():
        tag = _local(element.tag)
        if tag == "numFmt" and is_date_format(element.get("formatCode", "")):
            custom.add(int(element.get("numFmtId", "-1")))
        elif tag == "cellXfs":
            xfs = [int(xf.get("numFmtId", "0")) for xf in element if _local(xf.tag) == "xf"]
    return {i for i, fmt in enumerate(xfs) if fmt in BUILTIN_DATE_IDS or fmt in custom}


# ---- shared strings ---------------------------------------------------------------------------

def _rich_text(inner: str) -> str:
    """The visible text of an <si>/<is>: every <t>, run by run, without phonetic guides."""
    if inner.startswith("<t>") and inner.endswith("</t>") and inner.count("<") == 2:
        return _text(inner[3:-4])
    if "rPh" in inner:
        inner = _PHONETIC.sub("", inner)
    return "".join(_text(t) for t in _TEXT.findall(inner))


def _stream_matches(zf: zipfile.ZipFile, name: str, pattern: re.Pattern) -> Iterator[str]:
    """Group 1 of each complete match across chunk boundaries (an unfinished one waits for more)."""
    pending = ""
    for chunk in _decoded(_chunks(zf, name, None)):
        buffer = pending + chunk if pending else chunk
        end = 0
        for match in pattern.finditer(buffer):
            end = match.end()
            yield match.group(1) or ""
        pending = buffer[end:]


def _shared_strings(zf: zipfile.ZipFile, budget: _Budget) -> list[str]:
    name = "xl/sharedStrings.xml"
    if name not in zf.NameToInfo:
        return []
    prefix = _plain_prefix(zf, name, budget)
    if prefix is not None:
        return [_rich_text(inner) for inner in _stream_matches(zf, name, _shared_pattern(prefix))]

    strings: list[str] = []
    parts: list[str] = []
    state = {"in_t": False, "phonetic": 0}

    def start(tag, attrs):
        tag = _local(tag)
        if tag == "t" and not state["phonetic"]:
            state["in_t"] = True
        elif tag == "rPh":
            state["phonetic"] += 1

    def end(tag):
        tag = _local(tag)
        if tag == "t":
            state["in_t"] = False
        elif tag == "rPh":
            state["phonetic"] -= 1
        elif tag == "si":
            strings.append("".join(parts))
            parts.clear()

    def text(data):
        if state["in_t"]:
            parts.append(data)

    for _ in _expat_feed(_chunks(zf, name, None), _expat((start, end, text)), lambda: iter(())):
        pass
    return strings


# ---- cell values ------------------------------------------------------------------------------

def _value(raw: str, kind: str, style: int, strings: list[str], date_styles: set[int], epoch):
    if kind == "s":
        try:
            return strings[int(raw)]
        except (ValueError, IndexError):
            raise XlsxError("Excel 文件内容格式错误（共享字符串缺失），可能已损坏") from None
    if kind == "inlineStr" or kind == "str" or kind == "e":
        return raw
    if kind == "b":
        return raw.strip() in ("1", "true")
    if kind == "d":
        try:
            return dt.datetime.fromisoformat(raw.strip())
        except ValueError:
            return raw
    raw = raw.strip()
    if not raw:
        return None
    try:
        number = float(raw) if ("." in raw or "E" in raw or "e" in raw) else int(raw)
    except ValueError:
        return raw
    if style in date_styles:
        try:
            return from_excel(number, epoch)
        except (OverflowError, ValueError):
            return number
    return number


def _formula(text: str | None) -> str:
    # Shared formulas carry no text on dependent cells; either way the cell is a formula.
    return "=" + (text or "…")


# ---- the worksheet ----------------------------------------------------------------------------

class _RowState:
    """Where the fast path stands between chunks: the row being read and the caches."""

    def __init__(self):
        self.number = 0
        self.values: list = []
        self.col = -1
        self.columns: dict[str, int] = {}
        self.attributes: dict[str, tuple[str, int]] = {}  # ' s="1" t="s"' -> ("s", 1)


class SheetRows:
    """Iterate (row number, [cell values]) over the first worksheet; `dimension_rows` once started."""

    def __init__(self, source, *, max_inflated: int, header_only: bool = False):
        try:
            self.zf = zipfile.ZipFile(source)
        except (zipfile.BadZipFile, OSError):
            raise XlsxError("文件不是有效的 Excel（.xlsx）文件，可能已损坏") from None
        try:
            budget = _Budget(max_inflated)
            self.sheet_path, date1904 = _first_sheet_path(self.zf, budget)
            if self.sheet_path not in self.zf.NameToInfo:
                raise XlsxError("Excel 文件结构异常：找不到第一个工作表")
            self.epoch = CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900
            self.date_styles = _date_styles(self.zf, budget)
            self.strings = _shared_strings(self.zf, budget)
            self.prefix = _plain_prefix(self.zf, self.sheet_path, budget, whole=not header_only)
        except BaseException:
            self.zf.close()
            raise
        self.dimension_rows: int | None = None
        self.size = max(self.zf.getinfo(self.sheet_path).file_size, 1)
        self.consumed = 0  # inflated bytes of the sheet read so far: progress when rows are not known

    def _sheet_chunks(self) -> Iterator[bytes]:
        for chunk in _chunks(self.zf, self.sheet_path, None):
            self.consumed += len(chunk)
            yield chunk

    def close(self) -> None:
        self.zf.close()

    def __iter__(self) -> Iterator[tuple[int, list]]:
        return self._fast_rows() if self.prefix is not None else self._expat_rows()

    def _dimension(self, ref: str) -> None:
        last = ref.rpartition(":")[2].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ$")
        self.dimension_rows = int(last) if last.isdigit() else None

    def _fast_rows(self) -> Iterator[tuple[int, list]]:
        """Cut the sheet after its last complete row in each chunk, then walk rows and cells with
        one compiled pattern (C speed); Python touches each cell once."""
        pattern = _cell_pattern(self.prefix)
        closing = "</" + self.prefix + "row>"
        state = _RowState()
        pending = ""
        for chunk in _decoded(self._sheet_chunks()):
            buffer = pending + chunk if pending else chunk
            if state.number == 0 and self.dimension_rows is None and (found := _DIMENSION.search(buffer)):
                self._dimension(found.group(1))
            cut = buffer.rfind(closing)
            if cut == -1:
                pending = buffer
                continue
            cut += len(closing)
            complete, pending = buffer[:cut], buffer[cut:]
            # Entities and carriage returns are rare: a chunk without them needs no unescaping.
            plain = "&" not in complete and "\r" not in complete
            yield from self._walk(pattern.findall(complete), state, plain)
        if re.search(r"<" + re.escape(self.prefix) + r"row\b[^>]*(?<!/)>", pending):  # a row never closed
            raise XlsxError("Excel 文件内容格式错误，可能已损坏")
        if state.values:
            yield state.number, state.values

    def _walk(self, matches: list[tuple], state: "_RowState", plain: bool) -> Iterator[tuple[int, list]]:
        strings, columns, attributes = self.strings, state.columns, state.attributes
        values, col = state.values, state.col
        for is_row, row_attributes, letters, rest, v, t, other in matches:
            if is_row:
                if values:
                    yield state.number, values
                found = _ROW_NUMBER.search(row_attributes) if row_attributes else None
                state.number = int(found.group(1)) if found else state.number + 1
                values, col = [], -1
                continue
            if letters:
                col = columns.get(letters)
                if col is None:
                    col = columns[letters] = _column_index(letters)
            else:
                ref = _CELL_REF.search(rest)
                col = _column_index(ref.group(1)) if ref else col + 1
            if t:
                value = t if plain else _text(t)
            elif v:
                info = attributes.get(rest) or self._attributes(rest, attributes)
                if info[0] == "s":  # a shared string: the usual cell of Excel and WPS files
                    try:
                        value = strings[int(v)]
                    except (ValueError, IndexError):
                        raise XlsxError("Excel 文件内容格式错误（共享字符串缺失），可能已损坏") from None
                else:
                    value = _value(v if plain else _text(v), info[0], info[1], strings, self.date_styles,
                                   self.epoch)
            elif other:
                value = self._general_cell(other, attributes.get(rest) or self._attributes(rest, attributes))
                if value is None:
                    continue
            else:
                continue
            size = len(values)
            if col == size:
                values.append(value)
            elif col > size:
                values.extend([None] * (col - size))
                values.append(value)
            else:
                values[col] = value
        state.values, state.col = values, col

    @staticmethod
    def _attributes(rest: str, cache: dict) -> tuple[str, int]:
        kind, style = _TYPE.search(rest), _STYLE.search(rest)
        info = cache[rest] = (kind.group(1) if kind else "n",
                              int(style.group(1)) if style else -1)
        return info

    def _general_cell(self, inner: str, info: tuple[str, int]):
        formula = _FORMULA.search(inner)
        if formula is not None:
            return _formula(_text(formula.group(1)) if formula.group(1) else None)
        kind, style = info
        if kind == "inlineStr":
            return _rich_text(inner[inner.find(">") + 1:inner.rfind("<")]) if "<" in inner else None
        found = _VALUE.search(inner)
        if found is None or found.group(1) is None:
            return None
        return _value(_text(found.group(1)), kind, style, self.strings, self.date_styles, self.epoch)

    def _expat_rows(self) -> Iterator[tuple[int, list]]:  # noqa: C901 - one state machine, kept together
        strings, date_styles, epoch = self.strings, self.date_styles, self.epoch
        ready: list[tuple[int, list]] = []
        row: dict[int, object] = {}
        parts: list[str] = []
        row_number, col, kind, style = 0, -1, "n", -1
        value_text = formula = None
        capture = in_is = False
        phonetic = 0

        def start(name, attrs):
            nonlocal row_number, col, kind, style, value_text, formula, capture, in_is, phonetic
            name = _local(name)
            if name == "c":
                ref = attrs.get("r")
                col = _column_index(ref) if ref else col + 1
                kind = attrs.get("t", "n")
                s = attrs.get("s")
                style = int(s) if s and s.isdigit() else -1
                value_text = formula = None
            elif name == "v":
                capture = True
                parts.clear()
            elif name == "is":
                in_is = True
                parts.clear()
            elif name == "t":
                capture = in_is and not phonetic
            elif name == "row":
                ref = attrs.get("r")
                row_number = int(ref) if ref and ref.isdigit() else row_number + 1
                col = -1
                row.clear()
            elif name == "f":
                capture = True
                formula = ""
                parts.clear()
            elif name == "rPh":
                phonetic += 1
            elif name == "dimension":
                self._dimension(attrs.get("ref", ""))

        def end(name):
            nonlocal value_text, formula, capture, in_is, phonetic
            name = _local(name)
            if name == "c":
                if formula is not None:
                    row[col] = _formula(formula)
                elif value_text is not None:
                    row[col] = _value(value_text, kind, style, strings, date_styles, epoch)
            elif name == "v":
                value_text = "".join(parts)
                capture = False
            elif name == "t":
                capture = False
            elif name == "is":
                value_text = "".join(parts)
                in_is = False
            elif name == "row":
                if row:
                    ready.append((row_number, [row.get(i) for i in range(max(row) + 1)]))
            elif name == "f":
                formula = "".join(parts)
                capture = False
            elif name == "rPh":
                phonetic -= 1

        def text(data):
            if capture:
                parts.append(data)

        def drain():
            if ready:
                batch = ready[:]
                ready.clear()
                yield from batch

        yield from _expat_feed(self._sheet_chunks(), _expat((start, end, text)), drain)

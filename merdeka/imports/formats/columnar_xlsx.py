"""The columnar reader's xlsx stage: a marketplace xlsx export read as typed columns.

fastexcel (calamine in Rust, into Arrow) reads only the columns the export's spec uses
as typed columns; each type is then written as the very text the row reader makes of
python-calamine's value (``tabular.clean``), and the rest is the CSV stage's parse
(``columnar.parse``). Both libraries read the workbook with the same calamine, so the
cells, the sheet's extent and the row numbers are the same; only the text differs,
and this module makes it the row reader's:

* text: as it is (cleaned as the CSV stage cleans it);
* numbers: a whole number as an integer, any other by Python's ``repr`` (once per
  distinct value);
* booleans: ``1`` / ``0``;
* date-formatted numbers (serials): before 1900-01-01 a time of day, ``10:15:07`` or
  ``10:15:07.500000`` (python-calamine's ``time`` for a serial below 1); later, a date
  and time without its fraction of a second, ``2025-03-01 10:15:07``;
* durations (``[h]:mm``): ``str`` of the ``timedelta``;
* ISO dates without time (``t="d"`` cells): ``2025-03-01``.

A file is left to the row reader (``Unsupported``) whenever the two could disagree: a
column of mixed types (fastexcel would coerce it in its own way), a cell that would
come back empty although it is not (a text like ``NA`` in a number column, which
fastexcel reads as a null), a date exactly at midnight (an integral serial is a date
for python-calamine, a serial a hair from midnight a date and time: the millisecond
both libraries keep cannot tell them apart), a workbook counting from 1904, ISO date
cells beside serial dates and times, a number that is no finite value, a year past 9999,
or a sheet wider than the row reader reads.

The header is found from the sheet's first rows alone (``head``), so that the sheet is
parsed once, by fastexcel. An import always tries the stage first for an xlsx workbook
(``sources._columnar_xlsx``; docs/decisions/columnar-import-engine.md).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from datetime import timedelta
from functools import partial
from pathlib import Path

import fastexcel
import polars as pl
from defusedxml.ElementTree import iterparse

from merdeka.imports.formats import columnar, orders, tabular
from merdeka.imports.formats.columnar import Unsupported
from merdeka.imports.formats.orders import OrderParse, Spec

_1900 = pl.datetime(1900, 1, 1, time_unit="ms")
# the readers calamine picks by a file's extension (calamine's open_workbook_auto);
# any other extension is detected, and a zip with a workbook part reads as xlsx
_OTHER_READERS = (".xls", ".xla", ".xlsb", ".ods")
_DATE_1904 = re.compile(rb"""date1904\s*=\s*["']([^"']*)["']""")


def is_xlsx(path: Path) -> bool:
    """Does calamine read ``path`` as an xlsx workbook (the only kind this stage reads)?"""
    if Path(path).suffix in _OTHER_READERS or tabular.sniff(Path(path)) != "zip":
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def parse(
    spec: Spec,
    path: Path,
    columns: dict[str, int],
    header_row: int,
    header: list[str],
    *,
    sheet: str,
) -> OrderParse:
    """Read a marketplace xlsx export as ``orders.parse`` would, or raise ``Unsupported``
    (``columns`` and ``header`` as the row reader's ``open_and_detect`` gives them)."""
    if not is_xlsx(path):
        raise Unsupported("not an xlsx workbook")
    return columnar.parse(
        spec, path, columns, header_row, header, read=partial(read_columns, sheet=sheet)
    )


def parse_file(path: Path, specs: list[Spec]):
    """(spec, ``OrderParse``, header row, sheet, header) of a marketplace xlsx export,
    its header found from the sheet's first rows alone (``head``): the sheet is parsed
    once, by fastexcel. None when no marketplace's columns fit; ``Unsupported`` when the
    row reader must read it."""
    if not is_xlsx(path):
        raise Unsupported("not an xlsx workbook")
    sheet, rows = head(path, tuple(h for spec in specs for h in spec.sheet_hints))
    spec, columns, header_row, header = orders.detect_in(tabular.Table(rows=iter(rows)), specs)
    if spec is None:
        return None
    read = partial(read_columns, sheet=sheet, header=header)
    parsed = columnar.parse(spec, path, columns, header_row, header, read=read)
    return spec, parsed, header_row, sheet, header


def read_columns(path: Path, header_row: int, columns: dict[str, int], *, sheet: str, header=None):
    """The used columns of sheet ``sheet`` below its header as the row reader's text,
    one column per field, plus ``_row`` (the row number the row reader gives each row).

    ``columns`` are indices from the sheet's first used column, as the row reader counts
    them; rows count from the sheet's first row, as both readers do. With ``header``
    (``head``'s cells of the header row), ``columns`` count from column A and the
    header row is read by fastexcel too: every text of it must be ``header``'s."""
    wanted = set(columns.values())
    position = "index" if header is None else "absolute_index"
    try:
        reader = fastexcel.read_excel(str(path))
        typed = _load(reader, sheet, header_row, wanted, position, dtype_coercion="strict")
    except fastexcel.UnsupportedColumnTypeCombinationError:
        raise Unsupported("a column of mixed types") from None
    except fastexcel.FastExcelError as exc:  # its own words: the row reader decides
        raise Unsupported(f"fastexcel: {exc}") from None
    if typed.width > tabular.MAX_COLUMNS:
        raise Unsupported("a very wide sheet")
    if header is not None:
        _check_header(typed.available_columns(), header)
    info = {getattr(c, position): (c.name, c.dtype) for c in typed.selected_columns}
    if set(info) != wanted:
        raise Unsupported("a column the sheet does not have")
    frame = typed.to_polars()
    del typed  # it holds the whole sheet as calamine read it: gone before any other read
    dates = bool({dtype for _name, dtype in info.values()} & {"datetime", "date"})
    _check_nulls(path, reader, sheet, header_row, frame, info, position, dates=dates)
    text = {index: _as_text(frame[name], dtype) for index, (name, dtype) in info.items()}
    frame = pl.DataFrame(
        {
            "_row": pl.int_range(frame.height, dtype=pl.Int64, eager=True) + (header_row + 1),
            **{field: text[index] for field, index in columns.items()},
        }
    )
    return columnar.cleaned_frame(frame, list(columns))


def _load(reader, sheet: str, header_row: int, indices, position: str, **options):
    """The columns at ``indices`` below the header row; with ``position`` "absolute_index"
    the header row is fastexcel's too (its texts become the columns' names)."""
    if position == "index":
        rows = {"header_row": None, "skip_rows": header_row}
    else:
        rows = {"header_row": header_row - 1}
    return reader.load_sheet(
        sheet,
        **rows,
        schema_sample_rows=None,  # every row decides the type: none is coerced unseen
        use_columns=lambda column: getattr(column, position) in indices,
        **options,
    )


def _check_header(available, header: list[str]) -> None:
    """The header row as calamine reads it must be ``head``'s: the marketplace and its
    columns were decided from it."""
    for column in available:
        mine = header[column.absolute_index] if column.absolute_index < len(header) else ""
        if mine == NOT_TEXT:
            continue  # a number or a date: no column's name, whatever its text
        if column.name == f"__UNNAMED__{column.index}" and mine == "":
            continue
        if tabular.clean(column.name) != mine:
            raise Unsupported("a header read otherwise")


def _check_nulls(
    path: Path,
    reader,
    sheet: str,
    header_row: int,
    frame: pl.DataFrame,
    info,
    position: str,
    *,
    dates: bool,
) -> None:
    """A typed column reads a text fastexcel takes for "no value" (``NA``, ``null``,
    ``#N/A`` written as text...) as a null, where the row reader keeps the text: when
    the workbook holds such a text at all (``null_texts_present``), read such columns
    again as text, and leave the file when a null there is not empty. Without one, a
    null is an empty cell (or an error, which python-calamine reads as "" too)."""
    suspect = {
        index: name
        for index, (name, dtype) in info.items()
        if dtype not in ("string", "null") and frame[name].null_count()
    }
    # the date system is checked in the same reading of the sheets' XML
    if not (suspect or dates) or not _check_workbook(path, sheet, nulls=bool(suspect), dates=dates):
        return
    try:
        texts = _load(
            reader, sheet, header_row, set(suspect), position, dtypes="string"
        ).to_polars()
    except fastexcel.FastExcelError as exc:
        raise Unsupported(f"fastexcel: {exc}") from None
    for name in suspect.values():
        if (frame[name].is_null() & texts[name].is_not_null()).any():
            raise Unsupported("a text read as empty")


# The texts fastexcel (0.21) reads as "no value" in a typed column (pandas' list, less
# ""): written as a text in the sheet, the row reader keeps them. The NaN spellings come
# back as a NaN rather than a null; they are looked for all the same.
NULL_TEXTS = (
    "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
)  # fmt: skip
# an element's whole text, give or take the blanks calamine trims (the <t> of a shared
# or inline string, the <v> of a formula's text), in the XML; "<NA>" is escaped there. A
# number cell's <v> holds none of them (but a NaN's spelling: looked for all the same).
_NULL_TEXT = (
    r">\s{0,64}(?:"
    + "|".join(
        re.escape(t.replace("<", "&lt;").replace(">", escaped))
        for t in NULL_TEXTS
        for escaped in ({">", "&gt;"} if ">" in t else {">"})
    )
    + r")\s{0,64}</"
)
# what a scan cannot read plainly: a text split in runs (<r>), a character written as a
# reference (&#78;), a CDATA section
_UNPLAIN = r"<r>|:r>|&#|<!\[CDATA\["
_TEXT_CELL = r"""t=["'](?:inlineStr|str)["']"""  # a sheet's own texts (else shared)
_ISO_CELL = r""" t=["']d["']"""
_OVERLAP = 160  # bytes: longer than any match of the above


def null_texts_present(path: Path, sheet: str) -> bool:
    """Does the workbook hold, as a text, one of ``NULL_TEXTS``: among its shared
    strings, or as an inline string or a formula's text in sheet ``sheet``? Read from
    the XML, a scan rather than a parse; where it is not plain (rich text runs,
    character references), the shared strings are parsed, and the sheet's texts taken
    as holding one."""
    return _check_workbook(path, sheet, nulls=True, dates=False)


def _check_workbook(path: Path, sheet: str, *, nulls: bool, dates: bool) -> bool:
    """With ``nulls``, whether a null text is there (``null_texts_present``); with
    ``dates``, ``Unsupported`` for a 1904 workbook or ISO date cells (serials are read
    as both readers read a workbook counting from 1900, from serial cells only). Each
    worksheet's XML is read once for both."""
    try:
        with zipfile.ZipFile(path) as archive:
            sheet_part, strings_part = _parts(archive, sheet)
            if dates:
                for value in _DATE_1904.findall(archive.read("xl/workbook.xml")):
                    if value not in (b"0", b"false"):
                        raise Unsupported("a 1904 workbook")
            found = False
            if nulls and strings_part is not None and strings_part in archive.namelist():
                plain, found = _scan(archive, strings_part, nulls=True)
                if not found and not plain:
                    found = any(t in NULL_TEXTS for t in _all_shared_strings(archive, strings_part))
            for name in archive.namelist():
                mine = name == sheet_part and nulls and not found
                if not (mine or (dates and name.startswith("xl/worksheets/"))):
                    continue
                if not name.endswith(".xml") and not mine:
                    continue
                plain, in_sheet = _scan(archive, name, nulls=mine, texts_only=True, iso=dates)
                found = found or (mine and (in_sheet or not plain))
            return found
    except (KeyError, ValueError, SyntaxError, zipfile.BadZipFile) as exc:
        if dates:
            raise Unsupported(f"the workbook's parts: {exc}") from None
        return True  # unsure: read again


def _scan(archive, part: str, *, nulls=False, texts_only=False, iso=False) -> tuple[bool, bool]:
    """(plain, found) of a part's XML: with ``nulls``, were its texts plain and was a
    null text found (with ``texts_only``, looked for only where a cell holds its own
    text); with ``iso``, ``Unsupported`` at an ISO date cell. Regular expressions of
    Polars (Rust's) over pieces of the XML, a few MiB each."""
    plain, found = True, False
    for piece in _pieces(archive, part):
        if piece is None:  # not UTF-8: no text of it can be trusted
            if iso:
                raise Unsupported("a sheet that is not UTF-8")
            return False, nulls
        if iso and piece.str.contains(_ISO_CELL).item():
            raise Unsupported("ISO date cells")
        if not nulls or found or (texts_only and not piece.str.contains(_TEXT_CELL).item()):
            continue
        found = piece.str.contains(_NULL_TEXT).item()
        plain = plain and not piece.str.contains(_UNPLAIN).item()
        if found and not iso:
            break
    return plain, found


def _pieces(archive: zipfile.ZipFile, part: str):
    """The part's XML as a one-text Polars series per piece of about 4 MiB (None where it
    is not UTF-8), each cut before a "<" and repeating the previous piece's last
    ``_OVERLAP`` bytes: no match is cut in two."""
    rest = b""
    with archive.open(part) as member:
        while chunk := member.read(1 << 22):
            window = rest + chunk
            cut = window.rfind(b"<")
            if cut <= _OVERLAP:
                rest = window
                continue
            yield _text(window[:cut])
            start = cut - _OVERLAP
            while window[start] & 0xC0 == 0x80:  # not in the middle of a character
                start += 1
            rest = window[start:]
    if rest:
        yield _text(rest)


def _text(data: bytes):
    text = pl.Series([data], dtype=pl.Binary).cast(pl.String, strict=False)
    return None if text.null_count() else text


def _all_shared_strings(archive: zipfile.ZipFile, part: str):
    with archive.open(part) as member:
        for _event, element in iterparse(member):
            if element.tag == _MAIN + "si":
                yield _string(element)
                element.clear()


# -- the header, from the sheet's first rows ---------------------------------------------

HEAD_ROWS = 12  # tabular.find_header looks no further
NOT_TEXT = "\x00"  # a cell that is no text (a number, a date): no header name is that
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_CELL = re.compile(r"([A-Z]{1,3})([0-9]+)")


def head(path: Path, sheet_hints) -> tuple[str, list[tuple[int, list[str]]]]:
    """The sheet the row reader would choose and its first ``HEAD_ROWS`` rows, numbered
    from the sheet's first row, cells from column A, texts cleaned as the row reader
    cleans them (cells that are no text: ``NOT_TEXT``). Only the start of the sheet's
    XML and of its shared strings is read; the header row itself is checked against
    calamine's reading of it when the columns are read (``_check_header``)."""
    try:
        names = fastexcel.read_excel(str(path)).sheet_names  # calamine's list, no parse
    except fastexcel.FastExcelError as exc:
        raise Unsupported(f"fastexcel: {exc}") from None
    if not names:
        raise Unsupported("no sheets")
    chosen = next(
        (n for hint in sheet_hints for n in names if n.casefold() == hint.casefold()), names[0]
    )
    try:
        with zipfile.ZipFile(path) as archive:
            sheet_part, strings_part = _parts(archive, chosen)
            cells = _head_cells(archive, sheet_part)
            wanted = {value for row in cells.values() for _c, kind, value in row if kind == "s"}
            strings = _shared_strings(archive, strings_part, wanted)
    except (KeyError, ValueError, SyntaxError, zipfile.BadZipFile) as exc:
        raise Unsupported(f"the sheet's start: {exc}") from None
    width = max((col + 1 for row in cells.values() for col, _k, _v in row), default=0)
    rows = []
    for number in range(1, max(cells, default=0) + 1):
        row = [""] * width
        for col, kind, value in cells.get(number, ()):
            row[col] = tabular.clean(strings[value] if kind == "s" else value)
        rows.append((number, row))
    return chosen, rows


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _parts(archive: zipfile.ZipFile, sheet: str) -> tuple[str, str | None]:
    """The zip members of sheet ``sheet`` and of the shared strings."""
    targets, strings = {}, None
    with archive.open("xl/_rels/workbook.xml.rels") as rels:
        for _event, element in iterparse(rels):
            if _local(element.tag) == "Relationship":
                target = element.get("Target", "")
                target = target[1:] if target.startswith("/") else posixpath.join("xl", target)
                targets[element.get("Id")] = posixpath.normpath(target)
                if element.get("Type", "").endswith("/sharedStrings"):
                    strings = targets[element.get("Id")]
    with archive.open("xl/workbook.xml") as workbook:
        for _event, element in iterparse(workbook):
            if element.tag == _MAIN + "sheet" and element.get("name") == sheet:
                return targets[element.get(_REL)], strings
    raise KeyError(sheet)


def _head_cells(archive: zipfile.ZipFile, part: str) -> dict[int, list[tuple[int, str, object]]]:
    """Row number -> [(column, "s" and a shared string's index, or "t" and a text)] of
    the sheet's first rows."""
    found: dict[int, list] = {}
    with archive.open(part) as member:
        for event, element in iterparse(member, events=("start", "end")):
            tag = _local(element.tag)
            if tag == "row" and event == "start":
                number = int(element.get("r") or 0)
                if not number:
                    raise ValueError("a row without its number")
                if number > HEAD_ROWS:
                    break
            elif tag == "c" and event == "end":
                where = _CELL.fullmatch(element.get("r") or "")
                if not where or int(where.group(2)) > HEAD_ROWS:
                    raise ValueError("a cell without its place")
                column = 0
                for letter in where.group(1):
                    column = column * 26 + ord(letter) - 64
                found.setdefault(int(where.group(2)), []).append((column - 1, *_cell(element)))
                element.clear()
    return found


def _cell(element) -> tuple[str, object]:
    kind = element.get("t")
    value = element.find(_MAIN + "v")
    text = value.text if value is not None and value.text is not None else None
    if kind == "s":
        return ("s", int(text)) if text else ("t", "")
    if kind == "inlineStr":
        inline = element.find(_MAIN + "is")
        return "t", _string(inline) if inline is not None else ""
    if kind == "str":
        return "t", text or ""
    if kind in (None, "n") and text:
        try:
            float(text)
        except ValueError:
            if kind is None:  # calamine reads it as text
                return "t", text
            raise
        return "t", NOT_TEXT
    if kind in ("b", "d") and text:
        return "t", NOT_TEXT
    return "t", ""  # empty, a formula without its value, an error (python-calamine: "")


def _string(element) -> str:
    """A shared or inline string's text: its runs, without phonetic guides."""
    parts = []
    for child in element:
        tag = _local(child.tag)
        if tag == "t":
            parts.append(child.text or "")
        elif tag == "r":
            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
    return "".join(parts)


def _shared_strings(archive: zipfile.ZipFile, part: str | None, wanted: set[int]) -> dict:
    """The shared strings at ``wanted``, read only as far as the last of them."""
    found: dict[int, str] = {}
    if not wanted:
        return found
    if part is None:
        raise KeyError("shared strings")
    last, index = max(wanted), 0
    with archive.open(part) as member:
        for _event, element in iterparse(member):
            if element.tag == _MAIN + "si":
                if index in wanted:
                    found[index] = _string(element)
                element.clear()
                index += 1
                if index > last:
                    break
    if len(found) != len(wanted):
        raise KeyError("a shared string")
    return found


# -- the row reader's text of each type -------------------------------------------------


def _as_text(values: pl.Series, dtype: str) -> pl.Series:
    """``tabular.clean`` of python-calamine's value, for a column fastexcel typed
    ``dtype`` (nulls: "")."""
    if dtype in ("string", "null", "int"):
        text = values.cast(pl.String)
    elif dtype == "float":
        text = _floats(values)
    elif dtype == "boolean":
        text = values.cast(pl.UInt8).cast(pl.String)  # True: "1", False: "0"
    elif dtype == "datetime":
        text = _datetimes(values)
    elif dtype == "date":
        if (values.dt.year().is_between(1000, 9999) | values.is_null()).all():
            text = values.dt.strftime("%Y-%m-%d")
        else:
            raise Unsupported("a year out of range")
    elif dtype == "duration":
        text = _distinct(values.cast(pl.Int64), lambda ms: str(timedelta(milliseconds=ms)))
    else:
        raise Unsupported(f"a column of type {dtype}")
    return text.fill_null("").alias(values.name)


def _floats(values: pl.Series) -> pl.Series:
    """A whole number as ``str(int(value))``, any other by ``repr`` (once per distinct
    value); a value that is no finite number, or a whole number past 64 bits, is the
    row reader's."""
    if values.is_nan().any() or values.is_infinite().any():
        raise Unsupported("a number that is not finite")
    whole = values == values.round(0)
    if (whole & (values.abs() >= 2.0**63)).any():
        raise Unsupported("a very large number")
    fractions = values.filter(~whole).unique().to_list()
    v = pl.col("v")
    text = pl.when(v.round(0) == v).then(v.cast(pl.Int64).cast(pl.String))
    if fractions:
        lookup = {value: repr(value) for value in fractions}
        text = text.otherwise(v.replace_strict(lookup, default=None, return_dtype=pl.String))
    return values.to_frame("v").select(text.alias("t"))["t"]


def _distinct(values: pl.Series, text) -> pl.Series:
    """``text`` of every value, computed once per distinct value (nulls stay null)."""
    lookup = {value: text(value) for value in values.drop_nulls().unique().to_list()}
    return values.replace_strict(lookup, default=None, return_dtype=pl.String)


def _datetimes(values: pl.Series) -> pl.Series:
    """A serial date (fastexcel: calamine's ``as_datetime``, to the millisecond) as
    python-calamine's value: before 1900-01-01 the serial was below 1 and it is a
    ``time``; later a ``datetime``, written without its fraction of a second. A value
    exactly at midnight could be either a date or a date and time: not decided here."""
    frame = values.to_frame("at")
    at = pl.col("at")
    early = at < _1900
    checks = frame.select(
        ((~early) & (at.dt.truncate("1d") == at)).any().alias("midnight"),
        (at.dt.year() > 9999).any().alias("late"),
    ).row(0, named=True)
    if checks["midnight"]:
        raise Unsupported("a date at midnight")
    if checks["late"]:
        raise Unsupported("a year out of range")
    time = (
        pl.when(at.dt.millisecond() != 0)
        .then(at.dt.strftime("%H:%M:%S%.6f"))
        .otherwise(at.dt.strftime("%H:%M:%S"))
    )
    return frame.select(
        pl.when(early).then(time).otherwise(at.dt.strftime("%Y-%m-%d %H:%M:%S")).alias("t")
    )["t"]

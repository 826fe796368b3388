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

Off by default (``settings.MERDEKA_IMPORT_COLUMNAR_XLSX``): the header is still found
by the row reader's read of the whole sheet, so the sheet is parsed twice
(docs/decisions/columnar-import-engine.md).
"""

from __future__ import annotations

import re
import zipfile
from datetime import timedelta
from functools import partial
from pathlib import Path

import fastexcel
import polars as pl

from merdeka.imports.formats import columnar, tabular
from merdeka.imports.formats.columnar import Unsupported
from merdeka.imports.formats.orders import OrderParse, Spec

_1900 = pl.datetime(1900, 1, 1, time_unit="ms")
# the readers calamine picks by a file's extension (calamine's open_workbook_auto);
# any other extension is detected, and a zip with a workbook part reads as xlsx
_OTHER_READERS = (".xls", ".xla", ".xlsb", ".ods")
_DATE_1904 = re.compile(rb"""date1904\s*=\s*["']([^"']*)["']""")
_ISO_CELL = (b' t="d"', b" t='d'")


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
    """Read a marketplace xlsx export as ``orders.parse`` would, or raise ``Unsupported``."""
    if not is_xlsx(path):
        raise Unsupported("not an xlsx workbook")
    return columnar.parse(
        spec, path, columns, header_row, header, read=partial(read_columns, sheet=sheet)
    )


def read_columns(path: Path, header_row: int, columns: dict[str, int], *, sheet: str):
    """The used columns of sheet ``sheet`` below its header as the row reader's text,
    one column per field, plus ``_row`` (the row number the row reader gives each row).

    ``columns`` are indices from the sheet's first used column, as the row reader counts
    them; rows count from the sheet's first row, as both readers do."""
    wanted = set(columns.values())
    try:
        reader = fastexcel.read_excel(str(path))
        typed = _load(reader, sheet, header_row, wanted, dtype_coercion="strict")
    except fastexcel.UnsupportedColumnTypeCombinationError:
        raise Unsupported("a column of mixed types") from None
    except fastexcel.FastExcelError as exc:  # its own words: the row reader decides
        raise Unsupported(f"fastexcel: {exc}") from None
    if typed.width > tabular.MAX_COLUMNS:
        raise Unsupported("a very wide sheet")
    info = {c.index: (c.name, c.dtype) for c in typed.selected_columns}
    if set(info) != wanted:
        raise Unsupported("a column the sheet does not have")
    frame = typed.to_polars()
    del typed  # it holds the whole sheet as calamine read it: gone before any other read
    _check_nulls(reader, sheet, header_row, frame, info)
    if {dtype for _name, dtype in info.values()} & {"datetime", "date"}:
        _check_date_system(path)
    text = {index: _as_text(frame[name], dtype) for index, (name, dtype) in info.items()}
    frame = pl.DataFrame(
        {
            "_row": pl.int_range(frame.height, dtype=pl.Int64, eager=True) + (header_row + 1),
            **{field: text[index] for field, index in columns.items()},
        }
    )
    return columnar.cleaned_frame(frame, list(columns))


def _load(reader, sheet: str, header_row: int, indices, **options):
    return reader.load_sheet(
        sheet,
        header_row=None,
        skip_rows=header_row,
        schema_sample_rows=None,  # every row decides the type: none is coerced unseen
        use_columns=lambda column: column.index in indices,
        **options,
    )


def _check_nulls(reader, sheet: str, header_row: int, frame: pl.DataFrame, info) -> None:
    """A typed column reads a text fastexcel takes for "no value" (``NA``, ``null``,
    ``#N/A`` written as text...) as a null, where the row reader keeps the text: read
    such columns again as text, and leave the file when a null there is not empty."""
    suspect = {
        index: name
        for index, (name, dtype) in info.items()
        if dtype not in ("string", "null") and frame[name].null_count()
    }
    if not suspect:
        return
    try:
        texts = _load(reader, sheet, header_row, set(suspect), dtypes="string").to_polars()
    except fastexcel.FastExcelError as exc:
        raise Unsupported(f"fastexcel: {exc}") from None
    for name in suspect.values():
        if (frame[name].is_null() & texts[name].is_not_null()).any():
            raise Unsupported("a text read as empty")


def _check_date_system(path: Path) -> None:
    """Serials are read as both readers read a workbook counting from 1900, from
    serial cells only: a 1904 workbook or ISO date cells (``t="d"``) are the row
    reader's."""
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.endswith("workbook.xml"):
                for value in _DATE_1904.findall(archive.read(name)):
                    if value not in (b"0", b"false"):
                        raise Unsupported("a 1904 workbook")
            elif (
                name.startswith("xl/worksheets/")
                and name.endswith(".xml")
                and _has_iso_cells(archive, name)
            ):
                raise Unsupported("ISO date cells")


def _has_iso_cells(archive: zipfile.ZipFile, name: str) -> bool:
    tail = b""
    with archive.open(name) as member:
        while chunk := member.read(1 << 20):
            part = tail + chunk
            if any(mark in part for mark in _ISO_CELL):
                return True
            tail = part[-8:]
    return False


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

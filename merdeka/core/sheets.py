"""Spreadsheet cells: the one place where the rules of writing them live.

Every export a person opens in a spreadsheet (customers, orders, the whole shop) hands
its rows here as *typed* values — text, whole rupiah, dates — and gets CSV or XLSX:

* **XLSX** cells are typed: text is a text cell, never a formula, whatever it starts
  with (``=HYPERLINK(...)`` or ``+62812...`` stay text, with no apostrophe in the
  value; a text that looks like a formula gets Excel's own "quote prefix" style so that
  editing the cell keeps it text); numbers are numbers; dates are dates in the shop's
  time zone (a spreadsheet has no time zones).
* **CSV** has no types, so a *text* cell that a spreadsheet would run (starting with
  ``= + - @``, a tab or a carriage return) gets an apostrophe in front; numbers and
  dates are written as Merdeka made them (a negative amount is a number, not a formula).
* Text is checked after Unicode NFKC normalisation, so full-width look-alikes
  (U+FF1D FULLWIDTH EQUALS SIGN before ``HYPERLINK(...)``, and the full-width plus,
  minus and at signs) are guarded too.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import string
import tempfile
import unicodedata
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import xlsxwriter

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
DATETIME_FORMAT = "%Y-%m-%d %H:%M"
XLSX_DATETIME = "yyyy-mm-dd hh:mm"
XLSX_DATE = "yyyy-mm-dd"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def looks_like_formula(text: str) -> bool:
    """Would a spreadsheet read this text as a formula (full-width forms included)?"""
    if not text:
        return False
    return unicodedata.normalize("NFKC", text[:2]).startswith(FORMULA_TRIGGERS)


def formula_safe(value):
    """A text a spreadsheet shows and never runs (CSV): an apostrophe in front of one
    that looks like a formula. Anything that is not text is returned as it is."""
    if isinstance(value, str) and looks_like_formula(value):
        return "'" + value
    return value


def formula_unescape(value: str) -> str:
    """Undo ``formula_safe`` (Merdeka's importers read their own exports back)."""
    if value.startswith("'") and looks_like_formula(value[1:]):
        return value[1:]
    return value


def _zone(tz) -> zoneinfo.ZoneInfo:
    return tz if isinstance(tz, dt.tzinfo) else zoneinfo.ZoneInfo(tz)


def local_time(value: dt.datetime, tz) -> dt.datetime:
    """An aware datetime as the wall-clock time of the shop's zone, without a zone."""
    if value.tzinfo is None:
        return value
    return value.astimezone(_zone(tz)).replace(tzinfo=None)


def _number(value: Decimal) -> int | Decimal:
    return int(value) if value == value.to_integral_value() else value


def csv_cell(value, tz):
    """One CSV cell: text formula-safe, whole numbers without decimals, times in the
    shop's zone, nothing for None."""
    if type(value) is str:  # most cells: checked first, and most start with a letter
        first = value[:1]  # or a digit, which no normalisation turns into a trigger
        if not first or (first.isascii() and first.isalnum()):
            return value
        return formula_safe(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, Decimal):
        return _number(value)
    if isinstance(value, dt.datetime):
        return local_time(value, tz).strftime(DATETIME_FORMAT)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float):
        return value
    return formula_safe(str(value))


# A column of CSV cells at a time (a table made column by column, e.g. orders.csv in
# ``merdeka export``): the text ``csv_cell`` gives each value, with no per-value
# dispatch on its type, the column's type being known.


_PLAIN_FIRST = frozenset(string.ascii_letters + string.digits)  # no formula starts so


def csv_texts(values: list) -> list:
    """A column of text (None for an empty cell), formula-safe."""
    try:
        return [v if v and v[0] in _PLAIN_FIRST else _text_cell(v) for v in values]
    except TypeError:  # a value that is not text
        return [_text_cell(v) for v in values]


def _text_cell(value):
    if type(value) is str:
        return formula_safe(value)
    return csv_cell(value, None)  # None, a number: not a time, no zone needed


def csv_times(values: list, tz) -> list:
    """A column of times in ISO 8601 text (None for none): the shop's wall clock. A UTC
    day's local hours are worked out once for the column, a time's minutes kept."""
    zone = _zone(tz)
    days: dict[str, list | None] = {}
    cells = []
    append = cells.append
    for value in values:
        if value is None:
            append("")
            continue
        if len(value) in (25, 32) and value[10] == "T" and value.endswith("+00:00"):
            day = value[:10]  # "2026-05-01"
            hours = days[day] if day in days else days.setdefault(day, _local_hours(day, zone))
            if hours is not None:
                append(hours[int(value[11:13])] + value[13:16])  # + ":30"
                continue
        moment = dt.datetime.fromisoformat(value)
        if moment.tzinfo is not None:
            moment = moment.astimezone(zone).replace(tzinfo=None)
        append(moment.strftime(DATETIME_FORMAT))
    return cells


def _local_hours(day: str, zone) -> list[str] | None:
    """The wall clock's "2026-05-01 07" of each UTC hour of ``day`` in ``zone``; None
    where the zone is not a whole number of hours off UTC the whole day through (its
    offset the same at the day's first and last second: no zone changes its clock twice
    in a day)."""
    start = dt.datetime.fromisoformat(day + "T00:00:00+00:00")
    offset = start.astimezone(zone).utcoffset()
    last = (start + dt.timedelta(hours=23, minutes=59, seconds=59)).astimezone(zone)
    if offset != last.utcoffset() or offset % dt.timedelta(hours=1):
        return None
    local = start.replace(tzinfo=None) + offset
    return [(local + dt.timedelta(hours=h)).strftime("%Y-%m-%d %H") for h in range(24)]


def csv_amounts(values: list) -> list:
    """A column of amounts as text ("15000.00"; None for none): whole ones without
    their decimals."""
    cells = []
    append = cells.append
    for value in values:
        if value is None:
            append("")
            continue
        whole, _dot, cents = value.partition(".")
        if not cents.strip("0") and whole.lstrip("-").isdigit():
            append(str(int(whole)))
        else:
            append(str(_number(Decimal(value))))
    return cells


def csv_numbers(values: list) -> list:
    """A column of Decimals or whole numbers."""
    return [str(_number(v)) if isinstance(v, Decimal) else str(v) for v in values]


@dataclass
class Sheet:
    """A table for a workbook: its name, header and rows of typed values."""

    name: str
    header: list[str]
    rows: Iterable[list]


def csv_chunks(header: list[str], rows: Iterable[list], *, tz) -> Iterator[str]:
    """CSV text in pieces for a streaming response (UTF-8 with a BOM, which spreadsheet
    programs need to read it as UTF-8)."""
    yield "\ufeff"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([csv_cell(cell, tz) for cell in header])
    for i, row in enumerate(rows, start=1):
        writer.writerow([csv_cell(cell, tz) for cell in row])
        if i % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


class CsvRows:
    """A CSV file written a row at a time as its rows are made (the bytes of
    ``csv_write``): for a file made in the same pass as another one."""

    def __init__(self, handle, header: list[str] | None, *, tz):
        """``header`` None: rows that go on a file written already (no BOM, no header)."""
        self._writer = csv.writer(handle)
        self._tz = tz
        if header is not None:
            handle.write("\ufeff")
            self.add(header)

    def add(self, row: list) -> None:
        tz = self._tz
        self._writer.writerow([csv_cell(cell, tz) for cell in row])

    def add_cells(self, rows: Iterable) -> None:
        """Rows of cells made already (``csv_texts`` and its kin)."""
        self._writer.writerows(rows)


def csv_write(path: Path, header: list[str], rows: Iterable[list], *, tz) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        for chunk in csv_chunks(header, rows, tz=tz):
            handle.write(chunk)


XLSX_ROWS = 1_048_576


# what a worksheet cannot hold (XML 1.0 forbids these control characters): dropped
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# no guessing from a text's look: a text is text (a formula, a link, a number alike)
_XLSX_OPTIONS = {
    "constant_memory": True,  # each row goes to disk as it is written: memory stays flat
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def xlsx_write(target, sheets: Iterable[Sheet], *, tz, rows_per_sheet: int = XLSX_ROWS - 1) -> None:
    """The sheets as one workbook into ``target`` (a path or a binary file). Rows stream
    through (XlsxWriter's constant-memory mode): memory stays flat whatever the size."""
    workbook = xlsxwriter.Workbook(target, _XLSX_OPTIONS)
    write_row = _xlsx_row_writer(workbook, tz)
    for table in sheets:
        part, written = 1, 0
        sheet = workbook.add_worksheet(table.name[:31])
        write_row(sheet, 0, table.header)
        for row in table.rows:
            if written == rows_per_sheet:
                # a sheet holds 1,048,576 rows: the table goes on in the next one, with
                # its header again and the part in its name ("orders (2)")
                part, written = part + 1, 0
                suffix = f" ({part})"
                sheet = workbook.add_worksheet(table.name[: 31 - len(suffix)] + suffix)
                write_row(sheet, 0, table.header)
            written += 1
            write_row(sheet, written, row)
    workbook.close()


def _xlsx_row_writer(workbook, tz):
    """``write(sheet, row number, values)``: each value as its typed cell (the module's
    rules: text never a formula, numbers as numbers, times on the shop's clock)."""
    times = workbook.add_format({"num_format": XLSX_DATETIME})
    days = workbook.add_format({"num_format": XLSX_DATE})
    quoted = workbook.add_format({"quote_prefix": True})  # stays text when edited

    def write(sheet, r: int, values) -> None:
        for c, value in enumerate(values):
            kind = type(value)
            if kind is not str and kind is not int and kind is not Decimal:
                if value is None:
                    continue
                if isinstance(value, bool):
                    sheet.write_boolean(r, c, value)
                    continue
                if isinstance(value, dt.datetime):
                    sheet.write_datetime(r, c, local_time(value, tz), times)
                    continue
                if isinstance(value, dt.date):
                    sheet.write_datetime(r, c, value, days)
                    continue
                if isinstance(value, int | float):  # an enum's number, a float
                    sheet.write_number(r, c, value if kind is float else int(value))
                    continue
                # a Decimal subclass, a text of another kind (a choice's label): as text
                kind, value = (
                    (Decimal, Decimal(value)) if isinstance(value, Decimal) else (str, str(value))
                )
            if kind is str:
                if not value:
                    continue  # an empty cell, as a spreadsheet keeps it
                if _XLSX_ILLEGAL.search(value):
                    value = _XLSX_ILLEGAL.sub("", value)
                if looks_like_formula(value):
                    sheet.write_string(r, c, value, quoted)
                else:
                    sheet.write_string(r, c, value)
            elif kind is int:
                sheet.write_number(r, c, value)
            else:
                sheet.write_number(r, c, _number(value))

    return write


def xlsx_file(sheets: Iterable[Sheet], *, tz):
    """The workbook in a temporary file, ready to stream (the response closes it)."""
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - the response closes it
    xlsx_write(handle, sheets, tz=tz)
    handle.seek(0)
    return handle


def download(*, name: str, fmt: str, sheets: list[Sheet], tz):
    """The HTTP response of an export: CSV (the first sheet) streamed, or XLSX. The file
    name carries the shop's local date and time."""
    from django.http import FileResponse, StreamingHttpResponse
    from django.utils import timezone

    stamp = timezone.localtime(timezone.now(), _zone(tz)).strftime("%Y%m%d-%H%M")
    filename = f"{name}-{stamp}.{fmt}"
    if fmt == "xlsx":
        response = FileResponse(
            xlsx_file(sheets, tz=tz),
            as_attachment=True,
            filename=filename,
            content_type=XLSX_CONTENT_TYPE,
        )
    else:
        first = sheets[0]
        response = StreamingHttpResponse(
            csv_chunks(first.header, first.rows, tz=tz), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store, private"  # personal data: never kept on the way
    return response

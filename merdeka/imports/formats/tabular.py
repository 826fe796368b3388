"""Spreadsheets and CSV files, read safely and as text.

Every check that protects the machine runs before the file is parsed: size, what the
bytes really are (a PNG renamed .xlsx, a password-protected workbook), the zip's
declared sizes (zip bombs) and XML document types (entity expansion). Cells come
back as trimmed text; money and dates are parsed by the helpers here, never with
``float``.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _

from merdeka.core.text import clean_text
from merdeka.imports.records import RejectedFile

MAX_BYTES = 200 * 1024 * 1024
MAX_UNPACKED = 1024 * 1024 * 1024
MAX_RATIO = 150
# No export has more than a few hundred columns; a row wider than this is refused as soon
# as it is read, before any cell of it is looked at (a million-column line would keep
# header detection busy for minutes).
MAX_COLUMNS = 2000
MAX_FIELD = 10 * 1024 * 1024  # one CSV cell
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
_STRIP = "\t\u00a0\ufeff \r\n"
_FORMULA_STARTS = ("=", "+", "-", "@")
WIB = ZoneInfo("Asia/Jakarta")


@dataclass
class Table:
    """Rows of text cells with their 1-based row numbers."""

    rows: Iterator[tuple[int, list[str]]]
    sheet: str | None = None
    kind: str = "csv"  # "xlsx", "xls", "ods" or "csv"
    # Once the header is known, the reader may be told which columns matter: the
    # others come back empty, unread (exports carry ~50 columns; an import needs ~20).
    keep: frozenset[int] | None = None

    def cleaned(self, row) -> list[str]:
        keep = self.keep
        if keep is None:
            return [clean(cell) for cell in row]
        cells = [""] * len(row)
        for index in keep:
            if index < len(row):
                value = row[index]
                # text cells are the common case: skip the type checks of clean()
                if value.__class__ is str:
                    if value:
                        if not value.isascii():  # O(1) in CPython: free on ASCII cells
                            value = clean_text(value)
                        value = value.replace("\t", "").strip(_STRIP)
                        if value[:1] == "'" and value[1:2] in _FORMULA_STARTS:
                            value = value[1:]
                        cells[index] = value
                else:
                    cells[index] = clean(value)
        return cells


def clean(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, time | timedelta):
        return str(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    # direction marks and overrides never belong in a cell (merdeka.core.text)
    text = clean_text(str(value)).replace("\t", "").strip(_STRIP)
    # reverse a formula escape added by a spreadsheet export: '=..., '+62...
    if text.startswith("'") and text[1:2] in _FORMULA_STARTS:
        text = text[1:]
    return text


def _check_zip(path: Path) -> None:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise RejectedFile(
            _("The spreadsheet is damaged or incomplete (not a valid xlsx).")
        ) from None
    with archive:
        infos = archive.infolist()
        total = sum(i.file_size for i in infos)
        packed = sum(i.compress_size for i in infos) or 1
        if total > MAX_UNPACKED or (total > 20 * 2**20 and total / packed > MAX_RATIO):
            raise RejectedFile(
                _("This spreadsheet unpacks to far more than it holds (a zip bomb); refused.")
            )
        if any(i.flag_bits & 0x1 for i in infos):
            raise RejectedFile(
                _("The spreadsheet is protected with a password. Save it without one.")
            )
        for info in infos:
            if info.filename.endswith((".xml", ".rels")):
                with archive.open(info) as member:
                    head = member.read(2048)
                if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                    raise RejectedFile(
                        _("The spreadsheet contains XML declarations that are not allowed.")
                    )


def sniff(path: Path) -> str:
    with open(path, "rb") as handle:
        head = handle.read(8)
    if head.startswith(ZIP_MAGIC):
        return "zip"
    if head.startswith(OLE_MAGIC):
        return "ole"
    return "text"


def open_table(path: Path, name: str, *, max_bytes: int = MAX_BYTES, sheet_hints=()) -> Table:
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise RejectedFile(_("The file is empty."))
    if size > max_bytes:
        raise RejectedFile(
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": size // 2**20, "limit": max_bytes // 2**20}
        )
    suffix = Path(name).suffix.lower()
    kind = sniff(path)
    if suffix in (".xlsx", ".xlsm", ".ods", ".xls") or kind in ("zip", "ole"):
        if kind == "ole" and suffix != ".xls":
            raise RejectedFile(
                _(
                    "The spreadsheet is protected with a password (or is an old format). Open it, "
                    "remove the password and save it as .xlsx."
                )
            )
        if kind == "zip":
            _check_zip(path)
        elif kind == "text":
            raise RejectedFile(_("This file is not a spreadsheet, although its name says so."))
        return _open_workbook(path, sheet_hints)
    return _open_csv(path)


def _open_workbook(path: Path, sheet_hints) -> Table:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception:  # calamine raises several of its own error types, in English
        raise RejectedFile(UNREADABLE_WORKBOOK) from None
    names = workbook.sheet_names
    if not names:
        raise RejectedFile(_("The spreadsheet has no sheets."))
    chosen = next(
        (n for hint in sheet_hints for n in names if n.casefold() == hint.casefold()), names[0]
    )
    try:
        sheet = workbook.get_sheet_by_name(chosen)
        rows = sheet.iter_rows()
    except Exception:
        raise RejectedFile(UNREADABLE_WORKBOOK) from None

    def generate():
        number = 0
        try:
            for number, row in enumerate(rows, start=1):
                if len(row) > MAX_COLUMNS:
                    raise too_wide(number)
                yield number, table.cleaned(row)
        except RejectedFile:
            raise
        except Exception:  # a sheet that breaks while it is read: calamine's words are English
            raise RejectedFile(
                _(
                    "Row %(row)s of the spreadsheet cannot be read: the file is damaged. Open it "
                    "in a spreadsheet app, save it again and import it."
                )
                % {"row": number + 1},
                row=number + 1,
            ) from None

    table = Table(rows=iter(()), sheet=chosen, kind="xlsx")
    table.rows = generate()
    return table


UNREADABLE_WORKBOOK = _(
    "The spreadsheet cannot be read: the file is damaged or not really a spreadsheet. Open it "
    "in a spreadsheet app, save it again as .xlsx and import it."
)


def too_wide(row: int) -> RejectedFile:
    return RejectedFile(
        _(
            "Row %(row)s has more than %(limit)s columns; no order export or customer list has "
            "that many. Check that this is the right file, or save only the columns you need."
        )
        % {"row": row, "limit": f"{MAX_COLUMNS:,}".replace(",", ".")},
        row=row,
    )


def _refuse_wide_lines(path: Path, delimiter: bytes, *, lines: int = 12) -> None:
    """Refuse a file whose first lines are far too wide before the CSV reader splits
    them (a million cells take the reader most of a second). Exact while no quotation
    mark has appeared: until then every delimiter separates two columns and every line is
    one row; after one, the reader's own check (per row) decides."""
    with open(path, "rb") as handle:
        for number in range(1, lines + 1):
            part = handle.readline(1 << 20)
            if not part or b'"' in part:
                return
            if part.count(delimiter) >= MAX_COLUMNS:
                raise too_wide(number)
            while not part.endswith(b"\n"):  # the rest of a line longer than 1 MiB
                part = handle.readline(1 << 20)
                if not part:
                    return
                if b'"' in part:
                    return


def _encoding(head: bytes) -> str:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start > len(head) - 4:  # cut in the middle of a character
            return "utf-8"
        return "cp1252"


def _open_csv(path: Path) -> Table:
    with open(path, "rb") as handle:
        head = handle.read(64 * 1024)
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise RejectedFile(_("This file is not a spreadsheet or text file."))
    encoding = _encoding(head)
    sample = head.decode(encoding, errors="ignore")
    first = sample.splitlines()[0] if sample else ""
    delimiter = max([",", ";", "\t", "|"], key=first.count)
    if not first.count(delimiter):
        delimiter = ","
    if not encoding.startswith("utf-16"):
        _refuse_wide_lines(path, delimiter.encode())

    def generate():
        with open(path, encoding=encoding, newline="", errors="strict") as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            number = 0
            try:
                for number, row in enumerate(reader, start=1):
                    if len(row) > MAX_COLUMNS:
                        raise too_wide(number)
                    yield number, table.cleaned(row)
            except UnicodeDecodeError:
                raise RejectedFile(
                    _("Row %(row)s is not readable text. Save the file as CSV UTF-8.")
                    % {"row": number + 1},
                    row=number + 1,
                ) from None
            except csv.Error as exc:
                # the csv module's messages are English: say it in the seller's words
                if "field larger than field limit" in str(exc):
                    message = _(
                        "Row %(row)s has a cell longer than %(limit)s MB: a quotation mark is "
                        "probably not closed. Open the file in a spreadsheet app, check that row "
                        "and save it again."
                    ) % {"row": number + 1, "limit": MAX_FIELD // 2**20}
                else:
                    message = _(
                        "Row %(row)s is broken (a quotation mark or a line break in the wrong "
                        "place). Open the file in a spreadsheet app and save it again as CSV."
                    ) % {"row": number + 1}
                raise RejectedFile(message, row=number + 1) from None

    csv.field_size_limit(MAX_FIELD)
    table = Table(rows=iter(()), sheet=None, kind="csv")
    table.rows = generate()
    return table


def _header_key(text: str) -> str:
    return " ".join(re.sub(r"[^\w#()/%]+", " ", text.casefold()).split())


def find_header(table: Table, aliases: dict[str, str], *, max_scan: int = 12):
    """Find the header row among the first rows: the one matching most known columns.

    ``aliases`` maps header texts to canonical field names. Returns (row_number,
    {field: column_index}, original header) and leaves ``table.rows`` after the header.
    """
    wanted = {_header_key(k): v for k, v in aliases.items()}
    best = (0, None, None, None)
    buffered = []
    for number, row in table.rows:
        buffered.append((number, row))
        columns = {}
        for index, cell in enumerate(row):
            field = wanted.get(_header_key(cell))
            if field and field not in columns:
                columns[field] = index
        if len(columns) > best[0]:
            best = (len(columns), number, columns, row)
        if len(buffered) >= max_scan:
            break
    _score, header_row, columns, header = best
    rest = [(n, r) for n, r in buffered if header_row is not None and n > header_row]

    remaining = table.rows

    def chained():
        yield from rest
        yield from remaining

    table.rows = chained()
    return header_row, columns or {}, header or []


# -- values ----------------------------------------------------------------------------

_MONEY_JUNK = re.compile(r"^(?:rp\.?|idr)\s*|\s+", re.IGNORECASE)


def money_locale(samples: list[str]) -> str:
    """'id' when dots group thousands (125.000), 'en' when commas do (150,000)."""
    id_votes = en_votes = 0
    for raw in samples:
        text = _MONEY_JUNK.sub("", raw)
        if re.fullmatch(r"-?\d{1,3}(\.\d{3})+(,\d+)?", text):
            id_votes += 1
        elif re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", text):
            en_votes += 1
        elif re.fullmatch(r"-?\d+,\d{1,2}", text):
            id_votes += 1
    return "en" if en_votes > id_votes else "id"


def parse_money(raw: str, locale: str) -> Decimal | None:
    return _parse_money(raw or "", locale)


@lru_cache(maxsize=1 << 14)
def _parse_money(raw: str, locale: str) -> Decimal | None:
    # prices and fees repeat on every line: each text is read once (Decimals do not change)
    text = _MONEY_JUNK.sub("", raw)
    if not text or text == "-":
        return None
    if locale == "id":
        # 125.000 and 1.234.567,89 group with dots; 12500.5 is a spreadsheet's plain decimal
        if not re.fullmatch(r"-?\d+\.\d{1,2}", text):
            text = text.replace(".", "").replace(",", ".")
    else:
        text = text.replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(raw) from None
    if not value.is_finite():
        raise ValueError(raw)
    return value


_DATE_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%d %b %Y %H:%M",
    "%d %b %Y %H:%M:%S",
]
_US_FORMATS = ["%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y"]


def parse_datetime(raw: str, *, month_first: bool = False, zone=WIB) -> datetime | None:
    """Dates as exports write them, in the shop's zone (exports are in local time)."""
    text = (raw or "").strip()
    if not text or text == "-":
        return None
    return _parse_datetime(text, month_first, zone)


# The shapes marketplaces write most, read without strptime. A text of these shapes is
# read exactly as the first matching format of the lists above would read it; anything
# else (or an impossible value) goes through the lists.
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})(?::(\d{2}))?")
_SLASHED = re.compile(r"(\d{2})/(\d{2})/(\d{4}) (\d{2}):(\d{2})(?::(\d{2}))?")


def _parse_common(text: str, month_first: bool, zone) -> datetime | None:
    match = _ISO.fullmatch(text)
    try:
        if match:
            y, mo, d, h, mi, sec = match.groups()
            return datetime(int(y), int(mo), int(d), int(h), int(mi), int(sec or 0), tzinfo=zone)
        match = _SLASHED.fullmatch(text)
        if match:
            a, b, y, h, mi, sec = match.groups()
            d, mo = (b, a) if month_first else (a, b)
            return datetime(int(y), int(mo), int(d), int(h), int(mi), int(sec or 0), tzinfo=zone)
    except ValueError:
        return None
    return None


@lru_cache(maxsize=1 << 16)
def _parse_datetime(text: str, month_first: bool, zone) -> datetime:
    # every line of an order repeats its times, and a busy hour shares its minutes
    common = _parse_common(text, month_first, zone)
    if common is not None:
        return common
    if re.fullmatch(r"\d{5}(\.\d+)?", text):  # an Excel serial date
        value = datetime(1899, 12, 30) + timedelta(days=float(text))
        return value.replace(tzinfo=zone, microsecond=0)
    formats = (_US_FORMATS + _DATE_FORMATS) if month_first else (_DATE_FORMATS + _US_FORMATS)
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=zone)
        except ValueError:
            continue
    raise ValueError(text)


def month_first_file(samples: list[str]) -> bool:
    """A re-saved US-locale file writes 9/21/2024: month first when any second part > 12."""
    for raw in samples:
        match = re.match(r"^(\d{1,2})/(\d{1,2})/\d{4}", raw.strip())
        if match and int(match.group(2)) > 12:
            return True
        if match and int(match.group(1)) > 12:
            return False
    return False


def text_or_none(value: str) -> str | None:
    return value.strip() or None


__all__ = [
    "Table",
    "clean",
    "find_header",
    "io",
    "money_locale",
    "month_first_file",
    "open_table",
    "parse_datetime",
    "parse_money",
]

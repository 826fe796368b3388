"""The rules of writing spreadsheet cells (merdeka.core.sheets), in one place."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo
from decimal import Decimal

from openpyxl import load_workbook

from merdeka.core import sheets

WIB = zoneinfo.ZoneInfo("Asia/Jakarta")
UTC = dt.UTC


def test_text_that_a_spreadsheet_would_run_is_guarded_in_csv_full_width_too():
    for text in ("=1+1", "+6281234567890", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert sheets.csv_cell(text, "Asia/Jakarta") == "'" + text
    # full-width look-alikes are normalised (NFKC) before the check
    full_width = '\uff1dHYPERLINK("http://x","klik")'
    assert sheets.csv_cell(full_width, "Asia/Jakarta") == "'" + full_width
    for text in ("\uff0b62812", "\uff0d1", "\uff20SUM(A1)"):
        assert sheets.csv_cell(text, "Asia/Jakarta") == "'" + text
    assert sheets.csv_cell("Nastar Keju", "Asia/Jakarta") == "Nastar Keju"
    assert sheets.formula_unescape("'" + full_width) == full_width


def test_numbers_and_times_are_not_text_in_csv():
    assert sheets.csv_cell(Decimal("-5000.00"), "Asia/Jakarta") == -5000  # a number
    assert sheets.csv_cell(-5000, "Asia/Jakarta") == -5000
    assert sheets.csv_cell(Decimal("12500.50"), "Asia/Jakarta") == Decimal("12500.50")
    # 02:30 UTC is 09:30 in Jakarta, 10:30 in Makassar
    when = dt.datetime(2025, 5, 1, 2, 30, tzinfo=UTC)
    assert sheets.csv_cell(when, "Asia/Jakarta") == "2025-05-01 09:30"
    assert sheets.csv_cell(when, "Asia/Makassar") == "2025-05-01 10:30"
    assert sheets.csv_cell(None, "Asia/Jakarta") == ""
    text = "".join(sheets.csv_chunks(["a", "b"], [["-x", Decimal(-5)]], tz="Asia/Jakarta"))
    assert list(csv.reader(io.StringIO(text.lstrip("\ufeff")))) == [["a", "b"], ["'-x", "-5"]]


def test_xlsx_cells_are_typed_text_never_a_formula(tmp_path):
    when = dt.datetime(2025, 5, 1, 2, 30, tzinfo=UTC)
    table = sheets.Sheet(
        "x",
        ["teks", "telepon", "jumlah", "waktu", "kosong"],
        [['=HYPERLINK("http://x","klik")', "+6281234567890", Decimal("-5000.00"), when, None]],
    )
    path = tmp_path / "x.xlsx"
    sheets.xlsx_write(path, [table], tz="Asia/Jakarta")
    formula, phone, amount, time, empty = load_workbook(path)["x"][2]
    assert (formula.data_type, formula.value) == ("s", '=HYPERLINK("http://x","klik")')
    assert formula.quotePrefix  # stays text when someone edits it
    assert (phone.data_type, phone.value) == ("s", "+6281234567890")  # no apostrophe
    assert (amount.data_type, amount.value) == ("n", -5000)
    assert time.is_date and time.value == dt.datetime(2025, 5, 1, 9, 30)  # Jakarta's clock
    assert empty.value is None


def test_a_column_of_cells_is_what_each_cell_would_be():
    """``csv_texts``/``csv_times``/``csv_amounts`` (a column at a time) give the text
    ``csv_cell`` gives each value: across zones whose clock is not whole hours off UTC
    or changes in the year, microseconds, formulas, odd amounts."""
    start = dt.datetime(2026, 3, 28, 22, 17, 5, tzinfo=dt.UTC)
    moments = [start + dt.timedelta(minutes=37 * n) for n in range(200)]
    moments += [m.replace(microsecond=123456) for m in moments[:20]]
    times = [m.isoformat() for m in moments] + [None]
    for zone in ("Asia/Jakarta", "Asia/Jayapura", "Asia/Kathmandu", "Europe/Berlin"):
        assert sheets.csv_times(times, zone) == [
            "" if t is None else sheets.csv_cell(dt.datetime.fromisoformat(t), zone) for t in times
        ]
    texts = ["Sari", "", None, "=1+1", "+62812", "-", "@a", "\tx", "\uff1dA", "ñ", "9x", " a"]
    assert sheets.csv_texts(texts) == [sheets.csv_cell(t, None) for t in texts]
    assert sheets.csv_texts(["a", 5, None]) == ["a", 5, ""]
    amounts = ["15000.00", "-0.00", "0.50", "-12.30", "1234567890123.00", "7", None]
    assert sheets.csv_amounts(amounts) == [
        "" if a is None else str(sheets.csv_cell(Decimal(a), None)) for a in amounts
    ]

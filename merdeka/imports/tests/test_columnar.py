"""The columnar reader (formats/columnar.py, columnar_xlsx.py) against the row reader
(formats/orders.py).

An import tries the columnar reader first and gives the row reader what it leaves.
Every sample file (CSV and xlsx) and generated files full of awkward values are
imported once as imports run and once through the row reader alone
(``row_reader_only``), into two shops, and the shops' customers and orders must be the
same apart from their ids; the xlsx stage's text of every cell type is compared cell by
cell with the row reader's.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import re
import struct
import zipfile
from contextlib import nullcontext
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from merdeka.core import services
from merdeka.core.phone import normalize_phone, phone_mask_key
from merdeka.core.scoping import shop_scope
from merdeka.imports import exporting, pipeline, sources
from merdeka.imports.formats import columnar, columnar_xlsx, marketplaces, orders, tabular
from merdeka.imports.formats.row_reader_only import row_reader_only
from merdeka.imports.records import RejectedFile
from merdeka.orders.models import Order

DATA = Path(__file__).parent / "data"
SAMPLES = sorted(
    p
    for p in DATA.rglob("*")
    if p.is_file() and p.suffix not in (".py",) and "_headers" not in p.name
)
MARKETPLACE_CSV = sorted((DATA / "marketplaces").glob("*.csv"))
MARKETPLACE_XLSX = sorted((DATA / "marketplaces").glob("*.xlsx"))


@pytest.fixture
def twin_shop(ika, ika_shop):
    """A second shop of the same name (a chat's participants are told apart from the
    shop by its name), imported into through the other reader."""
    return services.shop_create(name=ika_shop.name, owner=ika, slug="dapur-ika-kembar")


def _import(shop, paths, reader):
    """An import run; ``reader="rows"``: every file through the row reader alone."""
    alone = row_reader_only() if reader == "rows" else nullcontext()
    # read here, not ahead in a spawned worker, which would not be the row reader's alone
    with override_settings(MERDEKA_IMPORT_PARSE_AHEAD=0), alone:
        run = pipeline.run_create(shop=shop)
        reports = pipeline.import_paths(shop=shop, run=run, paths=paths)
        pipeline.run_finish(run)
    return reports


def _shop_content(shop):
    """The shop's customers and orders, as plain data without ids."""
    with shop_scope(shop):
        customers, keys = [], {}
        for row in exporting._customer_rows(shop):
            key = json.dumps(
                sorted((i["kind"], i["channel"], i["value"]) for i in row["identities"])
            )
            keys[row["id"]] = key
            row = {k: v for k, v in row.items() if k not in ("id", "created_at")}
            row["identities"] = sorted(json.dumps(i, sort_keys=True) for i in row["identities"])
            customers.append(json.dumps(row, sort_keys=True, default=str))
        found = []
        for row in exporting._order_rows(shop):
            row["customer_id"] = keys.get(row["customer_id"])
            found.append(json.dumps(row, sort_keys=True, default=str))
    return sorted(customers), sorted(found)


def _report(report):
    return (report.state, report.source, report.rows_read, report.orders_new,
            report.lines_new, report.customers_new, report.customers_merged,
            [p["message"] for p in report.problems])  # fmt: skip


def _same_import(ika_shop, twin_shop, paths):
    old = _import(ika_shop, paths, "rows")
    new = _import(twin_shop, paths, "columnar")
    assert [_report(r) for r in new] == [_report(r) for r in old]
    assert _shop_content(twin_shop) == _shop_content(ika_shop)
    return old, new


def test_the_sample_csv_exports_are_read_by_the_columnar_reader():
    for path in MARKETPLACE_CSV:
        spec, _table, columns, header_row, header = orders.open_and_detect(
            path, path.name, marketplaces.SPECS
        )
        assert columnar.parse(spec, path, columns, header_row, header).orders, path.name


def test_the_sample_xlsx_exports_are_read_by_the_columnar_reader():
    read = []
    for path in MARKETPLACE_XLSX:
        spec, table, columns, header_row, header = orders.open_and_detect(
            path, path.name, marketplaces.SPECS
        )
        if spec.combine is not None:  # Tokopedia's date + time columns: the row reader's
            with pytest.raises(columnar.Unsupported):
                columnar_xlsx.parse_file(path, marketplaces.SPECS)
            continue
        parsed = columnar_xlsx.parse(spec, path, columns, header_row, header, sheet=table.sheet)
        assert parsed.orders, path.name
        found = columnar_xlsx.parse_file(path, marketplaces.SPECS)  # the header from the head
        assert found[0] is spec and found[1].orders == parsed.orders, path.name
        read.append(spec.source)
    assert sorted(read) == ["shopee", "tiktok"]


def test_row_reader_only_gives_every_export_to_the_row_reader(monkeypatch):
    """What the comparisons rest on: an import reads the sample marketplace exports
    through the columnar reader (but Tokopedia's legacy xlsx), ``row_reader_only``
    through the row reader, and both find the same orders."""
    by_rows = []
    row_parse = orders.parse

    def counted(spec, table, *args, **kwargs):
        by_rows.append(spec.source)
        return row_parse(spec, table, *args, **kwargs)

    monkeypatch.setattr(orders, "parse", counted)
    paths = MARKETPLACE_CSV + MARKETPLACE_XLSX
    found = [sources.parse_file(p, p.name).preview["orders"] for p in paths]
    assert by_rows == ["tokopedia"]
    by_rows.clear()
    with row_reader_only():
        alone = [sources.parse_file(p, p.name).preview["orders"] for p in paths]
    assert len(by_rows) == len(paths)
    assert alone == found
    by_rows.clear()
    sources.parse_file(paths[0], paths[0].name)  # and after it, the columnar reader's again
    assert by_rows == []


def test_every_sample_file_imports_the_same_through_both_readers(ika_shop, twin_shop):
    old, _new = _same_import(ika_shop, twin_shop, SAMPLES)
    assert sum(r.orders_new for r in old) > 0


def test_reimporting_through_the_columnar_reader_adds_nothing(twin_shop, tmp_path):
    _import(twin_shop, MARKETPLACE_CSV, "columnar")
    before = _shop_content(twin_shop)
    copies = []
    for path in MARKETPLACE_CSV:  # the same exports again, saved under other names
        copy = tmp_path / f"again_{path.name}"
        copy.write_bytes(path.read_bytes() + b"\n")
        copies.append(copy)
    reports = _import(twin_shop, copies, "columnar")
    assert {r.state for r in reports} == {"imported"}
    assert sum(r.orders_new + r.customers_new for r in reports) == 0
    assert _shop_content(twin_shop) == before


PHONES = [
    "081234567890", "0812-3456-7890", "0812 3456 7890", "(0812) 3456-7890", "6281234567890",
    "+62 812 3456 7890", "+6281234567890", "81234567890", "62812****7890", "0812xxxx7890",
    "021-5551234", "(021) 555 1234", "+65 9123 4567", "+1 415 555 0100", "12345", "abc",
    "0812345", "628123456789012345", "08123456789012", "+62 21 555 1234", "  0812 3456 7890 ",
    "\uff10\uff18\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19\uff10", "+440812345678", "0", "-", "62 0812 3456 789", "0822.1111.2222",
    "0899 1234 567", "+62-856-1234-5678", "6221555123", "08 1234", "+ 62 812 3456 7890",
]  # fmt: skip


def test_the_vectorised_phone_path_agrees_with_normalize_phone():
    values = pl.Series([*PHONES, None], dtype=pl.String)
    got = columnar.phones_e164(values).to_list()
    assert got == [*(normalize_phone(p) for p in PHONES), None]


MASKED_PHONES = [
    "62812****7801", "(+62)812*****7801", "0812****7801", "+62 812 **** 7801", "628*****01",
    "******", "812xxxx7801", "62812••••7801", "0812-****-7801", "62 21****1234", "+65****1234",
    "62812****7801\u00a0", "x62812****780", "\u0668\u0661\u0662****7801",
]  # fmt: skip


def test_the_vectorised_phone_hints_agree_with_phone_mask_key():
    texts = [*PHONES, *MASKED_PHONES, ""]
    unmasked = [None if not t or "*" in t or "•" in t or "xxxx" in t else t for t in texts]
    e164 = columnar.phones_e164(pl.Series(unmasked, dtype=pl.String))
    got = columnar.phone_hints(pl.Series(texts, dtype=pl.String), e164).to_list()
    assert got == [phone_mask_key(t) for t in texts]


DATES = [
    "2025-04-22 10:15", "2025-04-22 10:15:07", "22/04/2025 10:15", "22/04/2025 10:15:59",
    "04/22/2025 10:15", "2025-02-30 10:00", "31/02/2025 10:00:00", "10 May 2025 11:20",
    "2025-04-22", "45678", "2025-04-22 24:00", "2025-04-22 10:60", "", "-", "22-04-2025 10:15",
    "2025/04/22 10:15:00", "1/2/2025 10:15", "2025-04-22 10:15:60",
]  # fmt: skip


@pytest.mark.parametrize("month_first", [False, True])
def test_the_vectorised_dates_agree_with_parse_datetime(month_first):
    def scalar(text):
        try:
            return tabular.parse_datetime(text, month_first=month_first)
        except ValueError:
            return "refused"

    def columnwise(text):
        try:
            return columnar.datetimes(pl.Series([text]), month_first=month_first)[0]
        except ValueError:
            return "refused"

    assert [columnwise(d) for d in DATES] == [scalar(d) for d in DATES]


def _awkward_tiktok(path: Path, rng: random.Random, *, lines: int = 300) -> None:
    """A TikTok Shop export whose cells take every shape the readers must agree on."""
    header = (DATA / "marketplaces" / "tiktok_headers.txt").read_text().strip().splitlines()
    header = [h for h in header if h and not h.startswith("#")]
    index = {name: i for i, name in enumerate(header)}
    names = ["Siti Rahma", "Budi Santoso", "S***a", "Dewi\u202e Anggraini", "'=Jahat", "Ani\tYu"]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        order = 0
        for _ in range(lines):
            if rng.random() < 0.6:
                order += 1
            row = [""] * len(header)
            values = {
                "Order ID": f"57{order:016d}",
                "Order Status": rng.choice(["Selesai", "Dikirim", "Dibatalkan", "Aneh"]),
                "Created Time": rng.choice(["01/03/2025 10:15:00", "2025-03-01 10:15"]),
                "Paid Time": rng.choice(["01/03/2025 10:16:00", "", "kemarin"]),
                "Product Name": rng.choice(["Nastar", "Kue\nLapis", " ", "'+Bolu"]),
                "Variation": rng.choice(["", "500 gr"]),
                "Quantity": rng.choice(["1", "2", " 3 ", "2.0"]),
                "SKU Unit Original Price": rng.choice(["85000", "Rp 85.000", "85.000", ""]),
                "SKU Subtotal After Discount": rng.choice(["", "170000", "-"]),
                "Order Amount": rng.choice(["179000", "179.000", "1.234.567,89"]),
                "Shipping Fee After Discount": "9000",
                "Buyer Username": rng.choice(["sitinur88", "budi_s", " ani.yu\t", "******"]),
                "Recipient": rng.choice(names),
                "Phone #": rng.choice(PHONES),
                "Zipcode": rng.choice(["40111", ""]),
                "Province": rng.choice(["JAWA BARAT", "Jawa Barat", "DKI Jakarta"]),
                "Regency and City": rng.choice(["KOTA BANDUNG", "Kab. Bogor", "Jakarta Selatan"]),
                "Districts": "Kecamatan",
                "Villages": "Kelurahan",
                "Detail Address": rng.choice(["Jl. Melati 5", "******", '"Rumah" biru']),
                "Tokopedia Invoice Number": rng.choice(["", "", "INV/2025/1"]),
            }
            for key, value in values.items():
                if key in index:
                    row[index[key]] = value
            writer.writerow(row)


def test_an_awkward_generated_export_imports_the_same_through_both_readers(
    ika_shop, twin_shop, tmp_path
):
    path = tmp_path / "OrderSKUList_awkward.csv"
    _awkward_tiktok(path, random.Random(20))
    spec, _table, columns, header_row, header = orders.open_and_detect(
        path, path.name, marketplaces.SPECS
    )
    assert columnar.parse(spec, path, columns, header_row, header).orders  # not left over
    _same_import(ika_shop, twin_shop, [path])
    with shop_scope(twin_shop):
        assert Order.objects.filter(shop=twin_shop).exists()


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data.replace(b"\n", b"\n\n", 3),  # blank lines
        lambda data: data.replace(b"\r\n", b"\r"),  # old Mac line ends
        lambda data: data.decode().replace("Nastar", "Nastér").encode("cp1252", "replace"),
        lambda data: data.replace(b",9000,", b",sembilan,", 1),  # not an amount: refused
    ],
)
def test_a_file_the_columnar_reader_leaves_is_read_by_the_row_reader(
    ika_shop, twin_shop, tmp_path, damage
):
    clean = tmp_path / "clean.csv"
    _awkward_tiktok(clean, random.Random(21), lines=60)
    path = tmp_path / "OrderSKUList_damaged.csv"
    path.write_bytes(damage(clean.read_bytes()))
    spec, _table, columns, header_row, header = orders.open_and_detect(
        path, path.name, marketplaces.SPECS
    )
    with pytest.raises(columnar.Unsupported):
        columnar.parse(spec, path, columns, header_row, header)
    _same_import(ika_shop, twin_shop, [path])


MONEY = ["125.000", "1.234.567,89", "150,000", "12500.5", "Rp 85.000", "IDR 1,250,000.00",
         "85000", "12,5", "-9.000", "rp.12.500", "", "abc", "1 250 000", "65,000.00"]  # fmt: skip


@pytest.mark.parametrize("start", range(0, len(MONEY), 3))
def test_the_money_style_is_decided_as_the_row_reader_decides_it(start):
    samples = MONEY[start:] + MONEY[: start // 2]
    head = pl.DataFrame({"unit_price": samples, "order_total": list(reversed(samples))})
    expected = tabular.money_locale([v for row in head.rows() for v in row if v])
    assert columnar._money_locale(head, ["unit_price", "order_total"]) == expected


# -- the two readers on generated exports, without a database ---------------------------

CELLS = {
    "Order ID": st.sampled_from(["5700000000000001", "5700000000000002", " 5700000000000003",
                                 "5700000000000004\t", "", "abc", "'=5700000000000005"]),
    "Order Status": st.sampled_from(["Selesai", " dikirim ", "DIBATALKAN", "", "aneh", "Completed"]),
    "Created Time": st.sampled_from(["01/03/2025 10:15:00", "2025-03-01 10:15", "13/03/2025 09:00",
                                     "03/13/2025 09:00", "2025-03-01", "45678", "1 Mar 2025 10:15",
                                     "31/02/2025 10:00"]),
    "Paid Time": st.sampled_from(["", "01/03/2025 10:16:00", "kemarin", "-"]),
    "Product Name": st.sampled_from(["Nastar", " Kue Lapis ", "", "Bolu\u200f", "a\nb"]),
    "Variation": st.sampled_from(["", "500 gr", " besar "]),
    "Quantity": st.sampled_from(["1", "2", "", " 3", "2.0", "10"]),
    "Seller SKU": st.sampled_from(["", "NST-1", " KST "]),
    "SKU Unit Original Price": st.sampled_from(["85000", "85.000", "Rp 85.000", "", "85,000",
                                                "12500.5", "1.234.567,89"]),
    "SKU Subtotal After Discount": st.sampled_from(["", "170000", "-", "170.000"]),
    "Order Amount": st.sampled_from(["179000", "179.000", "", "179,000.00"]),
    "Shipping Fee After Discount": st.sampled_from(["9000", "", "9.000"]),
    "Payment platform discount": st.sampled_from(["", "1000", "-2.000"]),
    "Buyer Username": st.sampled_from(["sitinur88", " budi_s\t", "******", "", "A***i", "xxxxx"]),
    "Recipient": st.sampled_from(["Siti Rahma", "S***a", "", "\u202eDewi", "'+Jahat", "B**i"]),
    "Phone #": st.sampled_from(PHONES + MASKED_PHONES),
    "Zipcode": st.sampled_from(["40111", "", " 40112 "]),
    "Province": st.sampled_from(["JAWA BARAT", "Jawa Barat", "", "DKI Jakarta"]),
    "Regency and City": st.sampled_from(["KOTA BANDUNG", "Kab. Bogor", "", "Jakarta Selatan"]),
    "Districts": st.sampled_from(["Kecamatan", ""]),
    "Villages": st.sampled_from(["Kelurahan", ""]),
    "Detail Address": st.sampled_from(["Jl. Melati 5", "******", '"Rumah" biru', ""]),
    "Tokopedia Invoice Number": st.sampled_from(["", "INV/2025/1"]),
}  # fmt: skip


def _problems(parsed):
    return [(str(p), p.severity, p.code) for p in parsed.problems]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.fixed_dictionaries(CELLS), min_size=1, max_size=25))
def test_a_generated_export_is_read_alike_or_left_to_the_row_reader(tmp_path, rows):
    header = list(CELLS)
    path = tmp_path / "OrderSKUList_generated.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([row[h] for h in header] for row in rows)

    def read(reader):
        spec, table, columns, header_row, names = orders.open_and_detect(
            path, path.name, marketplaces.SPECS
        )
        try:
            return reader(spec, table, columns, header_row, names)
        except RejectedFile as exc:
            return ("refused", str(exc))

    old = read(lambda spec, table, *rest: orders.parse(spec, table, *rest))
    try:
        new = read(lambda spec, table, columns, header_row, names: columnar.parse(
            spec, path, columns, header_row, names))  # fmt: skip
    except columnar.Unsupported:
        return  # the row reader reads it: nothing to compare
    if isinstance(old, tuple) or isinstance(new, tuple):
        assert new == old
        return
    assert new.orders == old.orders
    assert _problems(new) == _problems(old)
    assert (new.rows_read, new.filled) == (old.rows_read, old.filled)


# -- the xlsx stage: typed cells ---------------------------------------------------------

FLOATS = [3.0000000001, 1e-05, 0.1, 2.5, -0.0, 1e16, 1e15 + 0.5, 123456789.123, 1e-4,
          9.999999999999999e15, 2.0**62, -7.0, 1 / 3, 85000.0]  # fmt: skip


MICROSECONDS = [0, 0, 500000, 1000, 999000]


def _random_float(rng: random.Random) -> float:
    shape = rng.random()
    if shape < 0.25:
        return rng.randint(-(10**6), 10**6) / rng.choice([1, 10, 100, 1000, 3, 7])
    if shape < 0.5:
        return 10 ** rng.uniform(-12, 18) * rng.choice([1, -1])
    if shape < 0.75:  # any bit pattern of a finite double
        return struct.unpack("d", struct.pack("Q", rng.getrandbits(62)))[0]
    return rng.choice(FLOATS)


def _typed_sheet(path: Path, rng: random.Random, *, rows: int = 400, offset=False) -> None:
    """A sheet with a column of each cell type python-calamine and fastexcel read: its
    serials as numbers formatted as dates and times, so that any value can occur.
    ``offset``: the table starts at C4, under a title in D2 (both readers count the
    rows from the sheet's first, the columns from its first used one)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["float", "serial", "datetime", "time", "serial time", "duration", "bool",
                  "text", "whole"])  # fmt: skip
    formats = {2: "yyyy-mm-dd hh:mm:ss", 5: "hh:mm:ss", 6: "[h]:mm:ss"}
    for _ in range(rows):
        row = [
            _random_float(rng),
            rng.uniform(1, 80000),
            dt.datetime(2025, 1, 1) + dt.timedelta(milliseconds=rng.randint(1, 10**11)),
            dt.time(*(rng.randint(0, n) for n in (23, 59, 59)), rng.choice(MICROSECONDS)),
            rng.uniform(-3, 0.99999),
            dt.timedelta(milliseconds=rng.randint(-(10**8), 10**9)),
            rng.choice([True, False, None]),
            rng.choice(["85000", "", "NA", " x ", "3.0", "null", "#N/A", "'=1"]),
            float(rng.randint(0, 2**62)),
        ]
        if rng.random() < 0.1:
            row[rng.randrange(len(row))] = None
        sheet.append(row)
        for column, number_format in formats.items():
            sheet.cell(sheet.max_row, column).number_format = number_format
    if offset:
        sheet.insert_rows(1, 3)
        sheet.insert_cols(1, 2)
        sheet["D2"] = "Laporan pesanan"
    workbook.save(path)


@pytest.mark.parametrize("seed, offset", [(1, False), (2, True)])
def test_the_xlsx_stage_writes_every_cell_type_as_the_row_reader_does(tmp_path, seed, offset):
    path = tmp_path / "typed.xlsx"
    _typed_sheet(path, random.Random(seed), offset=offset)
    header_row = 4 if offset else 1
    table = tabular.open_table(path, path.name)
    rows = [(n, cells) for n, cells in table.rows if n > header_row]
    columns = {f"c{i}": i for i in range(9)}
    frame = columnar_xlsx.read_columns(path, header_row, columns, sheet=table.sheet)
    assert frame["_row"].to_list() == [n for n, _cells in rows]
    for field, index in columns.items():
        assert frame[field].to_list() == [cells[index] for _n, cells in rows], field


def _workbook(path: Path, header: list[str], rows: list[list], formats=None, setup=None) -> None:
    workbook = openpyxl.Workbook()
    workbook.create_sheet("Petunjuk", 0)["A1"] = "Sheet lain, dilewati"
    if setup:
        setup(workbook)
    sheet = workbook.create_sheet("OrderSKUList")
    sheet.append(header)
    for row in rows:
        sheet.append(row)
        for column, number_format in (formats or {}).items():
            sheet.cell(sheet.max_row, column).number_format = number_format
    workbook.save(path)


def _off_a1(workbook):
    """The export under a title, from column B: both readers count rows from the
    sheet's first, the row reader columns from the first used one, the head from A."""
    sheet = workbook["OrderSKUList"]
    sheet.insert_rows(1, 2)
    sheet.insert_cols(1)
    sheet["C1"] = "Laporan Pesanan TikTok Shop"


def _awkward_tiktok_xlsx(
    path: Path, rng: random.Random, *, lines: int = 300, setup=None, offset=False, **override
):
    """A TikTok Shop export saved as xlsx, its columns typed as a re-saved sheet types
    them: numbers, numbers stored as text, booleans, datetimes with milliseconds,
    times, durations and empty cells, each column of one type."""
    header = (DATA / "marketplaces" / "tiktok_headers.txt").read_text().strip().splitlines()
    header = [h for h in header if h and not h.startswith("#")]
    index = {name: i for i, name in enumerate(header)}
    names = ["Siti Rahma", "Budi Santoso", "S***a", "Dewi\u202e Anggraini", "'=Jahat", "Ani\tYu"]
    rows, order = [], 0
    for _ in range(lines):
        if rng.random() < 0.6:
            order += 1
        created = dt.datetime(2025, 3, 1, 10, 15, 7) + dt.timedelta(
            minutes=order, milliseconds=rng.choice([0, 500, 999, 1])
        )
        values = {
            "Order ID": f"57{order:016d}",
            "Order Status": rng.choice(["Selesai", "Dikirim", "Dibatalkan", "Aneh"]),
            "Created Time": created,
            "Paid Time": rng.choice([dt.time(10, 16), dt.time(10, 16, 7, 500000), None]),
            "Product Name": rng.choice(["Nastar", "Kue\nLapis", " ", "'+Bolu", None]),
            "Variation": rng.choice([True, False, None]),
            "Seller SKU": rng.choice([3.0000000001, 1e-05, 12.0, None]),
            "Quantity": rng.choice([1.0, 2.0, 3.0, None]),
            "SKU Unit Original Price": rng.choice([85000.0, 85000.5, 1e-05, None]),
            "SKU Subtotal After Discount": rng.choice(["", "170000", "-", None]),
            "Order Amount": rng.choice(["179000", "179.000", "1.234.567,89"]),
            "Shipping Fee After Discount": 9000.0,
            "Buyer Username": rng.choice(["sitinur88", "budi_s", " ani.yu\t", "******"]),
            "Recipient": rng.choice(names),
            "Phone #": rng.choice([6281234567890.0, 81234567890.0, 6285712345678.0, None]),
            "Zipcode": rng.choice([40111.0, 40112.0, None]),
            "Province": rng.choice(["JAWA BARAT", "Jawa Barat", "DKI Jakarta"]),
            "Regency and City": rng.choice(["KOTA BANDUNG", "Kab. Bogor", "Jakarta Selatan"]),
            "Districts": rng.choice([dt.timedelta(hours=26, minutes=3), None]),
            "Villages": rng.choice(["Kelurahan", "NA", None]),
            "Detail Address": rng.choice(["Jl. Melati 5", "******", '"Rumah" biru']),
            "Tokopedia Invoice Number": rng.choice(["", "", "INV/2025/1"]),
        }
        values.update((key, value(rng) if callable(value) else value)
                      for key, value in override.items())  # fmt: skip
        row = [None] * len(header)
        for key, value in values.items():
            row[index[key]] = value
        rows.append(row)
    formats = {index["Districts"] + 1: "[h]:mm", index["Paid Time"] + 1: "hh:mm:ss"}
    _workbook(path, header, rows, formats, setup)
    if offset:
        workbook = openpyxl.load_workbook(path)
        _off_a1(workbook)
        workbook.save(path)


def _read_xlsx(path):
    spec, table, columns, header_row, header = orders.open_and_detect(
        path, path.name, marketplaces.SPECS
    )
    return columnar_xlsx.parse(spec, path, columns, header_row, header, sheet=table.sheet)


@pytest.mark.parametrize("offset", [False, True])
def test_an_awkward_typed_xlsx_export_imports_the_same_through_both_readers(
    ika_shop, twin_shop, tmp_path, offset
):
    path = tmp_path / "OrderSKUList_awkward.xlsx"
    _awkward_tiktok_xlsx(path, random.Random(22), offset=offset)
    assert _read_xlsx(path).orders  # read by the xlsx stage, not left over
    # and so when the header is found from the sheet's first rows alone, as imports do
    spec, parsed, header_row, sheet, _header = columnar_xlsx.parse_file(path, marketplaces.SPECS)
    expected = orders.open_and_detect(path, path.name, marketplaces.SPECS)
    assert (spec, header_row, sheet) == (expected[0], expected[3], expected[1].sheet)
    assert parsed.orders == _read_xlsx(path).orders
    _same_import(ika_shop, twin_shop, [path])
    with shop_scope(twin_shop):
        assert Order.objects.filter(shop=twin_shop).exists()


@pytest.mark.parametrize(
    "override",
    [
        {"Quantity": lambda rng: rng.choice([1.0, "2"])},  # a number and a text
        {"Zipcode": lambda rng: rng.choice([40111.0, True])},  # a number and a boolean
        {"Zipcode": lambda rng: rng.choice([40111.0, "NA"])},  # fastexcel: "no value"
        {"Paid Time": lambda rng: rng.choice([dt.datetime(2025, 3, 1), None])},  # a date
        {"Seller SKU": lambda rng: rng.choice([12.0, "nan"])},  # fastexcel: a NaN
    ],
)
def test_an_xlsx_the_columnar_reader_leaves_is_read_by_the_row_reader(
    ika_shop, twin_shop, tmp_path, override
):
    path = tmp_path / "OrderSKUList_mixed.xlsx"
    _awkward_tiktok_xlsx(path, random.Random(23), lines=60, **override)
    with pytest.raises(columnar.Unsupported):
        _read_xlsx(path)
    _same_import(ika_shop, twin_shop, [path])


def _epoch_1904(workbook):
    workbook.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904


def _iso_dates(workbook):
    workbook.iso_dates = True


@pytest.mark.parametrize("setup", [_epoch_1904, _iso_dates])
def test_a_workbook_whose_dates_read_otherwise_is_read_by_the_row_reader(
    ika_shop, twin_shop, tmp_path, setup
):
    path = tmp_path / "OrderSKUList_dates.xlsx"
    # typed date and times only in "Created Time": what refuses is the date system
    _awkward_tiktok_xlsx(path, random.Random(24), lines=60, setup=setup, **{"Paid Time": None})
    with pytest.raises(columnar.Unsupported, match=r"1904|ISO"):
        _read_xlsx(path)
    _same_import(ika_shop, twin_shop, [path])


def test_only_an_xlsx_workbook_is_read_by_the_xlsx_stage(tmp_path):
    path = tmp_path / "OrderSKUList.xlsx"
    _awkward_tiktok_xlsx(path, random.Random(25), lines=5)
    assert columnar_xlsx.is_xlsx(path)
    for name in ("OrderSKUList.ods", "OrderSKUList.xls"):  # calamine picks its reader by name
        assert not columnar_xlsx.is_xlsx(path.rename(tmp_path / name))
        path = tmp_path / name
    (tmp_path / "plain.xlsx").write_text("Order ID\n1\n")
    assert not columnar_xlsx.is_xlsx(tmp_path / "plain.xlsx")


def _as_shared_strings(path: Path) -> None:
    """The workbook's inline strings (openpyxl writes them) moved into a shared strings
    table, as a spreadsheet app saves them: every cell keeps its text."""
    strings: dict[str, int] = {}

    def shared(match):
        index = strings.setdefault(match.group(3) or "<t></t>", len(strings))
        return f'<c {match.group(1)}t="s"{match.group(2)}><v>{index}</v></c>'

    inline = re.compile(r'<c ([^>]*?)t="inlineStr"([^>]*?)(?: />|><is>(.*?)</is></c>)', re.S)
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    for name in [n for n in parts if n.startswith("xl/worksheets/")]:
        parts[name] = inline.sub(shared, parts[name].decode()).encode()
    assert strings and b"inlineStr" not in b"".join(parts.values())
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    parts["xl/sharedStrings.xml"] = (
        f'<sst xmlns="{main}" count="{len(strings)}" uniqueCount="{len(strings)}">'
        + "".join(f"<si>{text}</si>" for text in strings)
        + "</sst>"
    ).encode()
    kind = "officedocument.spreadsheetml.sharedStrings+xml"
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-{kind}"/></Types>'.encode(),
    )
    relation = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        f'<Relationship Id="rIdStrings" Type="{relation}" Target="sharedStrings.xml"/></Relationships>'.encode(),
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


@pytest.mark.parametrize("shared", [False, True], ids=["inline", "shared"])
@pytest.mark.parametrize("text", ["NA", "#N/A N/A", "<NA>", "null"])  # "#N/A": an error cell
def test_a_text_read_as_no_value_in_a_typed_column_leaves_the_file(
    ika_shop, twin_shop, tmp_path, shared, text
):
    path = tmp_path / "OrderSKUList_na.xlsx"
    override = {"Zipcode": lambda rng: rng.choice([40111.0, text, None]),
                "Villages": lambda rng: rng.choice(["Kelurahan", None])}  # fmt: skip
    _awkward_tiktok_xlsx(path, random.Random(26), lines=60, **override)
    if shared:
        _as_shared_strings(path)
    assert columnar_xlsx.null_texts_present(path, "OrderSKUList")
    with pytest.raises(columnar.Unsupported, match="a text read as empty"):
        _read_xlsx(path)
    _same_import(ika_shop, twin_shop, [path])


@pytest.mark.parametrize("shared", [False, True], ids=["inline", "shared"])
@pytest.mark.parametrize("villages", [["Kelurahan", None], ["Kelurahan", "NA", None]])
def test_empty_cells_of_a_typed_column_are_read_by_the_xlsx_stage(
    ika_shop, twin_shop, tmp_path, shared, villages
):
    """Without a null text in the workbook the typed columns' nulls are empty cells and
    the sheet is parsed once; with one elsewhere (a text column), read again and kept."""
    path = tmp_path / "OrderSKUList_empty.xlsx"
    override = {"Zipcode": lambda rng: rng.choice([40111.0, None]),
                "Villages": lambda rng: rng.choice(villages)}  # fmt: skip
    _awkward_tiktok_xlsx(path, random.Random(27), lines=60, **override)
    if shared:
        _as_shared_strings(path)
    assert columnar_xlsx.null_texts_present(path, "OrderSKUList") == ("NA" in villages)
    assert _read_xlsx(path).orders  # read by the xlsx stage, not left over
    _same_import(ika_shop, twin_shop, [path])


def test_a_null_text_split_in_runs_or_written_by_reference_is_found(tmp_path):
    """Where the bytes cannot be read plainly, the shared strings are parsed (a text of
    runs, a character reference) and the sheet's texts taken as holding one."""
    path = tmp_path / "OrderSKUList_runs.xlsx"
    override = {"Zipcode": lambda rng: rng.choice([40111.0, "N\u00e0", None]),
                "Villages": lambda rng: rng.choice(["Kelurahan", None])}  # fmt: skip
    _awkward_tiktok_xlsx(path, random.Random(28), lines=20, **override)
    _as_shared_strings(path)
    assert not columnar_xlsx.null_texts_present(path, "OrderSKUList")
    for written in ("<r><t>N</t></r><r><t>A</t></r>", "<t>&#78;A</t>"):
        with zipfile.ZipFile(path) as archive:
            parts = {name: archive.read(name) for name in archive.namelist()}
        parts["xl/sharedStrings.xml"] = re.sub(
            rb"<si><t>N\xc3\xa0</t></si>",
            written.join(["<si>", "</si>"]).encode(),
            parts["xl/sharedStrings.xml"],
        )
        changed = tmp_path / "changed.xlsx"
        with zipfile.ZipFile(changed, "w") as archive:
            for name, data in parts.items():
                archive.writestr(name, data)
        assert columnar_xlsx.null_texts_present(changed, "OrderSKUList")
        with pytest.raises(columnar.Unsupported, match="a text read as empty"):
            _read_xlsx(changed)

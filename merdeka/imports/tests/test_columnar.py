"""The columnar reader (formats/columnar.py) against the row reader (formats/orders.py).

While both exist, every sample file and a generated file full of awkward values are
imported once through each, into two shops, and the shops' customers and orders must
be the same apart from their ids.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import polars as pl
import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from merdeka.core import services
from merdeka.core.phone import normalize_phone, phone_mask_key
from merdeka.core.scoping import shop_scope
from merdeka.imports import exporting, pipeline
from merdeka.imports.formats import columnar, marketplaces, orders, tabular
from merdeka.imports.records import RejectedFile
from merdeka.orders.models import Order

DATA = Path(__file__).parent / "data"
SAMPLES = sorted(
    p
    for p in DATA.rglob("*")
    if p.is_file() and p.suffix not in (".py",) and "_headers" not in p.name
)
MARKETPLACE_CSV = sorted((DATA / "marketplaces").glob("*.csv"))


@pytest.fixture
def twin_shop(ika, ika_shop):
    """A second shop of the same name (a chat's participants are told apart from the
    shop by its name), imported into through the other reader."""
    return services.shop_create(name=ika_shop.name, owner=ika, slug="dapur-ika-kembar")


def _import(shop, paths, engine):
    with override_settings(MERDEKA_IMPORT_ENGINE=engine, MERDEKA_IMPORT_PARSE_AHEAD=0):
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

from __future__ import annotations

import io
import os
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from merdeka.imports import sources
from merdeka.imports.formats import regions, tabular
from merdeka.imports.records import RejectedFile

DATA = Path(__file__).parent / "data" / "marketplaces"


def parse(name):
    return sources.parse_file(DATA / name, name)


def orders_of(parsed):
    return {order.external_id: order for order in parsed.preview["orders"]}


@pytest.fixture(autouse=True)
def _english_messages():
    """Parser messages are checked in English here; the web tests check Indonesian."""
    with translation.override("en"):
        yield


def test_it_reads_a_shopee_export_with_masked_buyers():
    parsed = parse("Order.all.20250401_20250430.xlsx")
    assert (parsed.source, parsed.channel, parsed.rows_read) == ("shopee", "shopee", 4)
    orders = orders_of(parsed)
    assert list(orders) == ["2504226A23B55PX", "2504236B11CDEQY", "2504246C9XYZ12A"]
    first = orders["2504226A23B55PX"]
    assert (first.status, first.status_raw) == ("completed", "Selesai")
    assert first.ordered_at.isoformat() == "2025-04-22T10:15:00+07:00"
    assert first.total == Decimal("269000") and first.shipping_fee == Decimal("9000")
    assert [(line.name, line.variant, line.quantity, line.unit_price) for line in first.lines] == [
        ("Nastar Keju Premium", "500 gr", 2, Decimal("85000")),
        ("Kastengel Edam", "", 1, Decimal("90000")),
    ]
    # masked values are never kept as contact data; the username is the key
    assert first.buyer.username == "sitinur88"
    assert first.buyer.phone is None and first.address.street is None
    assert set(first.buyer.masked_fields) == {"recipient", "phone", "address"}
    # what the masks still show is kept only as review-queue evidence: "S***a" and
    # "62812****7801" give these, never a name or a number
    assert (first.buyer.name_hint, first.buyer.phone_hint) == ("s|a", "812|7801")
    assert (first.address.city, first.address.province) == ("Kota Bandung", "Jawa Barat")
    second = orders["2504236B11CDEQY"]
    assert second.buyer.phone == "+6281322334455" and second.status == "awaiting_payment"
    assert (second.address.city, second.address.province) == ("Kabupaten Sleman", "DI Yogyakarta")


def test_the_english_shopee_headers_and_comma_money_read_the_same():
    indonesian = orders_of(parse("Order.all.20250401_20250430.xlsx"))
    english = orders_of(parse("shopee_english.csv"))
    assert list(english) == list(indonesian)
    for order_id, order in english.items():
        assert order.total == indonesian[order_id].total
        assert order.status == indonesian[order_id].status
        assert [line.unit_price for line in order.lines] == [
            line.unit_price for line in indonesian[order_id].lines
        ]


def test_it_reads_tiktok_with_its_description_row_and_long_ids():
    parsed = parse("tiktok_OrderSKUList.xlsx")
    assert (parsed.source, parsed.channel) == ("tiktok", "tiktok")
    orders = orders_of(parsed)
    assert list(orders) == ["578123456789012345", "578123456789012346"]
    dewi = orders["578123456789012345"]
    assert dewi.buyer.username == "dewi.anggraini"  # the tab character is gone
    assert dewi.buyer.phone is None and "phone" in dewi.buyer.masked_fields
    assert (dewi.address.village, dewi.address.district, dewi.address.postal_code) == (
        "Airlangga",
        "Gubeng",
        "60111",
    )
    assert dewi.ordered_at.isoformat() == "2025-05-05T14:03:11+07:00"
    assert orders["578123456789012346"].status == "cancelled"


def test_it_reads_tokopedias_old_sales_report_with_title_rows():
    parsed = parse("tokopedia_laporan_penjualan.xlsx")
    order = orders_of(parsed)["INV/20230115/MPL/2930011223"]
    assert parsed.source == "tokopedia"
    assert order.ordered_at.isoformat() == "2023-01-15T13:45:10+07:00"
    assert order.buyer.phone == "+6281255556666" and order.buyer.name == "Rina Wulandari"
    assert order.lines[0].quantity == 4 and order.lines[0].unit_price == Decimal("15000")


def test_it_reads_lazada():
    parsed = parse("lazada_orders.csv")
    order = orders_of(parsed)["290012345678901"]
    assert parsed.source == "lazada" and order.status == "completed"
    assert order.buyer.email == "putri.lestari@example.id"
    assert order.lines[0].unit_price == Decimal("65000")


def test_it_reads_lazadas_older_spaced_headers_the_same_way():
    parsed = parse("lazada_orders_spaced.csv")
    assert parsed.source == "lazada"
    [order] = parsed.preview["orders"]
    assert (order.external_id, order.status) == ("302145678901234", "completed")
    assert [(line.name, line.quantity, line.unit_price) for line in order.lines] == [
        ("Bolu Pandan", 1, Decimal("65000")),
        ("Keripik Tempe Original", 1, Decimal("15000")),
    ]
    assert order.buyer.phone == "+6281322224444" and order.buyer.email == "indah.p@example.id"
    assert (order.address.city, order.address.province) == ("Kota Semarang", "Jawa Tengah")


@pytest.mark.parametrize(
    "raw,locale,value",
    [
        ("125.000", "id", Decimal("125000")),
        ("1.234.567,89", "id", Decimal("1234567.89")),
        ("Rp 12.500", "id", Decimal("12500")),
        ("150,000", "en", Decimal("150000")),
        ("IDR12500", "id", Decimal("12500")),
        ("12500.5", "id", Decimal("12500.5")),
    ],
)
def test_money_reads_both_styles_without_floats(raw, locale, value):
    assert tabular.parse_money(raw, locale) == value


def test_money_style_is_decided_per_file():
    assert tabular.money_locale(["1,234,567", "150,000"]) == "en"
    assert tabular.money_locale(["125.000", "85.000"]) == "id"


@pytest.mark.parametrize(
    "raw,city",
    [
        ("KAB. SLEMAN", "Kabupaten Sleman"),
        ("KOTA JAKARTA SELATAN", "Kota Jakarta Selatan"),
        ("Jakarta Selatan", "Kota Jakarta Selatan"),
        ("kabupaten  bandung barat", "Kabupaten Bandung Barat"),
    ],
)
def test_cities_are_made_canonical(raw, city):
    assert regions.normalize_city(raw) == city


@pytest.mark.parametrize(
    "raw,province",
    [
        ("DKI JAKARTA", "DKI Jakarta"),
        ("D.I. Yogyakarta", "DI Yogyakarta"),
        ("jawa barat", "Jawa Barat"),
    ],
)
def test_provinces_are_made_canonical(raw, province):
    assert regions.normalize_province(raw) == province


# -- hostile files ------------------------------------------------------------------


def write(tmp_path, name, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_a_picture_renamed_xlsx_is_refused(tmp_path):
    path = write(tmp_path, "pesanan.xlsx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    with pytest.raises(RejectedFile, match="spreadsheet"):
        sources.parse_file(path, path.name)


def test_a_password_protected_workbook_is_refused(tmp_path):
    path = write(tmp_path, "pesanan.xlsx", tabular.OLE_MAGIC + b"\x00" * 600)
    with pytest.raises(RejectedFile, match="password"):
        sources.parse_file(path, path.name)


def test_a_truncated_xlsx_is_refused(tmp_path):
    data = (DATA / "Order.all.20250401_20250430.xlsx").read_bytes()
    path = write(tmp_path, "pesanan.xlsx", data[: len(data) // 2])
    with pytest.raises(RejectedFile):
        sources.parse_file(path, path.name)


def test_an_xlsx_with_xml_entities_is_refused(tmp_path):
    source = DATA / "Order.all.20250401_20250430.xlsx"
    buffer = io.BytesIO()
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(buffer, "w") as hostile:
        for item in original.infolist():
            data = original.read(item)
            if item.filename == "xl/workbook.xml":
                doctype = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
                if b"?>" in data:
                    data = data.replace(b"?>", b"?>" + doctype, 1)
                else:
                    data = doctype + data
            hostile.writestr(item, data)
    path = write(tmp_path, "pesanan.xlsx", buffer.getvalue())
    with pytest.raises(RejectedFile, match="XML"):
        sources.parse_file(path, path.name)


def test_a_zip_bomb_posing_as_xlsx_is_refused(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("xl/worksheets/sheet1.xml", b"0" * (60 * 2**20))
    path = write(tmp_path, "pesanan.xlsx", buffer.getvalue())
    with pytest.raises(RejectedFile, match="bomb"):
        sources.parse_file(path, path.name)


def test_a_5_gb_file_is_refused_by_its_size_alone(tmp_path):
    path = tmp_path / "besar.csv"
    with open(path, "wb") as handle:
        handle.truncate(5 * 2**30)  # sparse: nothing is written or read
    with pytest.raises(RejectedFile, match=r"limit"):
        sources.parse_file(path, path.name)
    os.unlink(path)


def test_an_empty_file_is_refused(tmp_path):
    path = write(tmp_path, "kosong.csv", b"")
    with pytest.raises(RejectedFile, match=r"empty"):
        sources.parse_file(path, path.name)


def test_a_spreadsheet_from_no_known_marketplace_is_refused(tmp_path):
    path = write(tmp_path, "catatan.csv", b"Tanggal,Belanja,Harga\n01/05/2025,Telur,28000\n")
    with pytest.raises(RejectedFile, match="columns"):
        sources.parse_file(path, path.name)


def test_missing_required_columns_are_named(tmp_path):
    workbook = load_workbook(DATA / "Order.all.20250401_20250430.xlsx")
    sheet = workbook["orders"]
    sheet.delete_cols(10)  # Waktu Pesanan Dibuat
    path = tmp_path / "pesanan.xlsx"
    workbook.save(path)
    with pytest.raises(RejectedFile, match="Waktu Pesanan Dibuat"):
        sources.parse_file(path, path.name)


def test_windows_1252_csv_is_read(tmp_path):
    text = (DATA / "shopee_english.csv").read_text().replace("Budi Santoso", "Budi Dédé")
    path = write(tmp_path, "pesanan.csv", text.encode("cp1252"))
    orders = orders_of(sources.parse_file(path, path.name))
    assert orders["2504236B11CDEQY"].buyer.name == "Budi Dédé"


def test_impossible_dates_and_negative_quantities_are_problems_with_rows(tmp_path):
    workbook = load_workbook(DATA / "Order.all.20250401_20250430.xlsx")
    sheet = workbook["orders"]
    header = [cell.value for cell in sheet[1]]
    sheet.cell(row=3, column=header.index("Waktu Pesanan Dibuat") + 1, value="2025-02-31 10:00")
    sheet.cell(row=4, column=header.index("Jumlah") + 1, value="-2")
    path = tmp_path / "pesanan.xlsx"
    workbook.save(path)
    parsed = sources.parse_file(path, path.name)
    assert {(p.row, p.column) for p in parsed.problems} == {
        (3, "Waktu Pesanan Dibuat"),
        (4, "Jumlah"),
    }


def test_an_order_number_too_long_to_keep_is_a_problem_with_its_row(tmp_path):
    text = (DATA / "shopee_english.csv").read_text()
    first_id = text.splitlines()[1].split(";")[0]
    path = write(tmp_path, "pesanan.csv", text.replace(first_id, "9" * 81, 1).encode())
    parsed = sources.parse_file(path, path.name)
    assert [(p.row, p.column) for p in parsed.problems] == [(2, "Order ID")]


def test_formula_cells_are_kept_as_plain_text(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "orders"
    header = (DATA / "shopee_headers.txt").read_text().split("\n")
    header = [h for h in header if h]
    sheet.append(header)
    row = dict.fromkeys(header, "")
    row.update({
        "No. Pesanan": "2505", "Status Pesanan": "Selesai", "Waktu Pesanan Dibuat": "2025-05-01 10:00",
        "Nama Produk": "'=HYPERLINK(\"http://x\",\"klik\")", "Jumlah": "1",
        "Harga Setelah Diskon": "10.000", "Username (Pembeli)": "<script>x</script>",
    })  # fmt: skip
    sheet.append([row[h] for h in header])
    path = tmp_path / "pesanan.xlsx"
    workbook.save(path)
    order = orders_of(sources.parse_file(path, path.name))["2505"]
    assert order.lines[0].name == '=HYPERLINK("http://x","klik")'
    assert order.buyer.username == "<script>x</script>"


SAMPLE = (DATA / "shopee_english.csv").read_bytes()


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=len(SAMPLE) - 1), st.binary(max_size=6)),
        max_size=8,
    )
)
def test_mutated_exports_parse_or_are_rejected_cleanly(tmp_path, edits):
    data = bytearray(SAMPLE)
    for position, replacement in edits:
        data[position : position + len(replacement)] = replacement
    path = tmp_path / "pesanan.csv"
    path.write_bytes(bytes(data))
    try:
        parsed = sources.parse_file(path, path.name)
    except RejectedFile:
        return
    for order in parsed.preview["orders"]:
        assert order.ordered_at.tzinfo is not None
        assert all(line.quantity >= 1 for line in order.lines)


def _by_formats(text: str, month_first: bool):
    """The format lists alone, without the fast path for common shapes."""
    from datetime import datetime

    formats = tabular._DATE_FORMATS + tabular._US_FORMATS
    if month_first:
        formats = tabular._US_FORMATS + tabular._DATE_FORMATS
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=tabular.WIB)
        except ValueError:
            continue
    return None


@given(
    st.integers(0, 10000),
    st.integers(0, 14),
    st.integers(0, 32),
    st.integers(0, 25),
    st.integers(0, 61),
    st.integers(0, 61) | st.none(),
    st.sampled_from(["iso", "dmy"]),
    st.booleans(),
)
@settings(max_examples=400, deadline=None)
def test_common_date_shapes_read_as_the_format_lists_read_them(y, mo, d, h, mi, sec, shape, us):
    clock = f"{h:02d}:{mi:02d}" + ("" if sec is None else f":{sec:02d}")
    if shape == "iso":
        text = f"{y:04d}-{mo:02d}-{d:02d} {clock}"
    else:
        text = f"{d:02d}/{mo:02d}/{y:04d} {clock}"
    expected = _by_formats(text, us)
    if expected is None:
        with pytest.raises(ValueError):
            tabular._parse_datetime.__wrapped__(text, us, tabular.WIB)
    else:
        assert tabular._parse_datetime.__wrapped__(text, us, tabular.WIB) == expected

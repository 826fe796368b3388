"""Reading unknown spreadsheets through a column mapping (formats/mapped.py), without a database."""

from __future__ import annotations

import contextlib
import csv
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from merdeka.imports.formats import mapped, orders
from merdeka.imports.records import RejectedFile, Severity

OTHER = Path(__file__).parent / "data" / "other"
BUKALAPAK = OTHER / "bukalapak_transaksi_2024-12.csv"
NOTES = OTHER / "catatan_pelanggan.xlsx"


def write_csv(path: Path, rows: list[list[str]], delimiter: str = ";") -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    return path


def test_the_signature_ignores_case_spacing_punctuation_and_column_order():
    one = mapped.header_signature(["No. Order", "Tanggal Order", "Nama  Pemesan"])
    assert one == mapped.header_signature(["nama pemesan", "NO ORDER", " Tanggal order", ""])
    assert one != mapped.header_signature(["No. Order", "Tanggal Order"])
    assert len(one) == 64


def test_a_title_row_above_the_header_is_passed_over():
    sheet = mapped.read_sheet(NOTES, NOTES.name)
    assert sheet.header_row == 3
    assert sheet.header == ["No", "Nama", "No. WA", "Email", "Alamat", "Catatan"]
    assert sheet.samples[1] == ["Bu Siti Aminah", "Pak Joko", "Mbak Rini"]


def test_a_row_of_values_is_never_taken_for_column_names(tmp_path):
    path = write_csv(tmp_path / "x.csv", [["Siti", "0812-3456-7801"], ["Joko", "joko@example.com"]])
    with pytest.raises(RejectedFile) as caught:
        mapped.read_sheet(path, path.name)
    assert "tidak berisi nama kolom" in str(caught.value.problem.message)


def test_the_first_guess_for_a_bukalapak_like_file():
    header = mapped.read_sheet(BUKALAPAK, BUKALAPAK.name, samples=0).header
    guess = {key: header[i] for key, i in mapped.suggest(mapped.ORDERS, header).items()}
    assert guess["order_id"] == "ID Transaksi"
    assert guess["created_at"] == "Tanggal Transaksi"
    assert guess["buyer_phone"] == "No. HP Pembeli"
    assert guess["order_total"] == "Total Bayar" and guess["line_total"] == "Subtotal"
    assert guess["recipient"] == "Nama Penerima" and guess["buyer_name"] == "Nama Pembeli"
    contacts = {k: header[i] for k, i in mapped.suggest(mapped.CONTACTS, header).items()}
    assert contacts == {"name": "Nama Pembeli", "phone": "No. HP Pembeli"}


def test_a_column_name_written_twice_cannot_be_chosen():
    header = ["No", "Tanggal", "HP", "Harga", "Harga"]
    errors = mapped.check(
        mapped.ORDERS,
        "other",
        {"order_id": 0, "created_at": 1, "buyer_phone": 2, "unit_price": 4},
        header,
    )
    assert errors == [
        "Nama kolom Harga muncul dua kali di file ini. Ganti nama salah satunya di "
        "spreadsheet, lalu unggah lagi."
    ]
    assert "unit_price" not in mapped.suggest(mapped.ORDERS, header)


def test_a_saved_mapping_reads_a_file_with_the_same_columns_in_another_order(tmp_path):
    header = mapped.read_sheet(BUKALAPAK, BUKALAPAK.name, samples=0).header
    choices = mapped.suggest(mapped.ORDERS, header)
    assert mapped.check(mapped.ORDERS, "bukalapak", choices, header) == []
    mapping = mapped.mapping_from(mapped.ORDERS, "bukalapak", choices, header)
    with open(BUKALAPAK, encoding="utf-8") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    reordered = write_csv(tmp_path / "lain.csv", [list(reversed(r)) for r in rows], delimiter=",")
    sheet = mapped.read_sheet(reordered, reordered.name, samples=0)
    assert sheet.signature == mapped.header_signature(header)
    first = mapped.parse(BUKALAPAK, BUKALAPAK.name, mapping)
    again = mapped.parse(reordered, reordered.name, mapping)
    assert [o.external_id for o in again.orders] == [o.external_id for o in first.orders]
    assert [o.total for o in again.orders] == [358000, 67000, 270000]


def test_statuses_as_sellers_write_them_are_understood():
    spec = mapped.spec_for(mapped.Mapping(mapped.ORDERS, "other", {"order_id": "No"}))
    assert {
        raw: orders.map_status(spec, raw)
        for raw in ("Belum Dibayar", "Dibayar", "LUNAS", "Pesanan Selesai", "Dibatalkan", "Retur")
    } == {
        "Belum Dibayar": "awaiting_payment",
        "Dibayar": "paid",
        "LUNAS": "paid",
        "Pesanan Selesai": "completed",
        "Dibatalkan": "cancelled",
        "Retur": "returned",
    }


def test_rows_with_a_bad_amount_are_problems_that_name_row_and_column(tmp_path):
    path = write_csv(
        tmp_path / "p.csv",
        [["Nomor", "Tgl", "HP", "Harga"], ["A1", "2025-01-02", "0812-1111-2222", "gratis"]],
    )
    mapping = mapped.Mapping(
        mapped.ORDERS,
        "other",
        {"order_id": "Nomor", "created_at": "Tgl", "buyer_phone": "HP", "unit_price": "Harga"},
    )
    result = mapped.parse(path, path.name, mapping)
    [problem] = result.problems
    assert (problem.row, problem.column, problem.severity) == (2, "Harga", Severity.ERROR)


cell_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00"),
    max_size=30,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.tuples(cell_text, cell_text, cell_text, cell_text), min_size=1, max_size=6))
def test_any_cell_text_is_read_as_text_or_refused_but_never_crashes(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("hyp") / "catatan.csv"
    header = ["Nomor", "Tanggal", "Nama", "HP"]
    write_csv(path, [header, *[[f"N{i}", "2025-03-01", *r[1:]] for i, r in enumerate(rows)]], ",")
    mapping = mapped.Mapping(
        mapped.ORDERS,
        "manual",
        {"order_id": "Nomor", "created_at": "Tanggal", "buyer_name": "Nama", "buyer_phone": "HP"},
    )
    try:
        result = mapped.parse(path, path.name, mapping)
    except RejectedFile:
        return
    for order in result.orders:
        assert order.buyer.name is None or isinstance(order.buyer.name, str)
        assert order.buyer.phone is None or order.buyer.phone.startswith("+")
    contacts = mapped.Mapping(mapped.CONTACTS, "contacts", {"name": "Nama", "phone": "HP"})
    with contextlib.suppress(RejectedFile):
        people = mapped.parse(path, path.name, contacts).contacts
        assert all(person.phones for person in people)

"""The marketplaces' income, settlement and withdrawal reports are recognised by their
columns, read whole, and refused with a clear message where a cell is wrong; uploaded
on the import page like any export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook

from merdeka.books.models import MarketplaceSettlement
from merdeka.core.scoping import shop_scope
from merdeka.imports import sources
from merdeka.imports.formats import settlements
from merdeka.imports.models import ImportFile

DATA = Path(__file__).parent / "data" / "settlements"
INCOME = DATA / "Income.sudah dilepas.id.20250401_20250430.xlsx"


@pytest.fixture(autouse=True)
def _english_messages():
    with translation.override("en"):
        yield


def rows_of(name):
    parsed = sources.parse_file(DATA / name, name)
    return parsed, parsed.preview["settlements"]


def test_shopees_income_report_is_read_from_its_income_sheet_after_the_title_rows():
    parsed, rows = rows_of(INCOME.name)
    assert (parsed.source, parsed.channel, parsed.rows_read) == ("shopee-income", "shopee", 3)
    assert parsed.preview["sheet"] == "Income"  # not the summary sheet before it
    first = rows[0]
    assert (first.order_number, first.date.isoformat()) == ("2504226A23B55PX", "2025-04-28")
    # Biaya Administrasi + Layanan + Proses Pesanan, written negative, as fees
    assert (first.fees, first.shipping, first.subsidies, first.released) == (
        27250,
        9000,
        0,
        222750,
    )
    assert rows[2].subsidies == 2000  # Diskon Produk dari Shopee


def test_tiktok_shops_settlement_has_orders_and_adjustments():
    parsed, rows = rows_of("tiktok_settlement_20250512_20250518.xlsx")
    assert parsed.source == "tiktok-settlement"
    assert [(r.kind, r.reference, r.order_number) for r in rows] == [
        ("order", "578123456789012345", "578123456789012345"),
        ("order", "578123456789012399", "578123456789012399"),
        ("adjustment", "7300123456789012", "578123456789012345"),
    ]
    assert (rows[0].fees, rows[0].shipping, rows[0].subsidies) == (10450, 12000, 3000)
    assert rows[2].note == "Logistics reimbursement"


def test_only_completed_withdrawals_are_taken_from_the_balance_reports():
    parsed, rows = rows_of("my_balance_transaction_report.shopee.20250401_20250430.xlsx")
    assert parsed.source == "shopee-withdrawals" and parsed.rows_read == 5
    [withdrawal] = rows  # the income rows are the income report's; one is in progress
    assert (withdrawal.kind, withdrawal.released) == ("withdrawal", 300000)
    assert withdrawal.reference.startswith("W")  # Shopee's rows have no id of their own
    again = rows_of("my_balance_transaction_report.shopee.20250401_20250430.xlsx")[1][0]
    assert again.reference == withdrawal.reference  # the same row, the same reference
    _parsed, [tiktok] = rows_of("tiktok_withdrawals_202505.csv")
    assert (tiktok.reference, tiktok.released) == ("WD2025051600123", 100000)


def test_an_order_export_is_still_an_order_export():
    for header in (["No. Pesanan", "Status Pesanan", "Username (Pembeli)"], ["Order ID", "SKU"]):
        assert settlements.detect(header) is None


def test_a_bad_date_names_its_row_and_column(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.title = "Order details"
    sheet.append(["Order/adjustment ID", "Type", "Order settled time", "Total settlement amount"])
    sheet.append(["578123456789012345", "Order", "kemarin", "104550"])
    path = tmp_path / "settlement.xlsx"
    book.save(path)
    parsed = sources.parse_file(path, path.name)
    [problem] = parsed.problems
    assert (problem.row, problem.column, str(problem.message)) == (
        2,
        "Order settled time",
        "This is not a date.",
    )


def test_a_report_uploaded_on_the_import_page_goes_into_the_books(
    ika_client, ika_shop, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = ika_client.post(
            reverse("import_home"),
            {"files": [SimpleUploadedFile(INCOME.name, INCOME.read_bytes())]},
        )
    page = ika_client.get(response["Location"]).content.decode()
    assert 'data-testid="settlements">3 / 0' in page
    with shop_scope(ika_shop):
        assert ImportFile.objects.get().source == "shopee-income"
        assert MarketplaceSettlement.objects.count() == 3


def test_inspect_shows_a_reports_rows_without_writing(ika_shop, capsys):
    call_command("inspect", str(INCOME), "--json")
    seen = json.loads(capsys.readouterr().out)
    assert seen["source"] == "shopee-income" and seen["sheet"] == "Income"
    assert seen["settlements"][0]["released"] == 222750
    assert seen["settlements"][0]["date"] == "2025-04-28"
    with shop_scope(ika_shop):
        assert not MarketplaceSettlement.objects.exists()

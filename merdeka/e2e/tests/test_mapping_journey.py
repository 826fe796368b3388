"""A spreadsheet no importer knows, on a phone: map its columns once, then it comes by itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from merdeka.e2e.tests.conftest import menu_go, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OTHER = Path(__file__).resolve().parents[2] / "imports" / "tests" / "data" / "other"
DECEMBER = OTHER / "bukalapak_transaksi_2024-12.csv"
JANUARY = OTHER / "bukalapak_transaksi_2025-01.csv"


def upload(page, path: Path) -> None:
    menu_go(page, "Impor")
    page.set_input_files("#id_files", [str(path)])
    page.get_by_role("button", name="Unggah dan impor").click()
    expect(page.locator("main h1")).to_have_text("Laporan impor")


def test_a_seller_maps_an_old_bukalapak_export_and_the_next_month_imports_by_itself(
    live_server, page, shot, ika_shop, console_errors
):
    sign_in(page, live_server, "ika", PASSWORD)
    upload(page, DECEMBER)
    waiting = page.get_by_test_id("file-1")
    expect(waiting).to_contain_text("Menunggu kolomnya dipetakan")
    expect(waiting).to_contain_text("Merdeka belum mengenal kolom-kolom spreadsheet ini")
    shot("waiting")

    waiting.get_by_test_id("map-columns").click()
    expect(page.locator("main h1")).to_have_text("Petakan kolom")
    page.locator("summary", has_text="kolom di file ini").click()
    expect(page.locator("dl.columns")).to_contain_text("241203TRX001")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot("mapping")

    # A slip first: no order number. Nothing is saved and the page says what is missing.
    order_number = page.get_by_label("Nomor pesanan")
    order_number.select_option(label="(tidak ada)")
    page.get_by_role("button", name="Simpan dan impor").click()
    expect(page.get_by_test_id("mapping-errors")).to_contain_text(
        "Pilih kolom yang berisi: Nomor pesanan."
    )
    shot("mapping-error")
    # the refused form answers 400 on purpose; the browser logs that, and nothing else
    assert [e for e in console_errors if "400 (Bad Request)" not in e] == []
    console_errors.clear()

    page.get_by_label("Dari mana pesanan-pesanan ini?").select_option(label="Bukalapak")
    page.get_by_label("Nomor pesanan").select_option(label="A · ID Transaksi — 241203TRX001")
    page.get_by_label("Tanggal pesanan").select_option(
        label="C · Tanggal Transaksi — 2024-12-03 14:22:10"
    )
    page.get_by_label("No. HP / WhatsApp pembeli").select_option(
        label="G · No. HP Pembeli — 081311112222"
    )
    page.get_by_role("button", name="Simpan dan impor").click()

    expect(page.locator("main h1")).to_have_text("Laporan impor")
    expect(page.locator(".message")).to_contain_text("Kolom disimpan")
    done = page.get_by_test_id("file-1")
    expect(done).to_contain_text("Diimpor")
    expect(done.get_by_test_id("orders")).to_have_text("3 / 0")
    expect(done.get_by_test_id("customers-new")).to_have_text("3")
    expect(done.get_by_test_id("mapping-used")).to_contain_text("sesuai pemetaanmu")
    shot("mapped")

    upload(page, JANUARY)
    january = page.get_by_test_id("file-1")
    expect(january).to_contain_text("Diimpor")
    expect(january.get_by_test_id("orders")).to_have_text("2 / 0")
    expect(january.get_by_test_id("customers-new")).to_have_text("1")
    expect(january.get_by_test_id("mapping-used")).to_contain_text("pemetaan yang tersimpan")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot("remembered")
    assert not console_errors, console_errors

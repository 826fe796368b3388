"""Bu Ika on her phone: she photographs a receipt, Merdeka reads it in the background,
she checks it beside the photo, confirms it in one tap, sees it among her expenses and
the item's price chart.

The photo is read by the real reader (``merdeka.receipts.reader``, OCR on the CPU) in
the task worker, as it is for a seller.
"""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw, ImageFont
from playwright.sync_api import expect

from conftest import PASSWORD
from merdeka.e2e.tests.conftest import menu_go, no_sideways_scroll, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LINES = [
    "TOKO SEMBAKO MAKMUR",
    "Jl. Pasar Baru 12",
    "20/11/2026 09:15",
    "GULA PASIR 1KG",
    "2 x 16.000      32.000",
    "TELUR AYAM",
    "1 x 28.000      28.000",
    "TOTAL           60.000",
    "TUNAI           60.000",
]


def receipt_photo(tmp_path):
    image = Image.new("RGB", (640, 900), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=30)
    for row, text in enumerate(LINES):
        draw.text((30, 40 + row * 80), text, fill="black", font=font)
    path = tmp_path / "struk.jpg"
    image.save(path, quality=90)
    return path


def test_a_photographed_receipt_becomes_an_expense_and_a_price(
    live_server, page, shot, ika_shop, ika, tmp_path, console_errors
):
    sign_in(page, live_server, "ika", PASSWORD)
    menu_go(page, "Nota")
    page.set_input_files("#receipt-camera", [str(receipt_photo(tmp_path))])
    page.get_by_test_id("receipt-send").click()
    expect(page.get_by_test_id("receipts-done")).to_be_visible(timeout=30_000)
    page.get_by_test_id("receipt-row").first.click()
    expect(page.get_by_test_id("receipt-photo")).to_be_visible()
    no_sideways_scroll(page)
    shot("review")
    page.get_by_test_id("receipt-total").fill("60.000")
    page.get_by_test_id("receipt-confirm").click()
    expect(page.get_by_test_id("receipt-status")).to_have_attribute("data-status", "booked")
    page.get_by_test_id("receipt-expense").click()
    expect(page.get_by_test_id("expense-amount")).to_have_text("Rp60.000")
    page.goto(f"{live_server.url}/nota/harga/")
    page.get_by_test_id("price-table").get_by_role("link").first.click()
    expect(page.get_by_test_id("price-chart").locator("svg")).to_be_visible()
    shot("price")

"""Bringing customers home on a phone: upload exports and a chat, review a merge."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from merdeka.e2e.tests.conftest import menu_go, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DATA = Path(__file__).resolve().parents[2] / "imports" / "tests" / "data"
SHOPEE = DATA / "marketplaces" / "Order.all.20250401_20250430.xlsx"
GROUP = DATA / "whatsapp" / "Chat WhatsApp dengan Pasar Kue Zakinah.txt"


def test_a_seller_uploads_a_shopee_export_and_a_chat_then_reviews_a_merge(
    live_server, page, shot, ika_shop, console_errors
):
    sign_in(page, live_server, "ika", PASSWORD)
    menu_go(page, "Impor")
    expect(page.locator("main h1")).to_have_text("Bawa pulang pelangganmu")
    page.set_input_files("#id_files", [str(SHOPEE), str(GROUP)])
    shot("upload")
    page.get_by_role("button", name="Unggah dan impor").click()

    expect(page.locator("main h1")).to_have_text("Laporan impor")
    first, second = page.get_by_test_id("file-1"), page.get_by_test_id("file-2")
    expect(first).to_contain_text("Diimpor")
    expect(first).to_contain_text("Shopee")
    expect(first.get_by_test_id("orders")).to_have_text("3 / 0")
    expect(first.get_by_test_id("customers-new")).to_have_text("2")
    expect(second).to_contain_text("WhatsApp")
    expect(second.get_by_test_id("customers-new")).to_have_text("4")
    expect(page.get_by_test_id("review")).to_contain_text("1 kemungkinan duplikat")
    shot("report")

    page.get_by_role("button", name="Tinjau kemungkinan duplikat").click()
    suggestion = page.locator("article.suggestion").first
    expect(suggestion).to_contain_text("Budi Santoso")
    expect(suggestion).to_contain_text("Nama WhatsApp mirip nama pembeli")
    shot("review")
    suggestion.get_by_role("button", name="Orang yang sama: gabungkan").click()
    expect(page.locator(".message")).to_contain_text("Digabung")
    expect(page.locator("article.suggestion")).to_have_count(0)

    page.get_by_role("link", name="Pelanggan", exact=True).click()
    expect(page.locator(".customer-row")).to_have_count(2 + 4 - 1)
    page.locator(".customer-row", has_text="Budi Santoso").click()
    expect(page.locator(".identities")).to_contain_text("Username marketplace")
    expect(page.locator(".identities")).to_contain_text("Nama WhatsApp")
    expect(page.locator(".timeline")).to_contain_text("Putri Salju")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot("customer")
    assert not console_errors, console_errors

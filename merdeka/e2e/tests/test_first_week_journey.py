"""A seller's first week, on her phone: she imports her Shopee export (and, by mistake,
the same file again), finds a buyer by the digits she remembers, reads a buyer's
record, and learns why her first campaign would reach nobody: her imported buyers
were never asked. She asks one of them on WhatsApp, he signs up from the link on his
own phone, and the campaign then reaches him, after a second, explicit tap."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from merdeka.core.scoping import shop_scope
from merdeka.e2e.tests.conftest import no_sideways_scroll, phone_context, sign_in
from merdeka.privacy import consent

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DATA = Path(__file__).resolve().parents[2] / "imports" / "tests" / "data"
SHOPEE = DATA / "marketplaces" / "Order.all.20250401_20250430.xlsx"
WA_LINK = "WhatsApp dari HP saya (tautan wa.me)"


def upload(page, path):
    page.get_by_role("link", name="Impor", exact=True).click()
    page.set_input_files("#id_files", [str(path)])
    page.get_by_role("button", name="Unggah dan impor").click()
    expect(page.locator("main h1")).to_have_text("Laporan impor")


def search(page, words):
    page.get_by_test_id("search").fill(words)
    page.get_by_role("button", name="Cari").click()


def open_campaigns(page):
    page.get_by_role("link", name="Kampanye", exact=True).click()
    expect(page.locator("main h1")).to_have_text("Kampanye")


def test_a_seller_imports_finds_asks_for_consent_and_reaches_her_buyers(
    live_server, page, shot, ika_shop, console_errors, settings
):
    settings.MERDEKA_PUBLIC_URL = live_server.url  # the sign-up link in the message
    page.context.route("https://wa.me/**", lambda route: route.fulfill(body="WhatsApp"))
    sign_in(page, live_server, "ika", PASSWORD)

    # 1. the export, then the same file again: "nothing new", no empty review
    upload(page, SHOPEE)
    expect(page.get_by_test_id("file-1")).to_contain_text("Shopee")
    expect(page.get_by_test_id("customers-new")).to_have_text("2")
    upload(page, SHOPEE)
    expect(page.get_by_test_id("nothing-new")).to_contain_text("Tidak ada yang baru")
    expect(page.get_by_role("link", name="Tinjau kemungkinan duplikat")).to_have_count(0)
    no_sideways_scroll(page)
    shot("nothing-new")

    # 2. the buyers: found by the start of a number and by its last four digits
    page.get_by_role("link", name="Pelanggan", exact=True).click()
    expect(page.get_by_test_id("search-hint")).to_contain_text("4 angka terakhirnya")
    search(page, "0813")
    expect(page.locator(".customer-row")).to_have_count(1)
    expect(page.locator(".customer-row")).to_contain_text("Budi Santoso")
    search(page, "4455")
    expect(page.locator(".customer-row")).to_contain_text("Budi Santoso")
    no_sideways_scroll(page)
    shot("search-last-digits")
    search(page, "")
    # Shopee hid Siti's name: she is shown by her username, a customer since her first order
    page.locator(".customer-row", has_text="sitinur88").click()
    expect(page.locator("main h1")).to_have_text("sitinur88")
    expect(page.get_by_test_id("customer-since")).to_have_text("Pelanggan sejak 22 Apr 2025")
    expect(page.get_by_test_id("order-count")).to_have_text("2")
    expect(page.get_by_test_id("timeline-count")).to_contain_text("2 pesanan")
    no_sideways_scroll(page)
    shot("customer-record")

    # 3. a first campaign: it says it reaches nobody, and why
    open_campaigns(page)
    page.get_by_test_id("new-campaign").click()
    page.fill("#id_name", "Nastar Lebaran")
    page.get_by_role("radio", name=WA_LINK, exact=True).check()
    page.fill("#id_body", "Halo {nama_depan}, nastar Lebaran sudah bisa dipesan!")
    page.get_by_test_id("save-campaign").click()
    campaign_url = page.url
    expect(page.get_by_test_id("audience-will-get")).to_have_text("0")
    expect(page.get_by_test_id("reach-why")).to_have_text(
        "0 dari 2 pelanggan bisa dijangkau. Sisanya tidak, karena:"
    )
    expect(page.get_by_test_id("reach-not-asked")).to_contain_text("2 belum pernah ditanya")
    expect(page.get_by_test_id("ways-to-ask")).to_contain_text("Kartu paket")
    no_sideways_scroll(page)
    shot("reaches-nobody")

    # 4. she asks Budi (the one with a number) on WhatsApp, one to one
    page.get_by_test_id("ask-consent").click()
    expect(page.locator("main h1")).to_have_text("Minta izin")
    expect(page.get_by_test_id("request-text")).to_contain_text("Halo Budi, ini Dapur Kue Bu Ika")
    no_sideways_scroll(page)
    shot("ask-consent")
    page.get_by_test_id("ask-everyone").click()
    expect(page.locator("main h1")).to_have_text("Antrean kirim")
    link = page.get_by_test_id("wa-link")
    href = link.get_attribute("href")
    with page.expect_popup() as opened:
        link.click()
    opened.value.close()
    expect(page.get_by_test_id("waiting")).to_have_text("0 menunggu")
    [text] = parse_qs(urlsplit(href).query)["text"]
    signup = re.search(r"https?://\S+/daftar/\S+/", text).group(0)

    # 5. Budi opens the link on his own phone and says yes to WhatsApp
    budi_context = phone_context(page)
    budi = budi_context.new_page()
    budi.goto(signup)
    expect(budi.locator("main hgroup p")).to_contain_text("Mau dapat kabar dan promo")
    budi.fill("#id_name", "Budi Santoso")
    budi.fill("#id_phone", "0813-2233-4455")
    budi.check("#id_consent_whatsapp")
    no_sideways_scroll(budi)
    shot("budi-signs-up", budi)
    budi.get_by_role("button", name="Daftar").click()
    expect(budi.locator("main h1")).to_have_text("Terima kasih!")
    budi_context.close()

    # 6. now the campaign reaches him, after the second tap
    page.goto(campaign_url)
    expect(page.get_by_test_id("audience-will-get")).to_have_text("1")
    page.get_by_test_id("send-campaign-open").click()
    expect(page.get_by_test_id("send-campaign")).to_contain_text("Membuat pesan untuk 1 pelanggan")
    no_sideways_scroll(page)
    shot("confirm-send")
    page.get_by_test_id("send-campaign-confirm").click()
    expect(page.locator("main h1")).to_have_text("Antrean kirim")
    open_campaigns(page)
    promo = page.locator(".campaign-row", has_text="Nastar Lebaran")
    expect(promo.get_by_test_id("sent")).to_have_text("0 terkirim")  # not "2 penerima"
    expect(promo.get_by_test_id("not-reached")).to_have_text("1 tidak terjangkau")
    no_sideways_scroll(page)
    shot("campaign-list")

    with shop_scope(ika_shop):
        from merdeka.customers.models import Customer

        [budi_row] = [c for c in Customer.objects.filter(merged_into__isnull=True) if c.name]
        state = consent.consent_state(shop=ika_shop, customer=budi_row)["whatsapp"]
    assert budi_row.name == "Budi Santoso" and state.granted and state.source == "signup"
    assert not console_errors, console_errors

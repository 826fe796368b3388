"""A seller's first week, on her phone.

She imports her Shopee export (and, by mistake, the same file again), finds a buyer by
the digits she remembers, reads a buyer's record, and learns why her first campaign
would reach nobody: her imported buyers were never asked. She asks one of them on
WhatsApp, he signs up from the link on his own phone, and the campaign then reaches
him, after a second, explicit tap.

A buyer pays from the order page (saves the QRIS for "scan from gallery", copies the
amount and the account number, shares the shop), the seller adds a product with its
photo in one go, and the pages that hand out links warn while the public address is
not set."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import qriskit
from django.urls import reverse
from PIL import Image
from playwright.sync_api import expect

from conftest import PASSWORD
from merdeka.cards.services import batch_create
from merdeka.catalog.models import Product
from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Customer
from merdeka.e2e.tests.conftest import (
    PHONE,
    check_out,
    menu_go,
    no_sideways_scroll,
    open_storefront,
    phone_context,
    sign_in,
)
from merdeka.orders.models import Order
from merdeka.privacy import consent
from merdeka.storefront.tests.conftest import make_product, tlv_decode

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DATA = Path(__file__).resolve().parents[2] / "imports" / "tests" / "data"
SHOPEE = DATA / "marketplaces" / "Order.all.20250401_20250430.xlsx"
WA_LINK = "WhatsApp dari HP saya (tautan wa.me)"


def upload(page, path):
    menu_go(page, "Impor")
    page.set_input_files("#id_files", [str(path)])
    page.get_by_role("button", name="Unggah dan impor").click()
    expect(page.locator("main h1")).to_have_text("Laporan impor")


def search(page, words):
    page.get_by_test_id("search").fill(words)
    page.get_by_role("button", name="Cari").click()


def open_campaigns(page):
    menu_go(page, "Kampanye")
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
    menu_go(page, "Pelanggan")
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
        [budi_row] = [c for c in Customer.objects.filter(merged_into__isnull=True) if c.name]
        state = consent.consent_state(shop=ika_shop, customer=budi_row)["whatsapp"]
    assert budi_row.name == "Budi Santoso" and state.granted and state.source == "signup"
    assert not console_errors, console_errors


# -- a buyer pays from the order page ------------------------------------------------------

BANKS = [{"name": "BCA", "number": "1234567890", "holder": "Ika Rahmawati"}]
# navigator.share as a phone has it, recording what it was given
FAKE_SHARE = "navigator.share = (data) => { window.__shared = data; return Promise.resolve(); };"
# a browser that may not copy (an old one, or a page over plain http)
NO_COPYING = """
Object.defineProperty(navigator, "clipboard", { value: undefined });
document.execCommand = () => false;
"""


@pytest.fixture
def open_shop(ika_shop):
    front = open_storefront(ika_shop, bank_accounts=BANKS)
    make_product(ika_shop, name="Kue Lapis Legit", stock=5, prices=(Decimal(85000),))
    return front


def order_on_a_phone(page, live_server, front, *, payment):
    page.goto(f"{live_server.url}/s/{front.slug}/")
    page.get_by_test_id("card-kue-lapis-legit").click()
    page.fill("input[name=quantity]", "2")
    page.locator("form.add-to-cart button[type=submit]").click()
    check_out(page, payment=payment)
    expect(page.get_by_test_id("order-number")).to_be_visible()
    return page.url


def test_a_buyer_saves_the_qris_copies_the_amount_and_shares_the_shop(
    live_server, page, shot, open_shop, ika_shop, console_errors
):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    order_url = order_on_a_phone(page, live_server, open_shop, payment="qris")
    expect(page.get_by_test_id("qris").locator("svg")).to_be_visible()
    no_sideways_scroll(page)
    shot("order-qris")

    # the QRIS as a picture for the gallery: this order's amount and number
    with page.expect_download() as downloading:
        page.get_by_test_id("save-qris").click()
    download = downloading.value
    with shop_scope(ika_shop):
        order = Order.objects.get()
    assert download.suggested_filename == f"QRIS-{open_shop.slug}-{order.external_id}.png"
    scanned = qriskit.scan(Image.open(Path(download.path())).convert("RGB")).dumps()
    assert scanned == page.get_by_test_id("qris-payload").input_value()
    assert tlv_decode(scanned)["54"] == "170000"

    # the amount as a bank app's field takes it
    copy_total = page.get_by_test_id("copy-total")
    expect(copy_total).to_be_visible()
    copy_total.click()
    expect(page.locator("#copy-total ~ .copy-status")).to_have_text("Tersalin")
    assert page.evaluate("navigator.clipboard.readText()") == "170000"

    # no navigator.share in this browser: the shop's link is copied instead
    shop_link = f"{live_server.url}/s/{open_shop.slug}/"
    expect(page.get_by_test_id("shop-link")).to_have_text(shop_link)
    page.get_by_test_id("share-shop").click()
    expect(page.locator(".share-shop .copy-status")).to_contain_text("Tautan tersalin")
    assert page.evaluate("navigator.clipboard.readText()") == shop_link
    assert len(page.context.pages) == 1  # and WhatsApp did not open
    assert not console_errors, console_errors

    # on a phone with a share sheet, the sheet gets the shop's name and link
    page.add_init_script(FAKE_SHARE)
    page.goto(order_url)
    page.get_by_test_id("share-shop").click()
    shared = page.evaluate("window.__shared")
    assert shared["url"] == shop_link and shared["title"] == "Dapur Kue Bu Ika"
    assert not console_errors, console_errors


def test_a_bank_transfer_without_copying_or_javascript_still_shows_every_number(
    live_server, page, browser, shot, open_shop, console_errors
):
    page.add_init_script(NO_COPYING)
    order_url = order_on_a_phone(page, live_server, open_shop, payment="transfer")
    expect(page.get_by_test_id("account-number")).to_have_text("1234567890")
    page.get_by_test_id("copy-account").click()
    # copying is refused: the number is selected and the buyer told to press and hold it
    expect(page.locator("[data-testid=account] .copy-status")).to_contain_text("tekan lama")
    assert page.evaluate("window.getSelection().toString()") == "1234567890"
    no_sideways_scroll(page)
    shot("order-transfer")
    assert not console_errors, console_errors

    # without JavaScript: no dead buttons, the numbers as text, "Share" opens WhatsApp
    plain = browser.new_context(**PHONE, java_script_enabled=False)
    try:
        other = plain.new_page()
        other.goto(order_url)
        expect(other.get_by_test_id("account-number")).to_have_text("1234567890")
        expect(other.get_by_test_id("order-total")).to_have_text("Rp170.000")
        expect(other.get_by_test_id("copy-account")).to_be_hidden()
        expect(other.get_by_test_id("copy-total")).to_be_hidden()
        share = other.get_by_test_id("share-shop")
        expect(share).to_be_visible()
        assert share.get_attribute("href").startswith("https://wa.me/?text=")
        shot("order-transfer-no-js", other)
    finally:
        plain.close()


# -- the seller adds a product with its photo ---------------------------------------------


def photo_file(folder: Path, name: str, kind: str = "JPEG") -> Path:
    path = folder / name
    Image.new("RGB", (900, 700), (214, 160, 90)).save(path, format=kind)
    return path


def test_a_seller_adds_a_product_with_its_photo_in_one_go(
    live_server, page, shot, ika_shop, tmp_path, settings, console_errors
):
    settings.MEDIA_ROOT = tmp_path / "media"
    front = open_storefront(ika_shop)
    sign_in(page, live_server, "ika", PASSWORD)
    page.get_by_role("link", name="Produk", exact=True).click()
    page.get_by_role("button", name="Tambah produk pertamamu").click()
    page.fill("#id_name", "Bolu Pandan")
    page.fill("#id_variants-0-price", "45000")
    # a file that is not a photo refuses the whole form, naming it
    not_a_photo = tmp_path / "struk.jpg"
    not_a_photo.write_bytes(b"%PDF-1.4 bukan foto")
    page.set_input_files("#id_photos", [str(photo_file(tmp_path, "bolu.jpg")), str(not_a_photo)])
    page.get_by_role("button", name="Simpan").click()
    expect(page.locator(".form-errors")).to_contain_text("Tidak ada yang disimpan")
    expect(page.locator(".form-errors")).to_contain_text("struk.jpg")
    expect(page.locator("#id_photos_error")).to_contain_text("Pilih fotonya lagi")
    expect(page.locator("#id_name")).to_have_value("Bolu Pandan")
    no_sideways_scroll(page)
    shot("product-photo-refused")
    with shop_scope(ika_shop):
        assert not Product.objects.exists()
    assert not list((tmp_path / "media").rglob("*.webp"))

    # the photo alone: saved with the product, on to its stock
    page.set_input_files("#id_photos", str(photo_file(tmp_path, "bolu-pandan.png", "PNG")))
    page.get_by_role("button", name="Simpan").click()
    expect(page.locator(".message")).to_contain_text("Bolu Pandan")
    with shop_scope(ika_shop):
        product = Product.objects.get()
        assert product.photos.count() == 1
    # and buyers see it in the online shop
    page.goto(f"{live_server.url}/s/{front.slug}/")
    photo = page.get_by_test_id("card-bolu-pandan").locator("img")
    expect(photo).to_be_visible()
    # polled from Python: wait_for_function polls with eval, which the strict CSP refuses
    for _ in range(150):
        if photo.evaluate("img => img.complete && img.naturalWidth > 0"):
            break
        page.wait_for_timeout(100)
    else:
        raise AssertionError("the product photo never loaded")
    shot("shop-with-photo")
    assert not console_errors, console_errors


# -- the pages that hand out links, before the public address is set -----------------------


def test_the_cards_and_links_pages_warn_before_printing_until_the_public_address_is_set(
    live_server, page, shot, ika, ika_shop, settings, console_errors
):
    settings.MERDEKA_PUBLIC_URL = ""
    open_storefront(ika_shop)
    batch = batch_create(
        shop=ika_shop, actor=ika, label="Paket Shopee", channel="shopee", count=4, voucher_code=""
    )
    sign_in(page, live_server, "ika", PASSWORD)
    page.goto(f"{live_server.url}{reverse('card_print', args=[batch.pk])}")
    warning = page.get_by_test_id("public-address-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("HP pembeli tidak bisa membukanya")
    expect(warning).to_contain_text(f"{live_server.url}/")
    assert "MERDEKA_PUBLIC_URL" not in page.locator("body").inner_text()
    # said before the print button, and not printed on the cards
    box, button = warning.bounding_box(), page.locator("[data-print]").bounding_box()
    assert box["y"] < button["y"]
    no_sideways_scroll(page)
    shot("cards-warning")
    page.emulate_media(media="print")
    expect(warning).to_be_hidden()
    page.emulate_media(media="screen")

    menu_go(page, "Toko online")
    expect(page.get_by_test_id("public-address-warning")).to_be_visible()

    # with the public address set, the cards carry it and nothing warns
    settings.MERDEKA_PUBLIC_URL = "https://toko.example.id"
    page.goto(f"{live_server.url}{reverse('card_print', args=[batch.pk])}")
    expect(page.get_by_test_id("signup-url")).to_have_text(
        re.compile(r"^https://toko\.example\.id/daftar/")
    )
    expect(page.get_by_test_id("public-address-warning")).to_have_count(0)
    assert not console_errors, console_errors

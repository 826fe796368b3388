"""Issue 4 end to end, on a phone: one seller finds her buyers by part of a name and by
number, keeps a filter as a segment, reaches that segment on WhatsApp (through the send
queue) and by email (a real SMTP server receives it, and only those who agreed get it),
prints parcel cards, and a new buyer signs up from one of them and is then found by
her number, with the consent she ticked."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Customer
from merdeka.customers.services import customer_create
from merdeka.customers.stats import customer_stats_refresh
from merdeka.e2e.tests.conftest import menu_go, no_sideways_scroll, sign_in
from merdeka.outreach.models import Delivery, DeliveryStatus
from merdeka.outreach.tests.conftest import smtp as inbox  # noqa: F401 - the fixture
from merdeka.privacy import consent

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WA_LINK = "WhatsApp dari HP saya (tautan wa.me)"


@pytest.fixture
def buyers(ika_shop):
    """Three buyers in Jawa Barat who agreed to different things, one in Bali who
    agreed to everything but is outside the segment the seller will build. Numbers
    are E.164, as the customer form hands them to the service."""
    people = {}
    for key, name, phone, email, city, province, agreed in (
        ("siti", "Siti Nurhaliza", "+6281234567801", "siti@example.id", "Kota Bandung",
         "Jawa Barat", ("whatsapp", "email")),
        ("dewi", "Dewi Sartika", "+6281299990000", "dewi@example.id", "Kota Bogor",
         "Jawa Barat", ("whatsapp",)),
        ("rahmat", "Rahmat Hidayat", "+6281322223333", "rahmat@example.id", "Kota Bekasi",
         "Jawa Barat", ()),
        ("budi", "Budi Santoso", "+6285711112222", "budi@example.id", "Kota Denpasar",
         "Bali", ("whatsapp", "email")),
    ):  # fmt: skip
        people[key] = customer_create(
            shop=ika_shop, name=name, phone=phone, email=email, city=city, province=province
        )
        for channel in agreed:
            consent.consent_record(
                shop=ika_shop,
                customer=people[key],
                channel=channel,
                granted=True,
                source="staff",
            )
    with shop_scope(ika_shop):
        customer_stats_refresh(shop=ika_shop)
    return people


def search(page, words):
    page.get_by_test_id("search").fill(words)
    page.get_by_role("button", name="Cari").click()


def open_segment_composer(page, segment_name):
    page.get_by_role("link", name="Pelanggan", exact=True).click()
    page.get_by_role("link", name="Segmen dan kelompok").click()
    page.locator(".segment-list li", has_text=segment_name).get_by_role("link").click()
    expect(page.locator("main h1")).to_have_text(segment_name)
    page.get_by_test_id("segment-message").click()
    expect(page.locator("main h1")).to_have_text("Kampanye baru")
    # the composer arrives with this segment chosen
    expect(page.get_by_role("radio", name="Segmen tersimpan", exact=True)).to_be_checked()
    expect(page.locator("#id_audience_segment option:checked")).to_have_text(segment_name)


def save_and_send(page, *, segment: str, total: int, will_get: int) -> None:
    """Save the draft, check whom the composer says it reaches, and send it."""
    page.get_by_test_id("save-campaign").click()
    expect(page.get_by_test_id("audience-segment")).to_have_text(segment)
    expect(page.get_by_test_id("audience-total")).to_have_text(str(total))
    expect(page.get_by_test_id("audience-will-get")).to_have_text(str(will_get))
    # the first tap only asks; the second sends
    page.get_by_test_id("send-campaign-open").click()
    expect(page.get_by_test_id("send-campaign-confirm")).to_be_visible()
    page.get_by_test_id("send-campaign-confirm").click()


def consent_shown(page, channel):
    return page.locator("#consent dt", has_text=channel).locator("xpath=following-sibling::dd[1]")


@pytest.mark.slow
def test_a_seller_finds_segments_reaches_and_signs_up_customers_on_a_phone(
    live_server,
    page,
    browser,
    browser_context_args,
    shot,
    ika_shop,
    buyers,
    inbox,  # noqa: F811
    console_errors,
):
    page.context.route("https://wa.me/**", lambda route: route.fulfill(body="WhatsApp"))
    sign_in(page, live_server, "ika", PASSWORD)

    # 1. find buyers: part of a name, then a number written the way the buyer sent it
    page.get_by_role("link", name="Pelanggan", exact=True).click()
    expect(page.get_by_test_id("count")).to_have_text("4 pelanggan")
    search(page, "nurha")
    expect(page.locator(".customer-row")).to_have_count(1)
    expect(page.locator(".customer-row")).to_contain_text("Siti Nurhaliza")
    assert "nurha" not in page.url.lower()  # the words travel sealed
    shot("name-search")
    search(page, "+62 812 9999 0000")
    expect(page.locator(".customer-row")).to_have_count(1)
    expect(page.locator(".customer-row")).to_contain_text("Dewi Sartika")

    # 2. filter by province, sort by name, keep it as a segment
    search(page, "")
    expect(page.get_by_test_id("count")).to_have_text("4 pelanggan")
    page.locator("details.filters summary").click()
    page.select_option("#id_province", "Jawa Barat")
    page.select_option("#id_sort", "name")
    page.get_by_test_id("apply-filters").click()
    expect(page.get_by_test_id("count")).to_have_text("3 pelanggan")
    expect(page.locator(".customer-row strong")).to_have_text(
        ["Dewi Sartika", "Rahmat Hidayat", "Siti Nurhaliza"]
    )
    page.fill("#id_segment_name", "Pembeli Jawa Barat")
    page.get_by_test_id("save-segment").click()
    expect(page.locator(".message")).to_contain_text("Segmen disimpan")
    expect(page.locator("main h1")).to_have_text("Pembeli Jawa Barat")
    expect(page.get_by_test_id("count")).to_have_text("3 pelanggan")
    shot("segment")
    page.get_by_role("link", name="Semua segmen").click()
    segment = page.locator(".segment-list li", has_text="Pembeli Jawa Barat")
    expect(segment.get_by_test_id("segment-count")).to_have_text("3")
    no_sideways_scroll(page)

    # 3. a wa.me campaign to that segment, sent from the queue
    open_segment_composer(page, "Pembeli Jawa Barat")
    page.fill("#id_name", "PO Nastar Lebaran")
    page.get_by_role("radio", name=WA_LINK, exact=True).check()
    expect(page.locator("#id_subject")).to_be_hidden()
    page.fill("#id_body", "Halo {nama_depan}, PO {produk_terakhir} dari {toko} dibuka!")
    page.select_option("#preview-customer", label="Siti Nurhaliza · Kota Bandung")
    preview = page.get_by_test_id("preview")
    expect(preview).to_contain_text("Halo Siti, PO produk kami dari Dapur Kue Bu Ika dibuka!")
    expect(preview).to_contain_text("wa.me/6281234567801")
    save_and_send(page, segment="Pembeli Jawa Barat", total=3, will_get=2)

    expect(page.locator("main h1")).to_have_text("Antrean kirim")
    expect(page.get_by_test_id("waiting")).to_have_text("2 menunggu")
    expect(page.get_by_test_id(f"queue-{buyers['rahmat'].pk}")).to_contain_text(
        "Dilewati: tidak ada persetujuan"
    )
    expect(page.get_by_test_id(f"queue-{buyers['budi'].pk}")).to_have_count(0)  # not in it
    siti_row = page.get_by_test_id(f"queue-{buyers['siti'].pk}")
    link = siti_row.get_by_test_id("wa-link")
    href = link.get_attribute("href")
    with shop_scope(ika_shop):
        siti_wa = Delivery.objects.get(customer=buyers["siti"])
    url = urlsplit(href)
    assert (url.scheme, url.netloc, url.path) == ("https", "wa.me", "/6281234567801")
    assert parse_qs(url.query)["text"] == [siti_wa.body]
    assert siti_wa.body.startswith("Halo Siti, PO produk kami dari Dapur Kue Bu Ika dibuka!")
    assert "https://toko.example.id/berhenti/" in siti_wa.body
    no_sideways_scroll(page)
    shot("wa-queue")
    with page.expect_popup() as opened:
        link.click()
    whatsapp = opened.value
    whatsapp.wait_for_url("https://wa.me/**")
    assert whatsapp.url == href
    whatsapp.close()
    expect(siti_row).to_contain_text("Terkirim")
    expect(page.get_by_test_id("waiting")).to_have_text("1 menunggu")
    with shop_scope(ika_shop):
        assert Delivery.objects.get(pk=siti_wa.pk).status == DeliveryStatus.SENT

    # 4. an email campaign to the same segment: only Siti agreed to email
    open_segment_composer(page, "Pembeli Jawa Barat")
    page.fill("#id_name", "Kabar kue Lebaran")
    page.get_by_role("radio", name="Email", exact=True).check()
    expect(page.locator("#id_subject")).to_be_visible()
    page.fill("#id_subject", "{nama_depan}, kue Lebaran sudah siap")
    page.fill("#id_body", "Halo {nama},\nPO kue Lebaran {toko} sudah dibuka.")
    save_and_send(page, segment="Pembeli Jawa Barat", total=3, will_get=1)
    expect(page.locator(".message")).to_contain_text("1 pesan siap, 2 pelanggan dilewati")
    expect(page.get_by_test_id("count-sent")).to_contain_text("1")
    for who in ("dewi", "rahmat"):
        expect(page.get_by_test_id(f"delivery-{buyers[who].pk}")).to_contain_text(
            "Dilewati: tidak ada persetujuan"
        )
    shot("email-log")
    # Dewi (WhatsApp only), Rahmat (nothing) and Budi (outside the segment) got no mail
    assert inbox.recipients() == ["siti@example.id"]
    [mail] = inbox.messages
    assert mail["To"] == "siti@example.id"
    assert mail["Subject"] == "Siti, kue Lebaran sudah siap"
    assert "/berhenti/" in str(mail["List-Unsubscribe"])
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Halo Siti Nurhaliza," in text
    assert "PO kue Lebaran Dapur Kue Bu Ika sudah dibuka." in text

    # 5. parcel-insert cards for the Shopee parcels
    menu_go(page, "Kartu paket")
    expect(page.locator("main h1")).to_have_text("Kartu paket")
    page.fill("#id_label", "Paket Shopee Desember")
    page.select_option("#id_channel", "shopee")
    page.fill("#id_count", "4")
    page.fill("#id_voucher_code", "KUEHEMAT10")
    page.get_by_role("button", name="Buat kartunya").click()
    expect(page.locator(".sheet")).to_have_count(1)
    expect(page.locator(".sheet .card")).to_have_count(4)
    expect(page.locator(".card svg.qr")).to_have_count(4)
    expect(page.locator(".card").first).to_contain_text("Dapur Kue Bu Ika")
    no_sideways_scroll(page)
    shot("cards")
    page.emulate_media(media="print")
    size = page.locator(".sheet").first.bounding_box()
    # an A4 sheet: 210 x 297 mm at 96 px per inch
    assert abs(size["width"] - 793.7) < 2 and abs(size["height"] - 1122.5) < 2
    page.emulate_media(media="screen")
    signup_url = page.get_by_test_id("signup-url").inner_text()
    # printed cards carry the public address (set by the smtp fixture); this test's
    # server stands in for it
    assert signup_url.startswith("https://toko.example.id/daftar/dapur-ika/")
    signup_url = live_server.url + urlsplit(signup_url).path

    # 6. a new buyer scans a card on her own phone and signs up for WhatsApp only
    buyer = browser.new_context(**browser_context_args)
    phone = buyer.new_page()
    buyer_errors: list[str] = []
    phone.on("console", lambda m: buyer_errors.append(m.text) if m.type == "error" else None)
    phone.goto(signup_url)
    expect(phone.locator("main h1")).to_have_text("Dapur Kue Bu Ika")
    expect(phone.locator("#id_consent_whatsapp")).not_to_be_checked()
    expect(phone.locator("#id_consent_email")).not_to_be_checked()
    phone.fill("#id_name", "Ayu Lestari")
    phone.fill("#id_phone", "0811 2233 4455")
    phone.fill("#id_email", "ayu@example.id")
    phone.check("#id_consent_whatsapp")
    no_sideways_scroll(phone)
    shot("signup", phone)
    phone.get_by_role("button", name="Daftar").click()
    expect(phone.get_by_test_id("voucher")).to_contain_text("KUEHEMAT10")
    buyer.close()
    assert not buyer_errors, buyer_errors

    menu_go(page, "Kartu paket")
    batch = page.locator("article.batch", has_text="Paket Shopee Desember")
    expect(batch.get_by_test_id("printed")).to_have_text("4")
    expect(batch.get_by_test_id("signups")).to_have_text("1")
    expect(batch.get_by_test_id("known")).to_have_text("0")

    # 7. the seller finds her by the start of her number, with the consent she ticked
    page.get_by_role("link", name="Pelanggan", exact=True).click()
    expect(page.get_by_test_id("count")).to_have_text("5 pelanggan")
    search(page, "0811-2233")
    expect(page.locator(".customer-row")).to_have_count(1)
    page.locator(".customer-row", has_text="Ayu Lestari").click()
    expect(page.locator("main h1")).to_have_text("Ayu Lestari")
    expect(consent_shown(page, "WhatsApp")).to_contain_text("Setuju")
    expect(consent_shown(page, "WhatsApp")).to_contain_text("Halaman pendaftaran")
    expect(consent_shown(page, "Email")).to_contain_text("Belum ditanya")
    expect(page.get_by_test_id("audit-history")).to_contain_text("Mendaftar dari kartu paket")
    no_sideways_scroll(page)
    shot("new-customer")
    with shop_scope(ika_shop):
        [ayu] = Customer.objects.exclude(pk__in=[c.pk for c in buyers.values()])
    assert (ayu.name, ayu.phone, ayu.email) == ("Ayu Lestari", "+6281122334455", "ayu@example.id")
    assert consent.consent_allows(shop=ika_shop, customer=ayu, channel="whatsapp")
    assert not consent.consent_allows(shop=ika_shop, customer=ayu, channel="email")
    assert not console_errors, console_errors

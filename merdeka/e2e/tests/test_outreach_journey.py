"""Reaching customers from a phone: a wa.me campaign through the send queue, and an
email campaign that a real SMTP server receives (only for those who agreed)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from merdeka.core.scoping import shop_scope
from merdeka.e2e.tests.conftest import sign_in
from merdeka.outreach.models import Delivery, DeliveryStatus
from merdeka.outreach.tests.conftest import make_customer
from merdeka.outreach.tests.conftest import smtp as inbox  # noqa: F401 - the fixture

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def customers(ika_shop):
    return {
        "siti": make_customer(
            ika_shop,
            "Siti Nurhaliza",
            phone="0812-1111-2222",
            email="siti@example.id",
            city="Bandung",
            consent=("whatsapp", "email"),
        ),
        "budi": make_customer(
            ika_shop, "Budi Santoso", phone="0813-3333-4444", email="budi@example.id"
        ),
        "dewi": make_customer(
            ika_shop, "Dewi Anggraini", phone="0857-5555-6666", consent=("whatsapp",)
        ),
    }


def compose(page, *, name, channel_label, body, subject=None):
    page.get_by_role("link", name="Kampanye", exact=True).click()
    expect(page.locator("main h1")).to_have_text("Kampanye")
    page.get_by_test_id("new-campaign").click()
    page.fill("#id_name", name)
    page.get_by_role("radio", name=channel_label, exact=True).check()
    if subject is not None:
        expect(page.locator("#id_subject")).to_be_visible()
        page.fill("#id_subject", subject)
    else:
        expect(page.locator("#id_subject")).to_be_hidden()
    page.fill("#id_body", body)


def test_a_seller_sends_a_walink_campaign_through_the_queue(
    live_server, page, shot, ika_shop, customers, console_errors, settings
):
    settings.MERDEKA_PUBLIC_URL = "https://toko.example.id"
    page.context.route("https://wa.me/**", lambda route: route.fulfill(body="WhatsApp"))
    sign_in(page, live_server, "ika", PASSWORD)
    compose(
        page,
        name="PO Nastar Lebaran",
        channel_label="WhatsApp dari HP saya (tautan wa.me)",
        body="Halo {nama_depan}, PO {produk_terakhir} dari {toko} dibuka!",
    )
    page.select_option("#preview-customer", label="Siti Nurhaliza · Bandung")
    preview = page.get_by_test_id("preview")
    expect(preview).to_contain_text("Halo Siti, PO produk kami dari Dapur Kue Bu Ika dibuka!")
    expect(preview).to_contain_text("wa.me/6281211112222")
    shot("composer-preview")
    page.get_by_test_id("save-campaign").click()

    expect(page.get_by_test_id("audience-total")).to_have_text("3")
    expect(page.get_by_test_id("audience-will-get")).to_have_text("2")
    shot("draft")
    page.get_by_test_id("send-campaign").click()

    expect(page.locator("main h1")).to_have_text("Antrean kirim")
    expect(page.get_by_test_id("waiting")).to_have_text("2 menunggu")
    siti_row = page.get_by_test_id(f"queue-{customers['siti'].pk}")
    link = siti_row.get_by_test_id("wa-link")
    href = link.get_attribute("href")
    with shop_scope(ika_shop):
        siti = Delivery.objects.get(customer=customers["siti"])
    url = urlsplit(href)
    assert (url.scheme, url.netloc, url.path) == ("https", "wa.me", "/6281211112222")
    assert parse_qs(url.query)["text"] == [siti.body]
    assert "https://toko.example.id/berhenti/" in siti.body
    expect(page.get_by_test_id(f"queue-{customers['budi'].pk}")).to_contain_text(
        "Dilewati: tidak ada persetujuan"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot("queue")

    with page.expect_popup() as opened:
        link.click()
    whatsapp = opened.value
    whatsapp.wait_for_url("https://wa.me/**")
    assert whatsapp.url == href
    whatsapp.close()
    expect(siti_row).to_contain_text("Terkirim")
    expect(page.get_by_test_id("waiting")).to_have_text("1 menunggu")
    shot("after-tap")
    with shop_scope(ika_shop):
        assert Delivery.objects.get(pk=siti.pk).status == DeliveryStatus.SENT
    assert not console_errors, console_errors


def test_a_seller_sends_an_email_campaign_only_to_those_who_agreed(
    live_server,
    page,
    shot,
    ika_shop,
    customers,
    inbox,  # noqa: F811
    console_errors,
):
    sign_in(page, live_server, "ika", PASSWORD)
    compose(
        page,
        name="Kabar kue Lebaran",
        channel_label="Email",
        subject="{nama_depan}, kue Lebaran sudah siap",
        body="Halo {nama},\nPO kue Lebaran {toko} sudah dibuka.",
    )
    page.get_by_test_id("save-campaign").click()
    expect(page.get_by_test_id("audience-will-get")).to_have_text("1")
    page.get_by_test_id("send-campaign").click()
    expect(page.locator(".message")).to_contain_text("1 pesan siap, 2 pelanggan dilewati")
    expect(page.get_by_test_id("count-sent")).to_contain_text("1")
    shot("email-log")

    assert inbox.recipients() == ["siti@example.id"]
    mail = inbox.messages[0]
    assert mail["Subject"] == "Siti, kue Lebaran sudah siap"
    assert "/berhenti/" in str(mail["List-Unsubscribe"])
    assert "Halo Siti Nurhaliza," in mail.get_content()
    assert not console_errors, console_errors

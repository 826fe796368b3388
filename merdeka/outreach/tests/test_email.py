"""Email campaigns through a real SMTP server (aiosmtpd) started by the test."""

from __future__ import annotations

import pytest

from merdeka.core.scoping import shop_scope
from merdeka.outreach.models import Delivery, DeliveryStatus
from merdeka.outreach.services.campaigns import campaign_save, campaign_send
from merdeka.outreach.services.common import OutreachError
from merdeka.outreach.services.sending import deliveries_send_due, service_message_send
from merdeka.outreach.services.unsubscribe import unsubscribe_url


def email_campaign(shop, **fields):
    return campaign_save(
        shop=shop,
        actor=None,
        fields={
            "name": "Kabar Lebaran",
            "channel": "email",
            "purpose": "marketing",
            "subject": "{nama_depan}, kue Lebaran sudah siap",
            "body": "Halo {nama},\n\nPO {produk_terakhir} dibuka di {toko}.",
            "audience_kind": "all",
            **fields,
        },
    )


def log(shop, campaign):
    with shop_scope(shop):
        return {
            d.customer.name: d
            for d in Delivery.objects.filter(campaign=campaign).select_related("customer")
        }


def test_only_customers_who_agreed_to_email_get_marketing(
    ika_shop, people, smtp, django_capture_on_commit_callbacks
):
    campaign = email_campaign(ika_shop)
    with django_capture_on_commit_callbacks(execute=True):
        campaign_send(shop=ika_shop, campaign=campaign)
    assert smtp.recipients() == ["siti@example.id"]
    mail = smtp.messages[0]
    assert mail["Subject"] == "Siti, kue Lebaran sudah siap"
    assert mail["From"].addresses[0].display_name == "Dapur Kue Bu Ika"
    assert mail["From"].addresses[0].addr_spec == "toko@merdeka.example"
    delivery = log(ika_shop, campaign)["Siti Nurhaliza"]
    link = unsubscribe_url(delivery)
    assert link.startswith("https://toko.example.id/berhenti/")
    assert str(mail["List-Unsubscribe"]).strip() == f"<{link}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = mail.get_content()
    assert "Halo Siti Nurhaliza," in text and link in text
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.provider_message_id and delivery.provider_message_id in mail["Message-ID"]
    statuses = {name: d.status for name, d in log(ika_shop, campaign).items()}
    assert statuses["Budi Santoso"] == DeliveryStatus.SKIPPED_NO_CONSENT
    assert (
        statuses["Dewi Anggraini"] == DeliveryStatus.SKIPPED_NO_CONSENT
    )  # agreed to WhatsApp only
    assert statuses["Eka Putri"] == DeliveryStatus.SKIPPED_NO_CONTACT


def test_a_service_email_reaches_a_customer_without_opt_in(
    ika_shop, people, smtp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        delivery = service_message_send(
            shop=ika_shop,
            customer=people["budi"],
            channel="email",
            subject="Pesanan {nama_depan} dikirim",
            body="Pesanan Anda sudah dikirim.",
        )
    assert smtp.recipients() == ["budi@example.id"]
    assert smtp.messages[0]["List-Unsubscribe"] is None
    with shop_scope(ika_shop):
        assert Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.SENT


def test_a_refused_address_fails_and_others_still_go(
    ika_shop, people, smtp, django_capture_on_commit_callbacks
):
    from merdeka.outreach.tests.conftest import make_customer

    make_customer(ika_shop, "Rani", email="rani@example.id", consent=("email",))
    smtp.refuse.add("siti@example.id")
    campaign = email_campaign(ika_shop)
    with django_capture_on_commit_callbacks(execute=True):
        campaign_send(shop=ika_shop, campaign=campaign)
    assert smtp.recipients() == ["rani@example.id"]
    siti = log(ika_shop, campaign)["Siti Nurhaliza"]
    assert siti.status == DeliveryStatus.FAILED and siti.error_code == "smtp_550"


def test_an_unreachable_mail_server_is_retried_later(
    ika_shop, people, smtp, settings, clock, django_capture_on_commit_callbacks
):
    from merdeka.outreach.tests.conftest import free_port

    real = dict(settings.MERDEKA_SMTP)
    settings.MERDEKA_SMTP = {**real, "port": free_port()}  # nobody listens there
    campaign = email_campaign(ika_shop)
    with django_capture_on_commit_callbacks(execute=True):
        campaign_send(shop=ika_shop, campaign=campaign)
    siti = log(ika_shop, campaign)["Siti Nurhaliza"]
    assert siti.status == DeliveryStatus.QUEUED and siti.error_code == "smtp_unreachable"
    settings.MERDEKA_SMTP = real
    clock.advance(minutes=1)
    deliveries_send_due()
    assert smtp.recipients() == ["siti@example.id"]
    assert log(ika_shop, campaign)["Siti Nurhaliza"].status == DeliveryStatus.SENT


def test_email_cannot_be_sent_without_a_mail_server(ika_shop, people, settings):
    settings.MERDEKA_SMTP = {**settings.MERDEKA_SMTP, "host": ""}
    with pytest.raises(OutreachError):
        campaign_send(shop=ika_shop, campaign=email_campaign(ika_shop))

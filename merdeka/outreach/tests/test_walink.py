"""wa.me campaigns: the queue, consent at the tap, skipped customers with reasons."""

from __future__ import annotations

from datetime import UTC
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from merdeka.core.scoping import shop_scope
from merdeka.outreach import selectors
from merdeka.outreach.models import Campaign, Delivery, DeliveryStatus
from merdeka.outreach.services.campaigns import campaign_save, campaign_send
from merdeka.outreach.services.common import OutreachError
from merdeka.outreach.services.sending import delivery_send
from merdeka.outreach.services.unsubscribe import unsubscribe_url
from merdeka.privacy.consent import consent_record
from merdeka.privacy.models import ConsentEvent


def walink_campaign(shop, **fields):
    return campaign_save(
        shop=shop,
        actor=None,
        fields={
            "name": "PO Nastar Lebaran",
            "channel": "walink",
            "purpose": "marketing",
            "body": "Halo {nama_depan}, PO {produk_terakhir} dibuka lagi di {toko}!",
            "audience_kind": "all",
            **fields,
        },
    )


def statuses(shop, campaign):
    with shop_scope(shop):
        return {
            d.customer.name: d.status
            for d in Delivery.objects.filter(campaign=campaign).select_related("customer")
        }


def test_marketing_goes_only_to_customers_who_agreed_on_whatsapp(ika_shop, people):
    campaign = walink_campaign(ika_shop)
    counts = campaign_send(shop=ika_shop, campaign=campaign)
    assert counts == {"queued": 2, "skipped": 2}
    assert statuses(ika_shop, campaign) == {
        "Siti Nurhaliza": DeliveryStatus.QUEUED,
        "Dewi Anggraini": DeliveryStatus.QUEUED,
        "Budi Santoso": DeliveryStatus.SKIPPED_NO_CONSENT,
        "Eka Putri": DeliveryStatus.SKIPPED_NO_CONTACT,
    }


def test_an_order_service_campaign_needs_no_opt_in_but_a_number(ika_shop, people):
    campaign = walink_campaign(ika_shop, purpose="service", body="Pesanan {nama} siap diambil")
    campaign_send(shop=ika_shop, campaign=campaign)
    result = statuses(ika_shop, campaign)
    assert result["Budi Santoso"] == DeliveryStatus.QUEUED
    assert result["Eka Putri"] == DeliveryStatus.SKIPPED_NO_CONTACT
    with shop_scope(ika_shop):
        body = Delivery.objects.get(campaign=campaign, customer=people["budi"]).body
    assert body == "Pesanan Budi Santoso siap diambil"  # no unsubscribe footer on service


def test_the_stored_message_is_encrypted_and_carries_a_way_out(ika_shop, people, settings):
    settings.MERDEKA_PUBLIC_URL = "https://toko.example.id"
    campaign = walink_campaign(ika_shop)
    campaign_send(shop=ika_shop, campaign=campaign)
    with shop_scope(ika_shop):
        delivery = Delivery.objects.get(campaign=campaign, customer=people["siti"])
        raw = Delivery.objects.filter(pk=delivery.pk).values_list("body", flat=True).get().token
    assert "Siti" not in raw and "Nastar" not in raw
    assert delivery.body.startswith("Halo Siti, PO produk kami dibuka lagi di Dapur Kue Bu Ika!")
    assert unsubscribe_url(delivery) in delivery.body
    assert unsubscribe_url(delivery).startswith("https://toko.example.id/berhenti/")


def test_the_last_product_comes_from_the_latest_order(ika_shop, people):
    from datetime import datetime

    from merdeka.orders.models import Order, OrderLine

    with shop_scope(ika_shop):
        for day, product in ((1, "Kastengel"), (20, "Putri Salju"), (5, "Nastar")):
            order = Order.objects.create(
                shop=ika_shop,
                channel="shopee",
                external_id=f"SP{day}",
                customer=people["siti"],
                ordered_at=datetime(2026, 3, day, tzinfo=UTC),
            )
            OrderLine.objects.create(
                shop=ika_shop, order=order, name=product, quantity=1, unit_price=1, total=1
            )
    campaign = walink_campaign(ika_shop)
    campaign_send(shop=ika_shop, campaign=campaign)
    with shop_scope(ika_shop):
        body = Delivery.objects.get(campaign=campaign, customer=people["siti"]).body
    assert "PO Putri Salju dibuka" in body


def test_the_queue_links_open_whatsapp_with_the_number_and_text(ika_client, ika_shop, people):
    campaign = walink_campaign(ika_shop)
    campaign_send(shop=ika_shop, campaign=campaign)
    page = ika_client.get(reverse("outreach_queue", args=[campaign.pk])).content.decode()
    with shop_scope(ika_shop):
        siti = Delivery.objects.get(campaign=campaign, customer=people["siti"])
    link = next(
        part.split('"')[0]
        for part in page.split('href="')
        if part.startswith("https://wa.me/6281211112222")
    )
    url = urlsplit(link.replace("&amp;", "&"))
    assert url.path == "/6281211112222"
    assert parse_qs(url.query)["text"] == [siti.body]
    assert "Budi Santoso" in page  # skipped, with the reason shown
    assert page.count("https://wa.me/") == 2


def test_a_tap_marks_the_customer_sent(ika_client, ika_shop, people):
    campaign = walink_campaign(ika_shop)
    campaign_send(shop=ika_shop, campaign=campaign)
    with shop_scope(ika_shop):
        siti = Delivery.objects.get(campaign=campaign, customer=people["siti"])
    url = reverse("outreach_queue_mark", args=[campaign.pk, siti.pk])
    answer = ika_client.post(url, HTTP_X_MERDEKA_QUEUE="1").json()
    assert answer["ok"] is True
    assert answer["url"].startswith("https://wa.me/6281211112222?text=Halo%20Siti")
    with shop_scope(ika_shop):
        siti.refresh_from_db()
    assert siti.status == DeliveryStatus.SENT and siti.sent_at is not None
    # a second tap changes nothing
    assert ika_client.post(url, HTTP_X_MERDEKA_QUEUE="1").json()["ok"] is True
    with shop_scope(ika_shop):
        assert Delivery.objects.get(pk=siti.pk).attempts == 1


def test_without_javascript_the_button_marks_and_returns_to_the_queue(ika_client, ika_shop, people):
    campaign = walink_campaign(ika_shop)
    campaign_send(shop=ika_shop, campaign=campaign)
    with shop_scope(ika_shop):
        dewi = Delivery.objects.get(campaign=campaign, customer=people["dewi"])
    response = ika_client.post(reverse("outreach_queue_mark", args=[campaign.pk, dewi.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("outreach_queue", args=[campaign.pk])
    with shop_scope(ika_shop):
        assert Delivery.objects.get(pk=dewi.pk).status == DeliveryStatus.SENT


def test_consent_withdrawn_after_queueing_wins_at_the_tap(ika_client, ika_shop, people):
    campaign = walink_campaign(ika_shop)
    campaign_send(shop=ika_shop, campaign=campaign)
    consent_record(
        shop=ika_shop, customer=people["siti"], channel="whatsapp", granted=False, source="staff"
    )
    with shop_scope(ika_shop):
        siti = Delivery.objects.get(campaign=campaign, customer=people["siti"])
    answer = ika_client.post(
        reverse("outreach_queue_mark", args=[campaign.pk, siti.pk]), HTTP_X_MERDEKA_QUEUE="1"
    ).json()
    assert answer == {"ok": False, "url": "", "row": answer["row"]}
    assert "wa.me" not in answer["row"]
    with shop_scope(ika_shop):
        assert Delivery.objects.get(pk=siti.pk).status == DeliveryStatus.OPTED_OUT


def test_the_campaign_finishes_when_every_tap_is_done(ika_client, ika_shop, people):
    campaign = walink_campaign(ika_shop)
    campaign_send(shop=ika_shop, campaign=campaign)
    with shop_scope(ika_shop):
        queued = list(Delivery.objects.filter(campaign=campaign, status="queued"))
    for delivery in queued:
        ika_client.post(reverse("outreach_queue_mark", args=[campaign.pk, delivery.pk]))
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DONE
    counts = {
        s: n for s, _label, n in selectors.campaign_status_counts(shop=ika_shop, campaign=campaign)
    }
    assert counts == {"sent": 2, "no_consent": 1, "no_contact": 1}


def test_a_campaign_is_sent_once(ika_shop, people):
    campaign = walink_campaign(ika_shop)
    campaign_send(shop=ika_shop, campaign=campaign)
    with pytest.raises(OutreachError):
        campaign_send(shop=ika_shop, campaign=campaign)
    with shop_scope(ika_shop):
        assert Delivery.objects.filter(campaign=campaign).count() == 4


def test_audiences_by_city_and_by_chosen_customers(ika_shop, people):
    city = walink_campaign(ika_shop, audience_kind="city", audience_city="bandung")
    assert set(selectors.campaign_audience(shop=ika_shop, campaign=city)) == {
        people["siti"],
        people["budi"],
        people["eka"],
    }
    chosen = walink_campaign(
        ika_shop, audience_kind="chosen", audience_ids=[people["dewi"].pk, people["budi"].pk]
    )
    assert set(selectors.campaign_audience(shop=ika_shop, campaign=chosen)) == {
        people["dewi"],
        people["budi"],
    }
    summary = selectors.audience_summary(shop=ika_shop, campaign=city)
    assert summary == {
        "total": 3,
        "reachable": 2,
        "will_get": 1,  # Siti
        "not_asked": 1,  # Budi never said yes or no
        "askable": 1,  # ... and has a number to ask him on
        "no_contact": 1,  # Eka agreed but has no number
        "opted_out": 0,
        "restricted": 0,
    }


def test_no_marketing_without_consent_over_many_campaigns(ika_shop, people):
    """Fails closed, every time: nobody without a WhatsApp opt-in gets anything."""
    for n in range(25):
        campaign = walink_campaign(ika_shop, name=f"c{n}")
        campaign_send(shop=ika_shop, campaign=campaign)
    with shop_scope(ika_shop):
        for delivery in Delivery.objects.filter(status="queued"):
            delivery_send(shop=ika_shop, delivery_id=delivery.pk)
        sent_to = set(Delivery.objects.filter(status="sent").values_list("customer_id", flat=True))
        assert ConsentEvent.objects.filter(granted=False).count() == 0
    assert sent_to == {people["siti"].pk, people["dewi"].pk}


def test_the_queue_hides_the_link_once_consent_is_withdrawn(ika_client, ika_shop, people):
    campaign = walink_campaign(ika_shop)
    campaign_send(shop=ika_shop, campaign=campaign)
    consent_record(
        shop=ika_shop, customer=people["dewi"], channel="whatsapp", granted=False, source="staff"
    )
    page = ika_client.get(reverse("outreach_queue", args=[campaign.pk])).content.decode()
    assert "wa.me/6285755556666" not in page  # no link, even without JavaScript
    assert "wa.me/6281211112222" in page
    assert "tidak lagi setuju" in page


def test_a_sent_row_can_be_opened_again_without_counting_twice(ika_client, ika_shop, people):
    campaign = walink_campaign(ika_shop)
    campaign_send(shop=ika_shop, campaign=campaign)
    with shop_scope(ika_shop):
        siti = Delivery.objects.get(campaign=campaign, customer=people["siti"])
    ika_client.post(reverse("outreach_queue_mark", args=[campaign.pk, siti.pk]))
    page = ika_client.get(reverse("outreach_queue", args=[campaign.pk])).content.decode()
    assert 'class="again-link"' in page and "wa.me/6281211112222" in page
    assert page.count("data-mark-url") == 1  # only Dewi's link still marks

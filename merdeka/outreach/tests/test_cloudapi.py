"""The real Cloud API adapter against a local server that speaks Meta's documented API."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from merdeka.core.scoping import shop_scope
from merdeka.outreach.models import Campaign, Delivery, DeliveryStatus, ServiceWindow
from merdeka.outreach.services.campaigns import campaign_save, campaign_send
from merdeka.outreach.services.cloudapi import template_save, whatsapp_settings_save
from merdeka.outreach.services.sending import (
    BACKOFF_CAP,
    MAX_ATTEMPTS,
    backoff,
    deliveries_send_due,
    service_message_send,
)
from merdeka.privacy.consent import consent_allows, consent_state


@pytest.fixture
def promo_template(ika_shop):
    return template_save(
        shop=ika_shop,
        actor=None,
        name="promo_po",
        language="id",
        category="MARKETING",
        body="Halo {{1}}, PO {{2}} dibuka! Balas BERHENTI untuk berhenti.",
    )


def cloud_campaign(shop, template=None, **fields):
    return campaign_save(
        shop=shop,
        actor=None,
        fields={
            "name": "PO via API",
            "channel": "cloudapi",
            "purpose": "marketing",
            "body": "" if template else "Halo {nama_depan}, stok {produk_terakhir} ada lagi",
            "template": template,
            "template_params": ["{nama_depan}", "{produk_terakhir}"] if template else [],
            "audience_kind": "all",
            **fields,
        },
    )


def deliveries(shop, campaign):
    with shop_scope(shop):
        return {
            d.customer.name: d
            for d in Delivery.objects.filter(campaign=campaign).select_related("customer")
        }


def open_window(shop, customer, at):
    with shop_scope(shop):
        ServiceWindow.objects.update_or_create(
            shop=shop, customer=customer, defaults={"last_inbound_at": at}
        )


def test_a_template_campaign_sends_documented_payloads_to_consenting_customers(
    ika_shop, people, cloud, graph, promo_template, django_capture_on_commit_callbacks
):
    campaign = cloud_campaign(ika_shop, template=promo_template)
    with django_capture_on_commit_callbacks(execute=True):
        campaign_send(shop=ika_shop, campaign=campaign)
    assert sorted(p["to"] for p in graph.sent) == ["6281211112222", "6285755556666"]
    siti = next(p for p in graph.sent if p["to"] == "6281211112222")
    assert siti == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "6281211112222",
        "type": "template",
        "template": {
            "name": "promo_po",
            "language": {"code": "id"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Siti"},
                        {"type": "text", "text": "produk kami"},
                    ],
                }
            ],
        },
    }
    assert graph.requests[0]["headers"]["Authorization"] == f"Bearer {graph.token}"
    log = deliveries(ika_shop, campaign)
    assert log["Siti Nurhaliza"].status == DeliveryStatus.SENT
    assert log["Siti Nurhaliza"].provider_message_id.startswith("wamid.")
    assert log["Budi Santoso"].status == DeliveryStatus.SKIPPED_NO_CONSENT
    assert log["Siti Nurhaliza"].body.startswith("Halo Siti, PO ")
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DONE


def test_free_text_only_inside_the_24_hour_window(
    ika_shop, people, cloud, graph, clock, django_capture_on_commit_callbacks
):
    open_window(ika_shop, people["siti"], clock.now - timedelta(hours=2))
    open_window(ika_shop, people["dewi"], clock.now - timedelta(hours=25))
    campaign = cloud_campaign(ika_shop)
    with django_capture_on_commit_callbacks(execute=True):
        campaign_send(shop=ika_shop, campaign=campaign)
    assert [p["to"] for p in graph.sent] == ["6281211112222"]
    assert graph.sent[0]["type"] == "text"
    assert graph.sent[0]["text"]["body"].startswith("Halo Siti, stok")
    assert "BERHENTI" in graph.sent[0]["text"]["body"]  # the way out, by reply and by link
    log = deliveries(ika_shop, campaign)
    assert log["Dewi Anggraini"].status == DeliveryStatus.SKIPPED_WINDOW


def test_retryable_errors_back_off_exponentially_then_succeed(
    ika_shop, people, cloud, graph, clock, promo_template, django_capture_on_commit_callbacks
):
    graph.fail_next(130429)  # throughput rate limit
    graph.fail_next(131000)  # something went wrong (HTTP 500)
    campaign = cloud_campaign(
        ika_shop, template=promo_template, audience_kind="chosen", audience_ids=[people["siti"].pk]
    )
    with django_capture_on_commit_callbacks(execute=True):
        campaign_send(shop=ika_shop, campaign=campaign)
    siti = deliveries(ika_shop, campaign)["Siti Nurhaliza"]
    assert siti.status == DeliveryStatus.QUEUED
    assert siti.attempts == 1 and siti.error_code == "wa_130429"
    assert siti.next_attempt_at == clock.now + backoff(1)

    # not due yet: nothing is tried
    clock.advance(seconds=29)
    assert deliveries_send_due() == 0
    clock.advance(seconds=1)
    assert deliveries_send_due() == 1
    siti = deliveries(ika_shop, campaign)["Siti Nurhaliza"]
    assert siti.attempts == 2 and siti.error_code == "wa_131000"
    assert siti.next_attempt_at == clock.now + backoff(2)
    assert backoff(2) == 2 * backoff(1)

    clock.advance(minutes=1)
    assert deliveries_send_due() == 1
    siti = deliveries(ika_shop, campaign)["Siti Nurhaliza"]
    assert siti.status == DeliveryStatus.SENT and siti.attempts == 3 and siti.error_code == ""
    assert len(graph.requests) == 3


def test_it_gives_up_after_the_last_attempt(
    ika_shop, people, cloud, graph, clock, promo_template, django_capture_on_commit_callbacks
):
    graph.fail_next(131000, times=MAX_ATTEMPTS)
    campaign = cloud_campaign(
        ika_shop, template=promo_template, audience_kind="chosen", audience_ids=[people["siti"].pk]
    )
    with django_capture_on_commit_callbacks(execute=True):
        campaign_send(shop=ika_shop, campaign=campaign)
    for _ in range(MAX_ATTEMPTS - 1):
        clock.advance(hours=2)
        deliveries_send_due()
    siti = deliveries(ika_shop, campaign)["Siti Nurhaliza"]
    assert siti.status == DeliveryStatus.FAILED and siti.attempts == MAX_ATTEMPTS
    assert backoff(20) == BACKOFF_CAP


@pytest.mark.parametrize(
    ("code", "status", "fragment"),
    [
        (131026, DeliveryStatus.FAILED, "could not deliver"),
        (131047, DeliveryStatus.FAILED, "24 hours"),
        (132001, DeliveryStatus.FAILED, "template"),
    ],
)
def test_permanent_errors_fail_the_message_without_retrying(
    code,
    status,
    fragment,
    ika_shop,
    people,
    cloud,
    graph,
    promo_template,
    django_capture_on_commit_callbacks,
):
    graph.fail_next(code)
    campaign = cloud_campaign(
        ika_shop, template=promo_template, audience_kind="chosen", audience_ids=[people["siti"].pk]
    )
    with django_capture_on_commit_callbacks(execute=True):
        campaign_send(shop=ika_shop, campaign=campaign)
    siti = deliveries(ika_shop, campaign)["Siti Nurhaliza"]
    assert siti.status == status and siti.error_code == f"wa_{code}"
    assert siti.next_attempt_at is None and siti.failed_at is not None
    assert len(graph.requests) == 1


def test_a_person_who_stopped_marketing_in_whatsapp_is_opted_out(
    ika_shop, people, cloud, graph, promo_template, django_capture_on_commit_callbacks
):
    graph.fail_next(131050)
    campaign = cloud_campaign(
        ika_shop, template=promo_template, audience_kind="chosen", audience_ids=[people["siti"].pk]
    )
    with django_capture_on_commit_callbacks(execute=True):
        campaign_send(shop=ika_shop, campaign=campaign)
    assert deliveries(ika_shop, campaign)["Siti Nurhaliza"].status == DeliveryStatus.OPTED_OUT
    assert not consent_allows(shop=ika_shop, customer=people["siti"], channel="whatsapp")
    assert consent_state(shop=ika_shop, customer=people["siti"])["whatsapp"].source == "reply_stop"


def test_an_expired_token_pauses_the_shop_until_a_new_one_is_saved(
    ika_shop, people, cloud, graph, promo_template, django_capture_on_commit_callbacks
):
    graph.token = "a-new-token"  # Meta now refuses the saved one (code 190)
    campaign = cloud_campaign(ika_shop, template=promo_template)
    with django_capture_on_commit_callbacks(execute=True):
        campaign_send(shop=ika_shop, campaign=campaign)
    log = deliveries(ika_shop, campaign)
    assert log["Siti Nurhaliza"].status == DeliveryStatus.QUEUED
    assert log["Dewi Anggraini"].status == DeliveryStatus.QUEUED
    assert log["Siti Nurhaliza"].attempts == 0
    assert len(graph.requests) == 1  # the second waited instead of hammering
    cloud.refresh_from_db()
    assert cloud.token_invalid_at is not None

    with django_capture_on_commit_callbacks(execute=True):
        whatsapp_settings_save(
            shop=ika_shop,
            actor=None,
            fields={
                "phone_number_id": cloud.phone_number_id,
                "business_account_id": "",
                "base_url": cloud.base_url,
                "rate_per_minute": 60,
                "access_token": "a-new-token",
                "app_secret": "",
            },
        )
    log = deliveries(ika_shop, campaign)
    assert {
        d.status for d in log.values() if d.customer.name in ("Siti Nurhaliza", "Dewi Anggraini")
    } == {DeliveryStatus.SENT}
    cloud.refresh_from_db()
    assert cloud.app_secret == "app-secret-123"  # an empty field keeps the saved secret


def test_the_shops_rate_limit_spreads_sends_over_minutes(
    ika_shop, cloud, graph, clock, promo_template, django_capture_on_commit_callbacks
):
    from merdeka.outreach.tests.conftest import make_customer

    cloud.rate_per_minute = 2
    with shop_scope(ika_shop):
        cloud.save()
    for n in range(5):
        make_customer(ika_shop, f"Pembeli {n}", phone=f"0812000000{n:02d}", consent=("whatsapp",))
    campaign = cloud_campaign(ika_shop, template=promo_template)
    with django_capture_on_commit_callbacks(execute=True):
        campaign_send(shop=ika_shop, campaign=campaign)
    assert len(graph.sent) == 2
    clock.advance(seconds=30)
    assert deliveries_send_due() == 0  # not before the minute is over
    clock.advance(seconds=31)
    deliveries_send_due()
    assert len(graph.sent) == 4
    clock.advance(minutes=1, seconds=1)
    deliveries_send_due()
    assert len(graph.sent) == 5
    assert {d.status for d in deliveries(ika_shop, campaign).values()} == {DeliveryStatus.SENT}


def test_consent_withdrawn_before_a_retry_stops_the_retry(
    ika_shop, people, cloud, graph, clock, promo_template, django_capture_on_commit_callbacks
):
    from merdeka.privacy.consent import consent_record

    graph.fail_next(130429)
    campaign = cloud_campaign(
        ika_shop, template=promo_template, audience_kind="chosen", audience_ids=[people["siti"].pk]
    )
    with django_capture_on_commit_callbacks(execute=True):
        campaign_send(shop=ika_shop, campaign=campaign)
    consent_record(
        shop=ika_shop, customer=people["siti"], channel="whatsapp", granted=False, source="staff"
    )
    clock.advance(minutes=5)
    deliveries_send_due()
    assert deliveries(ika_shop, campaign)["Siti Nurhaliza"].status == DeliveryStatus.OPTED_OUT
    assert len(graph.requests) == 1


def test_an_order_service_message_outside_the_window_uses_a_utility_template(
    ika_shop, people, cloud, graph, django_capture_on_commit_callbacks
):
    shipped = template_save(
        shop=ika_shop,
        actor=None,
        name="pesanan_dikirim",
        language="id",
        category="UTILITY",
        body="Pesanan {{1}} sudah dikirim, resi {{2}}.",
    )
    with django_capture_on_commit_callbacks(execute=True):
        delivery = service_message_send(
            shop=ika_shop,
            customer=people["budi"],
            body="",
            template=shipped,
            template_params=["SP-123", "JNE0042"],
        )
    assert graph.sent[0]["template"]["components"][0]["parameters"] == [
        {"type": "text", "text": "SP-123"},
        {"type": "text", "text": "JNE0042"},
    ]
    with shop_scope(ika_shop):
        delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.purpose == "service"
    assert json.loads(delivery.params) == ["SP-123", "JNE0042"]


def test_a_message_left_sending_by_a_dead_worker_is_tried_again(
    ika_shop, people, cloud, graph, clock, promo_template
):
    from django.core.management import call_command

    campaign = cloud_campaign(
        ika_shop, template=promo_template, audience_kind="chosen", audience_ids=[people["siti"].pk]
    )
    campaign_send(shop=ika_shop, campaign=campaign)  # no on-commit: nothing sent
    siti = deliveries(ika_shop, campaign)["Siti Nurhaliza"]
    with shop_scope(ika_shop):
        Delivery.objects.filter(pk=siti.pk).update(
            status=DeliveryStatus.SENDING, attempts=1, last_attempt_at=clock.now
        )
    clock.advance(minutes=5)
    assert deliveries_send_due() == 0
    clock.advance(minutes=11)
    call_command("outreach", "due")
    siti = deliveries(ika_shop, campaign)["Siti Nurhaliza"]
    assert siti.status == DeliveryStatus.SENT and siti.attempts == 2
    assert len(graph.sent) == 1


def meta_template(name, body, *, category="MARKETING", status="APPROVED", buttons=()):
    components = [{"type": "BODY", "text": body}]
    if buttons:
        components.append(
            {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": b} for b in buttons]}
        )
    return {
        "name": name,
        "language": "id",
        "status": status,
        "category": category,
        "components": components,
        "id": f"9{len(name)}",
    }


def test_approved_templates_are_fetched_from_meta_across_pages(ika_client, ika_shop, cloud, graph):
    from django.urls import reverse

    from merdeka.outreach.models import WhatsAppTemplate

    cloud.business_account_id = graph.business_account_id
    with shop_scope(ika_shop):
        cloud.save()
    graph.templates = [
        meta_template("promo_po", "Halo {{1}}, PO dibuka. Balas BERHENTI untuk berhenti."),
        meta_template("promo_tombol", "Halo {{1}}, diskon!", buttons=["Stop promotions"]),
        meta_template("promo_tanpa_jalan_keluar", "Halo {{1}}, beli sekarang!"),
        meta_template("pesanan_dikirim", "Pesanan {{1}} dikirim.", category="UTILITY"),
        meta_template("kode_masuk", "Kode {{1}}", category="AUTHENTICATION"),
        meta_template("masih_ditinjau", "Halo {{1}} STOP", status="PENDING"),
    ]
    response = ika_client.post(reverse("outreach_templates_sync"))
    assert response.status_code == 302
    with shop_scope(ika_shop):
        names = set(WhatsAppTemplate.objects.values_list("name", flat=True))
    assert names == {"promo_po", "promo_tombol", "pesanan_dikirim"}
    gets = [r for r in graph.requests if "message_templates" in r["path"]]
    assert len(gets) == 3  # five approved ones, two per page
    page = ika_client.get(reverse("outreach_templates")).content.decode()
    assert "3 template yang disetujui disimpan, 2 tidak diambil." in page


def test_fetching_templates_needs_the_account_id_and_a_valid_token(
    ika_client, ika_shop, cloud, graph
):
    from django.urls import reverse

    page = ika_client.post(reverse("outreach_templates_sync"), follow=True).content.decode()
    assert "ID akun WhatsApp Business" in page
    cloud.business_account_id = graph.business_account_id
    with shop_scope(ika_shop):
        cloud.save()
    graph.token = "another"
    page = ika_client.post(reverse("outreach_templates_sync"), follow=True).content.decode()
    assert "Token akses sudah kedaluwarsa" in page

"""Meta's webhook: verification, signatures, statuses, the 24-hour window, STOP."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.urls import reverse

from merdeka.core.scoping import shop_scope
from merdeka.outreach.models import Delivery, DeliveryStatus, ServiceWindow
from merdeka.outreach.services.cloudapi import whatsapp_settings_save
from merdeka.outreach.services.sending import window_open
from merdeka.outreach.tests.conftest import make_customer, sign, webhook_body
from merdeka.privacy.consent import consent_allows, consent_state
from merdeka.privacy.models import ConsentEvent


def url(account):
    return reverse("outreach_webhook", args=[account.webhook_key])


def post(client, account, body: bytes, signature: str | None = None):
    headers = {"HTTP_X_HUB_SIGNATURE_256": signature if signature is not None else sign(body)}
    return client.post(url(account), data=body, content_type="application/json", **headers)


def sent_delivery(shop, customer, provider_id="wamid.ABC1"):
    with shop_scope(shop):
        return Delivery.objects.create(
            shop=shop,
            customer=customer,
            channel="cloudapi",
            purpose="marketing",
            status=DeliveryStatus.SENT,
            provider_message_id=provider_id,
            body="Halo",
        )


def inbound(sender: str, text: str, *, at=None, kind="text"):
    message = {
        "from": sender,
        "id": "wamid.IN1",
        "timestamp": str(int(at or time.time())),
        "type": kind,
    }
    if kind == "text":
        message["text"] = {"body": text}
    elif kind == "button":
        message["button"] = {"text": text, "payload": "stop"}
    return message


def test_meta_verifies_the_callback_with_the_verify_token(client, cloud):
    answer = client.get(
        url(cloud),
        {
            "hub.mode": "subscribe",
            "hub.verify_token": cloud.verify_token,
            "hub.challenge": "1158201444",
        },
    )
    assert answer.status_code == 200 and answer.content == b"1158201444"
    wrong = client.get(
        url(cloud), {"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"}
    )
    assert wrong.status_code == 403


def test_an_unknown_webhook_key_is_404(client, cloud):
    assert client.get(reverse("outreach_webhook", args=["tidak-ada"])).status_code == 404


def test_statuses_update_the_delivery_log_in_order(client, ika_shop, cloud, people):
    delivery = sent_delivery(ika_shop, people["siti"])
    for status in ("delivered", "read", "delivered", "sent"):
        body = webhook_body(
            cloud.phone_number_id,
            statuses=[
                {
                    "id": "wamid.ABC1",
                    "status": status,
                    "timestamp": "1767225600",
                    "recipient_id": "6281211112222",
                }
            ],
        )
        assert post(client, cloud, body).status_code == 200
    with shop_scope(ika_shop):
        delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.READ  # a late "delivered" does not go back
    assert delivery.delivered_at is not None and delivery.read_at is not None


def test_a_failed_status_records_the_reason(client, ika_shop, cloud, people):
    delivery = sent_delivery(ika_shop, people["siti"])
    body = webhook_body(
        cloud.phone_number_id,
        statuses=[
            {
                "id": "wamid.ABC1",
                "status": "failed",
                "timestamp": "1767225600",
                "errors": [{"code": 131026, "title": "Message undeliverable"}],
            }
        ],
    )
    post(client, cloud, body)
    with shop_scope(ika_shop):
        delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.error_code == "wa_131026"


@pytest.mark.parametrize("signature", ["", "sha256=00", "sha1=abc", None])
def test_a_bad_signature_is_refused_and_nothing_is_recorded(
    client, ika_shop, cloud, people, signature
):
    delivery = sent_delivery(ika_shop, people["siti"])
    body = webhook_body(
        cloud.phone_number_id,
        statuses=[{"id": "wamid.ABC1", "status": "read", "timestamp": "1767225600"}],
        messages=[inbound("6281211112222", "STOP")],
    )
    headers = {} if signature is None else {"HTTP_X_HUB_SIGNATURE_256": signature}
    answer = client.post(url(cloud), data=body, content_type="application/json", **headers)
    assert answer.status_code == 403
    with shop_scope(ika_shop):
        delivery.refresh_from_db()
        assert not ServiceWindow.objects.exists()
        assert not ConsentEvent.objects.filter(granted=False).exists()
    assert delivery.status == DeliveryStatus.SENT
    # signed with another secret: refused too
    assert post(client, cloud, body, sign(body, "someone-elses-secret")).status_code == 403


@pytest.mark.parametrize("word", ["STOP", "  berhenti ", "Berhenti", "stop\n", "Hentikan promosi"])
def test_replying_stop_withdraws_whatsapp_marketing_at_once(client, ika_shop, cloud, people, word):
    siti = people["siti"]
    assert consent_allows(shop=ika_shop, customer=siti, channel="whatsapp")
    post(
        client,
        cloud,
        webhook_body(cloud.phone_number_id, messages=[inbound("6281211112222", word)]),
    )
    assert not consent_allows(shop=ika_shop, customer=siti, channel="whatsapp")
    assert consent_state(shop=ika_shop, customer=siti)["whatsapp"].source == "reply_stop"
    assert consent_allows(shop=ika_shop, customer=siti, channel="email")  # email untouched


def test_a_stop_button_reply_counts_too_but_a_sentence_with_stop_does_not(
    client, ika_shop, cloud, people
):
    post(
        client,
        cloud,
        webhook_body(
            cloud.phone_number_id, messages=[inbound("6281211112222", "Jangan stop kirim ya kak")]
        ),
    )
    assert consent_allows(shop=ika_shop, customer=people["siti"], channel="whatsapp")
    post(
        client,
        cloud,
        webhook_body(
            cloud.phone_number_id, messages=[inbound("6281211112222", "Stop", kind="button")]
        ),
    )
    assert not consent_allows(shop=ika_shop, customer=people["siti"], channel="whatsapp")


def test_an_inbound_message_opens_the_24_hour_window(client, ika_shop, cloud, people, clock):
    siti = people["siti"]
    written = clock.now - timedelta(minutes=3)
    post(
        client,
        cloud,
        webhook_body(
            cloud.phone_number_id,
            messages=[inbound("6281211112222", "Kak, nastar masih ada?", at=written.timestamp())],
        ),
    )
    assert window_open(shop=ika_shop, customer=siti)
    clock.advance(hours=24)
    assert not window_open(shop=ika_shop, customer=siti)


def test_the_sender_is_found_by_the_blind_index_not_plaintext(client, ika_shop, cloud, people):
    # a number that is nobody's changes nothing and is not an error for Meta
    body = webhook_body(cloud.phone_number_id, messages=[inbound("6289999999999", "STOP")])
    assert post(client, cloud, body).status_code == 200
    with shop_scope(ika_shop):
        assert not ConsentEvent.objects.filter(granted=False).exists()


def test_a_webhook_of_one_shop_cannot_touch_another_shops_messages(
    client, ika_shop, citra_shop, cloud, people
):
    # Citra has her own account and a customer with Siti's number
    citra_account = whatsapp_settings_save(
        shop=citra_shop,
        actor=None,
        fields={
            "phone_number_id": "999000111",
            "business_account_id": "",
            "base_url": cloud.base_url,
            "rate_per_minute": 60,
            "access_token": "citra-token",
            "app_secret": "citra-secret",
        },
    )
    citra_siti = make_customer(
        citra_shop, "Siti di Citra", phone="0812-1111-2222", consent=("whatsapp",)
    )
    ika_delivery = sent_delivery(ika_shop, people["siti"], provider_id="wamid.IKA")
    # Citra's webhook, signed with Citra's secret, naming Ika's message id and phone number id
    for phone_number_id in (citra_account.phone_number_id, cloud.phone_number_id):
        body = webhook_body(
            phone_number_id,
            statuses=[{"id": "wamid.IKA", "status": "read", "timestamp": "1767225600"}],
            messages=[inbound("6281211112222", "BERHENTI")],
        )
        answer = client.post(
            reverse("outreach_webhook", args=[citra_account.webhook_key]),
            data=body,
            content_type="application/json",
            HTTP_X_HUB_SIGNATURE_256=sign(body, "citra-secret"),
        )
        assert answer.status_code == 200
    with shop_scope(ika_shop):
        ika_delivery.refresh_from_db()
    assert ika_delivery.status == DeliveryStatus.SENT
    assert consent_allows(shop=ika_shop, customer=people["siti"], channel="whatsapp")
    assert not consent_allows(shop=citra_shop, customer=citra_siti, channel="whatsapp")


def test_malformed_json_with_a_good_signature_is_a_400(client, cloud):
    body = b"{not json"
    assert post(client, cloud, body).status_code == 400
    assert post(client, cloud, b'{"entry": "nope"}').status_code == 200
    assert post(client, cloud, b"[1, 2]").status_code == 200

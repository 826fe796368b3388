"""A customer who replied STOP on WhatsApp gets no payment reminder there, through the
seller's page or the worker; one who only declined promotions still gets it (a service
message about her own transaction). docs/decisions/stop-and-service-messages.md"""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

from merdeka.books.chart import accounts_by_key
from merdeka.books.models import DebtReminder
from merdeka.books.tests.test_debts import piutang, unpaid_delivered_order
from merdeka.core import schedule
from merdeka.core.scoping import shop_scope
from merdeka.customers.resolution import customer_merge
from merdeka.customers.services import customer_create
from merdeka.outreach.models import Delivery, DeliveryStatus
from merdeka.outreach.tests.conftest import sign, webhook_body
from merdeka.outreach.tests.test_webhook import inbound
from merdeka.privacy.consent import channel_stops, consent_allows, consent_record
from merdeka.privacy.models import ConsentEvent

STOPPED = "membalas STOP di WhatsApp"


@pytest.fixture
def acc(ika_shop):
    return accounts_by_key(shop=ika_shop, keys=["cash", "sales", "receivable"])


@pytest.fixture
def sari(ika_shop):
    return customer_create(
        shop=ika_shop, name="Sari Dewi Lestari", phone="0812-7777-8888", email="sari@example.id"
    )


def reply(client, cloud, text: str, sender: str = "6281277778888", kind: str = "text"):
    """Sari writes to the shop's WhatsApp number: Meta calls the webhook."""
    body = webhook_body(cloud.phone_number_id, messages=[inbound(sender, text, kind=kind)])
    answer = client.post(
        reverse("outreach_webhook", args=[cloud.webhook_key]),
        data=body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=sign(body),
    )
    assert answer.status_code == 200


def messages_and_reminders(shop) -> tuple[int, int]:
    with shop_scope(shop):
        return Delivery.objects.count(), DebtReminder.objects.count()


def test_after_her_stop_the_page_offers_no_whatsapp_and_refuses_a_posted_one(
    client, ika_client, ika_shop, sari, acc, cloud, smtp, caplog
):
    debt = piutang(ika_shop, sari, acc)
    reply(client, cloud, "BERHENTI")
    assert messages_and_reminders(ika_shop) == (0, 0)

    page = ika_client.get(reverse("debt_detail", args=[debt.pk])).content.decode()
    assert STOPPED in page and "ingatkan dia dengan cara lain" in page.lower()
    assert 'value="walink"' not in page and 'value="cloudapi"' not in page
    assert 'value="email"' in page  # she has an email address: that way stays open

    listing = ika_client.get(reverse("debt_receivables")).content.decode()
    assert "Tidak bisa diingatkan lewat WhatsApp: dia membalas STOP" in listing

    for channel in ("walink", "cloudapi"):  # a form opened before her STOP
        with caplog.at_level(logging.WARNING, logger="merdeka.books.debt_reminders"):
            answer = ika_client.post(
                reverse("debt_remind", args=[debt.pk]), {"channel": channel}, follow=True
            )
        assert STOPPED in answer.content.decode() and "Pengingat tidak dikirim" in (
            answer.content.decode()
        )
    assert messages_and_reminders(ika_shop) == (0, 0)
    assert any("she replied STOP" in r.getMessage() for r in caplog.records)


def test_an_unpaid_orders_reminder_is_refused_the_same_way(
    client, ika_client, ika_shop, ika, sari, cloud
):
    order = unpaid_delivered_order(ika_shop, ika)
    reply(client, cloud, "stop")
    before = messages_and_reminders(ika_shop)  # the order's own news to her
    page = ika_client.get(reverse("order_debt", args=[order.pk])).content.decode()
    assert STOPPED in page and 'value="walink"' not in page
    answer = ika_client.post(reverse("order_debt", args=[order.pk]), {"channel": "walink"})
    assert answer.status_code == 302 and not answer["Location"].startswith("https://wa.me/")
    assert messages_and_reminders(ika_shop) == before


def test_a_reminder_queued_before_her_stop_is_held_back_by_the_worker(
    client, ika_client, ika_shop, sari, acc, cloud, graph, django_capture_on_commit_callbacks
):
    debt = piutang(ika_shop, sari, acc)
    reply(client, cloud, "Kak, nanti saya transfer ya")  # opens the 24-hour window
    with django_capture_on_commit_callbacks(execute=False) as queued:
        answer = ika_client.post(reverse("debt_remind", args=[debt.pk]), {"channel": "cloudapi"})
    assert answer.status_code == 302
    reply(client, cloud, "BERHENTI")  # before the worker comes to it
    for callback in queued:  # the worker's task runs now
        callback()

    with shop_scope(ika_shop):
        delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.OPTED_OUT
    assert graph.sent == []  # nothing reached Meta
    page = ika_client.get(reverse("debt_detail", args=[debt.pk])).content.decode()
    assert "tidak terkirim: dia membalas STOP" in page


def test_a_reminder_waiting_for_its_retry_is_held_back_by_the_scheduler_after_her_stop(
    client, ika_client, ika_shop, sari, acc, cloud, graph, clock, django_capture_on_commit_callbacks
):
    debt = piutang(ika_shop, sari, acc)
    reply(client, cloud, "Kak, nanti saya transfer ya")
    graph.fail_next(130429)  # Meta's rate limit: the reminder waits for a retry
    with django_capture_on_commit_callbacks(execute=True):
        ika_client.post(reverse("debt_remind", args=[debt.pk]), {"channel": "cloudapi"})
    with shop_scope(ika_shop):
        waiting = Delivery.objects.get()
    assert waiting.status == DeliveryStatus.QUEUED and waiting.next_attempt_at
    reply(client, cloud, "BERHENTI")

    clock.advance(minutes=5)
    schedule.tick(now=clock.now)  # what `merdeka scheduler` runs every minute
    with shop_scope(ika_shop):
        assert Delivery.objects.get().status == DeliveryStatus.OPTED_OUT
    assert graph.sent == []  # the one try was refused by Meta, none got through


def test_who_only_declined_promotions_still_gets_the_reminder(
    client, ika_client, ika_shop, ika, sari, acc, cloud
):
    debt = piutang(ika_shop, sari, acc)
    reply(client, cloud, "Hentikan promosi", kind="button")  # Meta's quick reply
    consent_record(shop=ika_shop, customer=sari, channel="email", granted=False, source="staff")
    assert not consent_allows(shop=ika_shop, customer=sari, channel="whatsapp")  # promotions

    page = ika_client.get(reverse("debt_detail", args=[debt.pk])).content.decode()
    assert STOPPED not in page and 'value="walink"' in page
    answer = ika_client.post(reverse("debt_remind", args=[debt.pk]), {"channel": "walink"})
    assert answer["Location"].startswith("https://wa.me/6281277778888")
    with shop_scope(ika_shop):
        assert Delivery.objects.get().status == DeliveryStatus.SENT


def test_a_stop_holds_for_the_merged_customer_until_she_opts_in_again(ika_shop, sari):
    twin = customer_create(shop=ika_shop, name="Sari D.", phone="0812-5555-6666")
    consent_record(
        shop=ika_shop,
        customer=twin,
        channel="whatsapp",
        granted=False,
        source="reply_stop",
        evidence={"stops": "channel"},
    )
    with shop_scope(ika_shop):
        customer_merge(shop=ika_shop, survivor=sari, absorbed=twin, reason="phone")
    assert not consent_allows(shop=ika_shop, customer=sari, channel="whatsapp", purpose="service")
    assert consent_allows(shop=ika_shop, customer=sari, channel="email", purpose="service")
    # a later "no" to promotions does not lift the stop; her sign-up does
    consent_record(shop=ika_shop, customer=sari, channel="whatsapp", granted=False, source="staff")
    assert set(channel_stops(shop=ika_shop, customer_ids=[sari.pk])[sari.pk]) == {"whatsapp"}
    consent_record(shop=ika_shop, customer=sari, channel="whatsapp", granted=True, source="signup")
    assert consent_allows(shop=ika_shop, customer=sari, channel="whatsapp", purpose="service")


def test_a_stop_recorded_without_saying_which_counts_as_a_full_stop(ika_shop, sari):
    """Before the word was kept a STOP cannot be told from "stop promotions": fail closed.
    Meta's "stopped marketing messages" was always about promotions."""
    consent_record(
        shop=ika_shop,
        customer=sari,
        channel="whatsapp",
        granted=False,
        source="reply_stop",
        evidence={"provider_error": "131050", "delivery": 1},
    )
    assert consent_allows(shop=ika_shop, customer=sari, channel="whatsapp", purpose="service")
    consent_record(
        shop=ika_shop,
        customer=sari,
        channel="whatsapp",
        granted=False,
        source="reply_stop",
        evidence={"message_id": "wamid.OLD"},
    )
    assert not consent_allows(shop=ika_shop, customer=sari, channel="whatsapp", purpose="service")
    with shop_scope(ika_shop):
        assert ConsentEvent.objects.filter(customer=sari).count() == 2

"""The seller hears of a buyer's new order: an email to the owners through the outbox
(a real SMTP server, aiosmtpd), and the tiny JSON the browser's notifications poll."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from merdeka.core import events
from merdeka.core.models import EventOutbox, Role
from merdeka.core.services import staff_add
from merdeka.orders.manual import ManualLine, manual_order_create
from merdeka.orders.services import Buyer, LineRequest, order_place
from merdeka.storefront.tests.test_checkout import add, checkout_post

SITI = Buyer(name="Siti Nurhaliza", phone="0812-2222-3333", street="Jl. Melati 7")


@pytest.fixture
def owners(ika, ika_shop, rina):
    """Ika (owner) and a second owner have addresses; Rina (staff) has one too."""
    ika.email = "ika@example.id"
    ika.save(update_fields=["email"])
    rina.email = "rina@example.id"
    rina.save(update_fields=["email"])
    staff_add(
        shop=ika_shop,
        actor=ika,
        username="dodi",
        role=Role.OWNER,
        email="dodi@example.id",
    )
    return ika_shop


def order_mails(smtp):
    """The new-order mails (the stock running low is told in mails of its own)."""
    return [m for m in smtp.messages if "pesanan baru" in m["Subject"].lower()]


def place(shop, variant, key, quantity=1):
    order, _ = order_place(
        shop=shop,
        lines=[LineRequest(variant.pk, quantity)],
        buyer=SITI,
        idempotency_key=key,
        delivery_method="pickup",
        payment_method="qris",
        shipping_fee=Decimal(0),
    )
    return order


def test_the_subscriber_is_registered_on_order_placed_through_the_outbox():
    [found] = [
        s for s in events.subscribers_of("order.placed") if s.name == "orders.new_order_mail"
    ]
    assert found.delivery == events.OUTBOX


def test_a_storefront_order_mails_the_owners_after_checkout(
    client, owners, storefront, lapis, smtp, django_capture_on_commit_callbacks
):
    _product, variant = lapis
    add(client, storefront, variant, 2)
    with django_capture_on_commit_callbacks(execute=True):
        response = checkout_post(client, storefront, delivery="pickup")
    assert response.status_code == 302
    [mail] = order_mails(smtp)
    to = sorted(a.addr_spec for a in mail["To"].addresses)
    assert to == ["dodi@example.id", "ika@example.id"]  # the owners, not staff
    number = re.search(r"TK-[A-Z0-9]{8}", mail["Subject"]).group(0)
    assert mail["Subject"] == f"Pesanan baru #{number} (Rp170.000)"
    assert mail["From"].addresses[0].display_name == "Merdeka · Dapur Kue Bu Ika"
    text = mail.get_content()
    assert f"#{number} · Rp170.000" in text and "2 x Kue Lapis Legit" in text
    assert "https://toko.example.id/pesanan/" in text
    # the buyer is named on the order page, behind sign-in, not in a mail
    assert "Siti" not in text and "0812" not in text and "2222" not in text
    assert not EventOutbox.unscoped.filter(subscriber="orders.new_order_mail").exists()


def test_many_orders_in_one_delivery_come_as_one_mail(owners, lapis, smtp):
    _product, variant = lapis
    for key in ("a", "b", "c"):
        place(owners, variant, f"batch-{key}")
    assert events.outbox_drain() >= 3
    [mail] = order_mails(smtp)
    assert mail["Subject"] == "3 pesanan baru (Rp255.000)"
    assert mail.get_content().count("1 x Kue Lapis Legit") == 3


def test_orders_the_seller_typed_in_are_not_news_to_her(owners, lapis, smtp, ika):
    _product, variant = lapis
    manual_order_create(
        shop=owners,
        actor=ika,
        buyer=SITI,
        lines=[ManualLine(quantity=1, variant_id=variant.pk)],
        idempotency_key="manual-1",
        delivery_method="pickup",
        payment_method="transfer",
    )
    events.outbox_drain()
    assert order_mails(smtp) == []


def test_a_mail_server_that_fails_is_tried_again_later(owners, lapis, smtp, settings):
    _product, variant = lapis
    place(owners, variant, "retry")
    working = dict(settings.MERDEKA_SMTP)
    settings.MERDEKA_SMTP = {**working, "port": 1, "timeout": 2}  # nobody listens there
    events.outbox_drain()
    row = EventOutbox.unscoped.get(subscriber="orders.new_order_mail")
    assert row.attempts == 1 and order_mails(smtp) == []
    settings.MERDEKA_SMTP = working
    assert events.outbox_drain(now=row.not_before) >= 1
    assert len(order_mails(smtp)) == 1
    assert not EventOutbox.unscoped.filter(subscriber="orders.new_order_mail").exists()


def test_without_a_mail_server_nothing_is_sent_and_nothing_waits(owners, lapis, settings):
    settings.MERDEKA_SMTP = {**settings.MERDEKA_SMTP, "host": "", "from": ""}
    _product, variant = lapis
    place(owners, variant, "no-server")
    events.outbox_drain()
    assert not EventOutbox.unscoped.filter(subscriber="orders.new_order_mail").exists()


def test_the_browser_polls_for_orders_since_the_last_one_it_saw(
    ika_client, ika, ika_shop, lapis, citra_shop
):
    _product, variant = lapis
    first = place(ika_shop, variant, "poll-1")
    start = ika_client.get(reverse("order_news"))
    assert start["Cache-Control"] == "no-store, private"
    assert start.json() == {"latest": first.pk, "orders": []}
    second = place(ika_shop, variant, "poll-2")
    manual_order_create(
        shop=ika_shop,
        actor=ika,
        buyer=SITI,
        lines=[ManualLine(quantity=1, variant_id=variant.pk)],
        idempotency_key="poll-manual",
        delivery_method="pickup",
        payment_method="transfer",
    )
    news = ika_client.get(reverse("order_news"), {"since": first.pk}).json()
    assert news == {
        "latest": second.pk,
        "orders": [
            {
                "id": second.pk,
                "number": second.external_id,
                "total": "Rp85.000",
                "url": reverse("order_detail", args=[second.pk]),
            }
        ],
    }
    assert "Siti" not in str(news)
    assert ika_client.get(reverse("order_news"), {"since": "x"}).json()["orders"] == []


def test_the_pages_carry_the_notification_script_and_its_endpoint(ika_client, ika_shop):
    for name in ("home", "order_list"):
        page = ika_client.get(reverse(name)).content.decode()
        assert 'data-testid="order-notify"' in page
        assert f'data-url="{reverse("order_news")}"' in page
        assert re.search(r'<script src="/static/orders/notify(\.[0-9a-f]+)?\.js" defer>', page)
        assert "<script>" not in page  # nothing inline: the CSP allows none


def test_another_shops_orders_are_not_in_the_news(client, citra, citra_shop, ika_shop, lapis):
    _product, variant = lapis
    place(ika_shop, variant, "secret")
    client.force_login(citra)
    assert client.get(reverse("order_news"), {"since": 0}).json() == {"latest": 0, "orders": []}

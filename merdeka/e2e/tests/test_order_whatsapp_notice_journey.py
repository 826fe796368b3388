"""A buyer without email is told on WhatsApp from the seller's own phone: on the order
page she taps "Kabari pembeli di WhatsApp" and WhatsApp opens with the message. The
page's strict policy must let that form's answer lead to wa.me (browsers hold a form's
redirect to the page's form-action), which only a real browser shows."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from merdeka.core.scoping import shop_scope
from merdeka.e2e.tests.conftest import sign_in
from merdeka.orders import lifecycle
from merdeka.orders.models import OrderEvent
from merdeka.orders.services import Buyer, LineRequest, order_place
from merdeka.outreach.models import Delivery, DeliveryStatus
from merdeka.storefront.tests.conftest import make_product

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_seller_tells_the_buyer_on_whatsapp_from_the_order_page(
    live_server, page, shot, ika_shop, console_errors
):
    _product, [variant, *_] = make_product(ika_shop)
    order, _ = order_place(
        shop=ika_shop,
        lines=[LineRequest(variant.pk, 1)],
        buyer=Buyer(name="Budi Santoso", phone="0813-3333-4444", street="Jl. Kenanga 1"),
        idempotency_key="wa-e2e",
        delivery_method="courier",
        payment_method="transfer",
        shipping_fee=Decimal(0),
    )
    lifecycle.order_payment_record(shop=ika_shop, order_id=order.pk, method="transfer")
    opened = []
    page.context.route(
        "https://wa.me/**",
        lambda route: (opened.append(route.request.url), route.fulfill(body="WhatsApp")),
    )
    sign_in(page, live_server, "ika", PASSWORD)
    page.goto(f"{live_server.url}/pesanan/{order.pk}/")
    shot("order-notify")
    page.get_by_test_id("notify-whatsapp").click()
    page.wait_for_url("https://wa.me/**")
    url = urlsplit(opened[0])
    assert (url.netloc, url.path) == ("wa.me", "/6281333334444")
    assert order.external_id in parse_qs(url.query)["text"][0]
    with shop_scope(ika_shop):
        event = OrderEvent.objects.get(order=order, kind="payment")
        assert Delivery.objects.get(pk=event.delivery_id).status == DeliveryStatus.SENT
    expect(page.locator("body")).to_contain_text("WhatsApp")
    assert not console_errors, console_errors

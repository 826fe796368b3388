"""The seller's phone tells her of a buyer's new order (a browser notification where she
allowed them), and the labels of the orders she ticks print from the order list."""

from __future__ import annotations

import re
import time
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from merdeka.e2e.tests.conftest import no_sideways_scroll, sign_in
from merdeka.orders.services import Buyer, LineRequest, order_place
from merdeka.storefront.tests.conftest import make_product

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# the page's notifications, recorded instead of shown (a headless browser shows none)
RECORD_NOTIFICATIONS = """
window.__notes = [];
window.Notification = class {
  constructor(title, options) { window.__notes.push({ title: title, body: options.body }); }
  static get permission() { return "granted"; }
  static requestPermission() { return Promise.resolve("granted"); }
};
"""


def place(shop, variant, key):
    order, _ = order_place(
        shop=shop,
        lines=[LineRequest(variant.pk, 1)],
        buyer=Buyer(name="Siti Nurhaliza", phone="0812-2222-3333", street="Jl. Melati 7"),
        idempotency_key=key,
        delivery_method="courier",
        payment_method="qris",
        shipping_fee=Decimal(15000),
    )
    return order


def wait_until(page, expression: str, seconds: float = 15) -> None:
    """Poll ``expression`` from Python: Playwright's wait_for_function polls with eval,
    which the app's strict CSP (no 'unsafe-eval') refuses once it has to poll."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {seconds} s: {expression}"
        page.wait_for_timeout(100)


def test_a_new_order_shows_as_a_notification_and_its_label_prints(
    live_server, page, shot, ika_shop, console_errors
):
    _product, [variant] = make_product(ika_shop, name="Kue Lapis Legit", stock=9)
    first = place(ika_shop, variant, "first")
    page.add_init_script(RECORD_NOTIFICATIONS)
    sign_in(page, live_server, "ika", PASSWORD)
    page.goto(f"{live_server.url}/pesanan/")
    # allowed already: no button to ask, and the first visit only learns where it is
    expect(page.get_by_test_id("order-notify")).to_be_hidden()
    wait_until(page, "window.localStorage.length > 0")
    assert page.evaluate("window.__notes") == []

    second = place(ika_shop, variant, "second")
    page.reload()
    wait_until(page, "window.__notes.length > 0")
    notes = page.evaluate("window.__notes")
    assert notes == [{"title": "Pesanan baru", "body": f"#{second.external_id} · Rp100.000"}]

    # tick both orders and print their labels on a thermal roll
    page.get_by_test_id(f"pick-{first.external_id}").check()
    page.get_by_test_id(f"pick-{second.external_id}").check()
    no_sideways_scroll(page)
    shot("order-list-ticked")
    page.select_option("select[name=size]", "58")
    page.get_by_test_id("print-labels").click()
    expect(page.get_by_test_id(f"label-{first.external_id}")).to_contain_text("Siti Nurhaliza")
    expect(page.get_by_test_id(f"label-{second.external_id}")).to_contain_text("Jl. Melati 7")
    expect(page.get_by_test_id("label-sizes").locator("strong")).to_have_text("58 mm")
    assert re.search(r"labels-58(\.[0-9a-f]+)?\.css", page.content())
    no_sideways_scroll(page)
    shot("labels-58mm")
    assert not console_errors, console_errors


def test_a_seller_who_was_not_asked_yet_is_offered_the_notifications(
    live_server, page, ika_shop, console_errors
):
    sign_in(page, live_server, "ika", PASSWORD)
    page.goto(f"{live_server.url}/")
    offer = page.get_by_test_id("order-notify")
    expect(offer).to_be_visible()
    expect(offer.get_by_role("button")).to_have_text("Nyalakan notifikasi")
    no_sideways_scroll(page)
    assert not console_errors, console_errors

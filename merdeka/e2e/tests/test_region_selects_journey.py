"""The province -> city -> district -> village selects of the checkout, of joining a
group buy and of the seller's manual order follow a choice made before the page's
htmx script arrived (a slow phone), and one the browser restored (a back navigation)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from conftest import PASSWORD
from merdeka.e2e.tests.conftest import BANDUNG, choose_region, open_storefront, sign_in
from merdeka.groupbuy import services as groupbuy
from merdeka.groupbuy.tiers import Tier
from merdeka.storefront.tests.conftest import make_product

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PROVINCE, CITY, DISTRICT, _VILLAGE = BANDUNG
HTMX = re.compile(r"htmx[^/]*\.js")


def hold_htmx(page) -> list:
    """From now on the htmx script waits until ``release``: the phone is slow."""
    held: list = []
    page.route(HTMX, lambda route: held.append(route))
    return held


def release(held: list) -> None:
    assert held, "the page loads htmx"
    for route in held:
        route.continue_()


def choose_province_before_htmx(page, held: list) -> None:
    """She picks the province while htmx is held back; once it arrives, the province's
    cities are there without choosing again, her province is kept, and the lists go on
    working (the city brings its districts)."""
    expect(page.locator("#id_province")).to_be_visible()
    page.select_option("#id_province", PROVINCE)
    expect(page.locator("#id_city option")).to_have_count(1)  # nothing ran yet
    release(held)
    expect(page.locator(f"#id_city option[value='{CITY}']")).to_be_attached()
    expect(page.locator("#id_province")).to_have_value(PROVINCE)
    page.select_option("#id_city", CITY)
    expect(page.locator(f"#id_district option[value='{DISTRICT}']")).to_be_attached()
    expect(page.locator("#id_city")).to_have_value(CITY)


def to_checkout(page, live_server, shop):
    front = open_storefront(shop, courier_enabled=True, courier_flat_fee=Decimal(25000))
    make_product(shop, name="Kue Lapis Legit", stock=5, prices=(Decimal(85000),))
    page.goto(f"{live_server.url}/s/{front.slug}/p/kue-lapis-legit/")
    page.locator("form.add-to-cart button[type=submit]").click()
    return front


def test_the_checkout_cities_follow_a_province_chosen_before_htmx(
    live_server, page, ika_shop, console_errors
):
    to_checkout(page, live_server, ika_shop)
    held = hold_htmx(page)
    page.get_by_role("button", name=re.compile("Pesan sekarang")).click()
    page.locator("input[name=delivery][value=courier]").check()
    choose_province_before_htmx(page, held)
    expect(page.get_by_test_id("shipping-fee")).to_have_text("Rp25.000")  # the totals too
    assert not console_errors, console_errors


def test_the_checkout_cities_follow_a_province_the_browser_restored(
    live_server, page, ika_shop, console_errors
):
    """Back to the checkout from another page: the browser puts her province back
    without a change event; the cities must still come, and her province stay."""
    front = to_checkout(page, live_server, ika_shop)
    page.get_by_role("button", name=re.compile("Pesan sekarang")).click()
    checkout = page.url
    choose_region(page, PROVINCE, CITY)
    expect(page.locator(f"#id_district option[value='{DISTRICT}']")).to_be_attached()
    page.wait_for_load_state("networkidle")  # leaving mid-request would abort it (an error)
    page.goto(f"{live_server.url}/s/{front.slug}/")
    page.go_back()
    assert page.url == checkout
    expect(page.locator("#id_province")).to_have_value(PROVINCE)
    expect(page.locator(f"#id_city option[value='{CITY}']")).to_be_attached()
    expect(page.locator("#id_province")).to_have_value(PROVINCE)
    assert not console_errors, console_errors


def test_joining_a_group_buy_the_cities_follow_a_province_chosen_before_htmx(
    live_server, page, ika_shop, ika, console_errors
):
    front = open_storefront(ika_shop, courier_enabled=True)
    _product, [variant] = make_product(ika_shop, name="Kue Lapis Legit", stock=50)
    offer = groupbuy.offer_save(
        shop=ika_shop,
        actor=ika,
        variant=variant,
        tiers=[Tier(1, Decimal(50000)), Tier(10, Decimal(45000))],
        max_days=7,
    )
    group, _ = groupbuy.group_open(shop=ika_shop, offer=offer, days=3, key="k", actor=ika)
    url = reverse("groupbuy_public", kwargs={"slug": front.slug, "token": group.share_token})
    held = hold_htmx(page)
    page.goto(f"{live_server.url}{url}", wait_until="commit")
    expect(page.get_by_test_id("join-form")).to_be_visible()
    choose_province_before_htmx(page, held)
    assert not console_errors, console_errors


def test_a_manual_order_s_cities_follow_a_province_chosen_before_htmx(
    live_server, page, ika_shop, console_errors
):
    sign_in(page, live_server, "ika", PASSWORD)
    page.wait_for_load_state()
    held = hold_htmx(page)
    page.goto(f"{live_server.url}{reverse('order_manual_new')}", wait_until="commit")
    expect(page.get_by_test_id("manual-order-form")).to_be_visible()
    choose_province_before_htmx(page, held)
    assert not console_errors, console_errors

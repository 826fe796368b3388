"""The checkout shows the shipping fee and the total to pay before the order is sent:
computed on the server for the delivery and city chosen, the same way the order is."""

from __future__ import annotations

import re
from decimal import Decimal

from django.urls import reverse

from merdeka.core.scoping import shop_scope
from merdeka.orders.models import Order
from merdeka.storefront.models import ShippingRate, StorefrontSettings
from merdeka.storefront.tests.test_checkout import ADDRESS, add, checkout_post


def totals(html: str) -> dict[str, str]:
    """The checkout's totals table as text: subtotal, shipping-fee, grand-total."""
    found = {}
    for key in ("checkout-subtotal", "shipping-fee", "grand-total"):
        match = re.search(rf'data-testid="{key}">(.*?)</td>', html, re.S)
        found[key] = re.sub(r"<[^>]+>", "", match.group(1)).strip() if match else None
    return found


def totals_of(client, storefront, **params):
    response = client.get(reverse("storefront_checkout_totals", args=[storefront.slug]), params)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    return totals(response.content.decode())


def test_the_page_shows_the_subtotal_and_asks_for_the_way_of_delivery(client, storefront, lapis):
    _product, variant = lapis
    add(client, storefront, variant, 2)
    page = client.get(reverse("storefront_checkout", args=[storefront.slug])).content.decode()
    assert totals(page) == {
        "checkout-subtotal": "Rp170.000",
        "shipping-fee": "Pilih cara menerima pesanan",
        "grand-total": "—",
    }
    assert 'hx-get="/s/dapur-ika/pesan/jumlah/"' in page


def test_a_shop_with_one_way_of_delivery_shows_the_total_on_load(
    client, storefront, lapis, ika_shop
):
    with shop_scope(ika_shop):
        StorefrontSettings.objects.filter(pk=storefront.pk).update(
            courier_enabled=False, cod_enabled=False
        )
    _product, variant = lapis
    add(client, storefront, variant)
    page = client.get(reverse("storefront_checkout", args=[storefront.slug])).content.decode()
    assert totals(page) == {
        "checkout-subtotal": "Rp85.000",
        "shipping-fee": "Rp0",
        "grand-total": "Rp85.000",
    }


def test_the_fee_follows_the_delivery_and_the_city_chosen(client, storefront, lapis, ika_shop):
    with shop_scope(ika_shop):
        ShippingRate.objects.create(
            shop=ika_shop, province_code="32", city_code="32.73", fee=Decimal(8000)
        )
    _product, variant = lapis
    add(client, storefront, variant, 2)
    assert totals_of(client, storefront, delivery="pickup")["grand-total"] == "Rp170.000"
    assert totals_of(client, storefront, delivery="courier", province="32") == {
        "checkout-subtotal": "Rp170.000",
        "shipping-fee": "Pilih kota/kabupatenmu untuk melihat ongkirnya",
        "grand-total": "—",
    }
    bandung = totals_of(client, storefront, delivery="courier", province="32", city="32.73")
    assert bandung == {
        "checkout-subtotal": "Rp170.000",
        "shipping-fee": "Rp8.000",
        "grand-total": "Rp178.000",
    }
    # elsewhere the flat fee; COD is sent by courier too
    aceh = totals_of(client, storefront, delivery="cod", province="11", city="11.01")
    assert aceh["shipping-fee"] == "Rp20.000" and aceh["grand-total"] == "Rp190.000"
    # a city of another province is not taken
    mixed = totals_of(client, storefront, delivery="courier", province="11", city="32.73")
    assert mixed["grand-total"] == "—"
    # a way of delivery the shop does not offer costs nothing: it is not a choice
    with shop_scope(ika_shop):
        StorefrontSettings.objects.filter(pk=storefront.pk).update(cod_enabled=False)
    assert (
        totals_of(client, storefront, delivery="cod", province="32", city="32.73")["grand-total"]
        == "—"
    )


def test_where_the_shop_does_not_send_it_says_so_before_the_order(
    client, storefront, lapis, ika_shop
):
    with shop_scope(ika_shop):
        StorefrontSettings.objects.filter(pk=storefront.pk).update(courier_flat_fee=None)
    _product, variant = lapis
    add(client, storefront, variant)
    far = totals_of(client, storefront, delivery="courier", province="11", city="11.01")
    assert far == {
        "checkout-subtotal": "Rp85.000",
        "shipping-fee": "Toko belum mengirim ke kota ini",
        "grand-total": "—",
    }


def test_without_javascript_the_buyer_updates_the_total_before_sending(
    client, storefront, lapis, ika_shop
):
    _product, variant = lapis
    add(client, storefront, variant)
    page = checkout_post(client, storefront, step="regions")
    assert page.status_code == 200
    body = page.content.decode()
    assert totals(body)["shipping-fee"] == "Rp20.000"
    assert totals(body)["grand-total"] == "Rp105.000"
    assert 'name="step" value="regions"' in body  # the no-JS "update the total" button
    with shop_scope(ika_shop):
        assert Order.objects.count() == 0


def test_the_total_shown_is_the_total_the_order_charges(client, storefront, lapis, ika_shop):
    with shop_scope(ika_shop):
        ShippingRate.objects.create(shop=ika_shop, province_code="32", fee=Decimal(12000))
    _product, variant = lapis
    add(client, storefront, variant, 3)
    shown = totals_of(
        client,
        storefront,
        delivery="courier",
        province=ADDRESS["province"],
        city=ADDRESS["city"],
    )
    assert shown["grand-total"] == "Rp267.000"
    response = checkout_post(client, storefront)
    assert response.status_code == 302
    with shop_scope(ika_shop):
        order = Order.objects.get()
    assert (order.shipping_fee, order.total) == (Decimal(12000), Decimal(267000))


def test_the_totals_of_another_shops_slug_are_of_that_shops_own_cart(
    client, storefront, lapis, citra_shop
):
    from merdeka.storefront.services import storefront_ensure

    _product, variant = lapis
    add(client, storefront, variant)
    other = storefront_ensure(shop=citra_shop)
    with shop_scope(citra_shop):
        StorefrontSettings.objects.filter(pk=other.pk).update(pickup_enabled=True)
    assert totals_of(client, other, delivery="pickup")["checkout-subtotal"] == "Rp0"
    missing = client.get(reverse("storefront_checkout_totals", args=["tidak-ada"]))
    assert missing.status_code == 404

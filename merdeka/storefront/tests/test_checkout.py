"""Buying without an account: cart, checkout, confirmation with how to pay."""

from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import unquote

from django.urls import reverse

from merdeka.catalog.models import StockLevel
from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Customer
from merdeka.orders.models import Order
from merdeka.privacy.models import ConsentEvent
from merdeka.storefront.tests.conftest import tlv_decode

ADDRESS = {
    "province": "32",
    "city": "32.73",
    "district": "32.73.05",
    "village": "32.73.05.1001",
    "street": "Jl. Melati No. 7 RT 02/RW 05",
}


def checkout_post(client, storefront, **overrides):
    """Open the checkout (which issues the one-time token), then send it filled in."""
    page = client.get(reverse("storefront_checkout", args=[storefront.slug])).content.decode()
    match = re.search(r'name="token" value="([^"]+)"', page)
    data = {
        "token": match.group(1) if match else "",
        "name": "Siti Nurhaliza",
        "whatsapp": "0812-2222-3333",
        "delivery": "courier",
        "payment": "qris",
        **ADDRESS,
    }
    data.update(overrides)
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(reverse("storefront_checkout", args=[storefront.slug]), data)


def add(client, storefront, variant, quantity=1):
    return client.post(
        reverse("storefront_cart_add", args=[storefront.slug]),
        {"variant": variant.pk, "quantity": quantity},
    )


def test_a_buyer_orders_and_sees_a_qris_with_the_exact_amount(client, storefront, lapis, ika_shop):
    _product, variant = lapis
    assert add(client, storefront, variant, 2).status_code == 302
    response = checkout_post(client, storefront, marketing_whatsapp="on")
    assert response.status_code == 302, response.content.decode()[:3000]
    page = client.get(response["Location"])
    assert page["Cache-Control"] == "no-store, private"
    body = page.content.decode()
    with shop_scope(ika_shop):
        order = Order.objects.get()
        assert order.total == Decimal(85000 * 2 + 20000)  # the flat courier fee
        assert (order.village, order.district, order.city) == ("Maleber", "Andir", "Kota Bandung")
        assert order.province == "Jawa Barat" and order.postal_code == "40184"
        assert order.street == ADDRESS["street"]
        customer = Customer.objects.get()
        assert ConsentEvent.objects.get(customer=customer).channel == "whatsapp"
        assert StockLevel.objects.get(variant=variant).reserved == 2
    payload = re.search(r'data-testid="qris-payload"[^>]*>([^<]+)<', body).group(1)
    tags = tlv_decode(payload)
    assert tags["54"] == "190000" and tags["01"] == "12"
    assert order.external_id in tlv_decode(tags["62"])["01"]
    assert "<svg" in body
    wa = re.search(r'href="(https://wa\.me/6281311112222\?text=[^"]+)"', body).group(1)
    assert order.external_id in unquote(wa) and "Rp190.000" in unquote(wa)
    assert "Siti" not in unquote(wa)  # no personal data in links
    # the cart is empty again
    assert client.get(reverse("storefront_cart", args=[storefront.slug])).context["lines"] == []


def test_a_double_tap_makes_one_order(client, storefront, lapis, ika_shop):
    _product, variant = lapis
    add(client, storefront, variant)
    page = client.get(reverse("storefront_checkout", args=[storefront.slug])).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    data = {"token": token, "name": "Siti", "whatsapp": "081222223333", "delivery": "pickup",
            "payment": "transfer"}  # fmt: skip
    url = reverse("storefront_checkout", args=[storefront.slug])
    first = client.post(url, data)
    second = client.post(url, data)  # the cart is empty by now: the key finds the order
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    with shop_scope(ika_shop):
        assert Order.objects.count() == 1
        assert StockLevel.objects.get(variant=variant).reserved == 1
    body = client.get(first["Location"]).content.decode()
    assert "1234567890" in body and "Rp85.000" in body  # transfer the exact amount


def test_a_token_that_was_never_issued_places_nothing(client, storefront, lapis, ika_shop):
    _product, variant = lapis
    add(client, storefront, variant)
    response = checkout_post(client, storefront, token="made-up-token")
    assert response.status_code == 200
    with shop_scope(ika_shop):
        assert Order.objects.count() == 0
    # what the buyer typed is kept, under a fresh token that does place the order
    form = response.context["form"]
    assert form["name"].value() == "Siti Nurhaliza" and form["token"].value() != "made-up-token"
    again = checkout_post(client, storefront, token=form["token"].value())
    assert again.status_code == 302
    with shop_scope(ika_shop):
        assert Order.objects.count() == 1


def test_a_courier_order_needs_the_whole_address(client, storefront, lapis, ika_shop):
    _product, variant = lapis
    add(client, storefront, variant)
    response = checkout_post(client, storefront, village="", street="")
    assert response.status_code == 200
    form = response.context["form"]
    assert "village" in form.errors and "street" in form.errors
    # the village list of the chosen district is offered again, without JavaScript
    assert "Maleber" in response.content.decode()
    with shop_scope(ika_shop):
        assert Order.objects.count() == 0


def test_a_city_from_another_province_is_not_accepted(client, storefront, lapis, ika_shop):
    _product, variant = lapis
    add(client, storefront, variant)
    response = checkout_post(client, storefront, city="35.78", district="35.78.01", village="")
    assert response.status_code == 200 and "city" in response.context["form"].errors
    with shop_scope(ika_shop):
        assert Order.objects.count() == 0


def test_stock_running_out_during_checkout_names_the_product(client, storefront, lapis, ika_shop):
    _product, variant = lapis
    add(client, storefront, variant, 6)  # only 5 in stock
    response = checkout_post(client, storefront)
    assert response.status_code == 200
    assert "Kue Lapis Legit" in str(response.context["form"].non_field_errors())
    with shop_scope(ika_shop):
        assert Order.objects.count() == 0
        assert StockLevel.objects.get(variant=variant).reserved == 0


def test_pickup_and_cod(client, storefront, lapis, ika_shop):
    _product, variant = lapis
    add(client, storefront, variant)
    response = checkout_post(client, storefront, delivery="cod", payment=None)
    assert response.status_code == 302
    with shop_scope(ika_shop):
        order = Order.objects.get()
    assert order.payment_method == "cod" and order.shipping_fee == Decimal(20000)
    assert "qris-payload" not in client.get(response["Location"]).content.decode()


def test_an_invalid_whatsapp_number_is_refused(client, storefront, lapis, ika_shop):
    _product, variant = lapis
    add(client, storefront, variant)
    response = checkout_post(client, storefront, whatsapp="12ab")
    assert "whatsapp" in response.context["form"].errors
    with shop_scope(ika_shop):
        assert Order.objects.count() == 0


def test_a_shop_ships_only_where_it_has_a_rate(client, storefront, lapis, ika_shop):
    from merdeka.storefront.models import ShippingRate, StorefrontSettings

    with shop_scope(ika_shop):
        StorefrontSettings.objects.filter(pk=storefront.pk).update(courier_flat_fee=None)
        ShippingRate.objects.create(shop=ika_shop, province_code="32", fee=Decimal(12000))
        ShippingRate.objects.create(
            shop=ika_shop, province_code="32", city_code="32.73", fee=Decimal(8000)
        )
    _product, variant = lapis
    add(client, storefront, variant)
    far = checkout_post(client, storefront, province="11", city="11.01", district="11.01.01",
                        village="11.01.01.2001")  # fmt: skip
    assert far.status_code == 200 and "city" in far.context["form"].errors
    near = checkout_post(client, storefront)
    assert near.status_code == 302
    with shop_scope(ika_shop):
        assert Order.objects.get().shipping_fee == Decimal(8000)  # the city's own rate


def test_an_expired_form_comes_back_filled_in_under_a_fresh_token(
    client, storefront, lapis, ika_shop
):
    _product, variant = lapis
    add(client, storefront, variant)
    response = checkout_post(client, storefront, token="not-issued-here")
    assert response.status_code == 200
    assert "Formulir sudah kedaluwarsa" in response.content.decode()
    form = response.context["form"]
    assert form.data["name"] == "Siti Nurhaliza" and form.data["token"] != "not-issued-here"
    with shop_scope(ika_shop):
        assert not Order.objects.exists()
    # sent again as it came back, it is placed
    again = client.post(reverse("storefront_checkout", args=[storefront.slug]), form.data)
    assert again.status_code == 302
    with shop_scope(ika_shop):
        assert Order.objects.count() == 1

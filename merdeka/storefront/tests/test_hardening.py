"""What a buyer can send that the storefront must survive: a cart over the order's
limit, a ``next`` address to another site, direction overrides in what they type."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Customer
from merdeka.orders.models import Order
from merdeka.storefront import services
from merdeka.storefront.tests.conftest import make_product
from merdeka.storefront.tests.test_checkout import add, checkout_post

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: shows everything after it backwards


@pytest.fixture
def assortment(ika_shop):
    """One cookie in 51 flavours: one more than an order may hold."""
    prices = tuple(Decimal(10000 + i) for i in range(51))
    _product, variants = make_product(ika_shop, name="Kue Kering", stock=10, prices=prices)
    assert len(variants) == 51
    return variants


def cart_of(client, shop) -> dict[str, int]:
    return services.cart_get(client.session, shop)


def keep_in_session(client, shop, variants) -> None:
    """A cart as an older session may hold it, past today's limit."""
    session = client.session
    session[services.CART_SESSION_KEY] = {str(shop.pk): {str(v.pk): 1 for v in variants}}
    session.save()


def shown_messages(client, storefront) -> str:
    page = client.get(reverse("storefront_cart", args=[storefront.slug]))
    return " ".join(str(m) for m in page.context["messages"])


# -- a cart over the limit --------------------------------------------------------------


def test_the_51st_different_product_is_refused_with_a_message(
    client, storefront, ika_shop, assortment
):
    for variant in assortment[:50]:
        add(client, storefront, variant)
    response = add(client, storefront, assortment[50])
    assert response.status_code == 302
    assert "paling banyak berisi 50 produk berbeda" in shown_messages(client, storefront)
    assert len(cart_of(client, ika_shop)) == 50
    # more of a product already in the cart is fine
    assert add(client, storefront, assortment[0]).status_code == 302
    assert cart_of(client, ika_shop)[str(assortment[0].pk)] == 2


def test_the_cart_page_changes_only_its_own_lines(client, storefront, ika_shop, assortment):
    for variant in assortment[:50]:
        add(client, storefront, variant)
    url = reverse("storefront_cart", args=[storefront.slug])
    response = client.post(url, {"variant": assortment[50].pk, "quantity": 3})
    assert response.status_code == 302
    assert str(assortment[50].pk) not in cart_of(client, ika_shop)
    client.post(url, {"variant": 999_999, "quantity": 3})  # no such product: nothing
    assert len(cart_of(client, ika_shop)) == 50


def test_a_cart_kept_over_the_limit_can_be_changed_and_says_why_it_cannot_be_ordered(
    client, storefront, ika_shop, assortment
):
    keep_in_session(client, storefront.shop, assortment)
    url = reverse("storefront_cart", args=[storefront.slug])
    assert client.post(url, {"variant": assortment[0].pk, "quantity": 2}).status_code == 302
    assert cart_of(client, ika_shop)[str(assortment[0].pk)] == 2
    response = checkout_post(client, storefront, delivery="pickup", payment="transfer")
    assert response.status_code == 200
    assert "Satu pesanan paling banyak berisi 50 produk berbeda." in response.content.decode()
    with shop_scope(ika_shop):
        assert not Order.objects.exists()
    # one line fewer and the order goes through
    client.post(url, {"variant": assortment[50].pk, "quantity": 0})
    response = checkout_post(client, storefront, delivery="pickup", payment="transfer")
    assert response.status_code == 302
    with shop_scope(ika_shop):
        assert Order.objects.get().lines.count() == 50


# -- next ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "elsewhere",
    [
        "https://evil.example/phish",
        "//evil.example/phish",
        "///evil.example/phish",
        "/\\evil.example/phish",
        "\\\\evil.example/phish",
        "https:evil.example",
        "javascript:alert(1)",
        "\x01https://evil.example/",
        " https://evil.example/",
    ],
)
def test_add_to_cart_never_sends_the_buyer_to_another_site(client, storefront, elsewhere):
    response = client.post(
        reverse("storefront_cart_add", args=[storefront.slug]), {"variant": "", "next": elsewhere}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("storefront_shop", args=[storefront.slug])


def test_add_to_cart_goes_back_to_a_page_of_this_site(client, storefront, lapis):
    product, _variant = lapis
    page = reverse("storefront_product", args=[storefront.slug, product.slug])
    response = client.post(
        reverse("storefront_cart_add", args=[storefront.slug]), {"variant": "x", "next": page}
    )
    assert response["Location"] == page
    followed = client.get(page)
    assert "Pilih variannya dulu." in followed.content.decode()


# -- direction overrides -------------------------------------------------------------------


def test_direction_overrides_in_what_the_buyer_types_are_not_stored(
    client, storefront, ika_shop, lapis
):
    _product, variant = lapis
    add(client, storefront, variant)
    response = checkout_post(
        client,
        storefront,
        name=f"Siti{RLO} Nurhaliza\u2066",
        street=f"Jl. Melati{RLO} No. 7",
        note=f"\u200fTolong{RLO} dibungkus kado\u061c",
    )
    assert response.status_code == 302
    with shop_scope(ika_shop):
        order = Order.objects.get()
        customer = Customer.objects.get()
    assert order.recipient_name == "Siti Nurhaliza"
    assert order.street == "Jl. Melati No. 7"
    assert order.note == "Tolong dibungkus kado"
    assert customer.name == "Siti Nurhaliza"

"""The pre-order pages: the storefront's (product, batch, cart, checkout) and the seller's."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from merdeka.core.scoping import shop_scope
from merdeka.orders.models import Order
from merdeka.outreach.models import Delivery
from merdeka.preorders.models import PreorderBatch, PreorderEntry
from merdeka.preorders.tests.conftest import buy, open_batch
from merdeka.privacy.models import AuditEvent
from merdeka.storefront.services import storefront_ensure
from merdeka.storefront.tests.conftest import make_product
from merdeka.storefront.tests.test_checkout import add, checkout_post

HOSTILE = '<img src=x onerror="alert(1)">'


def public_url(storefront, batch):
    return reverse("storefront_preorder", args=[storefront.slug, batch.token])


class TestStorefront:
    def test_a_buyer_joins_a_batch_of_a_product_without_stock_through_the_checkout(
        self, client, storefront, ika_shop, cake
    ):
        product, variant = cake
        batch = open_batch(ika_shop, product, max_quantity=10, price=Decimal(55000),
                           min_quantity=5)  # fmt: skip
        page = client.get(reverse("storefront_product", args=[storefront.slug, product.slug]))
        body = page.content.decode()
        assert "PO Lebaran" in body and "Rp55.000" in body
        assert f'name="variant" value="{variant.pk}" checked' in body  # not sold out
        public = client.get(public_url(storefront, batch)).content.decode()
        assert "0 dipesan sejauh ini" in public and "10 tersisa" in public
        add(client, storefront, variant, 3)
        cart = client.get(reverse("storefront_cart", args=[storefront.slug])).content.decode()
        assert "Rp165.000" in cart and 'data-testid="cart-preorder"' in cart
        response = checkout_post(client, storefront, delivery="pickup")
        assert response.status_code == 302
        with shop_scope(ika_shop):
            order = Order.objects.get()
            assert PreorderEntry.objects.get().order_id == order.pk
        assert order.subtotal == Decimal(165000)
        public = client.get(public_url(storefront, batch)).content.decode()
        assert "3 dipesan sejauh ini" in public and "7 tersisa" in public

    def test_a_closed_batch_page_says_so_and_offers_nothing(self, client, storefront, ika_shop,
                                                           ika, cake):  # fmt: skip
        from merdeka.preorders.services import batch_close

        product, _variant = cake
        batch = open_batch(ika_shop, product)
        batch_close(shop=ika_shop, actor=ika, batch=batch)
        body = client.get(public_url(storefront, batch)).content.decode()
        assert 'data-testid="preorder-closed"' in body and "join-preorder" not in body

    def test_a_cart_item_of_a_closed_batch_says_the_pre_order_is_closed_not_sold_out(
        self, client, storefront, ika_shop, ika, cake
    ):
        from merdeka.preorders.services import batch_close

        product, variant = cake
        batch = open_batch(ika_shop, product)
        add(client, storefront, variant, 2)
        batch_close(shop=ika_shop, actor=ika, batch=batch)
        cart = client.get(reverse("storefront_cart", args=[storefront.slug])).content.decode()
        assert 'data-testid="cart-preorder-closed">PO sudah ditutup.<' in cart
        assert "Habis" not in cart and 'data-testid="cart-preorder"' not in cart
        # a product sold out without ever being in a batch still says so
        _other, [plain] = make_product(ika_shop, name="Nastar Keju", stock=0)
        add(client, storefront, plain, 1)
        cart = client.get(reverse("storefront_cart", args=[storefront.slug])).content.decode()
        assert cart.count("cart-preorder-closed") == 1 and "Habis." in cart

    def test_a_storefront_never_shows_another_shops_batch(
        self, client, storefront, ika_shop, citra_shop, cake
    ):
        storefront_ensure(shop=citra_shop)
        theirs, _ = make_product(citra_shop, name="Keripik Citra", stock=0)
        their_batch = open_batch(citra_shop, theirs)
        assert client.get(public_url(storefront, their_batch)).status_code == 404
        assert client.get(f"/s/{storefront.slug}/po/nope/").status_code == 404


@pytest.fixture
def owner(ika_client, storefront):
    return ika_client


def batch_post(**overrides):
    now = timezone.localtime(timezone.now())
    data = {
        "title": "PO Bolu Lebaran",
        "opens_at": now.strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (now + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        "max_quantity": "30",
    }
    data.update(overrides)
    return data


class TestSeller:
    def test_the_seller_opens_a_batch_and_sees_it_listed(self, owner, ika_shop, cake):
        product, _variant = cake
        response = owner.post("/po/baru/", batch_post(product=product.pk))
        with shop_scope(ika_shop):
            batch = PreorderBatch.objects.get()
            assert AuditEvent.objects.filter(action="preorder.opened").count() == 1
        assert response["Location"] == reverse("preorder_detail", args=[batch.pk])
        listing = owner.get("/po/").content.decode()
        assert "PO Bolu Lebaran" in listing and "Bolu Pandan" in listing

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"closes_at": "2020-01-01T10:00"}, "setelah waktu buka"),
            ({"min_quantity": "50"}, "tidak boleh lebih dari maksimum"),
            ({"max_quantity": "-4"}, ""),
            ({"title": "x" * 121}, ""),
        ],
    )
    def test_a_bad_batch_is_refused_with_a_message(self, owner, ika_shop, cake, overrides,
                                                   message):  # fmt: skip
        product, _variant = cake
        response = owner.post("/po/baru/", batch_post(product=product.pk, **overrides))
        assert response.status_code == 200
        assert message in response.content.decode()
        with shop_scope(ika_shop):
            assert PreorderBatch.objects.count() == 0

    def test_another_shops_product_is_not_a_choice(self, owner, ika_shop, citra_shop):
        theirs, _ = make_product(citra_shop, name="Keripik Citra", stock=0)
        response = owner.post("/po/baru/", batch_post(product=theirs.pk))
        assert response.status_code == 200 and "Keripik Citra" not in response.content.decode()
        with shop_scope(citra_shop):
            assert PreorderBatch.objects.count() == 0

    def test_the_detail_shows_totals_and_buyers_escaped_and_audits_the_read(
        self, owner, ika_shop, cake
    ):
        product, variant = cake
        batch = open_batch(ika_shop, product, min_quantity=10)
        buy(ika_shop, variant, 2, name=HOSTILE)
        body = owner.get(reverse("preorder_detail", args=[batch.pk])).content.decode()
        assert '2 unit, 1 pesanan, <span class="money">Rp170.000</span>' in body
        assert HOSTILE not in body and "&lt;img src=x" in body
        assert "belum tercapai" in body
        with shop_scope(ika_shop):
            assert AuditEvent.objects.filter(action="preorder.buyers_viewed").count() == 1

    def test_close_then_cancel_for_a_missed_minimum(self, owner, ika_shop, cake):
        product, variant = cake
        batch = open_batch(ika_shop, product, min_quantity=10)
        order = buy(ika_shop, variant, 2)
        owner.post(reverse("preorder_close", args=[batch.pk]))
        body = owner.get(reverse("preorder_detail", args=[batch.pk])).content.decode()
        assert 'data-testid="preorder-minimum-missed"' in body
        owner.post(reverse("preorder_cancel", args=[batch.pk]))
        with shop_scope(ika_shop):
            assert Order.objects.get(pk=order.pk).status == "cancelled"
            assert PreorderBatch.objects.get(pk=batch.pk).state == "cancelled"

    def test_staff_may_not_cancel_a_batch(self, rina_client, ika_shop, cake):
        product, variant = cake
        batch = open_batch(ika_shop, product)
        buy(ika_shop, variant, 1)
        assert rina_client.post(reverse("preorder_cancel", args=[batch.pk])).status_code == 403
        with shop_scope(ika_shop):
            assert PreorderBatch.objects.get(pk=batch.pk).state == "open"

    def test_messaging_all_buyers_tells_the_count(self, owner, ika_shop, cake, smtp):
        product, variant = cake
        batch = open_batch(ika_shop, product)
        buy(ika_shop, variant, 1, email="siti@example.id")
        response = owner.post(
            reverse("preorder_message", args=[batch.pk]),
            {"channel": "email", "subject": "PO", "body": "Halo {nama}, {pesanan} = {total}"},
            follow=True,
        )
        assert "1 pesan dalam perjalanan" in response.content.decode()
        with shop_scope(ika_shop):
            assert Delivery.objects.count() == 1
        bad = owner.post(
            reverse("preorder_message", args=[batch.pk]),
            {"channel": "email", "body": "Halo {rahasia}"},
        )
        assert "{rahasia}" in bad.content.decode()
        with shop_scope(ika_shop):
            assert Delivery.objects.count() == 1


def test_the_shop_page_shows_a_pre_order_product_without_stock_as_pre_order(
    client, storefront, ika_shop, cake
):
    product, _variant = cake
    page = client.get(reverse("storefront_shop", args=[storefront.slug])).content.decode()
    assert "card-preorder" not in page and "habis" in page
    open_batch(ika_shop, product)
    page = client.get(reverse("storefront_shop", args=[storefront.slug])).content.decode()
    assert 'data-testid="card-preorder"' in page and "habis" not in page


def test_a_hostile_title_and_note_are_stored_as_text_and_escaped(client, storefront, ika_shop,
                                                                 ika_client, cake):  # fmt: skip
    product, _variant = cake
    batch = open_batch(ika_shop, product, note=HOSTILE)
    with shop_scope(ika_shop):
        PreorderBatch.objects.filter(pk=batch.pk).update(title=HOSTILE)
        assert PreorderBatch.objects.get(pk=batch.pk).note == HOSTILE
    for body in (
        client.get(public_url(storefront, batch)).content.decode(),
        ika_client.get(reverse("preorder_detail", args=[batch.pk])).content.decode(),
        ika_client.get(reverse("preorder_list")).content.decode(),
    ):
        assert HOSTILE not in body and "&lt;img src=x" in body

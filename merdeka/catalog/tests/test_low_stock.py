"""Low stock: the owner hears once when a variant's available stock falls below its
threshold (home page and email), and again only after it was back above it."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from merdeka.catalog import services as catalog
from merdeka.catalog.models import LOW_STOCK_DEFAULT, LowStockAlert, Variant
from merdeka.core import events
from merdeka.core.scoping import shop_scope
from merdeka.orders import lifecycle
from merdeka.orders.services import Buyer, LineRequest, order_place
from merdeka.storefront.tests.conftest import make_product


def drain() -> None:
    """Deliver the outbox as the drains queued after each commit would, until it is
    empty (a check's ``stock.low`` is delivered by the next one)."""
    while events.outbox_drain():
        pass


def low_mails(inbox):
    return [m for m in inbox.messages if m["Subject"].startswith("Stok menipis")]


def alerts(shop):
    with shop_scope(shop):
        return list(LowStockAlert.objects.order_by("id").values_list("available", "cleared_at"))


@pytest.fixture
def nastar(ika, ika_shop):
    ika.email = "ika@example.id"
    ika.save(update_fields=["email"])
    _product, [variant] = make_product(ika_shop, name="Nastar Keju", stock=8)
    return variant


def buy(shop, variant, quantity, key):
    order, _ = order_place(
        shop=shop,
        lines=[LineRequest(variant.pk, quantity)],
        buyer=Buyer(name="Siti Nurhaliza", phone="0812-2222-3333"),
        idempotency_key=key,
        delivery_method="pickup",
        payment_method="qris",
        shipping_fee=Decimal(0),
    )
    drain()
    return order


def test_the_owner_hears_once_when_stock_falls_below_and_again_after_a_refill(
    ika_shop,
    ika_client,
    nastar,
    smtp,
):
    assert nastar.low_stock_threshold == LOW_STOCK_DEFAULT == 5
    buy(ika_shop, nastar, 2, "a")  # 6 left: enough
    assert alerts(ika_shop) == [] and low_mails(smtp) == []
    second = buy(ika_shop, nastar, 2, "b")  # 4 left: below 5
    [mail] = low_mails(smtp)
    assert mail["Subject"] == "Stok menipis: Nastar Keju"
    text = mail.get_content()
    assert "Nastar Keju: sisa 4 (kamu minta dikabari di bawah 5)" in text
    stock_page = reverse("product_stock", args=[nastar.product_id])
    assert f"https://toko.example.id{stock_page}" in text
    third = buy(ika_shop, nastar, 1, "c")  # 3 left: still low, not told again
    assert len(low_mails(smtp)) == 1 and len(alerts(ika_shop)) == 1
    home = " ".join(
        re.sub(r"<[^>]+>", " ", ika_client.get(reverse("home")).content.decode()).split()
    )
    assert "Stok menipis" in home and "Nastar Keju : sisa 3" in home

    for order in (second, third):  # back to 7: the alert is over
        lifecycle.order_cancel(shop=ika_shop, order_id=order.pk, reason="Pembeli batal")
    drain()
    [(available, cleared)] = alerts(ika_shop)
    assert available == 4 and cleared is not None
    assert 'data-testid="low-stock"' not in ika_client.get(reverse("home")).content.decode()
    assert len(low_mails(smtp)) == 1

    buy(ika_shop, nastar, 3, "d")  # 4 left again: a new fall, told again
    assert len(low_mails(smtp)) == 2 and len(alerts(ika_shop)) == 2


def test_a_threshold_of_zero_never_tells(ika_shop, nastar, smtp):
    with shop_scope(ika_shop):
        Variant.objects.filter(pk=nastar.pk).update(low_stock_threshold=0)
    buy(ika_shop, nastar, 8, "all")
    assert alerts(ika_shop) == [] and low_mails(smtp) == []


def test_a_count_that_goes_down_tells_a_first_small_count_does_not(
    ika_shop,
    nastar,
    home,
    smtp,
    django_capture_on_commit_callbacks,
):
    _product, [fresh] = make_product(ika_shop, name="Putri Salju", stock=2)  # 0 -> 2: new
    with django_capture_on_commit_callbacks(execute=True):
        catalog.stock_adjust(shop=ika_shop, variant=nastar, location=home, on_hand=3)
    assert [m["Subject"] for m in low_mails(smtp)] == ["Stok menipis: Nastar Keju"]
    with shop_scope(ika_shop):
        assert not LowStockAlert.objects.filter(variant=fresh).exists()
    with django_capture_on_commit_callbacks(execute=True):  # the new batch is in
        catalog.stock_adjust(shop=ika_shop, variant=nastar, location=home, on_hand=20)
    with shop_scope(ika_shop):
        assert LowStockAlert.objects.get(variant=nastar).cleared_at is not None


def test_the_threshold_is_set_per_variant_on_the_product_form(ika_client, ika_shop, nastar):
    from merdeka.catalog.tests.test_catalog import variant_rows

    product = {"name": "Nastar Keju", "description": "", "is_published": "on"}
    row = {"id": nastar.pk, "price": "85000", "track_stock": "on", "low_stock_threshold": "12"}
    data = {**product, **variant_rows([row])}
    response = ika_client.post(reverse("product_edit", args=[nastar.product_id]), data)
    assert response.status_code == 302
    nastar.refresh_from_db()
    assert nastar.low_stock_threshold == 12
    form = ika_client.get(reverse("product_edit", args=[nastar.product_id])).content.decode()
    assert 'name="variants-0-low_stock_threshold"' in form and 'value="12"' in form
    row.pop("low_stock_threshold")  # left empty: the default
    ika_client.post(
        reverse("product_edit", args=[nastar.product_id]), {**product, **variant_rows([row])}
    )
    nastar.refresh_from_db()
    assert nastar.low_stock_threshold == LOW_STOCK_DEFAULT

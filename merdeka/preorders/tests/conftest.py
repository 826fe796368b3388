"""Bu Ika's shop with its storefront, a cake to pre-order, and its helpers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from merdeka.orders.services import Buyer, LineRequest, order_place
from merdeka.outreach.tests.conftest import smtp
from merdeka.preorders.services import batch_open, checkout_policy
from merdeka.storefront.tests.conftest import (
    _fresh_page_cache,
    english,
    make_product,
    qris_static,
    storefront,
)

__all__ = ["_fresh_page_cache", "english", "qris_static", "smtp", "storefront"]


@pytest.fixture
def cake(ika_shop):
    """A cake with no stock at all: it is baked after the batch closes."""
    product, variants = make_product(ika_shop, name="Bolu Pandan", stock=0)
    return product, variants[0]


def open_batch(shop, product, *, now=None, **kwargs):
    now = now or timezone.now()
    kwargs.setdefault("opens_at", now - dt.timedelta(hours=1))
    kwargs.setdefault("closes_at", now + dt.timedelta(days=2))
    return batch_open(shop=shop, actor=None, product_id=product.pk, title="PO Lebaran",
                      **kwargs)  # fmt: skip


def buy(shop, variant, quantity=1, *, key="po-1", name="Siti Nurhaliza",
        phone="0812-2222-3333", email="", now=None):  # fmt: skip
    return order_place(
        shop=shop,
        lines=[LineRequest(variant.pk, quantity)],
        buyer=Buyer(name=name, phone=phone, email=email),
        idempotency_key=key,
        delivery_method="pickup",
        payment_method="qris",
        line_policy=checkout_policy(shop=shop, now=now),
    )[0]

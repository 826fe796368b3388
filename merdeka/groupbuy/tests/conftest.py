"""Bu Ika's online shop offers her lapis legit for group buying: 1-9 Rp50.000,
10-29 Rp45.000, 30+ Rp40.000."""

from __future__ import annotations

from decimal import Decimal

import pytest

from merdeka.groupbuy import services
from merdeka.groupbuy.tests.world import TIERS
from merdeka.orders.services import Buyer
from merdeka.outreach.tests.conftest import cloud, graph  # noqa: F401 - fixtures
from merdeka.storefront.tests.conftest import (  # noqa: F401 - fixtures
    _fresh_page_cache,
    english,
    make_product,
    qris_static,
    storefront,
)


@pytest.fixture
def lapis(ika_shop, storefront):  # noqa: F811
    _product, [variant] = make_product(ika_shop, name="Kue Lapis Legit", stock=40)
    return variant


@pytest.fixture
def offer(ika_shop, ika, lapis):
    return services.offer_save(shop=ika_shop, actor=ika, variant=lapis, tiers=TIERS, max_days=7)


@pytest.fixture
def group(ika_shop, offer):
    group, _ = services.group_open(
        shop=ika_shop,
        offer=offer,
        days=3,
        key="open-1",
        coordinator_name="Sari Dewi Lestari",
        coordinator_phone="0812 1111 2222",
    )
    return group


def join(shop, group, name, phone, quantity, key=None, now=None, **extra):
    return services.group_join(
        shop=shop,
        group=group,
        key=key or f"join-{phone}",
        now=now,
        join=services.JoinRequest(
            buyer=Buyer(name=name, phone=phone, marketing=extra.pop("marketing", frozenset())),
            quantity=quantity,
            delivery_method=extra.pop("delivery", "pickup"),
            payment_method=extra.pop("payment", "transfer"),
            shipping_fee=extra.pop("fee", Decimal(0)),
        ),
    )

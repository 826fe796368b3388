"""Group buy objects for the cross-shop walk and the tests: names are canaries."""

from __future__ import annotations

from decimal import Decimal

from merdeka.groupbuy import services
from merdeka.groupbuy.tiers import Tier
from merdeka.orders.services import Buyer

TIERS = [Tier(1, Decimal(50000)), Tier(10, Decimal(45000)), Tier(30, Decimal(40000))]


def groupbuy_world(shop, variant) -> dict:
    offer = services.offer_save(shop=shop, actor=None, variant=variant, tiers=TIERS, max_days=7)
    group, _ = services.group_open(
        shop=shop,
        offer=offer,
        days=3,
        key="world-open",
        coordinator_name="Kanari Rahasia Ika",
        coordinator_phone="081377778888",
    )
    member, _ = services.group_join(
        shop=shop,
        group=group,
        key="world-join",
        join=services.JoinRequest(
            buyer=Buyer(name="Kanari Rahasia Ika", phone="081377779999"),
            quantity=1,
            delivery_method="pickup",
            payment_method="transfer",
        ),
    )
    return {"offer": offer, "group": group, "member": member}

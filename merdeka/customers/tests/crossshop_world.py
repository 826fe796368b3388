"""Objects of the first shop for the cross-shop walk of the workspace's URLs, made on
first use (the walk's ``world`` holds the customer they belong to)."""

from __future__ import annotations

from merdeka.core.scoping import shop_scope


def segment(world):
    from merdeka.customers.models import Segment

    if "segment" not in world:
        with shop_scope(world["shop"]):
            world["segment"] = Segment.objects.create(
                shop=world["shop"], name="Kanari Rahasia Ika", filters={"city": "Kota Rahasia"}
            )
    return world["segment"]


def tag(world):
    from merdeka.customers.models import CustomerTag, Tag

    if "tag" not in world:
        with shop_scope(world["shop"]):
            world["tag"] = Tag.objects.create(shop=world["shop"], name="Kanari Rahasia Ika")
            CustomerTag.objects.create(
                shop=world["shop"], customer=world["customer"], tag=world["tag"]
            )
    return world["tag"]

"""Reads of group buying; each takes ``shop=`` and reads in its scope."""

from __future__ import annotations

from django.db.models import Prefetch

from merdeka.core.scoping import shop_scope
from merdeka.core.wording import short_name
from merdeka.groupbuy.models import GroupBuy, GroupMember, GroupOffer, GroupStatus, PriceTier


def offers(*, shop) -> list[GroupOffer]:
    with shop_scope(shop):
        return list(
            GroupOffer.objects.filter(shop=shop)
            .select_related("variant__product")
            .prefetch_related(
                Prefetch("tiers", queryset=PriceTier.objects.order_by("min_quantity"))
            )
        )


def offer_get(*, shop, offer_id: int) -> GroupOffer | None:
    with shop_scope(shop):
        return (
            GroupOffer.objects.filter(shop=shop, pk=offer_id)
            .select_related("variant__product")
            .prefetch_related("tiers")
            .first()
        )


def offers_public(*, shop, product) -> list[GroupOffer]:
    """The active offers of a published product's variants, for its public page."""
    with shop_scope(shop):
        return list(
            GroupOffer.objects.filter(
                shop=shop, variant__product=product, variant__is_active=True, is_active=True
            )
            .select_related("variant__product")
            .prefetch_related(
                Prefetch("tiers", queryset=PriceTier.objects.order_by("min_quantity"))
            )
        )


def groups(*, shop, status: str | None = None) -> list[GroupBuy]:
    with shop_scope(shop):
        queryset = GroupBuy.objects.filter(shop=shop).select_related("variant__product")
        if status:
            queryset = queryset.filter(status=status)
        return list(queryset[:200])


def group_get(*, shop, group_id: int) -> GroupBuy | None:
    with shop_scope(shop):
        return (
            GroupBuy.objects.filter(shop=shop, pk=group_id)
            .select_related("variant__product")
            .first()
        )


def group_by_share_token(*, shop, token: str) -> GroupBuy | None:
    with shop_scope(shop):
        return (
            GroupBuy.objects.filter(shop=shop, share_token=token)
            .select_related("variant__product")
            .first()
        )


def group_by_coordinator_token(*, shop, token: str) -> GroupBuy | None:
    with shop_scope(shop):
        return (
            GroupBuy.objects.filter(shop=shop, coordinator_token=token)
            .select_related("variant__product")
            .first()
        )


def members(*, shop, group) -> list[GroupMember]:
    with shop_scope(shop):
        return list(GroupMember.objects.filter(shop=shop, group=group).select_related("order"))


def member_by_order_token(*, shop, group, token: str) -> GroupMember | None:
    with shop_scope(shop):
        return (
            GroupMember.objects.filter(shop=shop, group=group, order__public_token=token)
            .select_related("order")
            .first()
        )


def first_name(full_name: str | None) -> str:
    """What a coordinator sees of a member: their first name, with the title before it
    (``Bu Siti Rahma`` -> ``Bu Siti``, never a bare "Bu")."""
    return short_name(full_name)


def is_open(group: GroupBuy) -> bool:
    return group.status == GroupStatus.OPEN


def group_order_ids(*, shop, order_ids) -> set[int]:
    """Which of these orders are a member's order in a group buy (for the order book)."""
    with shop_scope(shop):
        return set(
            GroupMember.objects.filter(shop=shop, order_id__in=order_ids).values_list(
                "order_id", flat=True
            )
        )

"""Group buys in ``merdeka export`` and back: the offers with their price tiers, and
each group with its coordinator (her name and number in the clear: the export is the
seller's) and its members' orders (named by channel and number)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Iterator

from django.db import transaction

from merdeka.core.portable import Moved, batches, fields_in, fields_of, rows_insert
from merdeka.core.scoping import shop_scope
from merdeka.groupbuy.models import GroupBuy, GroupMember, GroupOffer, PriceTier

OFFER_FIELDS = ("id", "variant", "is_active", "max_days", "created_at", "updated_at")
GROUP_FIELDS = (
    "offer",
    "variant",
    "coordinator_customer",
    "tiers",
    "status",
    "deadline",
    "share_token",
    "coordinator_token",
    "open_key",
    "coordinator_name",
    "coordinator_phone",
    "total_quantity",
    "member_count",
    "final_price",
    "close_reason",
    "closed_at",
    "created_at",
)
MEMBER_FIELDS = ("quantity", "joined_at", "left_at")
REFS = 3  # the first GROUP_FIELDS are ids of other rows


def offer_rows(*, shop) -> Iterator[dict]:
    for batch in batches(GroupOffer.objects.filter(shop=shop)):
        tiers: dict[int, list] = {}
        for offer_id, low, price in (
            PriceTier.objects.filter(shop=shop, offer_id__in=[o.pk for o in batch])
            .order_by("offer_id", "min_quantity")
            .values_list("offer_id", "min_quantity", "price")
        ):
            tiers.setdefault(offer_id, []).append([low, str(price)])
        for offer in batch:
            yield {**fields_of(offer, OFFER_FIELDS), "tiers": tiers.get(offer.pk, [])}


def group_rows(*, shop, order_refs: Callable) -> Iterator[dict]:
    for batch in batches(GroupBuy.objects.filter(shop=shop).select_related("opened_by")):
        members: dict[int, list[dict]] = {}
        rows = list(
            GroupMember.objects.filter(shop=shop, group_id__in=[g.pk for g in batch]).order_by("pk")
        )
        orders = order_refs({m.order_id for m in rows})
        for member in rows:
            row = fields_of(member, MEMBER_FIELDS)
            row["order"] = orders.get(member.order_id)
            members.setdefault(member.group_id, []).append(row)
        for group in batch:
            row = fields_of(group, GROUP_FIELDS)
            row["opened_by"] = group.opened_by.username if group.opened_by_id else None
            row["members"] = members.get(group.pk, [])
            yield row


def offers_restore(*, shop, rows: Iterable[dict], moved: Moved) -> bool:
    """The offers of an export into a shop without any (False: it had some, nothing
    written, and its groups are not restored either)."""
    with transaction.atomic(), shop_scope(shop):
        if GroupOffer.objects.filter(shop=shop).exists():
            return False
        for row in rows:
            variant = moved.get("variant", row["variant"])
            if variant is None:
                continue
            offer = GroupOffer(**fields_in(GroupOffer, row, OFFER_FIELDS[2:]), variant_id=variant)
            [offer_id] = rows_insert(GroupOffer, [offer], shop=shop)
            moved.of("group_offer")[row["id"]] = offer_id
            rows_insert(
                PriceTier,
                [
                    PriceTier(offer_id=offer_id, min_quantity=low, price=price)
                    for low, price in row.get("tiers", [])
                ],
                shop=shop,
            )
    return True


def groups_restore(*, shop, rows: Iterable[dict], moved: Moved, order_ids) -> int:
    written = 0
    with transaction.atomic(), shop_scope(shop):
        for row in rows:
            offer = moved.get("group_offer", row["offer"])
            variant = moved.get("variant", row["variant"])
            if offer is None or variant is None:
                continue
            group = GroupBuy(**fields_in(GroupBuy, row, GROUP_FIELDS[REFS:]))
            group.offer_id, group.variant_id = offer, variant
            group.coordinator_customer_id = moved.get("customer", row["coordinator_customer"])
            group.opened_by_id = moved.user(row.get("opened_by"))
            for name in ("share_token", "coordinator_token"):
                if GroupBuy.unscoped.filter(**{name: getattr(group, name)}).exists():
                    setattr(group, name, secrets.token_urlsafe(24)[:32])
            [group_id] = rows_insert(GroupBuy, [group], shop=shop)
            members = row.get("members", [])
            orders = order_ids([tuple(m["order"]) for m in members if m.get("order")])
            rows_insert(
                GroupMember,
                [
                    GroupMember(
                        **fields_in(GroupMember, m, MEMBER_FIELDS),
                        group_id=group_id,
                        order_id=orders[tuple(m["order"])],
                    )
                    for m in members
                    if m.get("order") and tuple(m["order"]) in orders
                ],
                shop=shop,
            )
            written += 1
    return written

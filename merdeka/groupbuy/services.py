"""Group buying: the seller's offers, opening a group, joining it, closing it.

Rules kept here (see models.py for the shape):

* joining is one transaction: a conditional UPDATE adds the quantity to the group only
  while it is open and before its deadline (so a join racing the close or the deadline
  loses cleanly), then ``order_place`` places the member's order, which reserves the
  stock by its own conditional UPDATE (so joins beyond the stock are refused and nothing
  is oversold) and resolves the member into a customer with the consent they ticked;
* a double tap sends the same key: ``order_place`` finds the first order, the group's
  count is rolled back, and the first membership is returned;
* closing (the deadline, the coordinator or the seller) fixes the price of the tier the
  whole group reached on every member's order and asks them to pay; below the first
  tier's quantity the group failed and its orders are cancelled with their stock given
  back. Members are told either way by a service message. Every order change goes
  through ``merdeka.orders.lifecycle`` (set-wise: ``orders_reprice``,
  ``orders_await_payment``, ``orders_cancel``), which settles stock from the ledger;
* a member's order cancelled by anyone (the seller, the buyer's request) takes their
  pieces out of the group's count, once (``members_left``, a subscriber of
  ``order.cancelled`` in the cancel's transaction); a closed group's price follows
  what the others still reach, for those who have not paid yet.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from merdeka.catalog.cache import catalog_changed
from merdeka.catalog.services import StockShortage
from merdeka.core.money import format_rupiah
from merdeka.core.phone import is_masked, normalize_phone
from merdeka.core.scoping import scopes_disabled, shop_scope
from merdeka.core.services import ServiceError
from merdeka.customers.resolution import BuyerInput, Resolver, phone_claim
from merdeka.groupbuy.models import (
    GroupBuy,
    GroupMember,
    GroupOffer,
    GroupStatus,
    PriceTier,
)
from merdeka.groupbuy.tasks import close_group
from merdeka.groupbuy.tiers import Tier, price_at, tier_at, tier_next, tiers_validate
from merdeka.orders import lifecycle
from merdeka.orders.models import Order, Status
from merdeka.orders.services import (
    MAX_QUANTITY,
    Buyer,
    LineRequest,
    order_by_idempotency_key,
    order_place,
)
from merdeka.outreach.models import ChannelKind, WhatsAppCloudSettings
from merdeka.outreach.services import public_url, service_message_send, window_open
from merdeka.privacy.audit import audit_record
from merdeka.storefront.models import StorefrontSettings

MAX_DAYS = 60


def _token() -> str:
    return secrets.token_urlsafe(24)[:32]


# -- the seller's offer ---------------------------------------------------------------


@transaction.atomic
def offer_save(
    *,
    shop,
    actor,
    variant,
    tiers: list[Tier],
    max_days: int,
    is_active: bool = True,
    offer: GroupOffer | None = None,
    request=None,
) -> GroupOffer:
    """Create or change an offer. Groups already open keep the tiers they opened with."""
    tiers_validate(tiers)
    if not 1 <= max_days <= MAX_DAYS:
        raise ServiceError(_("A group buy may run from 1 to 60 days."))
    if variant.shop_id != shop.pk:
        raise ValueError("the variant belongs to another shop")
    with shop_scope(shop):
        if offer is None:
            if GroupOffer.objects.filter(shop=shop, variant=variant).exists():
                raise ServiceError(_("This product already has a group buy offer. Change it."))
            offer = GroupOffer(shop=shop, variant=variant)
        offer.max_days = max_days
        offer.is_active = is_active
        offer.save()
        PriceTier.objects.filter(shop=shop, offer=offer).delete()
        PriceTier.objects.bulk_create(
            [
                PriceTier(shop=shop, offer=offer, min_quantity=t.min_quantity, price=t.price)
                for t in tiers
            ]
        )
    catalog_changed(shop_id=shop.pk)  # the product page shows the offer
    audit_record(
        action="groupbuy.offer_saved",
        shop=shop,
        actor=actor,
        target=offer,
        request=request,
        detail={"tiers": [t.as_json() for t in tiers], "max_days": max_days},
    )
    return offer


def offer_tiers(offer: GroupOffer) -> list[Tier]:
    with shop_scope(offer.shop_id):
        return [Tier(t.min_quantity, t.price) for t in offer.tiers.all()]


def group_tiers(group: GroupBuy) -> list[Tier]:
    return [Tier.from_json(t) for t in group.tiers]


# -- opening ----------------------------------------------------------------------------


def group_open(
    *,
    shop,
    offer: GroupOffer,
    days: int,
    key: str,
    coordinator_name: str = "",
    coordinator_phone: str = "",
    actor=None,
    now=None,
) -> tuple[GroupBuy, bool]:
    """Open a group for ``days``; ``actor`` is the seller opening it herself, otherwise
    the coordinator is a buyer named by name and WhatsApp number. Idempotent by ``key``."""
    now = now or timezone.now()
    if not key or len(key) > 64:
        raise ValueError("an idempotency key of 1-64 characters is needed")
    with shop_scope(shop):
        found = GroupBuy.objects.filter(shop=shop, open_key=key).first()
        if found is not None:
            return found, False
        variant = offer.variant
        if (
            offer.shop_id != shop.pk
            or not offer.is_active
            or not variant.is_active
            or not variant.product.is_published
        ):
            raise ServiceError(_("This product is not offered for group buying now."))
        if not 1 <= days <= offer.max_days:
            raise ServiceError(
                _("Choose a deadline within %(days)s days.") % {"days": offer.max_days}
            )
        tiers = offer_tiers(offer)
        if not tiers:
            raise ServiceError(_("This product is not offered for group buying now."))
        phone = None
        name = " ".join((coordinator_name or "").split())
        if actor is None:
            phone = None if is_masked(coordinator_phone) else normalize_phone(coordinator_phone)
            if len(name) < 2:
                raise ServiceError(_("Write your name."))
            if phone is None:
                raise ServiceError(
                    _("Enter a WhatsApp number we can reach, such as 0812-3456-7890.")
                )
        try:
            with transaction.atomic():
                customer_id = None
                if phone is not None:
                    [customer_id] = Resolver(shop=shop, source="storefront").resolve_many(
                        [BuyerInput(claims=[phone_claim(phone)], name=name, seen_at=now)]
                    )
                group = GroupBuy.objects.create(
                    shop=shop,
                    offer=offer,
                    variant=variant,
                    tiers=[t.as_json() for t in tiers],
                    deadline=now + timedelta(days=days),
                    share_token=_token(),
                    coordinator_token=_token(),
                    open_key=key,
                    coordinator_name=name or None,
                    coordinator_phone=phone,
                    coordinator_customer_id=customer_id,
                    opened_by=actor,
                )
        except IntegrityError:  # the same key a moment ago, from a double tap
            found = GroupBuy.objects.filter(shop=shop, open_key=key).first()
            if found is None:
                raise
            return found, False
    return group, True


# -- joining ----------------------------------------------------------------------------


@dataclass(frozen=True)
class JoinRequest:
    buyer: Buyer
    quantity: int
    delivery_method: str
    payment_method: str
    shipping_fee: Decimal = Decimal(0)
    note: str = ""


class _Repeated(Exception):
    def __init__(self, order):
        self.order = order


def group_refusal(group: GroupBuy, now=None) -> str | None:
    """Why nobody can join now, in the buyer's words (None while it is open)."""
    now = now or timezone.now()
    if group.status == GroupStatus.CANCELLED:
        return _("This group buy was cancelled. Nobody can join it any more.")
    if group.status != GroupStatus.OPEN:
        return _("This group buy is closed. Nobody can join it any more.")
    if group.deadline <= now:
        return _("The deadline of this group buy has passed. Nobody can join it any more.")
    return None


def member_by_key(shop, key: str) -> GroupMember | None:
    order = order_by_idempotency_key(shop, key)
    if order is None:
        return None
    with shop_scope(shop):
        return GroupMember.objects.filter(shop=shop, order=order).select_related("group").first()


def group_join(
    *,
    shop,
    group: GroupBuy,
    join: JoinRequest,
    key: str,
    consent_evidence: dict | None = None,
    now=None,
) -> tuple[GroupMember, bool]:
    """Join ``group``: returns ``(member, created)``; ``created`` is False for a retry."""
    now = now or timezone.now()
    if join.quantity <= 0 or join.quantity > MAX_QUANTITY:
        raise ServiceError(_("A quantity must be between 1 and 999."))
    found = member_by_key(shop, key)
    if found is not None:
        if found.group_id != group.pk:
            raise ServiceError(_("The form had expired. Check it and send it again."))
        return found, False
    tiers = group_tiers(group)
    try:
        with transaction.atomic(), shop_scope(shop):
            joined = GroupBuy.objects.filter(
                pk=group.pk, shop=shop, status=GroupStatus.OPEN, deadline__gt=now
            ).update(
                total_quantity=F("total_quantity") + join.quantity,
                member_count=F("member_count") + 1,
            )
            if not joined:
                group.refresh_from_db()
                raise ServiceError(group_refusal(group, now) or _("This group buy is closed."))
            total = GroupBuy.objects.filter(pk=group.pk).values_list("total_quantity", flat=True)[0]
            try:
                order, created = order_place(
                    shop=shop,
                    lines=[LineRequest(group.variant_id, join.quantity)],
                    buyer=join.buyer,
                    idempotency_key=key,
                    delivery_method=join.delivery_method,
                    payment_method=join.payment_method,
                    shipping_fee=join.shipping_fee,
                    note=join.note,
                    status=Status.NEW,  # no payment until the group closes at its price
                    consent_evidence={
                        "group_buy": group.share_token[:8],
                        **(consent_evidence or {}),
                    },
                )
            except StockShortage as exc:
                if exc.available:
                    message = _(
                        "Only %(available)s left for this group buy. Lower your quantity."
                    ) % {"available": exc.available}
                else:
                    message = _("This product is sold out: the group buy is full.")
                raise ServiceError(message) from exc
            if not created:  # the same tap a moment ago: undo our count, keep the first
                raise _Repeated(order)
            # the price reached with this member in it, until the group closes
            lifecycle.orders_reprice(
                shop=shop, order_ids=[order.pk], unit_price=price_at(tiers, total) or tiers[0].price
            )
            order.refresh_from_db(fields=["subtotal", "total"])
            member = GroupMember.objects.create(
                shop=shop, group=group, order=order, quantity=join.quantity, joined_at=now
            )
    except _Repeated as repeated:
        with shop_scope(shop):
            member = GroupMember.objects.filter(shop=shop, order=repeated.order).first()
        if member is None or member.group_id != group.pk:
            raise ServiceError(_("The form had expired. Check it and send it again.")) from None
        return member, False
    with shop_scope(shop):
        group.refresh_from_db()
    return member, True


# -- closing ----------------------------------------------------------------------------


def group_close(
    *, shop, group_id: int, reason: str, actor=None, request=None, now=None
) -> GroupBuy | None:
    """Close an open group: the final price to everyone, or a failure below the minimum.
    Returns the group, or None when it was not open (closed already by someone else)."""
    now = now or timezone.now()
    with transaction.atomic(), shop_scope(shop):
        closed = GroupBuy.objects.filter(pk=group_id, shop=shop, status=GroupStatus.OPEN).update(
            status=GroupStatus.CLOSED, closed_at=now, close_reason=reason
        )
        if not closed:
            return None
        group = GroupBuy.objects.select_related("variant__product").get(pk=group_id, shop=shop)
        members = _members(shop, group)
        price = price_at(group_tiers(group), group.total_quantity)
        if price is None:
            group.status = GroupStatus.FAILED
            group.save(update_fields=["status"])
            lifecycle.orders_cancel(
                shop=shop,
                order_ids=list(members),
                reason=_("The group buy did not reach its minimum."),
                tell=partial(_member_text, group, members),
            )
        else:
            group.final_price = price
            group.save(update_fields=["final_price"])
            lifecycle.orders_reprice(shop=shop, order_ids=list(members), unit_price=price)
            lifecycle.orders_await_payment(
                shop=shop, order_ids=list(members), tell=partial(_member_text, group, members)
            )
        if actor is not None:
            audit_record(
                action="groupbuy.closed",
                shop=shop,
                actor=actor,
                target=group,
                request=request,
                detail={"quantity": group.total_quantity, "price": str(price or "")},
            )
    return group


def group_cancel(*, shop, group_id: int, actor=None, request=None, now=None) -> GroupBuy | None:
    """Cancel an open group: every member's order is cancelled and its stock given back."""
    now = now or timezone.now()
    with transaction.atomic(), shop_scope(shop):
        cancelled = GroupBuy.objects.filter(pk=group_id, shop=shop, status=GroupStatus.OPEN).update(
            status=GroupStatus.CANCELLED, closed_at=now
        )
        if not cancelled:
            return None
        group = GroupBuy.objects.select_related("variant__product").get(pk=group_id, shop=shop)
        members = _members(shop, group)
        lifecycle.orders_cancel(
            shop=shop,
            order_ids=list(members),
            reason=_("The group buy was cancelled."),
            actor=actor,
            request=request,
            tell=partial(_member_text, group, members),
        )
        if actor is not None:
            audit_record(
                action="groupbuy.cancelled", shop=shop, actor=actor, target=group, request=request
            )
    return group


def _members(shop, group: GroupBuy) -> dict[int, GroupMember]:
    """The group's members still in it, by their order's id."""
    return {
        member.order_id: member
        for member in GroupMember.objects.filter(shop=shop, group=group, left_at__isnull=True)
        .select_related("order")
        .order_by("pk")
    }


def members_left(events) -> None:
    """Subscriber of ``order.cancelled`` (inline, in the cancel's transaction): a
    member whose order was cancelled leaves the group's count, once. An open group
    closes later at what the others reach; a closed group's price is set again to what
    the others reach now (the first tier's price below it), on the orders not paid
    yet, and those members are told their new total. A failed or cancelled group keeps
    its figures: it is over."""
    now = timezone.now()
    for shop_id, order_ids in _by_shop(events).items():
        with shop_scope(shop_id):
            left = list(
                GroupMember.objects.filter(
                    shop_id=shop_id, order_id__in=order_ids, left_at__isnull=True
                ).select_related("group")
            )
            groups = {}
            for member in left:
                marked = GroupMember.objects.filter(pk=member.pk, left_at__isnull=True).update(
                    left_at=now
                )
                if not marked or member.group.status not in (
                    GroupStatus.OPEN,
                    GroupStatus.CLOSED,
                ):
                    continue
                GroupBuy.objects.filter(pk=member.group_id, shop_id=shop_id).update(
                    total_quantity=F("total_quantity") - member.quantity,
                    member_count=F("member_count") - 1,
                )
                groups[member.group_id] = member.group
            for group in groups.values():
                group.refresh_from_db()
                if group.status == GroupStatus.CLOSED:
                    _closed_group_repriced(shop_id, group)


def _closed_group_repriced(shop_id: int, group: GroupBuy) -> None:
    tiers = group_tiers(group)
    price = price_at(tiers, group.total_quantity) or tiers[0].price
    if price == group.final_price:
        return
    group.final_price = price
    group.save(update_fields=["final_price"])
    members = _members(shop_id, group)
    repriced = lifecycle.orders_reprice(shop=group.shop, order_ids=list(members), unit_price=price)
    for order_id in repriced:
        _notify(group.shop, group, members[order_id])


def _by_shop(events) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for event in events:
        found.setdefault(event.shop_id, []).append(event.data["order_id"])
    return found


def groups_close_due(*, now=None) -> list[int]:
    """Periodic: queue the close of every open group whose deadline has passed.

    Closing is a conditional update, so a group queued twice is closed once."""
    now = now or timezone.now()
    with scopes_disabled():
        due = list(
            GroupBuy.objects.filter(status=GroupStatus.OPEN, deadline__lte=now)
            .order_by("deadline", "pk")
            .values_list("pk", "shop_id")[:500]
        )
    for group_id, shop_id in due:
        transaction.on_commit(
            partial(close_group.enqueue, shop_id=shop_id, group_id=group_id, now=now.isoformat())
        )
    return [group_id for group_id, _ in due]


# -- telling the members ------------------------------------------------------------------


def member_url(group: GroupBuy, member: GroupMember) -> str:
    slug = StorefrontSettings.objects.filter(shop_id=group.shop_id).values_list("slug", flat=True)[
        0
    ]
    return reverse(
        "groupbuy_member",
        kwargs={"slug": slug, "token": group.share_token, "order_token": member.order.public_token},
    )


def notification_text(group: GroupBuy, member: GroupMember, url: str) -> str:
    order = member.order
    product = str(group.variant)
    if group.status == GroupStatus.CLOSED:
        return _(
            "The group buy of %(product)s has closed with %(quantity)s pieces: everyone pays "
            "%(price)s a piece. Your order %(number)s: %(mine)s × %(price)s, total %(total)s "  # noqa: RUF001
            "to pay. Pay here: %(url)s"
        ) % {
            "product": product,
            "quantity": group.total_quantity,
            "price": format_rupiah(group.final_price),
            "number": order.external_id,
            "mine": member.quantity,
            "total": format_rupiah(order.total),
            "url": url,
        }
    if group.status == GroupStatus.FAILED:
        return _(
            "The group buy of %(product)s did not reach its minimum of %(minimum)s pieces and "
            "was closed. Your order %(number)s is cancelled; there is nothing to pay."
        ) % {
            "product": product,
            "minimum": group_tiers(group)[0].min_quantity,
            "number": order.external_id,
        }
    return _(
        "The group buy of %(product)s was cancelled. Your order %(number)s is cancelled; "
        "there is nothing to pay."
    ) % {"product": product, "number": order.external_id}


def _member_text(group: GroupBuy, members: dict[int, GroupMember], order: Order) -> str:
    """What lifecycle tells a member about their order when the group closes or ends."""
    member = members[order.pk]
    member.order = order  # as lifecycle just changed it (status, price)
    return notification_text(group, member, public_url(member_url(group, member)))


def _notify(shop, group: GroupBuy, member: GroupMember) -> None:
    """A service message to the member (consent and restrictions enforced by outreach):
    by the WhatsApp Cloud API where the shop has it and the member wrote in the last 24
    hours (free text is allowed then), else a wa.me link the seller sends from her phone."""
    customer = member.order.customer
    if customer is None:
        return
    cloud = WhatsAppCloudSettings.objects.filter(shop=shop).exists()
    channel = (
        ChannelKind.CLOUDAPI
        if cloud and window_open(shop=shop, customer=customer)
        else ChannelKind.WALINK
    )
    body = notification_text(group, member, public_url(member_url(group, member)))
    service_message_send(shop=shop, customer=customer, body=body, channel=channel)


# -- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    total: int
    members: int
    price: Decimal | None  # reached now (None: the minimum is not reached yet)
    base_price: Decimal  # the first tier's
    next_tier: Tier | None
    needed: int  # more pieces to the next tier
    tiers: list[Tier]
    reached: Tier | None


def group_progress(group: GroupBuy) -> Progress:
    tiers = group_tiers(group)
    reached = tier_at(tiers, group.total_quantity)
    following = tier_next(tiers, group.total_quantity)
    return Progress(
        total=group.total_quantity,
        members=group.member_count,
        price=reached.price if reached else None,
        base_price=tiers[0].price,
        next_tier=following,
        needed=(following.min_quantity - group.total_quantity) if following else 0,
        tiers=tiers,
        reached=reached,
    )

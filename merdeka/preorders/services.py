"""Writes of pre-order batches: open, close (by hand or at the closing time), cancel
with the orders, message every buyer, and the checkout's line policy.

Stock: a batch sells from its own quota, not from on-hand stock (the goods are made
after the batch closes). Buyers order through the normal cart and checkout; for a
variant in an open batch ``PreorderLinePolicy`` prices the line at the batch's price
and takes the quantity from the quota with one conditional UPDATE::

    UPDATE batch SET reserved = reserved + q
     WHERE id = … AND state = 'open' AND opens_at <= now AND closes_at > now
       AND (max_quantity IS NULL OR reserved + q <= max_quantity)

so two buyers racing for the last units of a capped batch cannot both win (SQLite
serialises writers; PostgreSQL re-checks the row after the first writer commits),
and a check constraint says the same in the database.
"""

from __future__ import annotations

import datetime as dt
import secrets
import zoneinfo
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from merdeka.catalog.cache import catalog_changed
from merdeka.catalog.models import Product, Variant
from merdeka.core.money import format_rupiah
from merdeka.core.scoping import scopes_disabled, shop_scope
from merdeka.core.services import ServiceError
from merdeka.core.wording import preorder_title
from merdeka.customers.models import Customer
from merdeka.orders import lifecycle
from merdeka.orders.models import Order
from merdeka.orders.services import LinePolicy
from merdeka.outreach.models import ChannelKind
from merdeka.outreach.placeholders import _TOKEN, placeholders_used
from merdeka.outreach.services import service_message_send
from merdeka.preorders.models import PreorderBatch, PreorderBatchVariant, PreorderEntry
from merdeka.preorders.selectors import batch_orders, open_batches_by_variant
from merdeka.privacy.audit import audit_record

MAX_TITLE = 120
MAX_NOTE = 1000
MAX_MESSAGE = 1000
MAX_UNITS = 1_000_000
MAX_PRICE = Decimal(1_000_000_000)
MESSAGE_PLACEHOLDERS = ("nama", "nama_depan", "toko", "pesanan", "total")


def _now(now):
    return now or timezone.now()


def batch_open(
    *,
    shop,
    actor,
    product_id: int,
    title: str,
    opens_at: dt.datetime,
    closes_at: dt.datetime,
    variant_ids: list[int] | None = None,
    ships_on: dt.date | None = None,
    min_quantity: int | None = None,
    max_quantity: int | None = None,
    price: Decimal | None = None,
    note: str = "",
    request=None,
    now=None,
) -> PreorderBatch:
    """Open a batch for a product (all its variants, or the chosen ones)."""
    now = _now(now)
    title = " ".join((title or "").split())
    if not title or len(title) > MAX_TITLE:
        raise ServiceError(_("Write a title of at most 120 characters."))
    if len(note or "") > MAX_NOTE:
        raise ServiceError(_("The note can have at most 1000 characters."))
    if closes_at <= opens_at:
        raise ServiceError(_("The closing time must be after the opening time."))
    if closes_at <= now:
        raise ServiceError(_("The closing time has already passed."))
    zone = zoneinfo.ZoneInfo(shop.time_zone)
    if ships_on is not None and ships_on < timezone.localtime(closes_at, zone).date():
        raise ServiceError(_("The estimated shipping date cannot be before the closing date."))
    for value in (min_quantity, max_quantity):
        if value is not None and not 1 <= value <= MAX_UNITS:
            raise ServiceError(_("A minimum or maximum must be between 1 and 1,000,000."))
    if min_quantity and max_quantity and min_quantity > max_quantity:
        raise ServiceError(_("The minimum cannot be more than the maximum."))
    if price is not None and not (0 < price <= MAX_PRICE and price == int(price)):
        raise ServiceError(_("The pre-order price must be a whole number of rupiah above 0."))
    with transaction.atomic(), shop_scope(shop):
        product = Product.objects.filter(shop=shop, pk=product_id).first()
        if product is None:
            raise ServiceError(_("Choose a product from your catalog."))
        variants = Variant.objects.filter(shop=shop, product=product, is_active=True)
        chosen = list(variants.values_list("pk", flat=True))
        if variant_ids:
            if set(variant_ids) - set(chosen):
                raise ServiceError(_("Choose variants of this product only."))
            chosen = sorted(set(variant_ids))
        if not chosen:
            raise ServiceError(_("This product has no variant to sell."))
        clash = PreorderBatchVariant.objects.filter(
            shop=shop,
            variant_id__in=chosen,
            batch__state=PreorderBatch.State.OPEN,
            batch__closes_at__gt=opens_at,
            batch__opens_at__lt=closes_at,
        ).select_related("batch").first()  # fmt: skip
        if clash is not None:
            raise ServiceError(
                _("%(title)s already sells this product at that time.")
                % {"title": preorder_title(clash.batch.title)}
            )
        batch = PreorderBatch.objects.create(
            shop=shop,
            product=product,
            title=title,
            note=(note or "").strip(),
            opens_at=opens_at,
            closes_at=closes_at,
            ships_on=ships_on,
            min_quantity=min_quantity,
            max_quantity=max_quantity,
            price=price,
            token=secrets.token_urlsafe(12)[:16],
        )
        PreorderBatchVariant.objects.bulk_create(
            [PreorderBatchVariant(shop=shop, batch=batch, variant_id=pk) for pk in chosen]
        )
        audit_record(
            action="preorder.opened",
            shop=shop,
            actor=actor,
            target=batch,
            request=request,
            detail={"title": title, "product": product.pk, "max": max_quantity},
        )
    catalog_changed(shop_id=shop.pk)  # the product's cached page shows the batch
    return batch


def _close(shop, batch_id, *, by: str, now) -> bool:
    """Close an open batch; False when it was not open any more (someone was first)."""
    return bool(
        PreorderBatch.objects.filter(shop=shop, pk=batch_id, state=PreorderBatch.State.OPEN).update(
            state=PreorderBatch.State.CLOSED, closed_at=now, closed_by=by
        )
    )


def batch_close(*, shop, actor, batch: PreorderBatch, request=None, now=None) -> bool:
    """The seller closes a batch early. Returns False if it was already closed."""
    now = _now(now)
    with transaction.atomic(), shop_scope(shop):
        closed = _close(shop, batch.pk, by=PreorderBatch.ClosedBy.SELLER, now=now)
        if closed:
            audit_record(
                action="preorder.closed", shop=shop, actor=actor, target=batch, request=request
            )
    if closed:
        catalog_changed(shop_id=shop.pk)
    return closed


def preorders_close_due(*, now=None) -> list[int]:
    """Periodic: close every open batch whose closing time has come, in every shop.

    Safe to run from several schedulers at once: each close is a conditional UPDATE,
    and only the one that changed the row writes the audit event.
    """
    now = _now(now)
    with scopes_disabled():
        due = list(
            PreorderBatch.objects.filter(state=PreorderBatch.State.OPEN, closes_at__lte=now)
            .order_by("pk")
            .values_list("pk", "shop_id")
        )
    closed = []
    for batch_id, shop_id in due:
        with transaction.atomic(), shop_scope(shop_id):
            if not _close(shop_id, batch_id, by=PreorderBatch.ClosedBy.SCHEDULE, now=now):
                continue
            batch = PreorderBatch.objects.get(pk=batch_id)
            audit_record(
                action="preorder.closed",
                shop=shop_id,
                target=batch,
                detail={"by": PreorderBatch.ClosedBy.SCHEDULE},
            )
        catalog_changed(shop_id=shop_id)
        closed.append(batch_id)
    return closed


def quota_release(events) -> None:
    """Subscriber of ``order.cancelled`` (inline, in the cancel's transaction): a
    cancelled order's units go back to its batches' quotas, once per entry (an entry
    is marked released in the same conditional UPDATE that decides it)."""
    now = timezone.now()
    by_shop: dict[int, list[int]] = {}
    for event in events:
        by_shop.setdefault(event.shop_id, []).append(event.data["order_id"])
    for shop_id, order_ids in by_shop.items():
        with shop_scope(shop_id):
            entries = list(
                PreorderEntry.objects.filter(
                    shop_id=shop_id, order_id__in=order_ids, released_at__isnull=True
                ).values_list("pk", "batch_id", "quantity")
            )
            for pk, batch_id, quantity in entries:
                marked = PreorderEntry.objects.filter(pk=pk, released_at__isnull=True).update(
                    released_at=now
                )
                if marked and quantity:
                    PreorderBatch.objects.filter(
                        shop_id=shop_id, pk=batch_id, reserved__gte=quantity
                    ).update(reserved=F("reserved") - quantity)


def batch_cancel(*, shop, actor, batch: PreorderBatch, request=None) -> int:
    """Cancel a batch and every order of it not yet sent, through the order lifecycle:
    the batch's units go back to its quota (``quota_release``), the catalog stock of
    any other line in those orders is released from the ledger, and each buyer is
    told. Returns how many orders were cancelled."""
    if batch.state == PreorderBatch.State.CANCELLED:
        return 0
    with transaction.atomic(), shop_scope(shop):
        batch = PreorderBatch.objects.select_for_update().get(shop=shop, pk=batch.pk)
        if batch.state == PreorderBatch.State.CANCELLED:
            return 0
        order_ids = list(
            PreorderEntry.objects.filter(shop=shop, batch=batch)
            .values_list("order_id", flat=True)
            .distinct()
        )
        outcome = lifecycle.orders_cancel(
            shop=shop,
            order_ids=order_ids,
            reason=_("%(title)s was cancelled.") % {"title": preorder_title(batch.title)},
            actor=actor,
            request=request,
        )
        cancelled = len(outcome.changed)
        PreorderBatch.objects.filter(shop=shop, pk=batch.pk).update(
            state=PreorderBatch.State.CANCELLED, closed_at=batch.closed_at or timezone.now()
        )
        audit_record(
            action="preorder.cancelled",
            shop=shop,
            actor=actor,
            target=batch,
            request=request,
            detail={"orders": cancelled},
        )
    catalog_changed(shop_id=shop.pk)
    return cancelled


# -- the checkout ------------------------------------------------------------------


class PreorderLinePolicy(LinePolicy):
    """Lines of a variant in an open batch: the batch's price, from the batch's quota;
    every other line as usual, from stock."""

    def __init__(self, batches: dict[int, PreorderBatch], now):
        self.batches = batches
        self.now = now

    def price(self, variant) -> Decimal:
        batch = self.batches.get(variant.pk)
        if batch is not None and batch.price:
            return batch.price
        return super().price(variant)

    def from_stock(self, variant) -> bool:
        return variant.pk not in self.batches

    def reserve(self, *, shop, variant, quantity: int, order):
        batch = self.batches.get(variant.pk)
        if batch is None:
            return super().reserve(shop=shop, variant=variant, quantity=quantity, order=order)
        taken = PreorderBatch.objects.filter(
            Q(max_quantity__isnull=True) | Q(max_quantity__gte=F("reserved") + quantity),
            shop=shop,
            pk=batch.pk,
            state=PreorderBatch.State.OPEN,
            opens_at__lte=self.now,
            closes_at__gt=self.now,
        ).update(reserved=F("reserved") + quantity)
        if not taken:
            fresh = PreorderBatch.objects.filter(shop=shop, pk=batch.pk).first()
            if (
                fresh is None
                or fresh.state != PreorderBatch.State.OPEN
                or (fresh.closes_at <= self.now)
            ):
                raise ServiceError(
                    _("%(title)s has closed. Remove it from your cart.")
                    % {"title": preorder_title(batch.title)}
                )
            left = max(0, (fresh.max_quantity or 0) - fresh.reserved)
            raise ServiceError(
                _("Only %(left)s left in %(title)s. Lower the quantity.")
                % {"left": left, "title": preorder_title(batch.title)}
            )
        PreorderEntry.objects.create(
            shop=shop,
            batch_id=batch.pk,
            order=order,
            variant=variant,
            quantity=quantity,
            amount=self.price(variant) * quantity,
        )
        return None


def checkout_policy(*, shop, now=None) -> LinePolicy:
    """The line policy of a checkout now: pre-order lines where a batch is open."""
    now = _now(now)
    return PreorderLinePolicy(open_batches_by_variant(shop=shop, now=now), now)


# -- messages to every buyer ---------------------------------------------------------


def message_check(body: str) -> None:
    if not body.strip() or len(body) > MAX_MESSAGE:
        raise ServiceError(_("Write a message of at most 1000 characters."))
    unknown = [p for p in dict.fromkeys(placeholders_used(body)) if p not in MESSAGE_PLACEHOLDERS]
    if unknown:
        raise ServiceError(
            _("Unknown placeholder: %(unknown)s. You can use: %(known)s.")
            % {
                "unknown": ", ".join("{" + p + "}" for p in unknown),
                "known": ", ".join("{" + p + "}" for p in MESSAGE_PLACEHOLDERS),
            }
        )


def _fill_order_values(body: str, *, numbers: list[str], total: Decimal) -> str:
    """{pesanan} and {total} of this buyer; {nama} and the rest are outreach's."""
    values = {"pesanan": ", ".join(numbers), "total": format_rupiah(total)}

    def replace(match):
        name = match.group(1).strip()
        return values[name] if name in values else match.group(0)

    return _TOKEN.sub(replace, body)


def batch_message_buyers(
    *, shop, actor, batch: PreorderBatch, body: str, channel: str, subject: str = "", request=None
) -> dict[str, int]:
    """One text to every buyer of the batch, as a service message (about the order
    they placed); consent and erasure are checked by outreach. Returns the counts."""
    message_check(body)
    if channel not in ChannelKind.values:
        raise ServiceError(_("Choose a channel from the list."))
    orders = batch_orders(shop=shop, batch=batch)
    without = sum(1 for order in orders if order.customer_id is None)
    sent = 0
    with transaction.atomic(), shop_scope(shop):
        # a buyer merged into another customer since is messaged as the survivor
        first = Customer.objects.in_bulk({o.customer_id for o in orders if o.customer_id})
        roots = {pk: (c.merged_into_id or pk) for pk, c in first.items()}
        survivors = Customer.objects.in_bulk(set(roots.values()))
        by_customer: dict[int, list[Order]] = {}
        for order in orders:
            if order.customer_id in roots:
                by_customer.setdefault(roots[order.customer_id], []).append(order)
        for customer_id, own in by_customer.items():
            customer = survivors.get(customer_id)
            if customer is None:
                without += len(own)
                continue
            text = _fill_order_values(
                body,
                numbers=[o.external_id for o in own],
                total=sum((o.total or Decimal(0) for o in own), Decimal(0)),
            )
            service_message_send(
                shop=shop, customer=customer, body=text, channel=channel, subject=subject
            )
            sent += 1
        audit_record(
            action="preorder.messaged",
            shop=shop,
            actor=actor,
            target=batch,
            request=request,
            detail={"channel": channel, "messages": sent, "skipped": without},
        )
    return {"sent": sent, "skipped": without}

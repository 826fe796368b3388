"""Reads of pre-order batches; every read takes ``shop=`` and runs in its scope."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from merdeka.core.scoping import shop_scope
from merdeka.orders.models import Order, Status
from merdeka.preorders.models import PreorderBatch, PreorderBatchVariant, PreorderEntry

_LIVE = ~Q(order__status=Status.CANCELLED)


@dataclass
class BatchTotals:
    units: int
    orders: int
    amount: Decimal
    minimum: int | None
    maximum: int | None

    @property
    def minimum_reached(self) -> bool:
        return self.minimum is None or self.units >= self.minimum

    @property
    def left(self) -> int | None:
        return None if self.maximum is None else max(0, self.maximum - self.units)

    @property
    def percent(self) -> int:
        goal = self.maximum or self.minimum
        return min(100, round(100 * self.units / goal)) if goal else 0


def is_open(batch: PreorderBatch, now=None) -> bool:
    now = now or timezone.now()
    return batch.state == PreorderBatch.State.OPEN and batch.opens_at <= now < batch.closes_at


def batch_totals(*, shop, batch: PreorderBatch) -> BatchTotals:
    """Units, orders and amount of the batch's orders that are not cancelled."""
    with shop_scope(shop):
        row = PreorderEntry.objects.filter(_LIVE, shop=shop, batch=batch).aggregate(
            units=Sum("quantity"), orders=Count("order", distinct=True), amount=Sum("amount")
        )
    return BatchTotals(
        units=row["units"] or 0,
        orders=row["orders"] or 0,
        amount=row["amount"] or Decimal(0),
        minimum=batch.min_quantity,
        maximum=batch.max_quantity,
    )


def batch_list(*, shop) -> list[tuple[PreorderBatch, BatchTotals]]:
    with shop_scope(shop):
        batches = list(
            PreorderBatch.objects.filter(shop=shop)
            .select_related("product")
            .annotate(
                units=Sum("entries__quantity", filter=~Q(entries__order__status="cancelled")),
                order_count=Count(
                    "entries__order",
                    distinct=True,
                    filter=~Q(entries__order__status="cancelled"),
                ),
                amount=Sum("entries__amount", filter=~Q(entries__order__status="cancelled")),
            )
        )
    return [
        (
            b,
            BatchTotals(
                b.units or 0, b.order_count or 0, b.amount or 0, b.min_quantity, b.max_quantity
            ),
        )
        for b in batches
    ]


def batch_get(*, shop, batch_id: int) -> PreorderBatch | None:
    with shop_scope(shop):
        return (
            PreorderBatch.objects.filter(shop=shop, pk=batch_id).select_related("product").first()
        )


def batch_public(*, shop, token: str) -> PreorderBatch | None:
    """A batch by its public token, for the storefront (never another shop's)."""
    if not token or len(token) > 24:
        return None
    with shop_scope(shop):
        return (
            PreorderBatch.objects.filter(shop=shop, token=token, product__is_published=True)
            .select_related("product")
            .first()
        )


def preorder_order_ids(*, shop, order_ids) -> set[int]:
    """Which of these orders took units from a pre-order batch (for the order book)."""
    with shop_scope(shop):
        return set(
            PreorderEntry.objects.filter(shop=shop, order_id__in=order_ids).values_list(
                "order_id", flat=True
            )
        )


def batch_orders(*, shop, batch: PreorderBatch) -> list[Order]:
    """The batch's orders that are not cancelled, oldest first, with their customers."""
    with shop_scope(shop):
        ids = PreorderEntry.objects.filter(shop=shop, batch=batch).values("order_id")
        return list(
            Order.objects.filter(shop=shop, pk__in=ids)
            .exclude(status=Status.CANCELLED)
            .select_related("customer")
            .order_by("ordered_at", "pk")
        )


def batch_buyers(*, shop, batch: PreorderBatch) -> list[dict]:
    """Who ordered what from the batch (personal data: the caller audits the read)."""
    orders = batch_orders(shop=shop, batch=batch)
    with shop_scope(shop):
        units: dict[int, int] = {}
        for order_id, quantity in PreorderEntry.objects.filter(
            shop=shop, batch=batch, order__in=[o.pk for o in orders]
        ).values_list("order_id", "quantity"):
            units[order_id] = units.get(order_id, 0) + quantity
    return [{"order": o, "units": units.get(o.pk, 0)} for o in orders]


def open_batches_by_variant(*, shop, now=None) -> dict[int, PreorderBatch]:
    """variant id -> the batch open now that sells it."""
    now = now or timezone.now()
    with shop_scope(shop):
        rows = PreorderBatchVariant.objects.filter(
            shop=shop,
            batch__state=PreorderBatch.State.OPEN,
            batch__opens_at__lte=now,
            batch__closes_at__gt=now,
        ).select_related("batch")
        return {row.variant_id: row.batch for row in rows}


def product_batches(*, shop, product, now=None) -> list[tuple[PreorderBatch, BatchTotals, set]]:
    """The product's batches open now (or opening later), with their totals and variants."""
    now = now or timezone.now()
    with shop_scope(shop):
        batches = list(
            PreorderBatch.objects.filter(
                shop=shop, product=product, state=PreorderBatch.State.OPEN, closes_at__gt=now
            ).order_by("opens_at", "pk")
        )
        variants: dict[int, set] = {}
        for batch_id, variant_id in PreorderBatchVariant.objects.filter(
            shop=shop, batch__in=batches
        ).values_list("batch_id", "variant_id"):
            variants.setdefault(batch_id, set()).add(variant_id)
    return [(b, batch_totals(shop=shop, batch=b), variants.get(b.pk, set())) for b in batches]


def closed_batches_by_variant(*, shop, variant_ids, now=None) -> dict[int, PreorderBatch]:
    """variant id -> the last batch that sold it and is over now (closed by the seller or
    the schedule, past its closing time, or cancelled), for these variants."""
    now = now or timezone.now()
    open_now = Q(batch__state=PreorderBatch.State.OPEN, batch__closes_at__gt=now)
    with shop_scope(shop):
        rows = (
            PreorderBatchVariant.objects.filter(
                shop=shop, variant_id__in=variant_ids, batch__opens_at__lte=now
            )
            .exclude(open_now)
            .select_related("batch")
            .order_by("batch__closes_at", "batch_id")
        )
        return {row.variant_id: row.batch for row in rows}  # the last one wins


def cart_annotate(*, shop, lines, now=None) -> None:
    """Mark the cart lines of variants in an open batch: the batch's price, what is left
    of its quota (None: no cap) in place of stock, and the batch itself. A line of a
    batch that is over and has no stock to sell instead gets ``preorder_closed``: the
    cart says the pre-order is closed, not that the product is sold out."""
    if not lines:
        return
    now = now or timezone.now()
    batches = open_batches_by_variant(shop=shop, now=now)
    unsold = [
        line.variant.pk
        for line in lines
        if line.variant.pk not in batches
        and line.available is not None
        and line.available < line.quantity
    ]
    closed = closed_batches_by_variant(shop=shop, variant_ids=unsold, now=now) if unsold else {}
    for line in lines:
        line.preorder_closed = closed.get(line.variant.pk)
        batch = batches.get(line.variant.pk)
        if batch is None:
            continue
        line.preorder = batch
        line.price = batch.price or line.variant.price
        line.available = (
            None if batch.max_quantity is None else max(0, batch.max_quantity - batch.reserved)
        )


def cards_annotate(*, shop, cards, now=None) -> None:
    """Products in an open batch are made to order: never "sold out" on the shop page."""
    batches = open_batches_by_variant(shop=shop, now=now)
    if not batches:
        return
    for card in cards:
        if any(v.pk in batches for v in card.product.variants.all()):
            card.preorder = True
            card.sold_out = False

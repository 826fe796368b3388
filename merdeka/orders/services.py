"""Placing an order from a buyer: ``order_place``, the entry point of the storefront
checkout, pre-orders and group buys (the seller's own entry point is
``merdeka.orders.manual``; both stand on ``merdeka.orders.placement``).

It is idempotent and never oversells:

* the order row carries the caller's idempotency key (``placement.place``): a double
  tap or a retried request finds the first order and returns it;
* every line reserves stock through the catalog's stock service with a conditional
  UPDATE (``reserved = reserved + q WHERE on_hand - reserved >= q``); one shortfall
  rolls the whole order back;
* the buyer becomes a customer of the shop through identity resolution (channel
  "storefront"), and every marketing box they ticked is recorded in the consent
  ledger, source "checkout".
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from merdeka.catalog.selectors import variants_on_sale
from merdeka.catalog.services import stock_reserve, stock_shortage
from merdeka.core.phone import normalize_email, normalize_phone
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.customers.models import Customer
from merdeka.orders.lines import order_line_for
from merdeka.orders.models import Channel, DeliveryMethod, Order, OrderLine, PaymentMethod, Status
from merdeka.orders.placement import (
    MAX_LINES,
    MAX_QUANTITY,
    Buyer,
    buyer_customer_id,
    check_key,
    new_order,
    order_number,
    place,
)
from merdeka.orders.selectors import order_by_idempotency_key
from merdeka.privacy.consent import consent_record

__all__ = [
    "MAX_LINES",
    "MAX_QUANTITY",
    "Buyer",
    "LinePolicy",
    "LineRequest",
    "order_by_idempotency_key",
    "order_number",
    "order_place",
]


@dataclass(frozen=True)
class LineRequest:
    variant_id: int
    quantity: int


class LinePolicy:
    """How ``order_place`` prices a catalog line and where it takes it from: by default
    the variant's price and the shop's stock. Pre-orders pass their own (the batch's
    price and quota); ``reserve`` runs inside the order's transaction."""

    def price(self, variant) -> Decimal:
        return variant.price

    def from_stock(self, variant) -> bool:
        """Whether the line comes out of the shop's stock (checked before the order's
        transaction, so that a sold-out crowd is refused without writing)."""
        return True

    def reserve(self, *, shop, variant, quantity: int, order):
        return stock_reserve(shop=shop, variant=variant, quantity=quantity, order=order)


def order_place(
    *,
    shop,
    lines: list[LineRequest],
    buyer: Buyer,
    idempotency_key: str,
    delivery_method: str,
    payment_method: str,
    shipping_fee: Decimal = Decimal(0),
    note: str = "",
    channel: str = Channel.STOREFRONT,
    status: str = Status.AWAITING_PAYMENT,
    consent_evidence: dict | None = None,
    line_policy: LinePolicy | None = None,
) -> tuple[Order, bool]:
    """Place an order; returns ``(order, created)``. ``created`` is False for a retry.

    Raises ``ServiceError`` (Indonesian, for the buyer) when the cart is empty or too
    big, a product is no longer sold, or stock runs short; nothing is written then.
    """
    check_key(idempotency_key)
    if delivery_method not in DeliveryMethod.values or payment_method not in PaymentMethod.values:
        raise ValueError("unknown delivery or payment method")
    merged: dict[int, int] = {}
    for line in lines:
        if line.quantity <= 0 or line.quantity > MAX_QUANTITY:
            raise ServiceError(_("A quantity must be between 1 and 999."))
        merged[line.variant_id] = merged.get(line.variant_id, 0) + line.quantity
    if not merged:
        raise ServiceError(_("Your cart is empty."))
    if len(merged) > MAX_LINES:
        raise ServiceError(_("An order can have at most 50 different products."))
    if normalize_phone(buyer.phone) is None:
        raise ServiceError(_("Enter a WhatsApp number we can reach, such as 0812-3456-7890."))
    policy = line_policy or LinePolicy()

    def write(variants) -> Order:
        return _write(
            shop=shop,
            merged=merged,
            variants=variants,
            buyer=buyer,
            key=idempotency_key,
            delivery_method=delivery_method,
            payment_method=payment_method,
            shipping_fee=shipping_fee,
            note=note,
            channel=channel,
            status=status,
            consent_evidence=consent_evidence or {},
            policy=policy,
        )

    # Read before the write transaction what is sold at what price, and whether the
    # stock can be enough at all: a crowd that arrives after the last unit is told so
    # without writing.
    return place(
        shop=shop,
        key=idempotency_key,
        prepare=lambda: _sellable(shop, merged, policy),
        write=write,
    )


def _sellable(shop, merged: dict[int, int], policy: LinePolicy) -> dict:
    """The variants of ``merged`` that are on sale (``ServiceError`` otherwise);
    raises ``StockShortage`` for a line more than the stock that sells online could
    give. Outside the order's transaction: the reservation inside it is what decides,
    this only spares it a certain refusal (a flash sale's crowd mostly arrives after
    the last unit)."""
    variants, available = variants_on_sale(shop=shop, variant_ids=merged)
    if any(pk not in variants for pk in merged):
        raise ServiceError(_("A product in your cart is no longer sold. Remove it and try again."))
    for pk in sorted(merged):
        variant = variants[pk]
        if variant.track_stock and policy.from_stock(variant) and available[pk] < merged[pk]:
            raise stock_shortage(variant=variant, available=available[pk])
    return variants


def _write(
    *,
    shop,
    merged,
    variants,
    buyer: Buyer,
    key,
    delivery_method,
    payment_method,
    shipping_fee,
    note,
    channel,
    status,
    consent_evidence,
    policy: LinePolicy,
) -> Order:
    with shop_scope(shop):
        subtotal = sum(
            (policy.price(variants[pk]) * quantity for pk, quantity in merged.items()), Decimal(0)
        )
        now = timezone.now()
        customer_id = buyer_customer_id(shop=shop, buyer=buyer, source=channel, seen_at=now)
        order = new_order(
            shop=shop,
            key=key,
            channel=channel,
            status=status,
            buyer=buyer,
            customer_id=customer_id,
            ordered_at=now,
            subtotal=subtotal,
            shipping_fee=shipping_fee,
            delivery_method=delivery_method,
            payment_method=payment_method,
            note=note,
        )
        # reserve in a fixed order (by variant id) so concurrent orders lock alike
        rows = []
        for position, pk in enumerate(sorted(merged)):
            variant, quantity = variants[pk], merged[pk]
            location = policy.reserve(shop=shop, variant=variant, quantity=quantity, order=order)
            rows.append(
                order_line_for(
                    shop=shop,
                    order=order,
                    position=position,
                    quantity=quantity,
                    unit_price=policy.price(variant),
                    variant=variant,
                    location=location,
                )
            )
        OrderLine.objects.bulk_create(rows)
        if customer_id is not None and buyer.marketing:
            customer = Customer.objects.get(shop=shop, pk=customer_id)
            for consent_channel in sorted(buyer.marketing):
                if consent_channel == "email" and not normalize_email(buyer.email):
                    continue
                consent_record(
                    shop=shop,
                    customer=customer,
                    channel=consent_channel,
                    granted=True,
                    source="checkout",
                    evidence={"order": order.external_id, **consent_evidence},
                )
        return order

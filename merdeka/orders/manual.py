"""Manual orders: what a seller copies out of a WhatsApp chat into Merdeka by hand.

``manual_order_create`` is the seller's entry point beside the buyer's ``order_place``;
both stand on ``merdeka.orders.placement`` (the idempotency key and retry loop, the
order row, identity resolution of the buyer into a customer, source "manual") and
reserve stock through the catalog's stock service. What differs:

* lines come from the whole catalog (also products not shown in the online shop), at a
  price the seller may change, and free-text lines (name, quantity, price) that take
  no stock;
* the seller says when the order was placed (a chat from yesterday) - not in the future;
* no marketing consent is asked or recorded: the buyer did not tick anything.

Everything is checked before anything is written, and it all happens in one
transaction: a shortage of one line writes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from merdeka.catalog.models import Variant
from merdeka.catalog.services import StockShortage, stock_reserve
from merdeka.core.phone import normalize_phone
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.orders.lines import order_line_for
from merdeka.orders.models import Channel, DeliveryMethod, Order, OrderLine, PaymentMethod, Status
from merdeka.orders.placement import (
    MAX_LINES,
    MAX_QUANTITY,
    Buyer,
    buyer_customer_id,
    check_key,
    new_order,
    place,
)
from merdeka.privacy.audit import audit_record

MAX_PRICE = Decimal(1_000_000_000)  # Rp1 miliar a unit: anything above is a typo
MAX_NAME = 100
MAX_LINE_NAME = 200
MAX_NOTE = 1000
# a phone's clock may run a little ahead of the server's
FUTURE_SLACK = dt.timedelta(minutes=10)
OLDEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class ManualLine:
    """A catalog line (``variant_id``) or a free-text line (``name``)."""

    quantity: int
    variant_id: int | None = None
    name: str = ""
    unit_price: Decimal | None = None  # None: the variant's own price


def _check_money(value: Decimal | None, what: str) -> None:
    if value is None:
        return
    value = Decimal(value)
    if value < 0 or value != value.to_integral_value() or value > MAX_PRICE:
        raise ServiceError(
            _("%(what)s must be a whole number of rupiah from 0 to 1,000,000,000.") % {"what": what}
        )


def _validate(*, buyer: Buyer, lines, shipping_fee, note, ordered_at, now) -> None:
    name = " ".join(buyer.name.split())
    if len(name) < 2 or len(name) > MAX_NAME:
        raise ServiceError(_("Write the buyer's name (2 to 100 characters)."))
    if normalize_phone(buyer.phone) is None:
        raise ServiceError(
            _("The buyer's WhatsApp number is not a number we can reach, e.g. 0812-3456-7890.")
        )
    if not lines:
        raise ServiceError(_("Add at least one product to the order."))
    if len(lines) > MAX_LINES:
        raise ServiceError(_("An order can have at most 50 lines."))
    for number, line in enumerate(lines, start=1):
        if not 1 <= line.quantity <= MAX_QUANTITY:
            raise ServiceError(
                _("Line %(line)s: the quantity must be between 1 and 999.") % {"line": number}
            )
        if line.variant_id is None:
            text = line.name.strip()
            if not text or len(text) > MAX_LINE_NAME:
                raise ServiceError(
                    _("Line %(line)s: write what was ordered (at most 200 characters).")
                    % {"line": number}
                )
            if line.unit_price is None:
                raise ServiceError(_("Line %(line)s: write the price.") % {"line": number})
        _check_money(line.unit_price, _("Line %(line)s: the price") % {"line": number})
    _check_money(shipping_fee, _("The shipping fee"))
    if len(note) > MAX_NOTE:
        raise ServiceError(_("The note can have at most 1000 characters."))
    if ordered_at > now + FUTURE_SLACK or ordered_at < OLDEST:
        raise ServiceError(_("The order time cannot be in the future."))


def manual_order_create(
    *,
    shop,
    actor,
    buyer: Buyer,
    lines: list[ManualLine],
    idempotency_key: str,
    delivery_method: str,
    payment_method: str,
    shipping_fee: Decimal = Decimal(0),
    note: str = "",
    ordered_at: dt.datetime | None = None,
    request=None,
) -> tuple[Order, bool]:
    """Write an order the seller typed in; returns ``(order, created)``.

    ``created`` is False when the same form was sent twice (the first order stands).
    Raises ``ServiceError`` in the seller's language; nothing is written then.
    """
    check_key(idempotency_key)
    if delivery_method not in DeliveryMethod.values or payment_method not in PaymentMethod.values:
        raise ServiceError(_("Choose a delivery method and a payment method from the list."))
    now = timezone.now()
    ordered_at = ordered_at or now
    if timezone.is_naive(ordered_at):
        raise ValueError("ordered_at must be aware")
    _validate(
        buyer=buyer,
        lines=lines,
        shipping_fee=shipping_fee,
        note=note,
        ordered_at=ordered_at,
        now=now,
    )

    def write(_prepared) -> Order:
        order = _write(
            shop=shop,
            buyer=buyer,
            lines=lines,
            key=idempotency_key,
            delivery_method=delivery_method,
            payment_method=payment_method,
            shipping_fee=shipping_fee or Decimal(0),
            note=note,
            ordered_at=ordered_at,
        )
        audit_record(
            action="order.manual_created",
            shop=shop,
            actor=actor,
            target=order,
            request=request,
            detail={"number": order.external_id, "lines": len(lines)},
        )
        return order

    return place(shop=shop, key=idempotency_key, write=write)


def _write(
    *, shop, buyer, lines, key, delivery_method, payment_method, shipping_fee, note, ordered_at
):
    with shop_scope(shop):
        wanted = {line.variant_id for line in lines if line.variant_id is not None}
        variants = {
            v.pk: v
            for v in Variant.objects.filter(
                shop=shop, pk__in=wanted, is_active=True
            ).select_related("product")
        }
        if wanted - set(variants):
            raise ServiceError(
                _("A product on the order is not in your catalog any more. Choose it again.")
            )
        priced = []
        for line in lines:
            variant = variants.get(line.variant_id)
            price = line.unit_price if line.unit_price is not None else variant.price
            priced.append((line, variant, price))
        subtotal = sum((price * line.quantity for line, _v, price in priced), Decimal(0))
        order = new_order(
            shop=shop,
            key=key,
            channel=Channel.MANUAL,
            status=Status.AWAITING_PAYMENT,
            buyer=buyer,
            customer_id=buyer_customer_id(
                shop=shop, buyer=buyer, source=Channel.MANUAL, seen_at=ordered_at
            ),
            ordered_at=ordered_at,
            subtotal=subtotal,
            shipping_fee=shipping_fee,
            delivery_method=delivery_method,
            payment_method=payment_method,
            note=note,
        )
        # reserve in a fixed order (by variant id) so that concurrent orders lock alike
        locations = {}
        for index in sorted(
            (i for i, (_l, variant, _p) in enumerate(priced) if variant is not None),
            key=lambda i: priced[i][1].pk,
        ):
            line, variant, _price = priced[index]
            try:
                locations[index] = stock_reserve(
                    shop=shop, variant=variant, quantity=line.quantity, order=order
                )
            except StockShortage as exc:  # the buyer's wording talks of a cart
                raise ServiceError(
                    _("Not enough stock of %(product)s: %(available)s left, %(wanted)s ordered.")
                    % {"product": variant, "available": exc.available, "wanted": line.quantity}
                ) from None
        OrderLine.objects.bulk_create(
            [
                order_line_for(
                    shop=shop,
                    order=order,
                    position=position,
                    quantity=line.quantity,
                    unit_price=price,
                    variant=variant,
                    name=line.name,
                    location=locations.get(position),
                )
                for position, (line, variant, price) in enumerate(priced)
            ]
        )
        return order


def manual_catalog(*, shop) -> list:
    """The variants a seller can put on a manual order: every active one, by product."""
    with shop_scope(shop):
        return list(
            Variant.objects.filter(shop=shop, is_active=True)
            .select_related("product")
            .order_by("product__name", "position", "id")
        )

"""Placing orders. ``order_place`` is the one way an order enters Merdeka from a buyer:
the storefront checkout now; pre-orders and group buys later call it the same way.

It is idempotent and never oversells:

* the order row carries the caller's idempotency key under a unique constraint
  (shop, key): a double tap or a retried request finds the first order and returns it;
* every line reserves stock with a conditional UPDATE (``reserved = reserved + q WHERE
  on_hand - reserved >= q``); one shortfall rolls the whole order back;
* the buyer becomes a customer of the shop through identity resolution (the same
  ``Resolver`` imports use, channel "storefront"), and every marketing box they ticked
  is recorded in the consent ledger, source "checkout".

Everything happens in one transaction. Under contention a unique-constraint race (two
requests with one key, or two new buyers with one phone on PostgreSQL) is retried.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from merdeka.core.phone import normalize_email, normalize_phone
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.orders.lines import order_line_for, recipient_fields
from merdeka.orders.models import Channel, DeliveryMethod, Order, OrderLine, PaymentMethod, Status
from merdeka.privacy.crypto import data_key_versions_pinned

try:  # bulk writes on PostgreSQL (COPY) raise psycopg's own error, not Django's
    from psycopg.errors import IntegrityError as _PsycopgIntegrityError

    _CONFLICTS: tuple[type[Exception], ...] = (IntegrityError, _PsycopgIntegrityError)
except ImportError:  # pragma: no cover - SQLite-only installs
    _CONFLICTS = (IntegrityError,)

MAX_LINES = 50
MAX_QUANTITY = 999
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class LineRequest:
    variant_id: int
    quantity: int


@dataclass(frozen=True)
class Buyer:
    name: str
    phone: str
    email: str = ""
    street: str = ""
    village: str = ""
    district: str = ""
    city: str = ""
    province: str = ""
    postal_code: str = ""
    marketing: frozenset[str] = field(default_factory=frozenset)  # consent channels ticked


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
        from merdeka.catalog.services import stock_reserve

        return stock_reserve(shop=shop, variant=variant, quantity=quantity, order=order)


def order_number() -> str:
    """A short order number to say over WhatsApp, not sequential: ``TK-7Q3M9KXA``."""
    return "TK-" + "".join(secrets.choice(_ALPHABET) for _ in range(8))


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
    if not idempotency_key or len(idempotency_key) > 64:
        raise ValueError("an idempotency key of 1-64 characters is needed")
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
    for attempt in range(5):
        existing = order_by_idempotency_key(shop, idempotency_key)
        if existing is not None:
            return existing, False
        try:
            # Read before the write transaction (on SQLite it holds the one write lock):
            # what is sold at what price, and whether the stock can be enough at all. A
            # crowd that arrives after the last unit is told so without writing.
            variants = _sellable(shop, merged, policy)
        except ServiceError:
            # a double tap whose first request just took the last unit gets its order
            existing = order_by_idempotency_key(shop, idempotency_key)
            if existing is not None:
                return existing, False
            raise
        try:
            with transaction.atomic(), data_key_versions_pinned():
                order = _place(
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
            return order, True
        except _CONFLICTS:
            # another request with the same key won (we return its order), or two new
            # buyers with one phone met (the next attempt finds the first one's identity)
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def order_by_idempotency_key(shop, key: str) -> Order | None:
    """The shop's order placed with ``key``, if any. Asked of every placement, retries
    and refusals included: one raw indexed query (building the ORM's costs more than
    running it); the raw queryset still decrypts and converts every field."""
    with shop_scope(shop):
        return next(iter(Order.objects.raw(_IDEMPOTENCY_SQL, [shop.pk, key])), None)


_IDEMPOTENCY_SQL = (
    f'SELECT * FROM "{Order._meta.db_table}" '  # noqa: S608 - our own names
    'WHERE "shop_id" = %s AND "idempotency_key" = %s'
)


def _sellable_sql(count: int) -> str:
    """Every variant asked for that is on sale, with its product's name and the units
    the locations that sell online have free: one query (see ``_sellable``)."""
    from merdeka.catalog.models import Product, StockLevel, StockLocation, Variant

    return (
        f'SELECT v.*, p."name" AS "_product_name", '  # noqa: S608 - our own names
        f'(SELECT COALESCE(SUM(l."on_hand" - l."reserved"), 0) FROM "{StockLevel._meta.db_table}" l'
        f' JOIN "{StockLocation._meta.db_table}" loc ON loc."id" = l."location_id"'
        ' WHERE l."shop_id" = v."shop_id" AND l."variant_id" = v."id" AND loc."sells_online")'
        ' AS "_available" '
        f'FROM "{Variant._meta.db_table}" v JOIN "{Product._meta.db_table}" p'
        ' ON p."id" = v."product_id" AND p."shop_id" = v."shop_id" '
        'WHERE v."shop_id" = %s AND v."id" IN ({}) AND v."is_active" AND p."is_published"'.format(
            ", ".join(["%s"] * count)
        )
    )


def _sellable(shop, merged: dict[int, int], policy: LinePolicy) -> dict:
    """The variants of ``merged`` that are on sale (``ServiceError`` otherwise), with
    their products' names loaded; raises ``StockShortage`` for a line more than the
    stock that sells online could give. One raw query, outside the order's transaction:
    the reservation inside it is what decides, this only spares it a certain refusal
    (a flash sale's crowd mostly arrives after the last unit)."""
    from merdeka.catalog.models import Product, Variant
    from merdeka.catalog.services import stock_shortage

    ids = sorted(merged)
    variants, available = {}, {}
    with shop_scope(shop):
        for variant in Variant.objects.raw(_sellable_sql(len(ids)), [shop.pk, *ids]):
            # the product as a deferred instance: its name is here, the rest loads if asked
            variant.product = Product.from_db(
                variant._state.db,
                ["id", "shop_id", "name"],
                [variant.product_id, variant.shop_id, variant._product_name],
            )
            variants[variant.pk] = variant
            available[variant.pk] = int(variant._available)
    if any(pk not in variants for pk in merged):
        raise ServiceError(_("A product in your cart is no longer sold. Remove it and try again."))
    for pk in ids:
        variant = variants[pk]
        if variant.track_stock and policy.from_stock(variant) and available[pk] < merged[pk]:
            raise stock_shortage(variant=variant, available=available[pk])
    return variants


def _place(
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
    from merdeka.customers.resolution import BuyerInput, Resolver, email_claim, phone_claim
    from merdeka.privacy.consent import consent_record

    with shop_scope(shop):
        subtotal = sum(
            (policy.price(variants[pk]) * quantity for pk, quantity in merged.items()), Decimal(0)
        )
        now = timezone.now()
        resolver = Resolver(shop=shop, source=channel)
        [customer_id] = resolver.resolve_many(
            [
                BuyerInput(
                    claims=[phone_claim(buyer.phone), email_claim(buyer.email)],
                    name=buyer.name,
                    city=buyer.city,
                    province=buyer.province,
                    address=buyer.street or None,
                    seen_at=now,
                )
            ]
        )
        order = Order(
            shop=shop,
            channel=channel,
            external_id=order_number(),
            customer_id=customer_id,
            status=status,
            ordered_at=now,
            subtotal=subtotal,
            shipping_fee=shipping_fee,
            total=subtotal + shipping_fee,
            recipient_name=buyer.name.strip(),
            **recipient_fields(buyer),
            idempotency_key=key,
            public_token=secrets.token_urlsafe(24)[:32],
            delivery_method=delivery_method,
            payment_method=payment_method,
            note=note.strip() or None,
        )
        order.save()
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
            from merdeka.customers.models import Customer

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

"""The one core of placing an order, under its two entry points: ``order_place`` (a
buyer: the storefront checkout, pre-orders and group buys) and ``manual_order_create``
(the seller typing in an order from a chat).

What every placement shares lives here, once:

* idempotency: the order row carries the caller's key under a unique constraint
  (shop, key); a double tap or a retried request finds the first order and gets it
  back (``place``);
* the retry loop: a unique-constraint race (two requests with one key, or two new
  buyers with one phone on PostgreSQL) rolls the attempt back and tries again, where
  the next attempt finds the winner's order or identity;
* the buyer: resolved into a customer of the shop by the same ``Resolver`` imports use
  (``buyer_customer_id``);
* the order row itself (``new_order``) and the announcement that it exists
  (``merdeka.orders.lifecycle.orders_placed``), in the transaction that writes it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

from django.db import IntegrityError, transaction

from merdeka.core.services import ServiceError
from merdeka.customers.resolution import BuyerInput, Resolver, email_claim, phone_claim
from merdeka.orders import lifecycle
from merdeka.orders.lines import recipient_fields
from merdeka.orders.models import Order
from merdeka.orders.selectors import idempotency_key_valid, order_by_idempotency_key
from merdeka.privacy.crypto import data_key_versions_pinned

try:  # bulk writes on PostgreSQL (COPY) raise psycopg's own error, not Django's
    from psycopg.errors import IntegrityError as _PsycopgIntegrityError

    CONFLICTS: tuple[type[Exception], ...] = (IntegrityError, _PsycopgIntegrityError)
except ImportError:  # pragma: no cover - SQLite-only installs
    CONFLICTS = (IntegrityError,)

ATTEMPTS = 5
MAX_LINES = 50
MAX_QUANTITY = 999
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
P = TypeVar("P")


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


def order_number() -> str:
    """A short order number to say over WhatsApp, not sequential: ``TK-7Q3M9KXA``."""
    return "TK-" + "".join(secrets.choice(_ALPHABET) for _ in range(8))


def check_key(key: str) -> None:
    if not idempotency_key_valid(key):
        raise ValueError("an idempotency key of 1-64 characters, none of them NUL, is needed")


def place(
    *,
    shop,
    key: str,
    write: Callable[[P], Order],
    prepare: Callable[[], P] | None = None,
) -> tuple[Order, bool]:
    """Place an order once per ``key``: ``(order, created)``.

    ``prepare`` runs before the write transaction (on SQLite that transaction holds the
    one write lock, so reads that may refuse the order happen outside it); a refusal
    from it still returns the order of a double tap whose first request just won.
    ``write`` builds the order inside the transaction and returns it; the order is then
    announced (``lifecycle.orders_placed``) in the same transaction."""
    check_key(key)
    for attempt in range(ATTEMPTS):
        existing = order_by_idempotency_key(shop, key)
        if existing is not None:
            return existing, False
        try:
            prepared = prepare() if prepare is not None else None
        except ServiceError:
            existing = order_by_idempotency_key(shop, key)
            if existing is not None:
                return existing, False
            raise
        try:
            with transaction.atomic(), data_key_versions_pinned():
                order = write(prepared)
                lifecycle.orders_placed(shop=shop, orders=[order])
            return order, True
        except CONFLICTS:
            # another request with the same key won (the next attempt returns its
            # order), or two new buyers with one phone met (it finds the identity)
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def buyer_customer_id(*, shop, buyer: Buyer, source: str, seen_at) -> int | None:
    """The customer the buyer is (found by phone or email, or new), by the resolver."""
    [customer_id] = Resolver(shop=shop, source=source).resolve_many(
        [
            BuyerInput(
                claims=[phone_claim(buyer.phone), email_claim(buyer.email)],
                name=" ".join(buyer.name.split()),
                city=buyer.city,
                province=buyer.province,
                address=buyer.street or None,
                seen_at=seen_at,
            )
        ]
    )
    return customer_id


def new_order(
    *,
    shop,
    key: str,
    channel: str,
    status: str,
    buyer: Buyer,
    customer_id: int | None,
    ordered_at,
    subtotal: Decimal,
    shipping_fee: Decimal,
    delivery_method: str,
    payment_method: str,
    note: str = "",
) -> Order:
    """Write the order row (its lines are the caller's: they differ by entry point)."""
    order = Order(
        shop=shop,
        channel=channel,
        external_id=order_number(),
        customer_id=customer_id,
        status=status,
        ordered_at=ordered_at,
        subtotal=subtotal,
        shipping_fee=shipping_fee,
        total=subtotal + shipping_fee,
        recipient_name=" ".join(buyer.name.split()),
        **recipient_fields(buyer),
        idempotency_key=key,
        public_token=secrets.token_urlsafe(24)[:32],
        delivery_method=delivery_method,
        payment_method=payment_method,
        note=note.strip() or None,
    )
    order.save()
    return order

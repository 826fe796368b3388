"""The seller's actions on an order: the status workflow, payments, shipping, cancelling.

Every action is one function that owns its transaction:

* it locks the order row (``select_for_update``; SQLite's BEGIN IMMEDIATE serialises
  writers anyway) and checks the move against ``TRANSITIONS`` and the rules below;
* it changes the status with a conditional UPDATE (``WHERE status = <what we read>``),
  so a double tap or two staff members racing apply the change once and the loser is
  told what happened;
* it writes one append-only ``OrderEvent`` (the order's history) and the audit log;
* stock follows the ledger: what ``StockMove`` rows say is still reserved for *this*
  order is shipped when the order ships or completes, and given back when it is
  cancelled (``merdeka.catalog.services.stock_settle_orders``); what left for it comes
  back when it is returned (``merdeka.catalog.returned``) — computed inside the
  locked transaction, so it can never be applied twice;
* it announces the change as a domain event (``merdeka.core.events``: ``order.paid``,
  ``order.cancelled``, ...) in the same transaction; other domains react there
  (pre-order quotas, group-buy counts, the books) or through the outbox (the customer
  list's figures);
* the buyer is told through ``merdeka.outreach.services.service_message_send`` (consent
  is enforced there: a restricted or erased customer gets nothing), queued in the same
  transaction and sent after commit.

**One owner.** This module is the only place an order's status changes
(``merdeka.core.ownership.ORDER_STATUS``; the test suite's guard fails any other
write). Group buys, pre-orders and imports call the set-wise forms below
(``orders_cancel``, ``orders_await_payment``, ``orders_sync``), which lock, check,
write the history, settle stock once, announce and notify exactly like the single
actions.

**Whose status is it?** Orders of the marketplaces (Shopee, TikTok Shop, Tokopedia,
Lazada, ...) and every imported order follow their source: the next import of the
export overwrites the status (``merdeka.imports.writer``), so changing it here would be
a lie that lasts until then. For those only notes are allowed. The seller manages the
status of her own channels — the storefront, manual orders and WhatsApp orders entered
in Merdeka (``seller_manages``).

**Rules beyond the table.** An unpaid order can be processed or shipped only when it is
cash on delivery. A paid order can be completed without shipping only when the buyer
picks it up. A shipped order cannot be cancelled: the goods are with the courier and
stock has left the shelf; a failed delivery is a return, not a cancellation. A shipped
or completed order may come back (``order_return``): a parcel the courier brings back,
goods the buyer sends back after delivery.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from merdeka.catalog.returned import stock_return_order
from merdeka.catalog.services import stock_settle_orders
from merdeka.core import bulk
from merdeka.core.events import Event, emit_events
from merdeka.core.money import format_rupiah
from merdeka.core.ownership import ORDER_STATUS, owning
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.orders import proofs
from merdeka.orders.buyer_notices import notify as _notify
from merdeka.orders.models import (
    Channel,
    Courier,
    DeliveryMethod,
    EventKind,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    PaymentMethod,
    PaymentMethodReceived,
    Shipment,
    Status,
)
from merdeka.privacy.audit import audit_record

# the domain events this module announces (merdeka.core.events); data: order_id,
# customer_id, channel, status and the facts of the change
ORDER_PLACED = "order.placed"
ORDER_STATUS_CHANGED = "order.status_changed"
ORDER_PAID = "order.paid"
ORDER_SHIPPED = "order.shipped"
ORDER_COMPLETED = "order.completed"
ORDER_CANCELLED = "order.cancelled"
ORDER_RETURNED = "order.returned"  # a shipped or completed order came back
ORDER_REPRICED = "order.repriced"
ORDER_SYNCED = "order.synced"  # a marketplace's export changed the status
ORDER_IMPORTED = "order.imported"  # new orders of an export (one event per batch)

OWN_CHANNELS = frozenset({Channel.STOREFRONT, Channel.MANUAL, Channel.WHATSAPP})

TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset(
        {Status.AWAITING_PAYMENT, Status.PAID, Status.PROCESSING, Status.SHIPPED, Status.CANCELLED}
    ),
    Status.AWAITING_PAYMENT: frozenset(
        {Status.PAID, Status.PROCESSING, Status.SHIPPED, Status.CANCELLED}
    ),
    Status.PAID: frozenset({Status.PROCESSING, Status.SHIPPED, Status.COMPLETED, Status.CANCELLED}),
    Status.PROCESSING: frozenset({Status.SHIPPED, Status.COMPLETED, Status.CANCELLED}),
    Status.SHIPPED: frozenset({Status.COMPLETED, Status.RETURNED}),
    Status.COMPLETED: frozenset({Status.RETURNED}),
    Status.CANCELLED: frozenset(),
    Status.RETURNED: frozenset(),
}
UNPAID = frozenset({Status.NEW, Status.AWAITING_PAYMENT})
# the statuses a seller may set with the plain "next step" buttons (no form of their own)
PLAIN_STEPS = frozenset({Status.AWAITING_PAYMENT, Status.PROCESSING})
MAX_AMOUNT = Decimal("1000000000000")
TRACKING = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-./ ]{2,38}[A-Za-z0-9]$")
TRACKING_OPTIONAL = frozenset({Courier.GOSEND, Courier.GRAB, Courier.OTHER})


# -- the rules ------------------------------------------------------------------------


def seller_manages(order: Order) -> bool:
    """Is the seller the source of truth for this order's status (see the module doc)?"""
    return order.channel in OWN_CHANNELS and order.import_file_id is None


def is_cash_on_delivery(order: Order) -> bool:
    return order.payment_method == PaymentMethod.COD or order.delivery_method == DeliveryMethod.COD


def transition_problem(order: Order, to: str) -> str | None:
    """Why ``order`` cannot move to ``to`` now (a sentence for the seller), or None."""
    if not seller_manages(order):
        return _(
            "This order comes from %(channel)s, which keeps its status: change it there "
            "and import the next export. You can still add a note."
        ) % {"channel": order.get_channel_display()}
    current = order.status
    if current == to:
        return _("This order is already %(status)s.") % {"status": Status(to).label.lower()}
    final = (Status.CANCELLED, Status.RETURNED)
    if current in final or (current == Status.COMPLETED and to != Status.RETURNED):
        return _("This order is %(status)s; its status cannot change any more.") % {
            "status": Status(current).label.lower()
        }
    if to == Status.CANCELLED and current == Status.SHIPPED:
        return _(
            "A shipped order cannot be cancelled: the parcel is with the courier. "
            "If it comes back, record it as a return."
        )
    if to == Status.RETURNED and current not in (Status.SHIPPED, Status.COMPLETED):
        return _("Only a shipped or completed order can be returned; cancel this one instead.")
    if to not in TRANSITIONS.get(current, ()):
        return _("An order that is %(current)s cannot become %(to)s.") % {
            "current": Status(current).label.lower(),
            "to": Status(to).label.lower(),
        }
    if (
        current in UNPAID
        and to in (Status.PROCESSING, Status.SHIPPED)
        and not is_cash_on_delivery(order)
    ):
        return _(
            "Record the payment first. Only cash-on-delivery orders are packed and "
            "shipped before they are paid."
        )
    if (
        to == Status.COMPLETED
        and current != Status.SHIPPED
        and order.delivery_method != DeliveryMethod.PICKUP
    ):
        return _("Ship the order first; only orders picked up by the buyer skip shipping.")
    return None


def next_statuses(order: Order) -> list[str]:
    """The statuses the seller may move the order to now, in the workflow's order."""
    return [s for s in Status.values if s != order.status and not transition_problem(order, s)]


def payments_sum(shop, order_id: int) -> Decimal:
    """The money recorded for an order so far (its payments, summed)."""
    with shop_scope(shop):
        found = Payment.objects.filter(shop=shop, order_id=order_id).aggregate(s=Sum("amount"))
    return found["s"] or Decimal(0)


def amount_left(order: Order, paid: Decimal) -> Decimal:
    """What is still to pay of the order's total (0 when paid in full or no total)."""
    return max((order.total or Decimal(0)) - paid, Decimal(0))


def payment_problem(order: Order, paid: Decimal | None = None) -> str | None:
    """Why no payment can be recorded for ``order`` now, or None. ``paid`` is what its
    payments add up to (read when not given). Payments may come in parts: an order
    takes them until they add up to its total (``paid_at`` is when they did)."""
    if not seller_manages(order):
        return transition_problem(order, Status.PAID)
    if order.status in (Status.CANCELLED, Status.RETURNED):
        return _("This order is %(status)s; no payment can be recorded for it.") % {
            "status": Status(order.status).label.lower()
        }
    if order.paid_at is not None:
        return _("The payment of this order is already recorded.")
    if paid is None:
        paid = payments_sum(order.shop_id, order.pk)
    if paid and order.total and paid >= order.total:
        return _("The payment of this order is already recorded.")
    return None


# -- the actions ----------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    order: Order
    event: OrderEvent
    left: Decimal | None = None  # a payment's: what is still to pay after it


class _Changed(ServiceError):
    pass


def _locked(shop, order_id: int) -> Order:
    return (
        Order.objects.select_for_update(of=("self",))
        .select_related("customer")
        .get(shop=shop, pk=order_id)
    )


def _move(shop, order: Order, to: str, now, **fields) -> None:
    """The conditional UPDATE: applies only if nobody changed the status meanwhile."""
    with owning(ORDER_STATUS):
        updated = Order.objects.filter(shop=shop, pk=order.pk, status=order.status).update(
            status=to, updated_at=now, **fields
        )
    if not updated:
        raise _Changed(_("Someone changed this order just now. Look at it again."))
    order.status = to
    for name, value in fields.items():
        setattr(order, name, value)


def _history(shop, order, *, kind, from_status, actor, note="", detail=None, now) -> OrderEvent:
    return OrderEvent(
        shop=shop,
        order=order,
        customer_id=order.customer_id,
        kind=kind,
        from_status=from_status,
        to_status=order.status,
        actor=actor if actor is not None and actor.pk else None,
        note=note.strip() or None,
        detail=detail or {},
        at=now,
    )


def _event(shop, order, **fields) -> OrderEvent:
    event = _history(shop, order, **fields)
    event.save()
    return event


def _announce(shop, kind: str, orders, **facts) -> None:
    """The domain event of each order's change (``merdeka.core.events``), in the
    transaction of the change. ``facts`` may be a value for all or a dict by order id."""
    shop_id = getattr(shop, "pk", shop)
    emit_events(
        Event(
            kind=kind,
            shop_id=shop_id,
            data={
                "order_id": order.pk,
                "customer_id": order.customer_id,
                "channel": order.channel,
                "status": order.status,
                **{
                    name: (value.get(order.pk) if isinstance(value, dict) else value)
                    for name, value in facts.items()
                },
            },
        )
        for order in orders
    )


def _audit(action, shop, order, actor, request, detail):
    audit_record(
        action=action, shop=shop, actor=actor, target=order, request=request, detail=detail
    )


def orders_placed(*, shop, orders) -> None:
    """A new order exists (``merdeka.orders.placement`` calls it in the transaction that
    wrote it): it is announced as ``order.placed``."""
    _announce(shop, ORDER_PLACED, orders)


def orders_imported(*, shop, order_ids) -> None:
    """New orders written by an import (in its transaction), announced as one
    ``order.imported`` event per batch: the books post them set-wise."""
    ids = list(order_ids)
    if ids:
        emit_events([Event(kind=ORDER_IMPORTED, shop_id=shop.pk, data={"order_ids": ids})])


def order_status_set(*, shop, order_id: int, to: str, actor=None, request=None) -> Outcome:
    """The plain steps without details of their own: ask for payment, start processing."""
    if to not in PLAIN_STEPS:
        raise ValueError(f"use the action of its own for {to!r}")
    with transaction.atomic(), shop_scope(shop):
        order = _locked(shop, order_id)
        problem = transition_problem(order, to)
        if problem:
            raise ServiceError(problem)
        before, now = order.status, timezone.now()
        _move(shop, order, to, now)
        event = _event(shop, order, kind=EventKind.STATUS, from_status=before, actor=actor, now=now)
        _announce(shop, ORDER_STATUS_CHANGED, [order], from_status=before)
        _audit("order.status_changed", shop, order, actor, request, {"from": before, "to": to})
    return Outcome(order, event)


def order_payment_record(
    *,
    shop,
    order_id: int,
    method: str,
    amount: Decimal | None = None,
    reference: str = "",
    proof=None,
    actor=None,
    request=None,
) -> Outcome:
    """Record money received for the order: all of it, or a part (a down payment, a
    buyer of a delivered order paying what she owes in instalments). The first payment
    makes an unpaid order paid (a shipped or completed one keeps its status); the one
    that completes the total sets ``paid_at``. More than what is left is refused with
    the amount left. Each payment is its own row and ``order.paid`` event, so the books
    post each one as money in against the receivable or the deposit, never editing a
    posted line.

    ``proof`` is an uploaded photo: checked and re-encoded before anything is written,
    so a bad file leaves the order as it was.
    """
    if method not in PaymentMethodReceived.values:
        raise ServiceError(_("Choose how the buyer paid."))
    if amount is not None and (amount <= 0 or amount >= MAX_AMOUNT):
        raise ServiceError(_("Write the amount received, such as 125.000."))
    if amount is not None and amount != amount.to_integral_value():
        raise ServiceError(_("Write the amount in whole rupiah, such as 125.000."))
    reference = " ".join(reference.split())
    if len(reference) > 100:
        raise ServiceError(_("The reference can be at most 100 characters."))
    encoded = proofs.encode(proof) if proof is not None else None
    with transaction.atomic(), shop_scope(shop):
        order = _locked(shop, order_id)  # the row lock serialises payments of one order
        paid = payments_sum(shop, order.pk)
        problem = payment_problem(order, paid)
        if problem:
            raise ServiceError(problem)
        total = order.total or Decimal(0)
        left = amount_left(order, paid)
        amount = amount if amount is not None else left
        if amount <= 0:
            raise ServiceError(_("Write the amount received, such as 125.000."))
        if total and amount > left:
            raise ServiceError(
                _(
                    "The payment of %(amount)s is more than what is left to pay "
                    "(%(left)s). Write %(left)s or less."
                )
                % {"amount": format_rupiah(amount), "left": format_rupiah(left)}
            )
        left -= amount
        before, now = order.status, timezone.now()
        to = Status.PAID if before in UNPAID else before
        in_full = not total or left == 0
        with owning(ORDER_STATUS):
            updated = Order.objects.filter(
                shop=shop, pk=order.pk, status=before, paid_at__isnull=True
            ).update(status=to, updated_at=now, **({"paid_at": now} if in_full else {}))
        if not updated:
            raise _Changed(_("Someone changed this order just now. Look at it again."))
        order.status = to
        if in_full:
            order.paid_at = now
        payment = Payment(
            shop=shop,
            order=order,
            customer_id=order.customer_id,
            method=method,
            amount=amount,
            reference=reference or None,
            recorded_by=actor if actor is not None and actor.pk else None,
            recorded_at=now,
        )
        if encoded is not None:
            payment.proof = encoded.base64
            payment.proof_width, payment.proof_height = encoded.width, encoded.height
        payment.save()
        detail = {"method": method, "amount": str(amount), "payment": payment.pk}
        if total:
            detail["left"] = str(int(left))
        if encoded is not None:
            detail["proof"] = True
        event = _event(
            shop,
            order,
            kind=EventKind.PAYMENT,
            from_status=before,
            actor=actor,
            detail=detail,
            now=now,
        )
        _announce(
            shop,
            ORDER_PAID,
            [order],
            from_status=before,
            payment_id=payment.pk,
            amount=int(amount),
            method=method,
            left=int(left),
        )
        _notify(shop, order, event, EventKind.PAYMENT, amount=amount)
        _audit("order.payment_recorded", shop, order, actor, request, detail)
    return Outcome(order, event, left)


def tracking_clean(courier: str, tracking: str) -> str:
    if courier not in Courier.values:
        raise ServiceError(_("Choose the courier."))
    tracking = " ".join(tracking.split()).upper()
    if not tracking:
        if courier in TRACKING_OPTIONAL:
            return ""
        raise ServiceError(_("Write the tracking number (resi) from the courier's receipt."))
    if not TRACKING.match(tracking):
        raise ServiceError(
            _("A tracking number has 4 to 40 letters and digits, such as JP1234567890.")
        )
    return tracking


def order_ship(
    *, shop, order_id: int, courier: str, tracking: str = "", actor=None, request=None
) -> Outcome:
    """The parcel left with a courier: stock reserved for the order leaves the shelf."""
    tracking = tracking_clean(courier, tracking)
    with transaction.atomic(), shop_scope(shop):
        order = _locked(shop, order_id)
        problem = transition_problem(order, Status.SHIPPED)
        if problem:
            raise ServiceError(problem)
        before, now = order.status, timezone.now()
        _move(shop, order, Status.SHIPPED, now)
        Shipment.objects.create(
            shop=shop,
            order=order,
            courier=courier,
            tracking_number=tracking,
            shipped_by=actor if actor is not None and actor.pk else None,
            shipped_at=now,
        )
        shipped = stock_settle_orders(shop=shop, order_ids=[order.pk], ship=True).get(order.pk, 0)
        detail = {"courier": courier, "tracking": tracking, "stock_shipped": shipped}
        event = _event(
            shop,
            order,
            kind=EventKind.SHIPPED,
            from_status=before,
            actor=actor,
            detail=detail,
            now=now,
        )
        _announce(shop, ORDER_SHIPPED, [order], from_status=before)
        _notify(shop, order, event, EventKind.SHIPPED, courier=courier, tracking=tracking)
        _audit("order.shipped", shop, order, actor, request, detail)
    return Outcome(order, event)


def order_complete(*, shop, order_id: int, actor=None, request=None) -> Outcome:
    """The buyer has the goods. A picked-up order's reserved stock leaves now."""
    with transaction.atomic(), shop_scope(shop):
        order = _locked(shop, order_id)
        problem = transition_problem(order, Status.COMPLETED)
        if problem:
            raise ServiceError(problem)
        before, now = order.status, timezone.now()
        _move(shop, order, Status.COMPLETED, now)
        shipped = stock_settle_orders(shop=shop, order_ids=[order.pk], ship=True).get(order.pk, 0)
        detail = {"stock_shipped": shipped} if shipped else {}
        event = _event(
            shop,
            order,
            kind=EventKind.COMPLETED,
            from_status=before,
            actor=actor,
            detail=detail,
            now=now,
        )
        _announce(shop, ORDER_COMPLETED, [order], from_status=before)
        _notify(shop, order, event, EventKind.COMPLETED)
        _audit("order.completed", shop, order, actor, request, {"from": before, **detail})
    return Outcome(order, event)


def _reason_clean(reason: str, missing: str | None = None) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise ServiceError(missing or _("Write why the order is cancelled."))
    if len(reason) > 300:
        raise ServiceError(_("The reason can be at most 300 characters."))
    return reason


def order_cancel(*, shop, order_id: int, reason: str, actor=None, request=None) -> Outcome:
    """Cancel with a reason; the stock reserved for the order goes back on sale, once."""
    reason = _reason_clean(reason)
    with transaction.atomic(), shop_scope(shop):
        order = _locked(shop, order_id)
        problem = transition_problem(order, Status.CANCELLED)
        if problem:
            raise ServiceError(problem)
        [event] = _cancel(shop, [order], reason=reason, actor=actor, request=request)
    return Outcome(order, event)


def _cancel(shop, orders, *, reason, actor, request, tell=None) -> list[OrderEvent]:
    """Cancel locked ``orders`` that may be cancelled: status, stock back from the
    ledger once, history, event, the buyer told, audit."""
    now = timezone.now()
    before = {order.pk: order.status for order in orders}
    for order in orders:
        _move(shop, order, Status.CANCELLED, now)
    released = stock_settle_orders(shop=shop, order_ids=list(before), ship=False)
    # money came in for it (all or a part): the buyer is told it goes back
    with_money = set(
        Payment.objects.filter(shop=shop, order_id__in=list(before)).values_list(
            "order_id", flat=True
        )
    )
    events = []
    for order in orders:
        detail = {
            "stock_released": released.get(order.pk, 0),
            "was_paid": order.paid_at is not None or order.pk in with_money,
        }
        event = _event(
            shop,
            order,
            kind=EventKind.CANCELLED,
            from_status=before[order.pk],
            actor=actor,
            note=reason,
            detail=detail,
            now=now,
        )
        events.append(event)
        _audit(
            "order.cancelled",
            shop,
            order,
            actor,
            request,
            {"from": before[order.pk], **detail},
        )
    # subscribers (pre-order quotas, group-buy counts) react inside this transaction
    _announce(shop, ORDER_CANCELLED, orders, from_status=before, reason=reason)
    for order, event in zip(orders, events, strict=True):
        _notify(
            shop,
            order,
            event,
            EventKind.CANCELLED,
            reason=reason,
            text=tell,
            was_paid=event.detail["was_paid"],
        )
    return events


def order_return(
    *, shop, order_id: int, reason: str, restock: bool, actor=None, request=None
) -> Outcome:
    """A shipped or completed order came back (the courier brought the parcel back, the
    buyer sent the goods back): with a reason. Its goods go back on the shelf at the
    value they left with, or, damaged (``restock=False``), are written off
    (``merdeka.catalog.returned``); the books reverse everything it posted (money
    received is paid back to the buyer)."""
    reason = _reason_clean(reason, _("Write why the order came back."))
    with transaction.atomic(), shop_scope(shop):
        order = _locked(shop, order_id)
        problem = transition_problem(order, Status.RETURNED)
        if problem:
            raise ServiceError(problem)
        before, now = order.status, timezone.now()
        _move(shop, order, Status.RETURNED, now)
        back = stock_return_order(shop=shop, order_id=order.pk, restock=restock, actor=actor)
        paid = Payment.objects.filter(shop=shop, order=order).exists()
        detail = {
            "restock": bool(restock),
            "stock_back": back,
            "was_paid": order.paid_at is not None or paid,
        }
        event = _event(
            shop,
            order,
            kind=EventKind.RETURNED,
            from_status=before,
            actor=actor,
            note=reason,
            detail=detail,
            now=now,
        )
        # the books reverse its postings, the catalog clears low-stock alerts
        _announce(shop, ORDER_RETURNED, [order], from_status=before, reason=reason)
        _audit("order.returned", shop, order, actor, request, {"from": before, **detail})
        _notify(shop, order, event, EventKind.RETURNED, reason=reason, was_paid=detail["was_paid"])
    return Outcome(order, event)


def _locked_many(shop, order_ids) -> list[Order]:
    return list(
        Order.objects.select_for_update(of=("self",))
        .select_related("customer")
        .filter(shop=shop, pk__in=list(order_ids))
        .order_by("pk")
    )


def _movable(shop, order_ids, to: str) -> tuple[list[Order], dict[int, str]]:
    """Lock the orders; those that may move to ``to`` now, and why each other may not."""
    orders, skipped = [], {}
    for order in _locked_many(shop, order_ids):
        problem = transition_problem(order, to)
        if problem:
            skipped[order.pk] = problem
        else:
            orders.append(order)
    return orders, skipped


@dataclass(frozen=True)
class ManyOutcome:
    changed: list[Order]
    skipped: dict[int, str]  # order id -> why it was left as it was


def orders_cancel(
    *, shop, order_ids, reason: str, actor=None, request=None, tell=None
) -> ManyOutcome:
    """Cancel many orders at once (a failed or cancelled group buy, a cancelled
    pre-order batch): each one that may be cancelled is, exactly as ``order_cancel``
    would; the others are skipped with the reason. ``tell(order)`` may give the text
    the buyer gets instead of the standard one."""
    reason = _reason_clean(reason)
    with transaction.atomic(), shop_scope(shop):
        orders, skipped = _movable(shop, order_ids, Status.CANCELLED)
        if orders:
            _cancel(shop, orders, reason=reason, actor=actor, request=request, tell=tell)
    return ManyOutcome(orders, skipped)


def orders_await_payment(*, shop, order_ids, actor=None, request=None, tell=None) -> ManyOutcome:
    """Ask many new orders for payment at once (a group buy closed at its price).
    ``tell(order)`` is the text the buyer gets (none is sent without it)."""
    with transaction.atomic(), shop_scope(shop):
        orders, skipped = _movable(shop, order_ids, Status.AWAITING_PAYMENT)
        now = timezone.now()
        before = {order.pk: order.status for order in orders}
        for order in orders:
            _move(shop, order, Status.AWAITING_PAYMENT, now)
            event = _event(
                shop,
                order,
                kind=EventKind.STATUS,
                from_status=before[order.pk],
                actor=actor,
                now=now,
            )
            _audit(
                "order.status_changed",
                shop,
                order,
                actor,
                request,
                {"from": before[order.pk], "to": Status.AWAITING_PAYMENT},
            )
            if tell is not None:
                _notify(shop, order, event, EventKind.STATUS, text=tell)
        _announce(shop, ORDER_STATUS_CHANGED, orders, from_status=before)
    return ManyOutcome(orders, skipped)


def orders_reprice(*, shop, order_ids, unit_price: Decimal) -> list[int]:
    """Every line of these unpaid orders at ``unit_price`` a piece, totals following
    (a group buy's price moves with its count). Paid, shipped or cancelled orders keep
    the price they were billed; returns the ids repriced."""
    with transaction.atomic(), shop_scope(shop):
        orders = [
            order
            for order in _locked_many(shop, order_ids)
            if order.status in UNPAID and order.paid_at is None
        ]
        now = timezone.now()
        changed = []
        for order in orders:
            OrderLine.objects.filter(shop=shop, order=order).update(
                unit_price=unit_price, total=F("quantity") * unit_price
            )
            subtotal = OrderLine.objects.filter(shop=shop, order=order).aggregate(s=Sum("total"))[
                "s"
            ] or Decimal(0)
            fee = order.shipping_fee or Decimal(0)
            if order.subtotal == subtotal and order.total == subtotal + fee:
                continue
            Order.objects.filter(shop=shop, pk=order.pk).update(
                subtotal=subtotal, total=subtotal + fee, updated_at=now
            )
            order.subtotal, order.total = subtotal, subtotal + fee
            changed.append(order)
        _announce(shop, ORDER_REPRICED, changed, unit_price=int(unit_price))
    return [order.pk for order in changed]


@dataclass(frozen=True)
class SourceChange:
    """What a marketplace's export now says of an order Merdeka already has."""

    order_id: int
    status: str
    status_raw: str
    paid_at: object
    total: Decimal | None
    before: str  # the status Merdeka had


def orders_sync(*, shop, changes: list[SourceChange], source: str) -> None:
    """Set-wise: orders of a marketplace take what its newest export says (their
    source keeps their status, see the module doc). One bulk write, one history row
    per status that moved, announced as ``order.synced``. Called inside the import's
    transaction."""
    if not changes:
        return
    now = timezone.now()
    with owning(ORDER_STATUS):
        bulk.update(
            Order,
            ("status", "status_raw", "paid_at", "total", "updated_at"),
            [(c.status, c.status_raw, c.paid_at, c.total, now, c.order_id) for c in changes],
            shop_id=shop.pk,
        )
    moved = [c for c in changes if c.status != c.before]
    if not moved:
        return
    with shop_scope(shop):
        customers = dict(
            Order.objects.filter(shop=shop, pk__in=[c.order_id for c in moved]).values_list(
                "pk", "customer_id"
            )
        )
        OrderEvent.objects.bulk_create(
            [
                OrderEvent(
                    shop_id=shop.pk,
                    order_id=c.order_id,
                    customer_id=customers.get(c.order_id),
                    kind=EventKind.STATUS,
                    from_status=c.before,
                    to_status=c.status,
                    detail={"source": source},
                    at=now,
                )
                for c in moved
            ],
            batch_size=1000,
        )
    emit_events(
        Event(
            kind=ORDER_SYNCED,
            shop_id=shop.pk,
            data={
                "order_id": c.order_id,
                "customer_id": customers.get(c.order_id),
                "status": c.status,
                "from_status": c.before,
                "source": source,
            },
        )
        for c in moved
    )

"""The seller's actions on an order: the status workflow, payments, shipping, cancelling.

Every action is one function that owns its transaction:

* it locks the order row (``select_for_update``; SQLite's BEGIN IMMEDIATE serialises
  writers anyway) and checks the move against ``TRANSITIONS`` and the rules below;
* it changes the status with a conditional UPDATE (``WHERE status = <what we read>``),
  so a double tap or two staff members racing apply the change once and the loser is
  told what happened;
* it writes one append-only ``OrderEvent`` (the order's history) and the audit log;
* stock follows the ledger: what ``StockMove`` rows say is still reserved for *this*
  order is shipped (``stock_ship``) when the order ships or completes, and given back
  (``stock_release``) when it is cancelled — computed inside the locked transaction,
  so it can never be applied twice;
* the buyer is told through ``merdeka.outreach.services.service_message_send`` (consent
  is enforced there: a restricted or erased customer gets nothing), queued in the same
  transaction and sent after commit.

**Whose status is it?** Orders of the marketplaces (Shopee, TikTok Shop, Tokopedia,
Lazada, ...) and every imported order follow their source: the next import of the
export overwrites the status (``merdeka.imports.writer``), so changing it here would be
a lie that lasts until then. For those only notes are allowed. The seller manages the
status of her own channels — the storefront, manual orders and WhatsApp orders entered
in Merdeka (``seller_manages``).

**Rules beyond the table.** An unpaid order can be processed or shipped only when it is
cash on delivery. A paid order can be completed without shipping only when the buyer
picks it up. A shipped order cannot be cancelled: the goods are with the courier and
stock has left the shelf; a failed delivery is a return, not a cancellation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from merdeka.core.money import format_rupiah
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.orders.models import (
    Channel,
    Courier,
    DeliveryMethod,
    EventKind,
    Order,
    OrderEvent,
    Payment,
    PaymentMethod,
    PaymentMethodReceived,
    Shipment,
    Status,
)
from merdeka.privacy.audit import audit_record

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
    Status.SHIPPED: frozenset({Status.COMPLETED}),
    Status.COMPLETED: frozenset(),
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
    if current in (Status.COMPLETED, Status.CANCELLED, Status.RETURNED):
        return _("This order is %(status)s; its status cannot change any more.") % {
            "status": Status(current).label.lower()
        }
    if to == Status.CANCELLED and current == Status.SHIPPED:
        return _(
            "A shipped order cannot be cancelled: the parcel is with the courier. "
            "If it comes back, record it as a return."
        )
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


def payment_problem(order: Order) -> str | None:
    if not seller_manages(order):
        return transition_problem(order, Status.PAID)
    if order.status in (Status.CANCELLED, Status.RETURNED):
        return _("This order is %(status)s; no payment can be recorded for it.") % {
            "status": Status(order.status).label.lower()
        }
    if order.paid_at is not None:
        return _("The payment of this order is already recorded.")
    return None


# -- the actions ----------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    order: Order
    event: OrderEvent


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
    updated = Order.objects.filter(shop=shop, pk=order.pk, status=order.status).update(
        status=to, updated_at=now, **fields
    )
    if not updated:
        raise _Changed(_("Someone changed this order just now. Look at it again."))
    order.status = to
    for name, value in fields.items():
        setattr(order, name, value)


def _event(shop, order, *, kind, from_status, actor, note="", detail=None, now) -> OrderEvent:
    event = OrderEvent(
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
    event.save()
    return event


def _audit(action, shop, order, actor, request, detail):
    audit_record(
        action=action, shop=shop, actor=actor, target=order, request=request, detail=detail
    )


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
    """Record the money received; the order becomes paid (a shipped cash-on-delivery
    order keeps its status and gets its payment date).

    ``proof`` is an uploaded photo: checked and re-encoded before anything is written,
    so a bad file leaves the order as it was.
    """
    from merdeka.orders import proofs

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
        order = _locked(shop, order_id)
        problem = payment_problem(order)
        if problem:
            raise ServiceError(problem)
        amount = amount if amount is not None else (order.total or Decimal(0))
        if amount <= 0:
            raise ServiceError(_("Write the amount received, such as 125.000."))
        before, now = order.status, timezone.now()
        to = Status.PAID if before in UNPAID else before
        updated = Order.objects.filter(
            shop=shop, pk=order.pk, status=before, paid_at__isnull=True
        ).update(status=to, paid_at=now, updated_at=now)
        if not updated:
            raise _Changed(_("Someone changed this order just now. Look at it again."))
        order.status, order.paid_at = to, now
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
        _notify(shop, order, event, EventKind.PAYMENT, amount=amount)
        _audit("order.payment_recorded", shop, order, actor, request, detail)
    return Outcome(order, event)


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
        shipped = _settle_stock(shop, order, ship=True)
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
        shipped = _settle_stock(shop, order, ship=True)
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
        _notify(shop, order, event, EventKind.COMPLETED)
        _audit("order.completed", shop, order, actor, request, {"from": before, **detail})
    return Outcome(order, event)


def order_cancel(*, shop, order_id: int, reason: str, actor=None, request=None) -> Outcome:
    """Cancel with a reason; the stock reserved for the order goes back on sale, once."""
    reason = " ".join(reason.split())
    if not reason:
        raise ServiceError(_("Write why the order is cancelled."))
    if len(reason) > 300:
        raise ServiceError(_("The reason can be at most 300 characters."))
    with transaction.atomic(), shop_scope(shop):
        order = _locked(shop, order_id)
        problem = transition_problem(order, Status.CANCELLED)
        if problem:
            raise ServiceError(problem)
        before, now = order.status, timezone.now()
        _move(shop, order, Status.CANCELLED, now)
        released = _settle_stock(shop, order, ship=False)
        # a pre-order's units came from its batch's quota, not from stock: give them back
        from merdeka.preorders.services import preorder_release_order

        returned = preorder_release_order(shop=shop, order=order)
        detail = {"stock_released": released, "was_paid": order.paid_at is not None}
        if returned:
            detail["preorder_units_returned"] = returned
        event = _event(
            shop,
            order,
            kind=EventKind.CANCELLED,
            from_status=before,
            actor=actor,
            note=reason,
            detail=detail,
            now=now,
        )
        _notify(shop, order, event, EventKind.CANCELLED, reason=reason)
        _audit("order.cancelled", shop, order, actor, request, {"from": before, **detail})
    return Outcome(order, event)


def order_note_add(*, shop, order_id: int, note: str, actor=None, request=None) -> OrderEvent:
    """A note in the order's history; allowed on every order, marketplace ones too."""
    note = note.strip()
    if not note:
        raise ServiceError(_("Write the note first."))
    if len(note) > 1000:
        raise ServiceError(_("A note can be at most 1000 characters."))
    with transaction.atomic(), shop_scope(shop):
        order = Order.objects.get(shop=shop, pk=order_id)
        event = _event(
            shop,
            order,
            kind=EventKind.NOTE,
            from_status=order.status,
            actor=actor,
            note=note,
            now=timezone.now(),
        )
        _audit("order.note_added", shop, order, actor, request, {})
    return event


# -- stock ------------------------------------------------------------------------------


def reserved_for(*, shop, order) -> list[tuple[int, int, int]]:
    """``(variant id, location id, quantity)`` still reserved for the order, by the
    stock ledger: its reservations minus what was already shipped or released."""
    from merdeka.catalog.models import StockMove

    with shop_scope(shop):
        rows = (
            StockMove.objects.filter(shop=shop, order=order)
            .values("variant_id", "location_id")
            .annotate(held=Sum("reserved_change"))
            .order_by("variant_id", "location_id")
        )
        return [(r["variant_id"], r["location_id"], r["held"]) for r in rows if r["held"] > 0]


def _settle_stock(shop, order, *, ship: bool) -> int:
    """Ship (or release) everything still reserved for the order; returns the units."""
    from merdeka.catalog.services import stock_release, stock_ship

    settle = stock_ship if ship else stock_release
    units = 0
    for variant_id, location_id, quantity in reserved_for(shop=shop, order=order):
        settle(
            shop=shop,
            variant_id=variant_id,
            location_id=location_id,
            quantity=quantity,
            order=order,
        )
        units += quantity
    return units


# -- telling the buyer ---------------------------------------------------------------


def _plain(text: str) -> str:
    """A value put into a message, without braces (they would read as placeholders)."""
    return str(text).replace("{", "(").replace("}", ")")


def buyer_message(order: Order, kind: str, **facts) -> tuple[str, str]:
    """The subject and text of the message about ``kind``, in Indonesian (the buyer's
    language, whatever the seller's screen shows). ``{nama_depan}`` is filled in by
    outreach."""
    values = {
        "number": _plain(order.external_id),
        "shop": _plain(order.shop.name),
        "total": format_rupiah(order.total or 0),
    }
    with translation.override("id"):
        if kind == EventKind.PAYMENT:
            values["amount"] = format_rupiah(facts["amount"])
            subject = _("Order #%(number)s: payment received") % values
            body = (
                _(
                    "Hello {nama_depan}, we have received your payment of %(amount)s for order "
                    "#%(number)s. Thank you! We will let you know when it is shipped.\n\n"
                    "%(shop)s"
                )
                % values
            )
        elif kind == EventKind.SHIPPED:
            values["courier"] = Courier(facts["courier"]).label
            values["tracking"] = _plain(facts.get("tracking") or "")
            subject = _("Order #%(number)s has been shipped") % values
            if values["tracking"]:
                body = (
                    _(
                        "Hello {nama_depan}, order #%(number)s is on its way with "
                        "%(courier)s. Tracking number (resi): %(tracking)s\n\n%(shop)s"
                    )
                    % values
                )
            else:
                body = (
                    _(
                        "Hello {nama_depan}, order #%(number)s is on its way with "
                        "%(courier)s.\n\n%(shop)s"
                    )
                    % values
                )
        elif kind == EventKind.COMPLETED:
            subject = _("Order #%(number)s is complete") % values
            body = (
                _(
                    "Hello {nama_depan}, order #%(number)s is complete. Thank you for "
                    "shopping with us!\n\n%(shop)s"
                )
                % values
            )
        elif kind == EventKind.CANCELLED:
            values["reason"] = _plain(facts.get("reason") or "")
            subject = _("Order #%(number)s was cancelled") % values
            body = (
                _(
                    "Hello {nama_depan}, order #%(number)s (%(total)s) was cancelled. "
                    "Reason: %(reason)s"
                )
                % values
            )
            if order.paid_at is not None:
                body += " " + _("We will contact you to return your payment.")
            body += "\n\n" + values["shop"]
        else:
            raise ValueError(kind)
    return subject, body


def notify_channel(shop, customer) -> str | None:
    """How to reach the buyer: the WhatsApp Cloud API while the buyer's 24-hour window
    is open, else email (sent by the server), else a wa.me link for the seller's own
    phone (one tap on the order page). None when there is no way to reach them."""
    from merdeka.outreach.channels import get_channel
    from merdeka.outreach.models import ChannelKind
    from merdeka.outreach.services import window_open

    cloud = get_channel(ChannelKind.CLOUDAPI)
    if (
        cloud.address(customer)
        and cloud.unavailable_reason(shop) is None
        and window_open(shop=shop, customer=customer)
    ):
        return ChannelKind.CLOUDAPI
    email = get_channel(ChannelKind.EMAIL)
    if email.address(customer) and email.unavailable_reason(shop) is None:
        return ChannelKind.EMAIL
    if get_channel(ChannelKind.WALINK).address(customer):
        return ChannelKind.WALINK
    return None


def _notify(shop, order: Order, event: OrderEvent, kind: str, **facts) -> None:
    from merdeka.outreach.services import service_message_send

    customer = order.customer
    if customer is None or customer.merged_into_id:
        if customer is not None:
            from merdeka.customers.models import Customer

            customer = Customer.objects.filter(
                shop=shop, pk=customer.merged_into_id, merged_into__isnull=True
            ).first()
        if customer is None:
            return
    channel = notify_channel(shop, customer)
    if channel is None:
        return
    subject, body = buyer_message(order, kind, **facts)
    delivery = service_message_send(
        shop=shop, customer=customer, body=body, subject=subject, channel=channel
    )
    OrderEvent.objects.filter(shop=shop, pk=event.pk, delivery__isnull=True).update(
        delivery=delivery
    )
    event.delivery = delivery


def notify_send_walink(*, shop, order_id: int, event_id: int) -> str | None:
    """The seller tapped "tell the buyer on WhatsApp": the message is recorded as sent
    (consent is asked again, by outreach) and the wa.me link to open is returned; None
    when the buyer may not (or can no longer) be sent it."""
    from merdeka.outreach.channels import get_channel
    from merdeka.outreach.channels.walink import wa_me_url
    from merdeka.outreach.models import ChannelKind, DeliveryStatus
    from merdeka.outreach.services import delivery_send
    from merdeka.privacy.consent import consent_allows

    with shop_scope(shop):
        event = OrderEvent.objects.select_related("delivery__customer").get(
            shop=shop, pk=event_id, order_id=order_id
        )
    delivery = event.delivery
    if delivery is None or delivery.channel != ChannelKind.WALINK:
        raise OrderEvent.DoesNotExist
    if delivery.status == DeliveryStatus.QUEUED:
        delivery = delivery_send(shop=shop, delivery_id=delivery.pk)
        return delivery.open_url if delivery.status == DeliveryStatus.SENT else None
    if delivery.status != DeliveryStatus.SENT:
        return None
    channel = get_channel(ChannelKind.WALINK)
    phone = channel.address(delivery.customer)
    if not phone or not consent_allows(
        shop=shop,
        customer=delivery.customer,
        channel=channel.consent_channel,
        purpose=delivery.purpose,
    ):
        return None
    return wa_me_url(phone, delivery.body or "")

"""The seller's notes in an order's history: allowed on every order, marketplace ones
too, and no change of its status (those are ``merdeka.orders.lifecycle``'s)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.orders.models import EventKind, Order, OrderEvent
from merdeka.privacy.audit import audit_record


def order_note_add(*, shop, order_id: int, note: str, actor=None, request=None) -> OrderEvent:
    """A note in the order's history; allowed on every order, marketplace ones too."""
    note = note.strip()
    if not note:
        raise ServiceError(_("Write the note first."))
    if len(note) > 1000:
        raise ServiceError(_("A note can be at most 1000 characters."))
    with transaction.atomic(), shop_scope(shop):
        order = Order.objects.get(shop=shop, pk=order_id)
        event = OrderEvent.objects.create(
            shop=shop,
            order=order,
            customer_id=order.customer_id,
            kind=EventKind.NOTE,
            from_status=order.status,
            to_status=order.status,
            actor=actor if actor is not None and actor.pk else None,
            note=note,
            detail={},
            at=timezone.now(),
        )
        audit_record(
            action="order.note_added",
            shop=shop,
            actor=actor,
            target=order,
            request=request,
            detail={},
        )
    return event

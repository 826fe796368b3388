"""Telling the buyer what happened to her order: the words of each change (in
Indonesian, the buyer's language), the channel that reaches her, and the wa.me link the
seller taps. Called by ``merdeka.orders.lifecycle`` inside the change's transaction;
consent and restrictions are outreach's (a service message, sent after commit)."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from merdeka.core.money import format_rupiah
from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Customer
from merdeka.orders.models import Courier, EventKind, Order, OrderEvent
from merdeka.outreach.channels import get_channel
from merdeka.outreach.channels.walink import wa_me_url
from merdeka.outreach.models import ChannelKind, DeliveryStatus
from merdeka.outreach.services import delivery_send, service_message_send, window_open
from merdeka.privacy.consent import consent_allows

__all__ = ["buyer_message", "notify", "notify_channel", "notify_send_walink"]


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
        elif kind in (EventKind.CANCELLED, EventKind.RETURNED):
            values["reason"] = _plain(facts.get("reason") or "")
            if kind == EventKind.CANCELLED:
                subject = _("Order #%(number)s was cancelled") % values
                said = _(
                    "Hello {nama_depan}, order #%(number)s (%(total)s) was cancelled. "
                    "Reason: %(reason)s"
                )
            else:
                subject = _("Order #%(number)s came back to us") % values
                said = _(
                    "Hello {nama_depan}, order #%(number)s (%(total)s) came back to us. "
                    "Reason: %(reason)s"
                )
            body = said % values
            if order.paid_at is not None or facts.get("was_paid"):
                body += " " + _("We will contact you to return your payment.")
            body += "\n\n" + values["shop"]
        else:
            raise ValueError(kind)
    return subject, body


def notify_channel(shop, customer) -> str | None:
    """How to reach the buyer: the WhatsApp Cloud API while the buyer's 24-hour window
    is open, else email (sent by the server), else a wa.me link for the seller's own
    phone (one tap on the order page). None when there is no way to reach them."""
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


def notify(shop, order: Order, event: OrderEvent, kind: str, *, text=None, **facts) -> None:
    """Tell the buyer (a service message: consent and restrictions are outreach's).
    ``text(order)`` replaces the standard wording of ``kind`` (a group buy says its
    own)."""
    customer = order.customer
    if customer is None or customer.merged_into_id:
        if customer is not None:
            customer = Customer.objects.filter(
                shop=shop, pk=customer.merged_into_id, merged_into__isnull=True
            ).first()
        if customer is None:
            return
    channel = notify_channel(shop, customer)
    if channel is None:
        return
    if text is not None:
        with translation.override("id"):
            subject = _("Order #%(number)s") % {"number": _plain(order.external_id)}
        body = text(order)
    else:
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

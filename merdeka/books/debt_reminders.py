"""Reminding a customer of what she owes: a service message about her transaction (its
words say so), through outreach's channels (a wa.me link from the seller's phone, a
Cloud API utility template, email), refused for a restricted or erased customer and on
a channel where she told the shop to stop (replied STOP), each one logged
(``DebtReminder``) and audited against her. The debts themselves are
``merdeka.books.debts``.

Who may be reminded where is outreach's consent rule for service messages
(``consent_allows``, purpose ``service``), asked by ``reminder_send`` and again by
outreach when the worker sends: a "no" to promotions does not stop a reminder, a STOP
on the channel does (docs/decisions/stop-and-service-messages.md). ``reminder_reach``
says to the seller which channels are closed for whom, and what she can do instead."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import formats, translation
from django.utils.translation import gettext as _

from merdeka.books.debts import TEMPLATE_PARAMS, Owed, debt_owed, order_owed
from merdeka.books.models import (
    DebtReminder,
)
from merdeka.books.posting import local_date, today
from merdeka.core.money import format_rupiah
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.customers.models import Customer
from merdeka.outreach.channels import get_channel
from merdeka.outreach.models import (
    ChannelKind,
    DeliveryStatus,
    WhatsAppTemplate,
)
from merdeka.outreach.placeholders import Recipient, placeholder_values, render
from merdeka.outreach.services import delivery_send, service_message_send, window_open
from merdeka.privacy.audit import audit_record
from merdeka.privacy.consent import (
    SERVICE,
    channel_stopped,
    channel_stops,
    consent_allows,
    is_restricted,
)
from merdeka.privacy.models import ConsentChannel

logger = logging.getLogger(__name__)
KINDS = (ChannelKind.WALINK, ChannelKind.CLOUDAPI, ChannelKind.EMAIL)


def _plain(text: str) -> str:
    """A value put into a message, without braces (they would read as placeholders)."""
    return str(text).replace("{", "(").replace("}", ")")


def _long_date(day: dt.date) -> str:
    return formats.date_format(day, "j F Y")


def reminder_message(shop, item: Owed) -> dict:
    """The reminder's subject, text and Cloud API template values, in Indonesian (the
    customer's language). It says it is about a transaction she made, not an offer."""
    with translation.override("id"):
        what = (
            _("order #%(number)s") % {"number": _plain(item.order_number)}
            if item.order_id
            else _plain(item.note) or _("your purchase")
        )
        values = {
            "shop": _plain(shop.name),
            "what": what,
            "date": _long_date(item.date),
            "left": format_rupiah(item.left),
            "due": _long_date(item.due_date),
        }
        subject = _("Payment reminder from %(shop)s") % values
        body = (
            _(
                "Hello {nama_depan}, this is a payment reminder from %(shop)s about a "
                "transaction you made with us: %(what)s on %(date)s. Still to pay: %(left)s, "
                "due %(due)s.\n\nThis is a service message about that transaction, not a "
                "promotion. If you have paid already, thank you, and please ignore this "
                "message."
            )
            % values
        )
    params = ["{nama_depan}", values["left"], values["due"], values["what"], values["shop"]]
    return {"subject": subject, "body": body, "params": params}


def reminder_preview(*, shop, item: Owed, customer) -> str:
    """The reminder's text as this customer would read it (a wa.me or email message)."""
    values = placeholder_values(
        shop=shop,
        recipient=Recipient(name=customer.name or "", city=customer.city or "", last_product=""),
        unsubscribe_url="",
    )
    return render(reminder_message(shop, item)["body"], values)


@dataclass
class Reach:
    """Where a reminder can reach the customer now, and where it cannot because of her.

    ``channels``: (value, label) choices for the form; ``stopped``: consent channel ->
    the day she replied STOP there (no message of any kind goes there any more);
    ``restricted``: her data is on hold, nothing goes anywhere."""

    channels: list[tuple[str, str]] = field(default_factory=list)
    stopped: dict[str, dt.datetime] = field(default_factory=dict)
    restricted: bool = False

    @property
    def closed(self) -> list[tuple[str, dt.datetime]]:
        """(channel label, when she said STOP) for the page."""
        return [(str(ConsentChannel(c).label), at) for c, at in self.stopped.items()]


def reminder_reach(*, shop, customer) -> Reach:
    """The channels a reminder can take to this customer now (the form's choices), and
    those her own choices closed, for the sentence that tells the seller why."""
    if is_restricted(shop=shop, customer=customer):
        return Reach(restricted=True)
    stops = channel_stops(shop=shop, customer_ids=[customer.pk]).get(customer.pk, {})
    reach = Reach(stopped={channel: event.created_at for channel, event in stops.items()})
    for kind in KINDS:
        channel = get_channel(kind)
        if channel.consent_channel in stops:
            continue
        if channel.address(customer) and channel.unavailable_reason(shop) is None:
            reach.channels.append((kind, ChannelKind(kind).label))
    return reach


def reminder_channels(*, shop, customer) -> list[tuple[str, str]]:
    """The channels that can reach the customer now, as (value, label) choices."""
    return reminder_reach(shop=shop, customer=customer).channels


def unreachable_mark(*, shop, items) -> None:
    """Mark each open item whose customer stopped a channel (``item.stopped``: the
    channels' labels), for the receivables list: one query for the whole list."""
    stops = channel_stops(shop=shop, customer_ids=[item.customer_id for item in items])
    for item in items:
        item.stopped = [
            str(ConsentChannel(channel).label) for channel in stops.get(item.customer_id, {})
        ]


def _refusal(shop, customer, kind) -> str:
    """Why consent_allows said no, for the seller: on hold, or her STOP on the channel."""
    stop = channel_stopped(shop=shop, customer=customer, channel=kind.consent_channel)
    if stop is None:
        return _(
            "This customer cannot be sent messages: the processing of her data is "
            "restricted. Remind her in person."
        )
    return _(
        "She replied STOP on %(channel)s on %(date)s, so she gets no more messages from "
        "you there, reminders included. The reminder was not sent. Remind her another "
        "way: by email if she has one, by phone call, or in person."
    ) % {
        "channel": ConsentChannel(kind.consent_channel).label,
        "date": _long_date(local_date(shop, stop.created_at)),
    }


def utility_templates(*, shop) -> list[WhatsAppTemplate]:
    with shop_scope(shop):
        return [
            t
            for t in WhatsAppTemplate.objects.filter(
                shop=shop, category=WhatsAppTemplate.Category.UTILITY
            )
            if t.param_count <= TEMPLATE_PARAMS
        ]


@dataclass
class Reminded:
    reminder: DebtReminder
    open_url: str = ""  # wa.me: the link the seller's phone opens


def reminder_send(
    *,
    shop,
    channel: str,
    debt_id: int | None = None,
    order_id: int | None = None,
    template_id: int | None = None,
    actor=None,
    request=None,
) -> Reminded:
    """Remind the customer of what she owes on a debt or an order, through ``channel``.

    Refused, with a sentence for the seller, when nothing is owed, the customer may not
    be sent service messages (outreach's consent rule: restricted or erased), she has
    no address on the channel, the channel is not set up, or the Cloud API's 24-hour
    window is closed and no approved utility template was chosen. A wa.me reminder is
    recorded as sent when the seller taps it (the link to open is returned); the others
    are sent by the worker after commit. Each is logged and audited."""
    if (debt_id is None) == (order_id is None):
        raise ValueError("a reminder is about one debt or one order")
    if channel not in ChannelKind.values:
        raise ServiceError(_("Choose how to send the reminder."))
    at = today(shop)
    with shop_scope(shop):
        if debt_id is not None:
            item = debt_owed(shop=shop, debt_id=debt_id, at=at)
        else:
            item = order_owed(shop=shop, order_id=order_id, at=at)
        if item is None:
            raise ServiceError(_("Nothing is owed here any more: there is nothing to remind."))
        customer = (
            Customer.objects.filter(shop=shop, pk=item.customer_id).first()
            if item.customer_id
            else None
        )
    if customer is None:
        raise ServiceError(_("No customer is attached to this debt any more."))
    kind = get_channel(channel)
    if not consent_allows(
        shop=shop, customer=customer, channel=kind.consent_channel, purpose=SERVICE
    ):
        logger.warning(
            "debt reminder not sent (shop %s, debt %s, order %s, customer %s, %s): %s",
            shop.pk,
            item.debt_id,
            item.order_id,
            customer.pk,
            channel,
            "on hold" if is_restricted(shop=shop, customer=customer) else "she replied STOP",
        )
        raise ServiceError(_refusal(shop, customer, kind))
    if not kind.address(customer):
        raise ServiceError(
            _("This customer has no email address.")
            if channel == ChannelKind.EMAIL
            else _("This customer has no WhatsApp number.")
        )
    if reason := kind.unavailable_reason(shop):
        raise ServiceError(reason)
    template = None
    if channel == ChannelKind.CLOUDAPI and not window_open(shop=shop, customer=customer):
        template = next((t for t in utility_templates(shop=shop) if t.pk == template_id), None)
        if template is None:
            raise ServiceError(
                _(
                    "She has not written to you on WhatsApp in the last 24 hours: the Cloud "
                    "API needs an approved utility template. Choose one, or send the "
                    "reminder from your phone."
                )
            )
    message = reminder_message(shop, item)

    def send():
        return service_message_send(
            shop=shop,
            customer=customer,
            body=message["body"],
            subject=message["subject"],
            channel=channel,
            template=template,
            template_params=message["params"][: template.param_count] if template else (),
        )

    def log(delivery) -> DebtReminder:
        with shop_scope(shop):
            reminder = DebtReminder.objects.create(
                shop=shop,
                debt_id=item.debt_id,
                order_id=item.order_id,
                channel=channel,
                delivery=delivery,
                sent_by=actor if getattr(actor, "pk", None) else None,
            )
        audit_record(
            action="books.debt_reminded",
            shop=shop,
            actor=actor,
            target=customer,
            request=request,
            detail={
                "debt": item.debt_id,
                "order": item.order_id,
                "channel": channel,
                "delivery": delivery.pk,
                "left": item.left,
            },
        )
        return reminder

    if kind.automatic:  # the worker sends it once this commits: queued and logged together
        with transaction.atomic():
            delivery = send()
            return Reminded(reminder=log(delivery))
    # a wa.me link: the seller's tap sends it, so it is recorded as sent now (outreach
    # asks the consent ledger again) and the link to open is handed back
    delivery = delivery_send(shop=shop, delivery_id=send().pk)
    if delivery.status != DeliveryStatus.SENT:
        raise ServiceError(
            _("The reminder could not be sent: %(why)s") % {"why": delivery.get_status_display()}
        )
    with transaction.atomic():
        reminder = log(delivery)
    return Reminded(reminder=reminder, open_url=delivery.open_url)

"""Sending messages. Every message of every channel goes through ``delivery_send``,
which asks the consent ledger right before the channel sends (fails closed). Here too:
order-service messages, retries with backoff and the catch-up sweep.

``delivery_send`` checks (the message is still queued, consent, an address, the
24-hour window), claims the message, sends it, and records the outcome; a next try
is enqueued when its row commits (``delivery_schedule``).

Locks: the claim (``_claim``) is a short transaction of its own. For the Cloud API it
locks the shop's ``WhatsAppCloudSettings`` row, under which the rate limit and a pause
are read (``whatsapp_settings_save`` takes the same lock); for every channel a
conditional update moves the message from queued to sending, so one worker sends it.
No lock is held while the channel talks to the provider, as long as ``delivery_send``
is called outside a transaction (the task, the sweep and the views do).
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from merdeka.core.models import Shop
from merdeka.core.scoping import scopes_disabled, shop_scope
from merdeka.outreach import clock
from merdeka.outreach.channels import ChannelError, Outgoing, get_channel
from merdeka.outreach.channels.cloudapi import SERVICE_WINDOW
from merdeka.outreach.models import (
    ChannelKind,
    Delivery,
    DeliveryStatus,
    Purpose,
    ServiceWindow,
    WhatsAppCloudSettings,
)
from merdeka.outreach.services.campaigns import campaign_maybe_done, campaigns_prepare_stalled
from merdeka.outreach.services.common import (
    STALE_SENDING,
    compose,
    delivery_schedule,
    recipient_of,
)
from merdeka.outreach.services.unsubscribe import unsubscribe_url
from merdeka.privacy.consent import (
    SERVICE,
    STOPS,
    STOPS_PROMOTIONS,
    channel_stopped,
    consent_allows,
    consent_record,
)
from merdeka.privacy.models import Consent, ConsentSource

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
PAUSED_RETRY = timedelta(minutes=30)
RATE_WINDOW = timedelta(minutes=1)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min... at most an hour, after the n-th failed attempt."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)


@transaction.atomic
def service_message_send(
    *,
    shop,
    customer,
    body: str,
    channel: str = ChannelKind.CLOUDAPI,
    subject: str = "",
    template=None,
    template_params=(),
) -> Delivery:
    """An order-service message (payment received, parcel shipped) to one customer.

    Sent under the contract basis: no marketing opt-in needed, but restricted or
    erased customers still get nothing (``consent_allows`` with purpose ``service``).
    Outside the 24-hour window the Cloud API needs an approved (utility) template.

    Locks: none; an automatic channel's send is enqueued when the delivery commits.
    """
    kind = get_channel(channel)
    if customer.shop_id != shop.pk:
        raise ValueError("the customer belongs to another shop")
    with shop_scope(shop):
        delivery = Delivery(
            shop=shop,
            customer=customer,
            channel=channel,
            purpose=Purpose.SERVICE,
            template=template,
        )
        message = compose(
            shop=shop,
            channel_kind=channel,
            purpose=Purpose.SERVICE,
            body=body,
            subject=subject,
            template=template,
            template_params=template_params,
            recipient=recipient_of(customer),
            unsubscribe=unsubscribe_url(delivery),
        )
        delivery.subject = message["subject"] or None
        delivery.body = message["body"]
        delivery.params = json.dumps(message["params"]) if message["params"] else None
        delivery.save()
        if kind.automatic:
            delivery_schedule(shop.pk, delivery.pk)
    return delivery


def _withdrawn(shop, customer, channel: str) -> bool:
    with shop_scope(shop):
        return Consent.objects.filter(
            shop=shop, customer=customer, channel=channel, granted=False
        ).exists()


def window_open(*, shop, customer, now=None) -> bool:
    """Did the customer write to the shop on WhatsApp in the last 24 hours?"""
    now = now or clock.now()
    with shop_scope(shop):
        return ServiceWindow.objects.filter(
            shop=shop, customer=customer, last_inbound_at__gt=now - SERVICE_WINDOW
        ).exists()


def _finish(delivery, *, status: str, code: str = "", error: str = "", now=None, **extra):
    now = now or clock.now()
    delivery.status = status
    delivery.error_code = code
    delivery.error = error[:300]
    fields = {"status", "error_code", "error", "updated_at", *extra}
    for name, value in extra.items():
        setattr(delivery, name, value)
    if status == DeliveryStatus.FAILED:
        delivery.failed_at = now
        fields.add("failed_at")
    with shop_scope(delivery.shop_id):
        Delivery.objects.filter(pk=delivery.pk).update(
            **{name: getattr(delivery, name) for name in fields if name != "updated_at"},
            updated_at=now,
        )
    campaign_maybe_done(delivery.shop, delivery.campaign_id)
    return delivery


def delivery_send(*, shop, delivery_id: int) -> Delivery:
    """Send one queued message now, if it may still be sent. Every channel comes here.

    Right before the channel sends, the consent ledger is asked (fails closed: no
    recorded opt-in for the channel, no marketing message; restricted or erased
    customers get nothing). Errors are retried with exponential backoff when the
    provider says so; a paused account keeps the message waiting.

    Locks: only inside the claim (see the module); none while the channel sends.
    """
    now = clock.now()
    with shop_scope(shop):
        delivery = (
            Delivery.objects.select_related("customer", "template", "shop")
            .filter(shop=shop, pk=delivery_id)
            .first()
        )
    if delivery is None or delivery.status != DeliveryStatus.QUEUED:
        return delivery
    channel = get_channel(delivery.channel)
    customer = delivery.customer
    if not consent_allows(
        shop=shop, customer=customer, channel=channel.consent_channel, purpose=delivery.purpose
    ):
        if delivery.purpose == SERVICE:
            # a service message: held back by a restriction or by her STOP on the channel
            withdrawn = (
                customer is not None
                and customer.pk is not None
                and channel_stopped(shop=shop, customer=customer, channel=channel.consent_channel)
                is not None
            )
            log.warning(
                "service message %s of shop %s not sent: customer %s %s",
                delivery.pk,
                shop.pk,
                customer.pk if customer else None,
                f"stopped messages on {channel.consent_channel}"
                if withdrawn
                else "may not be messaged (on hold, merged away or erased)",
            )
        else:
            withdrawn = _withdrawn(shop, customer, channel.consent_channel)
        return _finish(
            delivery,
            status=DeliveryStatus.OPTED_OUT if withdrawn else DeliveryStatus.SKIPPED_NO_CONSENT,
            now=now,
        )
    address = channel.address(customer)
    if address is None:
        return _finish(delivery, status=DeliveryStatus.SKIPPED_NO_CONTACT, now=now)
    if (
        delivery.channel == ChannelKind.CLOUDAPI
        and delivery.template_id is None
        and not window_open(shop=shop, customer=customer, now=now)
    ):
        return _finish(
            delivery,
            status=DeliveryStatus.SKIPPED_WINDOW,
            error=_("Outside the 24-hour window a template is needed."),
            now=now,
        )
    if not _claim(shop, delivery, now):
        return delivery
    params = json.loads(delivery.params) if delivery.params else []
    try:
        result = channel.send(
            Outgoing(
                shop=shop,
                delivery=delivery,
                customer=customer,
                address=address,
                body=delivery.body or "",
                subject=delivery.subject or "",
                unsubscribe_url=unsubscribe_url(delivery)
                if delivery.purpose == Purpose.MARKETING
                else "",
                template=delivery.template,
                params=params,
            )
        )
    except ChannelError as exc:
        return _failed(shop, delivery, exc, now)
    delivery.open_url = result.open_url
    return _finish(
        delivery,
        status=DeliveryStatus.SENT,
        now=now,
        provider_message_id=result.provider_message_id[:200],
        sent_at=now,
        next_attempt_at=None,
    )


@transaction.atomic
def _claim(shop, delivery, now) -> bool:
    """Mark the message as being sent (one worker only), within the shop's rate limit."""
    with shop_scope(shop):
        if delivery.channel == ChannelKind.CLOUDAPI:
            account = WhatsAppCloudSettings.objects.select_for_update().filter(shop=shop).first()
            if account is None or account.token_invalid_at:
                Delivery.objects.filter(pk=delivery.pk).update(
                    error_code="paused",
                    error=_("Waiting: the WhatsApp Cloud API settings need attention."),
                )
                return False
            recent = list(
                Delivery.objects.filter(
                    shop=shop,
                    channel=ChannelKind.CLOUDAPI,
                    last_attempt_at__gt=now - RATE_WINDOW,
                )
                .order_by("last_attempt_at")
                .values_list("last_attempt_at", flat=True)[: account.rate_per_minute]
            )
            if len(recent) >= account.rate_per_minute:
                at = recent[0] + RATE_WINDOW
                Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=at)
                delivery.next_attempt_at = at
                delivery_schedule(shop.pk, delivery.pk, at)
                return False
        claimed = Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.QUEUED).update(
            status=DeliveryStatus.SENDING,
            attempts=F("attempts") + 1,
            last_attempt_at=now,
            next_attempt_at=None,
            updated_at=now,
        )
    if claimed:
        delivery.attempts += 1
        delivery.last_attempt_at = now
    return bool(claimed)


def _failed(shop, delivery, exc: ChannelError, now) -> Delivery:
    if exc.pause:
        if delivery.channel == ChannelKind.CLOUDAPI:
            with shop_scope(shop):
                WhatsAppCloudSettings.objects.filter(shop=shop).update(token_invalid_at=now)
            at = None  # resumes when a new token is saved
        else:
            at = now + PAUSED_RETRY
        # the account's fault, not the message's: the attempt does not count
        result = _finish(
            delivery,
            status=DeliveryStatus.QUEUED,
            code=exc.code,
            error=exc.message,
            now=now,
            attempts=max(delivery.attempts - 1, 0),
            next_attempt_at=at,
        )
        if at is not None:
            with transaction.atomic():
                delivery_schedule(shop.pk, delivery.pk, at)
        return result
    if exc.retryable and delivery.attempts < MAX_ATTEMPTS:
        at = now + backoff(delivery.attempts)
        result = _finish(
            delivery,
            status=DeliveryStatus.QUEUED,
            code=exc.code,
            error=exc.message,
            now=now,
            next_attempt_at=at,
        )
        with transaction.atomic():
            delivery_schedule(shop.pk, delivery.pk, at)
        return result
    if exc.opted_out:
        consent_record(
            shop=shop,
            customer=delivery.customer,
            channel=get_channel(delivery.channel).consent_channel,
            granted=False,
            source=ConsentSource.REPLY_STOP,
            evidence={
                "provider_error": exc.code,
                "delivery": delivery.pk,
                STOPS: STOPS_PROMOTIONS,  # the provider's "stopped marketing messages"
            },
        )
        return _finish(
            delivery, status=DeliveryStatus.OPTED_OUT, code=exc.code, error=exc.message, now=now
        )
    return _finish(
        delivery, status=DeliveryStatus.FAILED, code=exc.code, error=exc.message, now=now
    )


def deliveries_send_due(*, now=None) -> int:
    """Send every queued message whose retry time has come (all shops). The worker
    schedules these itself; this sweep catches up after a restart or where the task
    backend cannot wait. Returns how many were tried.

    Locks: none; each message is claimed in ``delivery_send``, so a message the worker
    is sending at the same time still goes once."""
    now = now or clock.now()
    campaigns_prepare_stalled(now=now)
    with scopes_disabled():
        # a worker that died while sending left the message "sending": try it again
        Delivery.objects.filter(
            status=DeliveryStatus.SENDING, last_attempt_at__lt=now - STALE_SENDING
        ).update(status=DeliveryStatus.QUEUED, next_attempt_at=now)
        due = list(
            Delivery.objects.filter(
                status=DeliveryStatus.QUEUED, next_attempt_at__lte=now
            ).values_list("shop_id", "pk")
        )
        shops = Shop.objects.in_bulk({shop_id for shop_id, _pk in due})
    for shop_id, pk in due:
        delivery_send(shop=shops[shop_id], delivery_id=pk)
    return len(due)


def walink_mark_sent(*, shop, delivery_id: int, campaign_id: int) -> Delivery:
    """The seller tapped a wa.me link: record the message as sent (consent checked).

    Locks: none of its own; see ``delivery_send``."""
    with shop_scope(shop):
        delivery = Delivery.objects.get(
            shop=shop, pk=delivery_id, campaign_id=campaign_id, channel=ChannelKind.WALINK
        )
    if delivery.status == DeliveryStatus.QUEUED:
        delivery = delivery_send(shop=shop, delivery_id=delivery.pk)
    return delivery

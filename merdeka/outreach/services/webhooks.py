"""What WhatsApp tells us: delivery statuses, and customers' messages (which open the
24-hour window, and STOP/BERHENTI, which withdraws consent).

``webhook_receive`` checks that each change is for the account's own number, and
applies each status and each message in a transaction of its own.

Locks: ``status_apply`` locks the delivery row, so that statuses arriving together
are ranked against each other (a late "sent" never undoes "read"); ``inbound_apply``
locks the customer's ``ServiceWindow`` row, so that the window only moves forward.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import transaction

from merdeka.core.scoping import shop_scope
from merdeka.customers.selectors import customer_list
from merdeka.outreach import clock
from merdeka.outreach.channels.cloudapi import STOP_BUTTONS, GraphError, classify
from merdeka.outreach.models import (
    ChannelKind,
    Delivery,
    DeliveryStatus,
    ServiceWindow,
    WhatsAppCloudSettings,
)
from merdeka.privacy.consent import STOPS, STOPS_CHANNEL, STOPS_PROMOTIONS, consent_record
from merdeka.privacy.models import ConsentSource

# the words of the rule, and the "stop promotions" quick replies of Meta's templates
STOP_WORDS = STOP_BUTTONS
# ...which stop promotions only; STOP and BERHENTI stop every message on WhatsApp
PROMOTIONS_ONLY = {"stop promotions", "hentikan promosi"}
_STATUS_RANK = {
    DeliveryStatus.SENDING: 0,
    DeliveryStatus.QUEUED: 0,
    DeliveryStatus.SENT: 1,
    DeliveryStatus.DELIVERED: 2,
    DeliveryStatus.READ: 3,
}
_WEBHOOK_STATUS = {
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.READ,
    "failed": DeliveryStatus.FAILED,
}


def _timestamp(value):
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return clock.now()


def webhook_receive(*, account: WhatsAppCloudSettings, payload: dict) -> dict:
    """Apply a verified webhook of ``account``'s shop: statuses and inbound messages.

    Only changes for the account's own phone number id are read, and every lookup is
    limited to its shop, so one shop's webhook cannot touch another shop's messages.

    Locks: none of its own; each status and message takes its own transaction.
    """
    shop = account.shop
    counts = {"statuses": 0, "messages": 0, "stops": 0}
    entries = payload.get("entry") if isinstance(payload, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        for change in entry.get("changes") or [] if isinstance(entry, dict) else []:
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict):
                continue
            metadata = value.get("metadata") or {}
            if str(metadata.get("phone_number_id", "")) != account.phone_number_id:
                continue
            for status in value.get("statuses") or []:
                if isinstance(status, dict) and status_apply(shop=shop, status=status):
                    counts["statuses"] += 1
            for message in value.get("messages") or []:
                if isinstance(message, dict):
                    stopped = inbound_apply(shop=shop, message=message)
                    counts["messages"] += 1
                    counts["stops"] += int(stopped)
    return counts


@transaction.atomic
def status_apply(*, shop, status: dict) -> bool:
    """Apply one status of a Cloud API message; a failure that says the customer
    stopped marketing withdraws their WhatsApp consent.

    Locks: the delivery row. Returns whether anything changed."""
    new = _WEBHOOK_STATUS.get(str(status.get("status", "")))
    provider_id = str(status.get("id", ""))[:200]
    if new is None or not provider_id:
        return False
    at = _timestamp(status.get("timestamp"))
    with shop_scope(shop):
        delivery = (
            Delivery.objects.select_for_update()
            .filter(shop=shop, channel=ChannelKind.CLOUDAPI, provider_message_id=provider_id)
            .first()
        )
        if delivery is None:
            return False
        current = _STATUS_RANK.get(delivery.status)
        if new == DeliveryStatus.FAILED:
            if current is None or current >= _STATUS_RANK[DeliveryStatus.DELIVERED]:
                return False
            errors = status.get("errors") or [{}]
            code = errors[0].get("code") if isinstance(errors[0], dict) else None
            exc = classify(GraphError(400, code, None, ""))
            update = {"status": new, "failed_at": at, "error_code": exc.code, "error": exc.message}
            if exc.opted_out:
                update["status"] = DeliveryStatus.OPTED_OUT
                consent_record(
                    shop=shop,
                    customer=delivery.customer,
                    channel="whatsapp",
                    granted=False,
                    source=ConsentSource.REPLY_STOP,
                    evidence={
                        "provider_error": exc.code,
                        "delivery": delivery.pk,
                        STOPS: STOPS_PROMOTIONS,  # Meta: she stopped marketing messages
                    },
                )
        else:
            if current is None or current >= _STATUS_RANK[new]:
                # a late "sent" after "read" changes nothing; times of steps still fill in
                update = {}
            else:
                update = {"status": new}
            stamp = {
                DeliveryStatus.SENT: "sent_at",
                DeliveryStatus.DELIVERED: "delivered_at",
                DeliveryStatus.READ: "read_at",
            }[new]
            if getattr(delivery, stamp) is None:
                update[stamp] = at
            if not update:
                return False
        Delivery.objects.filter(pk=delivery.pk).update(**update, updated_at=clock.now())
    return True


def _message_text(message: dict) -> str:
    kind = message.get("type")
    if kind == "text":
        return str((message.get("text") or {}).get("body", ""))
    if kind == "button":
        return str((message.get("button") or {}).get("text", ""))
    if kind == "interactive":
        interactive = message.get("interactive") or {}
        reply = interactive.get("button_reply") or interactive.get("list_reply") or {}
        return str(reply.get("title", ""))
    return ""


@transaction.atomic
def inbound_apply(*, shop, message: dict) -> bool:
    """A customer wrote to the shop: open the 24-hour window; STOP/BERHENTI opts out.

    The customer is found by the blind index of their number, never by plaintext.
    Returns True when the message withdrew consent.

    Locks: the customer's service-window row, where they have one.
    """
    sender = "".join(ch for ch in str(message.get("from", "")) if ch.isdigit())
    if not sender:
        return False
    customer = customer_list(shop=shop, phone="+" + sender).first()
    if customer is None:
        return False
    at = min(_timestamp(message.get("timestamp")), clock.now())
    with shop_scope(shop):
        window = ServiceWindow.objects.select_for_update().filter(shop=shop, customer=customer)
        current = window.first()
        if current is None:
            ServiceWindow.objects.create(shop=shop, customer=customer, last_inbound_at=at)
        elif current.last_inbound_at < at:
            window.update(last_inbound_at=at)
    word = _message_text(message).strip().casefold()
    if word in STOP_WORDS:
        consent_record(
            shop=shop,
            customer=customer,
            channel="whatsapp",
            granted=False,
            source=ConsentSource.REPLY_STOP,
            evidence={
                "message_id": str(message.get("id", ""))[:200],
                "word": word,  # one of STOP_WORDS: what she chose, no more of her text
                STOPS: STOPS_PROMOTIONS if word in PROMOTIONS_ONLY else STOPS_CHANNEL,
            },
        )
        return True
    return False

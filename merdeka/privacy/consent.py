"""Marketing consent: one ledger of choices, one current state per customer and channel.

Every send of a marketing message asks ``consent_allows`` first and it fails closed: no
recorded opt-in for that channel means no message. Order-service messages (a payment
received, a parcel shipped, a payment reminder) are sent under the contract basis and
need no opt-in, but a customer whose processing is restricted or who was erased gets
nothing at all, and one who told the shop to stop on a channel (replied STOP there) gets
nothing more on that channel until she opts in there again (``channel_stops``; a "no" to
promotions alone does not stop service messages: docs/decisions/stop-and-service-messages.md).

A customer merged into another brings their choices along: the current state of a
customer is the latest choice recorded for them *or for anyone merged into them*, and it
is worked out again after every merge and every undo, so an undo cannot leave a grant
behind that belonged to the other person.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from merdeka.core import bulk
from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Customer
from merdeka.privacy.audit import audit_record
from merdeka.privacy.models import (
    Consent,
    ConsentChannel,
    ConsentEvent,
    ConsentSource,
    ProcessingRestriction,
)

MARKETING = "marketing"
SERVICE = "service"
PURPOSES = (MARKETING, SERVICE)

# What a withdrawal stops, where its evidence says (``evidence[STOPS]``): promotions
# only, or every message on the channel (the customer's own STOP there).
STOPS = "stops"
STOPS_PROMOTIONS = "promotions"
STOPS_CHANNEL = "channel"


@transaction.atomic
def consent_record(
    *,
    shop,
    customer,
    channel: str,
    granted: bool,
    source: str,
    actor=None,
    evidence: dict | None = None,
    request=None,
) -> ConsentEvent:
    """Record a customer's choice for one channel; it takes effect at once."""
    if channel not in ConsentChannel.values:
        raise ValueError(f"unknown consent channel {channel!r}")
    if source not in ConsentSource.values:
        raise ValueError(f"unknown consent source {source!r}")
    if customer.shop_id != shop.pk:
        raise ValueError("the customer belongs to another shop")
    with shop_scope(shop):
        event = ConsentEvent(
            shop=shop,
            customer=customer,
            channel=channel,
            granted=granted,
            source=source,
            actor=actor if actor is not None and actor.pk else None,
            evidence=evidence or {},
        )
        event.save()
        Consent.objects.update_or_create(
            shop=shop,
            customer=customer,
            channel=channel,
            defaults={"granted": granted, "source": source, "updated_at": event.created_at},
        )
    audit_record(
        action="consent.granted" if granted else "consent.withdrawn",
        shop=shop,
        actor=actor,
        target=customer,
        request=request,
        detail={"channel": channel, "source": source},
    )
    return event


def consent_state(*, shop, customer) -> dict[str, Consent | None]:
    """channel -> the current Consent row (or None when nothing was ever recorded)."""
    with shop_scope(shop):
        rows = {c.channel: c for c in Consent.objects.filter(shop=shop, customer=customer)}
    return {channel: rows.get(channel) for channel in ConsentChannel.values}


def consent_history(*, shop, customer):
    """Every choice recorded for the customer (and for those merged into them), newest first."""
    with shop_scope(shop):
        group = _merged_group(shop, [customer.pk])[customer.pk]
        return ConsentEvent.objects.filter(shop=shop, customer_id__in=group).select_related("actor")


def consent_allows(*, shop, customer, channel: str, purpose: str = MARKETING) -> bool:
    """May the shop send this customer a message of ``purpose`` through ``channel``?

    Fails closed: an unknown purpose or channel, a customer of another shop, a merged-away,
    erased (unsaved) or restricted customer, or no recorded opt-in all answer False; a
    service message also False on a channel she told the shop to stop (``channel_stops``).
    """
    if purpose not in PURPOSES or channel not in ConsentChannel.values:
        return False
    if customer is None or customer.pk is None:
        return False
    if customer.shop_id != shop.pk or customer.merged_into_id:
        return False
    with shop_scope(shop):
        if is_restricted(shop=shop, customer=customer):
            return False
        if purpose == SERVICE:
            return channel_stopped(shop=shop, customer=customer, channel=channel) is None
        return Consent.objects.filter(
            shop=shop, customer=customer, channel=channel, granted=True
        ).exists()


def stops_channel(event: ConsentEvent) -> bool:
    """Does this choice stop every message on its channel, not only promotions?

    Only the customer's own STOP on the channel does. A "stop promotions" button, Meta's
    "stopped marketing messages" (evidence ``provider_error``), an unsubscribe link, a
    "no" at sign-up or told to the shop, and a withdrawal of (marketing) consent by a
    rights request stop promotions only. A STOP recorded before its evidence said which
    it was counts as a full stop: the rule fails closed."""
    if event.granted or event.source != ConsentSource.REPLY_STOP:
        return False
    evidence = event.evidence or {}
    if evidence.get(STOPS):
        return evidence[STOPS] == STOPS_CHANNEL
    return "provider_error" not in evidence


def channel_stops(*, shop, customer_ids: Iterable[int]) -> dict[int, dict[str, ConsentEvent]]:
    """customer id -> {channel: the STOP that holds} for the customers who told the shop
    to stop messaging them on a channel (they, or anyone merged into them) and have not
    opted in on that channel since. Customers without one are left out."""
    customer_ids = list(dict.fromkeys(cid for cid in customer_ids if cid))
    if not customer_ids:
        return {}
    with shop_scope(shop):
        groups = _merged_group(shop, customer_ids)
        root_of = {cid: root for root, group in groups.items() for cid in group}
        events: list[ConsentEvent] = []
        for part in bulk.chunks(list(root_of)):
            events.extend(
                ConsentEvent.objects.filter(shop=shop, customer_id__in=part).filter(
                    Q(granted=True) | Q(source=ConsentSource.REPLY_STOP)
                )
            )
    held: dict[int, dict[str, ConsentEvent]] = {}
    for event in sorted(events, key=lambda e: (e.created_at, e.pk)):
        root = root_of[event.customer_id]
        if event.granted:
            held.get(root, {}).pop(event.channel, None)
        elif stops_channel(event):
            held.setdefault(root, {})[event.channel] = event
    return {root: stops for root, stops in held.items() if stops}


def channel_stopped(*, shop, customer, channel: str) -> ConsentEvent | None:
    """The STOP that keeps every message from this customer on ``channel``, or None."""
    return channel_stops(shop=shop, customer_ids=[customer.pk]).get(customer.pk, {}).get(channel)


def is_restricted(*, shop, customer) -> bool:
    """Is processing of this customer held (UU PDP art. 11)? A restriction of anyone
    merged into them counts too: it is the same person."""
    with shop_scope(shop):
        group = _merged_group(shop, [customer.pk])[customer.pk]
        return ProcessingRestriction.objects.filter(
            shop=shop, customer_id__in=group, lifted_at__isnull=True
        ).exists()


def restricted_customer_ids(*, shop):
    """A subquery of the customers whose processing is held."""
    with shop_scope(shop):
        return ProcessingRestriction.objects.filter(shop=shop, lifted_at__isnull=True).values(
            "customer_id"
        )


def consented_customer_ids(*, shop, channel: str):
    """A subquery of the customers who opted in to marketing on ``channel`` (and whose
    processing is not restricted)."""
    with shop_scope(shop):
        return (
            Consent.objects.filter(shop=shop, channel=channel, granted=True)
            .exclude(customer_id__in=restricted_customer_ids(shop=shop))
            .values("customer_id")
        )


def _merged_group(shop, customer_ids: Iterable[int]) -> dict[int, set[int]]:
    """customer id -> itself and every customer merged into it, directly or in a chain."""
    groups = {cid: {cid} for cid in customer_ids}
    owner = {cid: cid for cid in groups}
    frontier = list(groups)
    while frontier:
        found = []
        for part in bulk.chunks(frontier):
            found.extend(
                Customer.objects.filter(shop=shop, merged_into_id__in=part).values_list(
                    "pk", "merged_into_id"
                )
            )
        frontier = []
        for pk, into in found:
            root = owner[into]
            if pk not in owner:
                owner[pk] = root
                groups[root].add(pk)
                frontier.append(pk)
    return groups


def consent_recompute(*, shop, customer_ids: Iterable[int]) -> None:
    """Work the current consent of these customers out again from the ledger.

    Called after merges and undos. Cheap when nobody involved has a recorded choice,
    which is the usual case during an import.
    """
    customer_ids = list(dict.fromkeys(customer_ids))
    if not customer_ids:
        return
    with shop_scope(shop):
        if not ConsentEvent.objects.filter(shop=shop).exists():
            return
        groups = _merged_group(shop, customer_ids)
        everyone = {cid for group in groups.values() for cid in group}
        latest: dict[tuple[int, str], ConsentEvent] = {}
        root_of = {cid: root for root, group in groups.items() for cid in group}
        any_events = False
        for part in bulk.chunks(list(everyone)):
            for event in ConsentEvent.objects.filter(shop=shop, customer_id__in=part).order_by(
                "created_at", "id"
            ):
                any_events = True
                latest[(root_of[event.customer_id], event.channel)] = event
        if not any_events:
            return
        for part in bulk.chunks(customer_ids):
            Consent.objects.filter(shop=shop, customer_id__in=part).delete()
        now = timezone.now()
        Consent.objects.bulk_create(
            [
                Consent(
                    shop=shop,
                    customer_id=root,
                    channel=channel,
                    granted=event.granted,
                    source=event.source,
                    updated_at=event.created_at or now,
                )
                for (root, channel), event in latest.items()
            ]
        )


RESTORED = "restored_from_export"
CHOSEN_AT = "chosen_at"


def consent_history_of(*, shop, customer_ids: Iterable[int]) -> dict[int, list[dict]]:
    """Each customer's consent ledger in the order it was written, for an export: the
    moment of each choice is when the customer made it (for a ledger itself restored from
    an export, the moment it carries)."""
    found: dict[int, list[dict]] = {}
    with shop_scope(shop):
        for part in bulk.chunks(list(customer_ids)):
            events = (
                ConsentEvent.objects.filter(shop=shop, customer_id__in=part)
                .select_related("actor")
                .order_by("created_at", "id")
            )
            for event in events:
                evidence = dict(event.evidence or {})
                at = evidence.pop(CHOSEN_AT, None) or event.created_at.isoformat()
                evidence.pop(RESTORED, None)
                found.setdefault(event.customer_id, []).append(
                    {
                        "channel": event.channel,
                        "granted": event.granted,
                        "source": event.source,
                        "at": at,
                        "actor": event.actor.username if event.actor_id else None,
                        "evidence": evidence,
                    }
                )
    return found


def consent_history_restore(*, shop, customer, events: list[dict], users: dict) -> int:
    """Write a customer's consent ledger read from an export into this shop, in its
    order. The ledger is append-only and each row is dated when it is written here, so
    the moment of the customer's choice goes into its evidence (``chosen_at``) along
    with the mark that it was restored; the current consent follows from the ledger."""
    if customer.shop_id != shop.pk:
        raise ValueError("the customer belongs to another shop")
    written = 0
    with shop_scope(shop):
        for data in events:
            if data.get("channel") not in ConsentChannel.values:
                continue
            source = data.get("source")
            ConsentEvent(
                shop=shop,
                customer=customer,
                channel=data["channel"],
                granted=bool(data.get("granted")),
                source=source if source in ConsentSource.values else ConsentSource.IMPORT,
                actor=users.get(data.get("actor")),
                evidence={**(data.get("evidence") or {}), RESTORED: True, CHOSEN_AT: data["at"]},
            ).save()
            written += 1
    if written:
        consent_recompute(shop=shop, customer_ids=[customer.pk])
    return written

"""Campaigns: saving a draft, previewing it, sending it, and the background fan-out
that makes one delivery per customer of its audience.

Each service checks what the seller asked first (an ``OutreachError`` says what to fix),
then acts in one transaction, and hands work on only with the rows it needs: a
message's send is enqueued when its delivery commits (``delivery_schedule``); the
fan-out task is enqueued inside ``campaign_send``'s transaction, on purpose (see there).

Locks: the campaign row (``select_for_update``) wherever its state moves on:
``campaign_send`` (draft to sending) and each chunk of ``campaign_prepare`` (one
preparer at a time). ``campaign_maybe_done`` takes none; its update matches only a
sending, prepared campaign. ``campaign_save`` locks the row it changes too, so a save
and a send of one campaign go one after the other: a save that waited for a send sees
it sending and refuses.
"""

from __future__ import annotations

import json

from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from merdeka.core.scoping import scopes_disabled, shop_scope
from merdeka.outreach import clock
from merdeka.outreach.channels import get_channel
from merdeka.outreach.channels.walink import wa_me_url
from merdeka.outreach.models import (
    OPEN_STATUSES,
    SKIPPED_STATUSES,
    Campaign,
    ChannelKind,
    Delivery,
    DeliveryStatus,
    Purpose,
)
from merdeka.outreach.selectors import audience_problem, campaign_audience, with_last_product
from merdeka.outreach.services.common import (
    STALE_SENDING,
    OutreachError,
    compose,
    delivery_schedule,
    recipient_of,
)
from merdeka.outreach.services.unsubscribe import example_unsubscribe_url, unsubscribe_url
from merdeka.outreach.tasks import prepare_campaign
from merdeka.privacy.audit import audit_record
from merdeka.privacy.models import Consent


def campaign_preview(*, shop, campaign_fields: dict, customer) -> dict:
    """What ``customer`` would get, with an example unsubscribe link."""
    preview = compose(
        shop=shop,
        channel_kind=campaign_fields["channel"],
        purpose=campaign_fields["purpose"],
        body=campaign_fields.get("body", ""),
        subject=campaign_fields.get("subject", ""),
        template=campaign_fields.get("template"),
        template_params=campaign_fields.get("template_params", []),
        recipient=recipient_of(customer),
        unsubscribe=example_unsubscribe_url(),
    )
    if campaign_fields["channel"] == ChannelKind.WALINK:
        phone = get_channel(ChannelKind.WALINK).address(customer)
        preview["wa_url"] = wa_me_url(phone, preview["body"]) if phone else ""
    return preview


CAMPAIGN_FIELDS = (
    "name",
    "channel",
    "purpose",
    "subject",
    "body",
    "template",
    "template_params",
    "audience_kind",
    "audience_city",
    "audience_ids",
    "audience_segment",
    "consent_request",  # set by services.asking only; the composer's form has no such field
)


@transaction.atomic
def campaign_save(
    *, shop, actor, fields: dict, campaign=None, seen_at=None, request=None
) -> Campaign:
    """Save a new campaign or a draft, with the seller's fields. Returns the saved row.

    A campaign whose sending has started is refused (its messages are being made from
    what it says). ``seen_at`` is the draft's ``updated_at`` when the seller's form was
    opened: a draft saved since (another tab, another member) is refused rather than
    overwritten, so no edit is lost without her knowing.

    Locks: the campaign row (``select_for_update``), from the state check to the save,
    like ``campaign_send``: of a save and a send of one draft, the later waits for the
    earlier and then reads what it left."""
    with shop_scope(shop):
        if campaign is None:
            campaign = Campaign(shop=shop, created_by=actor)
        else:
            campaign = Campaign.objects.select_for_update().get(pk=campaign.pk, shop=shop)
            if campaign.state != Campaign.State.DRAFT:
                raise OutreachError(
                    _(
                        "This campaign has started sending, so it can no longer be "
                        "changed. Your changes were not saved. To send other words, "
                        "make a new campaign."
                    )
                )
            if seen_at is not None and campaign.updated_at != seen_at:
                raise OutreachError(
                    _(
                        "This draft was changed somewhere else (another tab or another "
                        "member) after you opened it, so your changes were not saved. "
                        "Open it again to see the latest version, then edit it."
                    )
                )
        for name in CAMPAIGN_FIELDS:
            if name in fields:
                setattr(campaign, name, fields[name])
        template = campaign.template
        if template is not None and template.shop_id != shop.pk:
            raise OutreachError(_("Choose one of your shop's templates."))
        segment = campaign.audience_segment
        if segment is not None and segment.shop_id != shop.pk:
            raise OutreachError(_("Choose one of your shop's segments."))
        campaign.save()
    audit_record(
        action="outreach.campaign_saved", shop=shop, actor=actor, target=campaign, request=request
    )
    return campaign


def _consent_status(rows: dict[int, bool], customer_id: int) -> str | None:
    granted = rows.get(customer_id)
    if granted is True:
        return None
    return DeliveryStatus.OPTED_OUT if granted is False else DeliveryStatus.SKIPPED_NO_CONSENT


@transaction.atomic
def campaign_send(*, shop, campaign, actor=None, request=None) -> dict | None:
    """Start sending a campaign: check it, mark it sending, and leave the making of
    its messages (one delivery per customer of the audience, ``campaign_prepare``) to
    a background task, so that the page answers at once for any audience size.

    The task is enqueued inside this transaction: the database task backend stores it
    with the campaign's new state, so there is never a sending campaign without its
    task (nor a task for a campaign that stayed a draft). Returns the counts of
    ``campaign_counts`` when the messages are already made (a backend that runs tasks
    at once), else None.

    Locks: the campaign row, from the draft check to the new state.
    """
    channel = get_channel(campaign.channel)
    reason = channel.unavailable_reason(shop)
    if reason:
        raise OutreachError(reason)
    with shop_scope(shop):
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk, shop=shop)
        if campaign.state != Campaign.State.DRAFT:
            raise OutreachError(_("This campaign was already sent."))
        problem = audience_problem(shop=shop, campaign=campaign)
        if problem == "deleted":
            raise OutreachError(
                _(
                    "The segment of this campaign was deleted. "
                    "Edit the campaign and choose who gets it."
                )
            )
        if problem == "invalid":
            raise OutreachError(
                _(
                    "The segment's filters are not valid. "
                    "Fix the segment or choose another audience."
                )
            )
        campaign.state = Campaign.State.SENDING
        campaign.sent_at = clock.now()
        campaign.audience_size = campaign_audience(shop=shop, campaign=campaign).count()
        campaign.prepared_at = None
        campaign.save(
            update_fields=["state", "sent_at", "audience_size", "prepared_at", "updated_at"]
        )
    audit_record(
        action="outreach.campaign_sent",
        shop=shop,
        actor=actor,
        target=campaign,
        request=request,
        detail={
            "channel": campaign.channel,
            "purpose": campaign.purpose,
            "audience": campaign.audience_size,
        },
    )
    prepare_campaign.enqueue(shop_id=shop.pk, campaign_id=campaign.pk)
    with shop_scope(shop):
        prepared = Campaign.objects.filter(pk=campaign.pk, prepared_at__isnull=False).exists()
    return campaign_counts(shop=shop, campaign=campaign) if prepared else None


def campaign_counts(*, shop, campaign) -> dict:
    """Messages made for a campaign so far: waiting to go (or gone), and skipped."""
    with shop_scope(shop):
        counts = Delivery.objects.filter(shop=shop, campaign_id=campaign.pk).aggregate(
            made=Count("id"), skipped=Count("id", filter=Q(status__in=SKIPPED_STATUSES))
        )
    return {"queued": counts["made"] - counts["skipped"], "skipped": counts["skipped"]}


PREPARE_CHUNK = 500


def campaign_prepare(*, shop, campaign_id: int, chunk: int | None = None) -> dict:
    """Make the messages of a sending campaign (the background task's body): one
    delivery per customer of the audience, in chunks of customers in id order, each
    chunk in its own transaction.

    Customers without consent (for marketing) or without a number/email get a skipped
    delivery with the reason. The automatic channels' messages are handed to the
    worker as each chunk commits; the wa.me queue waits for the seller's taps.
    Consent is asked again right before each message goes out (``delivery_send``).

    Safe to run again, whole or after a crash half-way: a customer who already has
    the campaign's delivery is passed over (and the database refuses a second one),
    and a prepared campaign is left alone. Returns ``campaign_counts``.

    Locks: the campaign row, for each chunk's transaction; the chunk's sends are
    enqueued when it commits.
    """
    chunk = chunk or PREPARE_CHUNK
    channel = None
    last = 0
    while True:
        with transaction.atomic(), shop_scope(shop):
            # one preparer at a time per campaign: a second run waits, then skips
            campaign = (
                Campaign.objects.select_for_update().filter(shop=shop, pk=campaign_id).first()
            )
            if campaign is None or not campaign.preparing:
                break
            channel = channel or get_channel(campaign.channel)
            made = _deliveries_make(shop, campaign, channel, after=last, limit=chunk)
            now = clock.now()
            if made is None:
                Campaign.objects.filter(pk=campaign.pk).update(prepared_at=now, updated_at=now)
                campaign_maybe_done(shop, campaign.pk)
                break
            last = made
            Campaign.objects.filter(pk=campaign.pk).update(updated_at=now)  # still alive
    if campaign is None:
        return {}
    return campaign_counts(shop=shop, campaign=campaign)


def _deliveries_make(shop, campaign, channel, *, after: int, limit: int) -> int | None:
    """The deliveries of the next ``limit`` customers of the audience after id
    ``after``; returns the last customer id read (None when none was left)."""
    audience = campaign_audience(shop=shop, campaign=campaign).filter(pk__gt=after)
    customers = list(with_last_product(audience, shop=shop).order_by("pk")[:limit])
    if not customers:
        return None
    ids = [customer.pk for customer in customers]
    done = set(
        Delivery.objects.filter(shop=shop, campaign=campaign, customer_id__in=ids).values_list(
            "customer_id", flat=True
        )
    )
    consent_rows = dict(
        Consent.objects.filter(
            shop=shop, channel=channel.consent_channel, customer_id__in=ids
        ).values_list("customer_id", "granted")
    )
    deliveries = []
    for customer in customers:
        if customer.pk in done:
            continue
        delivery = Delivery(
            shop=shop,
            campaign=campaign,
            customer=customer,
            channel=campaign.channel,
            purpose=campaign.purpose,
            template=campaign.template,
        )
        status = None
        if campaign.purpose == Purpose.MARKETING:
            status = _consent_status(consent_rows, customer.pk)
        if status is None and channel.address(customer) is None:
            status = DeliveryStatus.SKIPPED_NO_CONTACT
        if status is not None:
            delivery.status = status
        else:
            message = compose(
                shop=shop,
                channel_kind=campaign.channel,
                purpose=campaign.purpose,
                body=campaign.body,
                subject=campaign.subject,
                template=campaign.template,
                template_params=campaign.template_params,
                recipient=recipient_of(customer, customer.last_product or ""),
                unsubscribe=unsubscribe_url(delivery),
            )
            delivery.subject = message["subject"] or None
            delivery.body = message["body"]
            delivery.params = json.dumps(message["params"]) if message["params"] else None
        delivery.seal()
        deliveries.append(delivery)
    Delivery.objects.bulk_create(deliveries, batch_size=500)
    if channel.automatic:
        for delivery in deliveries:
            if delivery.status == DeliveryStatus.QUEUED:
                delivery_schedule(shop.pk, delivery.pk)
    return customers[-1].pk


def campaigns_prepare_stalled(*, now=None) -> int:
    """Start again the fan-out of campaigns whose preparer stopped (a worker that died
    with it): sending, not prepared, and not touched for ``STALE_SENDING``. Returns
    how many were enqueued again.

    Locks: none; a campaign enqueued twice is prepared once (``campaign_prepare``)."""
    now = now or clock.now()
    with scopes_disabled():
        stalled = list(
            Campaign.objects.filter(
                state=Campaign.State.SENDING,
                prepared_at__isnull=True,
                updated_at__lt=now - STALE_SENDING,
            ).values_list("shop_id", "pk")
        )
    for shop_id, pk in stalled:
        prepare_campaign.enqueue(shop_id=shop_id, campaign_id=pk)
    return len(stalled)


def campaign_maybe_done(shop, campaign_id: int | None) -> None:
    """Mark the campaign done once it is prepared and none of its messages is open.

    Locks: none; the update matches only a sending, prepared campaign."""
    if campaign_id is None:
        return
    with shop_scope(shop):
        if not Delivery.objects.filter(
            shop=shop, campaign_id=campaign_id, status__in=OPEN_STATUSES
        ).exists():
            Campaign.objects.filter(
                shop=shop, pk=campaign_id, state=Campaign.State.SENDING, prepared_at__isnull=False
            ).update(state=Campaign.State.DONE)

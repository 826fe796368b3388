"""Sending messages. Every message of every channel goes through ``delivery_send``,
which asks the consent ledger right before the channel sends (fails closed)."""

from __future__ import annotations

import json
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext as _

from merdeka.core.scoping import shop_scope
from merdeka.outreach import clock
from merdeka.outreach.channels import ChannelError, Outgoing, get_channel
from merdeka.outreach.channels.cloudapi import SERVICE_WINDOW, STOP_BUTTONS, account_for
from merdeka.outreach.models import (
    OPEN_STATUSES,
    SKIPPED_STATUSES,
    Campaign,
    ChannelKind,
    Delivery,
    DeliveryStatus,
    Purpose,
    ServiceWindow,
    WhatsAppCloudSettings,
    WhatsAppTemplate,
)
from merdeka.outreach.placeholders import (
    UNSUBSCRIBE,
    Recipient,
    placeholder_values,
    placeholders_used,
    render,
    template_fill,
)
from merdeka.privacy.audit import audit_record
from merdeka.privacy.consent import consent_allows, consent_record
from merdeka.privacy.models import Consent, ConsentSource

MAX_ATTEMPTS = 5
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
PAUSED_RETRY = timedelta(minutes=30)
RATE_WINDOW = timedelta(minutes=1)
STALE_SENDING = timedelta(minutes=15)
_UNSUBSCRIBE_SALT = "merdeka.outreach.unsubscribe"


class OutreachError(Exception):
    """A request the seller can fix; the message is for them."""


# -- links -------------------------------------------------------------------------


def public_url(path: str) -> str:
    import os

    local = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"  # what `merdeka run` serves
    base = (settings.MERDEKA_PUBLIC_URL or local).rstrip("/")
    return base + path


def unsubscribe_token(delivery) -> str:
    return signing.Signer(salt=_UNSUBSCRIBE_SALT).sign(
        f"{delivery.shop_id}.{delivery.unsubscribe_nonce}"
    )


def unsubscribe_url(delivery) -> str:
    return public_url(reverse("outreach_unsubscribe", args=[unsubscribe_token(delivery)]))


def example_unsubscribe_url() -> str:
    return public_url(reverse("outreach_unsubscribe", args=["contoh"]))


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min... at most an hour, after the n-th failed attempt."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)


# -- composing ---------------------------------------------------------------------


def recipient_of(customer, last_product: str | None = None) -> Recipient:
    if last_product is None:
        last_product = getattr(customer, "last_product", None)
    if last_product is None:
        from merdeka.orders.models import OrderLine

        with shop_scope(customer.shop_id):
            last_product = (
                OrderLine.objects.filter(shop_id=customer.shop_id, order__customer=customer)
                .order_by("-order__ordered_at", "-order_id", "position")
                .values_list("name", flat=True)
                .first()
            )
    return Recipient(
        name=customer.name or "", city=customer.city or "", last_product=last_product or ""
    )


def compose(
    *,
    shop,
    channel_kind: str,
    purpose: str,
    body: str,
    subject: str = "",
    template=None,
    template_params=(),
    recipient: Recipient,
    unsubscribe: str,
) -> dict:
    """The subject, text and template values one customer gets."""
    channel = get_channel(channel_kind)
    values = placeholder_values(shop=shop, recipient=recipient, unsubscribe_url=unsubscribe)
    if template is not None:
        params = [" ".join(render(p, values).split()) or "-" for p in template_params]
        return {"subject": "", "body": template_fill(template.body, params), "params": params}
    text = render(body, values).strip()
    if purpose == Purpose.MARKETING and UNSUBSCRIBE not in placeholders_used(body):
        text = f"{text}\n\n{channel.footer(unsubscribe)}"
    return {"subject": render(subject, values).strip(), "body": text, "params": []}


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
        from merdeka.outreach.channels.walink import wa_me_url

        phone = get_channel(ChannelKind.WALINK).address(customer)
        preview["wa_url"] = wa_me_url(phone, preview["body"]) if phone else ""
    return preview


# -- campaigns ---------------------------------------------------------------------

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
)


@transaction.atomic
def campaign_save(*, shop, actor, fields: dict, campaign=None, request=None) -> Campaign:
    with shop_scope(shop):
        if campaign is None:
            campaign = Campaign(shop=shop, created_by=actor)
        elif campaign.state != Campaign.State.DRAFT:
            raise OutreachError(_("This campaign was already sent and cannot be changed."))
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
    """
    from merdeka.outreach.selectors import audience_problem, campaign_audience
    from merdeka.outreach.tasks import prepare_campaign

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
    from django.db.models import Count, Q

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
                _campaign_maybe_done(shop, campaign.pk)
                break
            last = made
            Campaign.objects.filter(pk=campaign.pk).update(updated_at=now)  # still alive
    if campaign is None:
        return {}
    return campaign_counts(shop=shop, campaign=campaign)


def _deliveries_make(shop, campaign, channel, *, after: int, limit: int) -> int | None:
    """The deliveries of the next ``limit`` customers of the audience after id
    ``after``; returns the last customer id read (None when none was left)."""
    from merdeka.outreach.selectors import campaign_audience, with_last_product

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
                _schedule(shop.pk, delivery.pk)
    return customers[-1].pk


def campaigns_prepare_stalled(*, now=None) -> int:
    """Start again the fan-out of campaigns whose preparer stopped (a worker that died
    with it): sending, not prepared, and not touched for ``STALE_SENDING``. Returns
    how many were enqueued again."""
    from merdeka.core.scoping import scopes_disabled
    from merdeka.outreach.tasks import prepare_campaign

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


def _campaign_maybe_done(shop, campaign_id: int | None) -> None:
    if campaign_id is None:
        return
    with shop_scope(shop):
        if not Delivery.objects.filter(
            shop=shop, campaign_id=campaign_id, status__in=OPEN_STATUSES
        ).exists():
            Campaign.objects.filter(
                shop=shop, pk=campaign_id, state=Campaign.State.SENDING, prepared_at__isnull=False
            ).update(state=Campaign.State.DONE)


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
            _schedule(shop.pk, delivery.pk)
    return delivery


# -- sending, the one place ----------------------------------------------------------


def _schedule(shop_id: int, delivery_id: int, at=None) -> None:
    """Enqueue a send after commit; a later one only where the task backend can wait
    (the database backend of ``merdeka run``). Otherwise ``deliveries_send_due`` finds it."""
    from merdeka.outreach.tasks import send_delivery

    task = send_delivery
    if at is not None:
        if not task.get_backend().supports_defer:
            return
        task = task.using(run_after=at)
    transaction.on_commit(partial(task.enqueue, shop_id=shop_id, delivery_id=delivery_id))


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
    _campaign_maybe_done(delivery.shop, delivery.campaign_id)
    return delivery


def delivery_send(*, shop, delivery_id: int) -> Delivery:
    """Send one queued message now, if it may still be sent. Every channel comes here.

    Right before the channel sends, the consent ledger is asked (fails closed: no
    recorded opt-in for the channel, no marketing message; restricted or erased
    customers get nothing). Errors are retried with exponential backoff when the
    provider says so; a paused account keeps the message waiting.
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
                _schedule(shop.pk, delivery.pk, at)
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
                _schedule(shop.pk, delivery.pk, at)
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
            _schedule(shop.pk, delivery.pk, at)
        return result
    if exc.opted_out:
        consent_record(
            shop=shop,
            customer=delivery.customer,
            channel=get_channel(delivery.channel).consent_channel,
            granted=False,
            source=ConsentSource.REPLY_STOP,
            evidence={"provider_error": exc.code, "delivery": delivery.pk},
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
    backend cannot wait. Returns how many were tried."""
    from merdeka.core.models import Shop
    from merdeka.core.scoping import scopes_disabled

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
    """The seller tapped a wa.me link: record the message as sent (consent checked)."""
    with shop_scope(shop):
        delivery = Delivery.objects.get(
            shop=shop, pk=delivery_id, campaign_id=campaign_id, channel=ChannelKind.WALINK
        )
    if delivery.status == DeliveryStatus.QUEUED:
        delivery = delivery_send(shop=shop, delivery_id=delivery.pk)
    return delivery


# -- the Cloud API account -------------------------------------------------------------


@transaction.atomic
def whatsapp_settings_save(*, shop, actor, fields: dict, request=None) -> WhatsAppCloudSettings:
    """Save the shop's Cloud API account; a new token resumes the waiting messages."""
    with shop_scope(shop):
        account = WhatsAppCloudSettings.objects.select_for_update().filter(shop=shop).first()
        if account is None:
            account = WhatsAppCloudSettings(shop=shop)
        for name in ("phone_number_id", "business_account_id", "base_url", "rate_per_minute"):
            setattr(account, name, fields[name])
        for secret in ("access_token", "app_secret"):
            if fields.get(secret):
                setattr(account, secret, fields[secret])
        resumed = []
        if fields.get("access_token") and account.token_invalid_at:
            account.token_invalid_at = None
        account.save()
        if account.token_invalid_at is None:
            resumed = list(
                Delivery.objects.filter(
                    shop=shop,
                    channel=ChannelKind.CLOUDAPI,
                    status=DeliveryStatus.QUEUED,
                    next_attempt_at__isnull=True,
                ).values_list("pk", flat=True)
            )
            for pk in resumed:
                _schedule(shop.pk, pk)
    audit_record(
        action="outreach.whatsapp_settings_saved",
        shop=shop,
        actor=actor,
        request=request,
        detail={"token_changed": bool(fields.get("access_token")), "resumed": len(resumed)},
    )
    return account


@transaction.atomic
def template_save(*, shop, actor, name: str, language: str, category: str, body: str, request=None):
    with shop_scope(shop):
        template, _created = WhatsAppTemplate.objects.update_or_create(
            shop=shop, name=name, language=language, defaults={"category": category, "body": body}
        )
    audit_record(
        action="outreach.template_saved", shop=shop, actor=actor, target=template, request=request
    )
    return template


def templates_sync(*, shop, actor, request=None) -> dict:
    """Fetch the account's approved templates from Meta and save them.

    Marketing templates that give the customer no way to stop (no STOP/BERHENTI in the
    text, no "stop promotions" button) are left out; so are authentication templates.
    """
    from merdeka.outreach.channels.cloudapi import GraphError, classify, fetch_templates

    account = account_for(shop)
    if account is None or not account.business_account_id:
        raise OutreachError(_("Save the WhatsApp Business account ID in the settings first."))
    try:
        found = fetch_templates(
            base_url=account.base_url,
            business_account_id=account.business_account_id,
            token=account.access_token,
        )
    except GraphError as exc:
        raise OutreachError(classify(exc).message) from None
    saved = skipped = 0
    categories = set(WhatsAppTemplate.Category.values)
    with transaction.atomic(), shop_scope(shop):
        for item in found:
            if not item["name"] or not item["language"] or item["category"] not in categories:
                skipped += 1
                continue
            if item["category"] == WhatsAppTemplate.Category.MARKETING and not item["has_way_out"]:
                skipped += 1
                continue
            WhatsAppTemplate.objects.update_or_create(
                shop=shop,
                name=item["name"],
                language=item["language"],
                defaults={"category": item["category"], "body": item["body"]},
            )
            saved += 1
    audit_record(
        action="outreach.templates_synced",
        shop=shop,
        actor=actor,
        request=request,
        detail={"saved": saved, "skipped": skipped},
    )
    return {"saved": saved, "skipped": skipped}


@transaction.atomic
def template_delete(*, shop, actor, template_id: int, request=None) -> None:
    with shop_scope(shop):
        template = WhatsAppTemplate.objects.get(shop=shop, pk=template_id)
        if Campaign.objects.filter(shop=shop, template=template).exists():
            raise OutreachError(_("A campaign uses this template; it cannot be deleted."))
        template.delete()
    audit_record(
        action="outreach.template_deleted",
        shop=shop,
        actor=actor,
        request=request,
        detail={"template": template_id},
    )


# -- unsubscribe links ------------------------------------------------------------------


def unsubscribe_lookup(*, token: str) -> Delivery | None:
    """The message an unsubscribe link came with, or None for a tampered link."""
    try:
        value = signing.Signer(salt=_UNSUBSCRIBE_SALT).unsign(token)
    except signing.BadSignature:
        return None
    shop_id, _sep, nonce = value.partition(".")
    if not shop_id.isdigit() or not nonce:
        return None
    with shop_scope(int(shop_id)):
        return (
            Delivery.objects.select_related("shop", "customer")
            .filter(shop_id=int(shop_id), unsubscribe_nonce=nonce)
            .first()
        )


@transaction.atomic
def unsubscribe_confirm(*, delivery) -> bool:
    """Withdraw the customer's consent for the message's channel, at once.

    Returns False when the link was used already (nothing is recorded twice).
    """
    shop = delivery.shop
    with shop_scope(shop):
        updated = Delivery.objects.filter(pk=delivery.pk, unsubscribed_at__isnull=True).update(
            unsubscribed_at=clock.now()
        )
    if not updated:
        return False
    consent_record(
        shop=shop,
        customer=delivery.customer,
        channel=get_channel(delivery.channel).consent_channel,
        granted=False,
        source=ConsentSource.UNSUBSCRIBE_LINK,
        evidence={"delivery": delivery.pk, "campaign": delivery.campaign_id},
    )
    return True


# -- what WhatsApp tells us (webhooks) ---------------------------------------------------

# the words of the rule, and the "stop promotions" quick replies of Meta's templates
STOP_WORDS = STOP_BUTTONS
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
    from datetime import UTC, datetime

    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return clock.now()


def webhook_receive(*, account: WhatsAppCloudSettings, payload: dict) -> dict:
    """Apply a verified webhook of ``account``'s shop: statuses and inbound messages.

    Only changes for the account's own phone number id are read, and every lookup is
    limited to its shop, so one shop's webhook cannot touch another shop's messages.
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
            from merdeka.outreach.channels.cloudapi import GraphError, classify

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
                    evidence={"provider_error": exc.code, "delivery": delivery.pk},
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
    """
    from merdeka.customers.selectors import customer_list

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
    if _message_text(message).strip().casefold() in STOP_WORDS:
        consent_record(
            shop=shop,
            customer=customer,
            channel="whatsapp",
            granted=False,
            source=ConsentSource.REPLY_STOP,
            evidence={"message_id": str(message.get("id", ""))[:200]},
        )
        return True
    return False

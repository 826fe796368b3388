"""Campaigns and their deliveries in ``merdeka export`` and back.

A delivery's message is personal data: the export holds it in the clear (it is the
seller's), the restore seals it again under the new shop's key. The WhatsApp Cloud API
settings stay behind: their access token and app secret are credentials, not the
shop's data, and the new instance's webhook address has to be registered with Meta
anew anyway.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator

from django.db import transaction

from merdeka.core.portable import Moved, batches, fields_in, fields_of, rows_insert
from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Segment
from merdeka.outreach.models import Campaign, Delivery, WhatsAppTemplate

TEMPLATE_FIELDS = ("id", "name", "language", "category", "body", "created_at")
CAMPAIGN_FIELDS = (
    "id",
    "template",
    "name",
    "channel",
    "purpose",
    "subject",
    "body",
    "template_params",
    "audience_kind",
    "audience_city",
    "state",
    "created_at",
    "updated_at",
    "sent_at",
    "audience_size",
    "prepared_at",
    "consent_request",
)
DELIVERY_FIELDS = (
    "id",
    "campaign",
    "customer",
    "template",
    "channel",
    "purpose",
    "subject",
    "body",
    "params",
    "status",
    "provider_message_id",
    "attempts",
    "error_code",
    "error",
    "next_attempt_at",
    "last_attempt_at",
    "sent_at",
    "delivered_at",
    "read_at",
    "failed_at",
    "unsubscribe_nonce",
    "unsubscribed_at",
    "created_at",
    "updated_at",
)
BATCH = 2000


def outreach_head(*, shop) -> dict:
    with shop_scope(shop):
        return {
            "templates": [
                fields_of(t, TEMPLATE_FIELDS)
                for t in WhatsAppTemplate.objects.filter(shop=shop).order_by("pk")
            ]
        }


def campaign_rows(*, shop) -> Iterator[dict]:
    segments = dict(Segment.objects.filter(shop=shop).values_list("pk", "name"))
    query = Campaign.objects.filter(shop=shop).select_related("created_by")
    for batch in batches(query):
        for campaign in batch:
            row = fields_of(campaign, CAMPAIGN_FIELDS)
            row["audience_ids"] = list(campaign.audience_ids or [])
            row["audience_segment"] = segments.get(campaign.audience_segment_id)
            row["created_by"] = campaign.created_by.username if campaign.created_by_id else None
            yield row


def delivery_rows(*, shop) -> Iterator[dict]:
    for batch in batches(Delivery.objects.filter(shop=shop)):
        for delivery in batch:
            yield fields_of(delivery, DELIVERY_FIELDS)


def outreach_restore(
    *, shop, head: dict, campaigns: Iterable[dict], deliveries: Iterable[dict], moved: Moved
) -> int:
    """Templates missing here (by name and language), then the campaigns and the
    delivery log, into a shop that has neither (else only the templates)."""
    with transaction.atomic(), shop_scope(shop):
        _templates_restore(shop, head.get("templates", []), moved)
        if any(m.objects.filter(shop=shop).exists() for m in (Campaign, Delivery)):
            return 0
        segments = {
            name.casefold(): pk
            for pk, name in Segment.objects.filter(shop=shop).values_list("pk", "name")
        }
        for row in campaigns:  # campaigns are few: one at a time
            campaign = Campaign(**fields_in(Campaign, row, CAMPAIGN_FIELDS[2:]))
            campaign.template_id = moved.get("wa_template", row.get("template"))
            campaign.created_by_id = moved.user(row.get("created_by"))
            campaign.audience_ids = [
                str(new) if isinstance(old, str) else new  # as the shop wrote them
                for old in row.get("audience_ids") or []
                if (new := moved.get("customer", int(old)))
            ]
            if row.get("audience_segment"):
                campaign.audience_segment_id = segments.get(row["audience_segment"].casefold())
            [pk] = rows_insert(Campaign, [campaign], shop=shop)
            moved.of("campaign")[row["id"]] = pk
        written, part = 0, []
        for row in deliveries:
            customer = moved.get("customer", row["customer"])
            if customer is None:
                continue  # a customer the export does not carry (merged, erased)
            delivery = Delivery(**fields_in(Delivery, row, DELIVERY_FIELDS[4:]))
            delivery.customer_id = customer
            delivery.campaign_id = moved.get("campaign", row.get("campaign"))
            delivery.template_id = moved.get("wa_template", row.get("template"))
            part.append((row["id"], delivery))
            if len(part) >= BATCH:
                written += _deliveries_write(shop, part, moved)
                part = []
        written += _deliveries_write(shop, part, moved)
    return written


def _templates_restore(shop, rows: list[dict], moved: Moved) -> None:
    here = {
        (name, language): pk
        for pk, name, language in WhatsAppTemplate.objects.filter(shop=shop).values_list(
            "pk", "name", "language"
        )
    }
    new = []
    for row in rows:
        found = here.get((row["name"], row["language"]))
        if found:
            moved.of("wa_template")[row["id"]] = found
        else:
            new.append(row)
    ids = rows_insert(
        WhatsAppTemplate,
        [WhatsAppTemplate(**fields_in(WhatsAppTemplate, r, TEMPLATE_FIELDS[1:])) for r in new],
        shop=shop,
    )
    moved.of("wa_template").update(zip([r["id"] for r in new], ids, strict=True))


def _deliveries_write(shop, part: list[tuple[int, Delivery]], moved: Moved) -> int:
    """Write a batch of deliveries; an order's history names them (``moved``)."""
    deliveries = [delivery for _old, delivery in part]
    nonces = [d.unsubscribe_nonce for d in deliveries]
    taken = set(
        Delivery.unscoped.filter(unsubscribe_nonce__in=nonces).values_list(
            "unsubscribe_nonce", flat=True
        )
    )
    for delivery in deliveries:
        if delivery.unsubscribe_nonce in taken or not delivery.unsubscribe_nonce:
            delivery.unsubscribe_nonce = secrets.token_urlsafe(24)
    ids = rows_insert(Delivery, deliveries, shop=shop)
    moved.of("delivery").update(zip([old for old, _d in part], ids, strict=True))
    return len(ids)

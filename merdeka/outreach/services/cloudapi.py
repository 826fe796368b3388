"""The shop's WhatsApp Cloud API account and its message templates.

Each service checks what the seller asked (an ``OutreachError`` says what to fix), saves
in one transaction and records it in the audit log; messages that a new token lets go
again are enqueued when the account commits (``delivery_schedule``).

Locks: the shop's ``WhatsAppCloudSettings`` row while it is saved, the lock a send's
claim takes to read the rate limit and a pause (``sending._claim``). A template is
saved by its (shop, name, language) key with ``update_or_create``, which locks the row
of one that exists. Meta is asked outside any transaction.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from merdeka.core.scoping import shop_scope
from merdeka.outreach.channels.cloudapi import GraphError, account_for, classify, fetch_templates
from merdeka.outreach.models import (
    Campaign,
    ChannelKind,
    Delivery,
    DeliveryStatus,
    WhatsAppCloudSettings,
    WhatsAppTemplate,
)
from merdeka.outreach.services.common import OutreachError, delivery_schedule
from merdeka.privacy.audit import audit_record


@transaction.atomic
def whatsapp_settings_save(*, shop, actor, fields: dict, request=None) -> WhatsAppCloudSettings:
    """Save the shop's Cloud API account; a new token resumes the waiting messages.

    Locks: the account row, so that no send reads it half saved."""
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
                delivery_schedule(shop.pk, pk)
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
    """Save a template by hand (one per name and language).

    Locks: the template's row where it exists (``update_or_create``)."""
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

    Locks: each saved template's row (``update_or_create``), in one transaction that
    starts after Meta has answered.
    """
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
    """Delete a template that no campaign uses.

    Locks: none; the check and the delete share one transaction."""
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

"""Unsubscribe links: the signed link each message carries, and withdrawing consent
when the customer uses it.

Locks: none. ``unsubscribe_confirm`` stamps the message with a conditional update, so
of two uses of one link only the first records the withdrawal.
"""

from __future__ import annotations

from django.core import signing
from django.db import transaction
from django.urls import reverse

from merdeka.core.scoping import shop_scope
from merdeka.outreach import clock
from merdeka.outreach.channels import get_channel
from merdeka.outreach.models import Delivery
from merdeka.outreach.services.common import public_url
from merdeka.privacy.consent import consent_record
from merdeka.privacy.models import ConsentSource

_UNSUBSCRIBE_SALT = "merdeka.outreach.unsubscribe"


def unsubscribe_token(delivery) -> str:
    return signing.Signer(salt=_UNSUBSCRIBE_SALT).sign(
        f"{delivery.shop_id}.{delivery.unsubscribe_nonce}"
    )


def unsubscribe_url(delivery) -> str:
    return public_url(reverse("outreach_unsubscribe", args=[unsubscribe_token(delivery)]))


def example_unsubscribe_url() -> str:
    return public_url(reverse("outreach_unsubscribe", args=["contoh"]))


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

    Locks: none; the stamp and the consent record share one transaction.
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

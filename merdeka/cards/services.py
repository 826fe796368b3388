"""Writes of the cards app: print batches, and the public sign-up that turns a
marketplace buyer into the shop's own customer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, override

from merdeka.cards.models import CardBatch, SignUp, SignUpAttempt
from merdeka.cards.wording import WORDING_VERSION
from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Customer, Identity
from merdeka.customers.resolution import (
    BuyerInput,
    Claim,
    Resolver,
    email_claim,
    identity_index,
    phone_claim,
)
from merdeka.privacy import crypto
from merdeka.privacy.audit import audit_record
from merdeka.privacy.consent import consent_record
from merdeka.privacy.models import ConsentChannel, ConsentSource

SIGNUP_SOURCE = "signup"
# Generous: buyers on one mobile carrier often share an address (carrier-grade NAT).
RATE_LIMIT = 20
RATE_WINDOW = timedelta(minutes=10)
ATTEMPTS_KEPT = timedelta(days=1)


@transaction.atomic
def batch_create(
    *,
    shop,
    actor,
    label: str,
    channel: str,
    count: int,
    voucher_code: str = "",
    request=None,
) -> CardBatch:
    with shop_scope(shop):
        batch = CardBatch.objects.create(
            shop=shop,
            label=label.strip(),
            channel=channel,
            count=count,
            voucher_code=voucher_code.strip(),
            created_by=actor,
        )
    audit_record(
        action="cards.batch_created",
        shop=shop,
        actor=actor,
        target=batch,
        request=request,
        detail={"channel": channel, "count": count},
    )
    return batch


def invitation_batch(*, shop) -> CardBatch:
    """The shop's WhatsApp invitation: the sign-up page whose link a consent request
    carries (``outreach.services.asking``), made on first use. Sign-ups through it are
    counted apart from the printed cards and record consent as every sign-up does
    (source "signup", the batch and the wording version as evidence)."""
    with shop_scope(shop):
        batch = (
            CardBatch.objects.filter(shop=shop, kind=CardBatch.Kind.INVITATION)
            .order_by("pk")
            .first()
        )
        if batch is None:
            with override("id"):
                label = gettext("WhatsApp invitation")
            batch = CardBatch.objects.create(
                shop=shop,
                kind=CardBatch.Kind.INVITATION,
                label=label,
                channel="whatsapp",
                count=0,
            )
    return batch


def _client_key(shop_id: int, ip: str | None) -> str:
    # the visitor's address is personal data: only a keyed hash of it is stored
    return crypto.blind_index(ip or "-", shop_id=shop_id, purpose="cards.signup_ip")


@transaction.atomic
def signup_attempt_allowed(*, batch: CardBatch, ip: str | None, now=None) -> bool:
    """Count one submission from this address; False once it sent too many lately."""
    now = now or timezone.now()
    key = _client_key(batch.shop_id, ip)
    with shop_scope(batch.shop_id):
        SignUpAttempt.objects.filter(created_at__lt=now - ATTEMPTS_KEPT).delete()
        recent = SignUpAttempt.objects.filter(
            client_key=key, created_at__gte=now - RATE_WINDOW
        ).count()
        if recent >= RATE_LIMIT:
            return False
        SignUpAttempt.objects.create(shop_id=batch.shop_id, client_key=key, created_at=now)
    return True


@dataclass
class SignUpResult:
    signup: SignUp
    customer_id: int
    known_before: bool


@transaction.atomic
def signup_submit(
    *,
    batch: CardBatch,
    name: str,
    phone: str,
    email: str = "",
    consent_whatsapp: bool = False,
    consent_email: bool = False,
) -> SignUpResult:
    """A buyer signs up from a card of ``batch``: always in the batch's own shop.

    The number (and email) go through identity resolution like an import does, so a
    buyer the shop already knows is joined, never duplicated; the ticked channels are
    recorded in the consent ledger with the batch and the wording version as evidence.
    All or nothing.
    """
    shop = batch.shop
    with shop_scope(shop):
        resolver = Resolver(shop=shop, source=SIGNUP_SOURCE)
        claims = [phone_claim(phone), email_claim(email) if email else None]
        if claims[0] is None:
            raise ValueError("a sign-up needs a valid phone number")
        for claim in claims:
            if claim is not None:
                _adopt_identity(shop, claim)
        [customer_id] = resolver.resolve_many(
            [BuyerInput(claims=claims, name=name.strip() or None, seen_at=timezone.now())]
        )
        known_before = resolver.outcome.customers_new == 0
        signup = SignUp.objects.create(
            shop=shop,
            batch=batch,
            customer_id=customer_id,
            known_before=known_before,
            consent_whatsapp=consent_whatsapp,
            consent_email=consent_email,
        )
        customer = Customer.objects.get(pk=customer_id)
        evidence = {"batch": batch.pk, "wording": WORDING_VERSION, "signup": signup.pk}
        for channel, granted in (
            (ConsentChannel.WHATSAPP, consent_whatsapp),
            (ConsentChannel.EMAIL, consent_email),
        ):
            if granted:
                consent_record(
                    shop=shop,
                    customer=customer,
                    channel=channel,
                    granted=True,
                    source=ConsentSource.SIGNUP,
                    evidence=evidence,
                )
    audit_record(
        action="cards.signup",
        shop=shop,
        target=customer,
        detail={"batch": batch.pk, "known_before": known_before},
    )
    return SignUpResult(signup=signup, customer_id=customer_id, known_before=known_before)


def _adopt_identity(shop, claim: Claim) -> None:
    """A customer added by hand has a phone (or email) but no identity yet, which is
    what resolution matches on: give them the identity, so the sign-up joins them."""
    index = identity_index(shop.pk, claim)
    if Identity.objects.filter(shop=shop, value_index=index).exists():
        return
    field = Customer._meta.get_field(f"{claim.kind}_index")
    owner = (
        Customer.objects.filter(
            shop=shop,
            merged_into__isnull=True,
            **{field.attname: field.index_for(shop.pk, claim.value)},
        )
        .order_by("pk")
        .first()
    )
    if owner is not None:
        Identity(
            shop=shop,
            customer=owner,
            kind=claim.kind,
            channel=claim.channel,
            value=claim.value,
            value_index=index,
            source="manual",
        ).save()

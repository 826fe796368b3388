"""Parcel-insert cards: a printed batch with one QR code, and the sign-ups it brought."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from merdeka.core.scoping import ShopOwnedModel
from merdeka.orders.models import Channel


def new_token() -> str:
    """The batch's public name in its sign-up URL: 128 random bits, never an id."""
    return secrets.token_urlsafe(16)


class CardBatch(ShopOwnedModel):
    """One print run of cards that go into the parcels of one channel, or the shop's
    WhatsApp invitation: the same sign-up page, its link sent one to one to customers
    the shop has never asked for consent (``outreach.services.asking``)."""

    class Kind(models.TextChoices):
        CARDS = "cards", _("Printed cards")
        INVITATION = "invitation", _("WhatsApp invitation")

    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.CARDS)
    label = models.CharField(_("name of the batch"), max_length=80)
    channel = models.CharField(_("the parcels of"), max_length=20, choices=Channel.choices)
    count = models.PositiveIntegerField(_("cards printed"))
    voucher_code = models.CharField(_("voucher code"), max_length=40, blank=True)
    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    created_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["shop", "created_at"], name="cardbatch_shop_created")]

    def __str__(self) -> str:
        return self.label


class SignUp(ShopOwnedModel):
    """A buyer who left their number on the sign-up page. No personal data here: the
    name and number went into the customer (encrypted); erasing the customer keeps the
    row for the batch's count, without anyone attached."""

    batch = models.ForeignKey(
        CardBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="signups"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # the number already belonged to a customer of the shop: the sign-up joined them
    known_before = models.BooleanField(default=False)
    consent_whatsapp = models.BooleanField(default=False)
    consent_email = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["shop", "batch"], name="signup_batch"),
            models.Index(fields=["shop", "customer"], name="signup_customer"),
        ]


class SignUpAttempt(ShopOwnedModel):
    """A submission of the public sign-up form, kept a day for rate limiting. The
    visitor's address is stored only as a keyed hash."""

    client_key = models.CharField(max_length=32)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["shop", "client_key", "created_at"], name="signup_rate")]

from __future__ import annotations

import logging
from binascii import hexlify

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from merdeka.core.scoping import ShopOwnedModel
from merdeka.privacy import sitekeys
from merdeka.privacy.crypto import DecryptionError

log = logging.getLogger(__name__)

TIME_ZONES = [
    ("Asia/Jakarta", _("WIB (Asia/Jakarta)")),
    ("Asia/Makassar", _("WITA (Asia/Makassar)")),
    ("Asia/Jayapura", _("WIT (Asia/Jayapura)")),
]
TIME_ZONE_ABBREVIATIONS = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


class User(AbstractUser):
    """A person who signs in. Staff accounts are not customers: they are not encrypted."""

    must_change_password = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")


class Shop(models.Model):
    """The tenant. A single-seller install has exactly one."""

    name = models.CharField(_("shop name"), max_length=120)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    time_zone = models.CharField(
        _("time zone"), max_length=40, choices=TIME_ZONES, default="Asia/Jakarta"
    )
    # everyone in the shop signs in with a second step (merdeka.core.twofactor)
    require_two_factor = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # exports (customers, orders, the whole shop) are an owner's right; an owner may grant
    # it to the staff role too (merdeka.core.selectors.may_export)
    staff_may_export = models.BooleanField(_("staff may export"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("shop")
        verbose_name_plural = _("shops")

    def __str__(self) -> str:
        return self.name

    @property
    def time_zone_label(self) -> str:
        return TIME_ZONE_ABBREVIATIONS.get(self.time_zone, self.time_zone)


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    STAFF = "staff", _("Staff")


class Membership(ShopOwnedModel):
    """A person's place in a shop. A person may belong to several shops."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "user"], name="membership_unique_per_shop")
        ]
        ordering = ["created_at"]

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER


class EventOutbox(ShopOwnedModel):
    """An event waiting for one subscriber (``merdeka.core.events``): written in the
    transaction of the change, deleted in the transaction of its delivery."""

    subscriber = models.CharField(max_length=80)
    event_id = models.CharField(max_length=32)
    kind = models.CharField(max_length=40)
    data = models.JSONField(default=dict)
    # how many orders or customers the event names (a batch's ids), 1 for any other:
    # what ``events.outbox_waiting`` adds up, without reading ``data`` back
    items = models.PositiveIntegerField(default=1)
    happened_at = models.DateTimeField()
    not_before = models.DateTimeField(default=timezone.now, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "event_id"], name="core_outbox_once_per_subscriber"
            )
        ]


class Authenticator(sitekeys.SiteSealed, TOTPDevice):
    """A person's authenticator app (django-otp's ``TOTPDevice``) whose secret is kept
    sealed with the site's key (``privacy.sitekeys``): the ``key`` column holds the
    sealed secret, never the secret itself, and django-otp reads the secret through
    ``bin_key``, which opens it. Bound to the person, so a sealed secret copied onto
    another person's device does not open. ``merdeka keys rotate`` seals them again."""

    LABEL = "core.authenticator"
    site_sealed_field = "key"

    class Meta:
        proxy = True

    def _where(self) -> dict:
        return {"label": self.LABEL, "row": str(self.user_id)}

    @property
    def bin_key(self) -> bytes:
        return sitekeys.unseal(self.key, **self._where())

    def secret_set(self, hex_key: str) -> None:
        """Keep ``hex_key`` (django-otp's hex form of the secret) sealed."""
        self.key = sitekeys.seal(bytes.fromhex(hex_key), **self._where())

    def verify_token(self, token) -> bool:
        """django-otp's check; a secret that does not open (tampered, moved to another
        person, its key destroyed) accepts no code instead of failing the page."""
        try:
            return super().verify_token(token)
        except DecryptionError:
            log.error("the authenticator secret of user %s does not open", self.user_id)
            return False

    @property
    def secret_hex(self) -> str:
        return hexlify(self.bin_key).decode("ascii")

    def site_reseal(self) -> None:
        """Seal the secret again under the active site key (a row never sealed, left
        by an older version, is sealed now)."""
        if sitekeys.is_sealed(self.key):
            self.key = sitekeys.seal(self.bin_key, **self._where())
        else:
            self.secret_set(self.key)

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from merdeka.core.scoping import ShopOwnedModel
from merdeka.privacy.fields import BlindIndexField, EncryptedModel, EncryptedTextField


class Customer(ShopOwnedModel, EncryptedModel):
    """A shop's own customer. Name, phone, email and address are encrypted at rest."""

    name = EncryptedTextField(_("name"), null=True, blank=True)
    phone = EncryptedTextField(_("WhatsApp number"), null=True, blank=True)
    email = EncryptedTextField(_("email"), null=True, blank=True)
    address = EncryptedTextField(_("address"), null=True, blank=True)
    city = models.CharField(_("city"), max_length=80, blank=True)
    province = models.CharField(_("province"), max_length=80, blank=True)
    phone_index = BlindIndexField(source="phone", normalizer="merdeka.core.phone.normalize_phone")
    email_index = BlindIndexField(source="email", normalizer="merdeka.core.phone.normalize_email")
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return f"customer #{self.pk}"


class IdentityKind(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    USERNAME = "username", _("Marketplace username")
    WHATSAPP_NAME = "wa_name", _("WhatsApp name")


class Identity(ShopOwnedModel, EncryptedModel):
    """One way a customer is known: a phone, an email, a marketplace username...

    ``value`` is encrypted; ``value_index`` is a blind index of kind, channel and the
    normalised value, so exact matches are found without plaintext in the database.
    """

    # no index of its own: the unique (shop, kind, channel, value_index) starts with it
    shop = models.ForeignKey(
        "core.Shop", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(max_length=10, choices=IdentityKind.choices)
    channel = models.CharField(max_length=20, blank=True)  # for usernames and WhatsApp names
    value = EncryptedTextField()
    value_index = models.CharField(max_length=32)
    source = models.CharField(max_length=20)  # the channel or "manual" that told us
    import_file = models.ForeignKey(
        "imports.ImportFile", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    first_seen_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "kind", "channel", "value_index"], name="identity_unique_value"
            )
        ]
        indexes = [
            models.Index(fields=["shop", "customer"], name="identity_customer"),
            # how imports find who a phone, an email or a username belongs to
            models.Index(fields=["shop", "value_index"], name="identity_lookup"),
        ]


class MatchKey(ShopOwnedModel):
    """Evidence that two customers may be one person, as keyed hashes (never plaintext).

    Only exact identities merge automatically; these keys find the *likely* matches for
    the review queue without decrypting every customer: the name (titles dropped), the digits
    a marketplace leaves visible in a masked phone (``0812****7801`` gives 812…7801, as
    does the full number), the normalised street address. Like blind indexes, they
    reveal only that two rows share a value, to someone who holds the database and not
    the shop's index key.
    """

    # no index of its own: (shop, kind, key) and (shop, customer) start with it
    shop = models.ForeignKey(
        "core.Shop", on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Kind(models.TextChoices):
        NAME = "nm", _("Name")
        NAME_WORD = "nw", _("Word of the name")
        PHONE_MASK = "pm", _("Visible digits of a phone number")
        ADDRESS = "ad", _("Address")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=2, choices=Kind.choices)
    key = models.CharField(max_length=16)

    class Meta:
        indexes = [
            models.Index(fields=["shop", "kind", "key"], name="matchkey_lookup"),
            models.Index(fields=["shop", "customer"], name="matchkey_customer"),
        ]


class Merge(ShopOwnedModel):
    """A merge of one customer into another, recorded so that it can be undone."""

    class Reason(models.TextChoices):
        SAME_PHONE = "phone", _("Same phone number")
        SAME_EMAIL = "email", _("Same email")
        SAME_USERNAME = "username", _("Same marketplace username")
        REVIEWED = "reviewed", _("Confirmed by a person")

    survivor = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    absorbed = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=10, choices=Reason.choices)
    moved_identities = models.JSONField(default=list)
    moved_orders = models.JSONField(default=list)
    moved_keys = models.JSONField(default=list)
    decided_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class MatchSuggestion(ShopOwnedModel):
    """Two customers who are probably the same person, waiting for a person to decide."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        MERGED = "merged", _("Merged")
        KEPT_APART = "apart", _("Kept apart")

    customer_a = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    customer_b = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    evidence = models.JSONField(default=list)  # codes and scores, never personal data
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-score", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "customer_a", "customer_b"], name="suggestion_unique_pair"
            )
        ]

    @property
    def pair(self):
        return (self.customer_a, self.customer_b)

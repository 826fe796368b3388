from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from merdeka.core.scoping import ShopOwnedModel, ShopScopedManager
from merdeka.privacy.fields import EncryptedModel, EncryptedTextField


class ShopKey(ShopOwnedModel):
    """A shop's key, wrapped by the master key. The raw key never touches the database."""

    DATA = "data"
    INDEX = "index"
    PURPOSES = [(DATA, "data"), (INDEX, "index")]

    purpose = models.CharField(max_length=10, choices=PURPOSES)
    version = models.PositiveIntegerField()
    wrapped = models.BinaryField()
    master_key_id = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "purpose", "version"], name="shopkey_unique_version"
            )
        ]


class SiteKey(models.Model):
    """A key of the site itself, for secrets that belong to a person rather than a shop
    (the secret of her authenticator app): versioned and wrapped by the master key like
    a shop's keys, rotated by ``merdeka keys rotate`` (``privacy.sitekeys``)."""

    AUTH = "auth"
    PURPOSES = [(AUTH, "auth")]

    purpose = models.CharField(max_length=10, choices=PURPOSES)
    version = models.PositiveIntegerField()
    wrapped = models.BinaryField()
    master_key_id = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["purpose", "version"], name="sitekey_unique_version")
        ]

    def __str__(self) -> str:
        return f"site {self.purpose} key v{self.version}"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("the audit log is append-only")

    def delete(self):
        raise PermissionError("the audit log is append-only")


class AuditManager(models.Manager.from_queryset(AppendOnlyQuerySet)):
    pass


class ScopedAuditManager(ShopScopedManager.from_queryset(AppendOnlyQuerySet)):
    pass


class AuditEvent(ShopOwnedModel):
    """Who did what, in which shop, when and from where. Rows are never changed.

    No personal data goes into an event: targets are named by type and id.
    """

    shop = models.ForeignKey(
        "core.Shop", on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=60, db_index=True)
    target_type = models.CharField(max_length=60, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = ScopedAuditManager()
    unscoped = AuditManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        base_manager_name = "unscoped"
        default_manager_name = "objects"
        verbose_name = _("audit event")

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("the audit log is append-only")

    @property
    def label(self) -> str:
        from merdeka.privacy.audit import action_label  # cycle: privacy.audit imports this module

        return action_label(self.action)


class ConsentChannel(models.TextChoices):
    """Channels a shop may use to reach a customer for marketing."""

    WHATSAPP = "whatsapp", _("WhatsApp")
    EMAIL = "email", _("Email")


class ConsentSource(models.TextChoices):
    """Who or what told us about a customer's choice (the evidence of the consent)."""

    STAFF = "staff", _("Recorded by the shop")
    SIGNUP = "signup", _("Sign-up page")
    CHECKOUT = "checkout", _("Storefront checkout")
    IMPORT = "import", _("Imported")
    UNSUBSCRIBE_LINK = "unsubscribe", _("Unsubscribe link")
    REPLY_STOP = "reply_stop", _("Replied STOP")
    RIGHTS_REQUEST = "rights", _("Customer's data-rights request")


class ConsentEvent(ShopOwnedModel):
    """The consent ledger: every grant and every withdrawal, never changed afterwards.

    Consent is per customer, per channel and for marketing only: order-service messages
    go out under the contract basis (UU PDP art. 20(2)(b)) and need no entry here.
    """

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="consent_events"
    )
    channel = models.CharField(max_length=20, choices=ConsentChannel.choices)
    granted = models.BooleanField()
    source = models.CharField(max_length=20, choices=ConsentSource.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    # what the person saw or did, e.g. the wording version or the campaign id; no PII
    evidence = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = ScopedAuditManager()
    unscoped = AuditManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        base_manager_name = "unscoped"
        default_manager_name = "objects"
        indexes = [models.Index(fields=["shop", "customer"], name="consentevent_customer")]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("the consent ledger is append-only")
        super().save(*args, **kwargs)


class Consent(ShopOwnedModel):
    """The current marketing consent of a customer for one channel (derived from the
    ledger, kept as a row so that sends and segment filters are one indexed lookup)."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="consents"
    )
    channel = models.CharField(max_length=20, choices=ConsentChannel.choices)
    granted = models.BooleanField()
    source = models.CharField(max_length=20, choices=ConsentSource.choices)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "customer", "channel"], name="consent_unique_channel"
            )
        ]
        indexes = [models.Index(fields=["shop", "channel", "granted"], name="consent_granted")]


class ProcessingRestriction(ShopOwnedModel):
    """The customer asked the shop to stop processing their data for now (UU PDP art. 11,
    41): while a restriction is active no message of any kind goes to them, they are left
    out of every marketing audience, and retention leaves them alone. Lifting it keeps the
    row, so the history shows when processing was held."""

    class Reason(models.TextChoices):
        REQUEST = "request", _("The customer asked for it")
        ACCURACY = "accuracy", _("The customer disputes that the data is correct")
        OBJECTION = "objection", _("The customer objects to the processing")
        LEGAL_CLAIM = "legal", _("The data is needed for a legal claim")

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="restrictions"
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "customer"],
                condition=models.Q(lifted_at__isnull=True),
                name="restriction_one_active",
            )
        ]
        indexes = [models.Index(fields=["shop", "customer"], name="restriction_customer")]


class PrivacySettings(ShopOwnedModel):
    """A shop's choices about how long it keeps personal data."""

    retention_months = models.PositiveSmallIntegerField(null=True, blank=True)
    # when the retention sweep last ran for this shop (the scheduler runs it daily)
    retention_checked_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop"], name="privacysettings_one_per_shop")
        ]


class Incident(ShopOwnedModel, EncryptedModel):
    """A failure of personal-data protection the shop found (UU PDP art. 46): what
    happened, when it was found, whose data and which kinds. The shop must tell the
    people affected and the authority in writing within 3 x 24 hours of finding it
    (``merdeka.privacy.incidents``). The owner's words are encrypted like customers'
    notes: they may name people."""

    class Scope(models.TextChoices):
        ALL = "all", _("Every customer of the shop")
        CHOSEN = "chosen", _("Customers I choose")
        WINDOW = "window", _("Customers whose data was opened or exported in a time window")

    what_happened = EncryptedTextField()
    measures = EncryptedTextField()
    contact = EncryptedTextField()
    found_at = models.DateTimeField()
    scope = models.CharField(max_length=10, choices=Scope.choices)
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    # only what this account opened in the window (a stolen or misused account), if set
    window_actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    categories = models.JSONField(default=list)
    customers_notified_at = models.DateTimeField(null=True, blank=True)
    authority_notified_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-found_at", "-id"]
        indexes = [models.Index(fields=["shop", "found_at"], name="incident_found")]


class IncidentCustomer(ShopOwnedModel):
    """A customer whose data the incident touched: listed when it was recorded, so the
    notices go to the same people whatever happens to the list afterwards. Erasing the
    customer removes the row; their own data download shows it."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="affected")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="incidents"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "incident", "customer"], name="incident_customer_once"
            )
        ]

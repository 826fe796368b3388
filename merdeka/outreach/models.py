"""Campaigns, the delivery log, and the WhatsApp Cloud API settings of a shop.

A rendered message is personal data (it carries the customer's name and what they
bought), so a delivery keeps it only encrypted under the shop's key. Secrets of the
Cloud API (the access token and the app secret) are encrypted the same way.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from merdeka.core.scoping import ShopOwnedModel
from merdeka.outreach.placeholders import template_param_numbers
from merdeka.privacy.fields import EncryptedModel, EncryptedTextField

DEFAULT_GRAPH_URL = "https://graph.facebook.com/v21.0"


def _random_key() -> str:
    return secrets.token_urlsafe(24)


class ChannelKind(models.TextChoices):
    WALINK = "walink", _("WhatsApp from my phone (wa.me links)")
    CLOUDAPI = "cloudapi", _("WhatsApp Cloud API")
    EMAIL = "email", _("Email")


class Purpose(models.TextChoices):
    MARKETING = "marketing", _("Promotion (only to customers who agreed)")
    SERVICE = "service", _("Order service (about an order the customer placed)")


class Campaign(ShopOwnedModel):
    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENDING = "sending", _("Sending")
        DONE = "done", _("Finished")

    class Audience(models.TextChoices):
        ALL = "all", _("All customers")
        CITY = "city", _("Customers in one city")
        CHOSEN = "chosen", _("Chosen customers")
        SEGMENT = "segment", _("A saved segment")

    name = models.CharField(_("campaign name"), max_length=120)
    channel = models.CharField(_("channel"), max_length=10, choices=ChannelKind.choices)
    purpose = models.CharField(
        _("purpose"), max_length=10, choices=Purpose.choices, default=Purpose.MARKETING
    )
    subject = models.CharField(_("email subject"), max_length=200, blank=True)
    body = models.TextField(_("message"))
    template = models.ForeignKey(
        "outreach.WhatsAppTemplate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    template_params = models.JSONField(default=list, blank=True)
    audience_kind = models.CharField(max_length=10, choices=Audience.choices, default=Audience.ALL)
    audience_city = models.CharField(max_length=80, blank=True)
    audience_ids = models.JSONField(default=list, blank=True)
    # a deleted segment leaves the campaign pointing at nobody (see campaign_audience)
    audience_segment = models.ForeignKey(
        "customers.Segment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # the background fan-out (services.campaigns.campaign_prepare): how many customers the
    # audience had when the seller pressed send, and when every delivery was made
    audience_size = models.PositiveIntegerField(default=0)
    prepared_at = models.DateTimeField(null=True, blank=True)
    # a one-to-one request for consent (services.asking): service messages through the
    # wa.me queue, each carrying the sign-up link; never a promotion
    consent_request = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def preparing(self) -> bool:
        return self.state == self.State.SENDING and self.prepared_at is None


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    READ = "read", _("Read")
    FAILED = "failed", _("Failed")
    SKIPPED_NO_CONSENT = "no_consent", _("Skipped: no consent")
    SKIPPED_NO_CONTACT = "no_contact", _("Skipped: no number or email")
    SKIPPED_WINDOW = "window", _("Skipped: outside the 24-hour window")
    OPTED_OUT = "opted_out", _("Opted out")


# the messages that actually left: what a campaign's "sent" counts
SENT_STATUSES = {DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.READ}
SKIPPED_STATUSES = {
    DeliveryStatus.SKIPPED_NO_CONSENT,
    DeliveryStatus.SKIPPED_NO_CONTACT,
    DeliveryStatus.SKIPPED_WINDOW,
    DeliveryStatus.OPTED_OUT,
}
OPEN_STATUSES = {DeliveryStatus.QUEUED, DeliveryStatus.SENDING}


class Delivery(ShopOwnedModel, EncryptedModel):
    """One message to one customer through one channel: the delivery log."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(max_length=10, choices=ChannelKind.choices)
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    subject = EncryptedTextField(null=True, blank=True)
    body = EncryptedTextField(null=True, blank=True)
    # the values of a WhatsApp template's {{1}}, {{2}}... as JSON, when one is used
    params = EncryptedTextField(null=True, blank=True)
    template = models.ForeignKey(
        "outreach.WhatsAppTemplate",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    provider_message_id = models.CharField(max_length=200, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    # a code and a sentence for the seller; never the customer's data
    error_code = models.CharField(max_length=40, blank=True)
    error = models.CharField(max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    unsubscribe_nonce = models.CharField(max_length=40, default=_random_key, unique=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "campaign", "customer"], name="delivery_once_per_campaign"
            )
        ]
        indexes = [
            models.Index(fields=["shop", "campaign", "status"], name="delivery_campaign"),
            models.Index(fields=["shop", "customer", "created_at"], name="delivery_customer"),
            models.Index(fields=["shop", "channel", "last_attempt_at"], name="delivery_rate"),
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due"),
        ]

    @property
    def is_skipped(self) -> bool:
        return self.status in SKIPPED_STATUSES


class WhatsAppTemplate(ShopOwnedModel):
    """A message template approved by Meta; ``{{1}}``, ``{{2}}``... are its parameters."""

    class Category(models.TextChoices):
        MARKETING = "MARKETING", _("Marketing")
        UTILITY = "UTILITY", _("Utility (order updates)")

    name = models.CharField(_("template name"), max_length=512)
    language = models.CharField(_("language code"), max_length=15, default="id")
    category = models.CharField(
        _("category"), max_length=12, choices=Category.choices, default=Category.MARKETING
    )
    body = models.TextField(_("template text"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "name", "language"], name="watemplate_unique_name"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"

    @property
    def param_count(self) -> int:
        numbers = template_param_numbers(self.body)
        return max(numbers) if numbers else 0


class WhatsAppCloudSettings(ShopOwnedModel, EncryptedModel):
    """A shop's WhatsApp Cloud API account. The token and the app secret are encrypted."""

    phone_number_id = models.CharField(_("phone number ID"), max_length=40)
    business_account_id = models.CharField(_("business account ID"), max_length=40, blank=True)
    access_token = EncryptedTextField(_("access token"))
    app_secret = EncryptedTextField(_("app secret"))
    verify_token = models.CharField(max_length=64, default=_random_key)
    webhook_key = models.CharField(max_length=64, default=_random_key, unique=True)
    base_url = models.URLField(_("API address"), max_length=200, default=DEFAULT_GRAPH_URL)
    rate_per_minute = models.PositiveIntegerField(_("messages per minute"), default=60)
    token_invalid_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop"], name="wacloud_one_per_shop"),
        ]


class ServiceWindow(ShopOwnedModel):
    """When a customer last wrote to the shop on WhatsApp: free-form replies are allowed
    for 24 hours after that (WhatsApp's customer service window)."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    last_inbound_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "customer"], name="servicewindow_unique")
        ]

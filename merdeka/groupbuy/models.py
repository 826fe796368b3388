"""Group buying ("beli bareng", patungan): a seller offers a variant with price tiers by
total quantity; a coordinator opens a group with a deadline and shares its link; members
join until the deadline, and when the group closes the price of the tier reached applies
to every member's order.

Each member's order is a normal storefront order (``order_place``), placed when they
join: that reserves their stock at once, so a join beyond the stock is refused and a
closed group never oversells. While the group is open the order waits in status "new"
at the price reached so far; closing fixes the final price on every order and asks for
payment.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from merdeka.core.scoping import ShopOwnedModel
from merdeka.privacy.fields import BlindIndexField, EncryptedModel, EncryptedTextField


class GroupOffer(ShopOwnedModel):
    """The seller's "this variant may be bought together" with its price tiers."""

    variant = models.ForeignKey("catalog.Variant", on_delete=models.CASCADE, related_name="+")
    is_active = models.BooleanField(_("buyers may open group buys"), default=True)
    max_days = models.PositiveSmallIntegerField(_("longest group buy (days)"), default=7)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-is_active", "-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "variant"], name="groupoffer_one_per_variant"),
            models.CheckConstraint(
                condition=Q(max_days__gte=1) & Q(max_days__lte=60), name="groupoffer_days_range"
            ),
        ]


class PriceTier(ShopOwnedModel):
    """From ``min_quantity`` in the whole group on, everyone pays ``price`` a piece."""

    offer = models.ForeignKey(GroupOffer, on_delete=models.CASCADE, related_name="tiers")
    min_quantity = models.PositiveIntegerField()
    price = models.DecimalField(max_digits=12, decimal_places=0)

    class Meta:
        ordering = ["min_quantity"]
        constraints = [
            models.UniqueConstraint(fields=["offer", "min_quantity"], name="pricetier_unique"),
            models.CheckConstraint(condition=Q(price__gt=0), name="pricetier_price_positive"),
            models.CheckConstraint(condition=Q(min_quantity__gte=1), name="pricetier_min_one"),
        ]


class GroupStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    FAILED = "failed", _("Did not reach the minimum")
    CANCELLED = "cancelled", _("Cancelled")


class CloseReason(models.TextChoices):
    DEADLINE = "deadline", _("Deadline passed")
    COORDINATOR = "coordinator", _("Closed by the coordinator")
    SELLER = "seller", _("Closed by the seller")


class GroupBuy(ShopOwnedModel, EncryptedModel):
    """One group order. Its tiers are copied from the offer when it opens: what the
    coordinator shared stays true even if the seller changes the offer later."""

    offer = models.ForeignKey(GroupOffer, on_delete=models.PROTECT, related_name="groups")
    variant = models.ForeignKey("catalog.Variant", on_delete=models.PROTECT, related_name="+")
    tiers = models.JSONField(default=list)  # [{"min": 10, "price": "45000"}, ...] ascending
    status = models.CharField(max_length=12, choices=GroupStatus.choices, default="open")
    deadline = models.DateTimeField()
    share_token = models.CharField(max_length=32, unique=True, editable=False)
    coordinator_token = models.CharField(max_length=32, unique=True, editable=False)
    open_key = models.CharField(max_length=64, editable=False)  # a double tap opens one group
    # the coordinator: a buyer (name + WhatsApp, resolved into a customer) or the seller
    coordinator_name = EncryptedTextField(null=True, blank=True)
    coordinator_phone = EncryptedTextField(null=True, blank=True)
    coordinator_phone_index = BlindIndexField(
        source="coordinator_phone", normalizer="merdeka.core.phone.normalize_phone"
    )
    coordinator_customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    total_quantity = models.PositiveIntegerField(default=0)
    member_count = models.PositiveIntegerField(default=0)
    final_price = models.DecimalField(max_digits=12, decimal_places=0, null=True, blank=True)
    close_reason = models.CharField(max_length=12, choices=CloseReason.choices, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "open_key"], name="groupbuy_unique_open_key"),
        ]
        indexes = [models.Index(fields=["status", "deadline"], name="groupbuy_due")]


class GroupMember(ShopOwnedModel):
    """A member's place in a group: their order (where their name, phone and address
    live, encrypted) and how many they want."""

    group = models.ForeignKey(GroupBuy, on_delete=models.CASCADE, related_name="members")
    order = models.OneToOneField(
        "orders.Order", on_delete=models.CASCADE, related_name="groupbuy_member"
    )
    quantity = models.PositiveIntegerField()
    joined_at = models.DateTimeField()
    # when the member's order was cancelled: their pieces left the group's count, once
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["joined_at", "id"]

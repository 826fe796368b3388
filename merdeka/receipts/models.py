"""Receipts photographed by the seller, what was read from them, and the prices they tell.

The photo is personal-ish (a card number, a cashier's name): re-encoded like a payment
proof and stored encrypted in the database. Booked as an expense, it moves to the books
(``books.ExpenseReceipt``) and stays while the expense stands: the books never delete, they
reverse. Once the expense is cancelled (reversed), the owner may delete the receipt and its
photo; a receipt never booked may be deleted at any time (``booking.receipt_delete``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from merdeka.core.scoping import ShopOwnedModel
from merdeka.privacy.fields import EncryptedModel, EncryptedTextField


class Receipt(ShopOwnedModel, EncryptedModel):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to be read")
        READING = "reading", _("Being read")
        REVIEW = "review", _("Check it")
        READY = "ready", _("Read, confirm it")
        FAILED = "failed", _("Could not be read")
        BOOKED = "booked", _("In the books")

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    photo = EncryptedTextField(
        null=True, blank=True
    )  # WebP, base64; moved to the books when booked
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    store = models.CharField(_("store"), max_length=120, blank=True)
    store_key = models.CharField(max_length=120, blank=True, db_index=True)
    supplier = models.ForeignKey(
        "suppliers.Supplier", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    date = models.DateField(_("date"), null=True, blank=True)
    discount = models.BigIntegerField(default=0)
    tax = models.BigIntegerField(default=0)
    total = models.BigIntegerField(_("total"), null=True, blank=True)
    payment = models.CharField(max_length=40, blank=True)
    reasons = models.JSONField(default=list, blank=True)  # why the reader was unsure
    paid_from = models.ForeignKey(
        "books.Account", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    category = models.ForeignKey(
        "books.Account", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # the expense it became (entries are never deleted: they are reversed)
    entry = models.ForeignKey(
        "books.JournalEntry", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    booked_at = models.DateTimeField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["shop", "status"], name="receipts_status")]


class ReceiptItem(ShopOwnedModel):
    receipt = models.ForeignKey(Receipt, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(_("item"), max_length=120)
    key = models.CharField(max_length=120)  # the name normalised (names.item_key)
    qty = models.DecimalField(max_digits=10, decimal_places=3, default=1)
    unit_price = models.BigIntegerField(default=0)
    total = models.BigIntegerField(default=0)
    confidence = models.FloatField(default=1.0)
    # what it is to her: one of her variants (a stock purchase) or an ingredient's name
    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ingredient = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["position", "id"]


class ItemMapping(ShopOwnedModel):
    """What a store's item name is to her, learned from a confirmed receipt."""

    store_key = models.CharField(max_length=120)
    item_key = models.CharField(max_length=120)
    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    ingredient = models.CharField(max_length=120, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "store_key", "item_key"], name="receipts_mapping_once"
            )
        ]


class PricePoint(ShopOwnedModel):
    """One purchase of an item: where, when, how much a unit."""

    item_key = models.CharField(max_length=130)  # "v<variant id>" or the ingredient's key
    label = models.CharField(max_length=120)
    place = models.CharField(max_length=120)  # the store as read, or the supplier's number
    place_key = models.CharField(max_length=130)
    supplier = models.ForeignKey(
        "suppliers.Supplier", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    day = models.DateField()
    unit_price = models.BigIntegerField()
    qty = models.DecimalField(max_digits=10, decimal_places=3, default=1)
    receipt = models.ForeignKey(
        Receipt, on_delete=models.CASCADE, null=True, blank=True, related_name="prices"
    )
    arrival = models.ForeignKey(
        "suppliers.GoodsReceived",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["day", "id"]
        indexes = [models.Index(fields=["shop", "item_key", "day"], name="receipts_price_item")]


class ReceiptSettings(ShopOwnedModel):
    shop = models.OneToOneField("core.Shop", on_delete=models.CASCADE, related_name="+")
    # a regular item dearer than its usual price by more than this (per cent) is flagged
    alert_percent = models.PositiveSmallIntegerField(_("price alert above (%)"), default=10)

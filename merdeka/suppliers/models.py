"""Suppliers, the purchase orders sent to them and the goods received from them.

A supplier's name and phone may be a person's: sealed like a customer's, found through
blind indexes. Goods come in through the stock service (``catalog.services.
stock_purchase``: the average cost moves and the books post it); the supplier's bill is an
*utang* in the books (``books.debts``), linked here on the order.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from merdeka.core.scoping import ShopOwnedModel
from merdeka.privacy.fields import BlindIndexField, EncryptedModel, EncryptedTextField


class Supplier(ShopOwnedModel, EncryptedModel):
    name = EncryptedTextField(_("name"))
    name_index = BlindIndexField(source="name", normalizer="merdeka.core.phone.normalize_name")
    phone = EncryptedTextField(_("WhatsApp number"), null=True, blank=True)
    phone_index = BlindIndexField(source="phone", normalizer="merdeka.core.phone.normalize_phone")
    note = models.CharField(_("what they supply"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]


class PurchaseOrder(ShopOwnedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Not sent yet")
        SENT = "sent", _("Sent")
        PARTLY = "partly", _("Partly received")
        RECEIVED = "received", _("Received")

    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="orders")
    number = models.PositiveIntegerField()  # the shop's own running number
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    note = models.CharField(_("note"), max_length=200, blank=True)
    # the supplier's bill, an utang in the books (None until she records it)
    bill = models.OneToOneField(
        "books.Debt", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    key = models.CharField(max_length=80, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "number"], name="suppliers_po_number"),
            models.UniqueConstraint(fields=["shop", "key"], name="suppliers_po_once"),
        ]


class PurchaseOrderLine(ShopOwnedModel):
    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey("catalog.Variant", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    unit_price = models.BigIntegerField()
    received = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]

    @property
    def total(self) -> int:
        return self.quantity * self.unit_price

    @property
    def left(self) -> int:
        return max(self.quantity - self.received, 0)


class GoodsReceived(ShopOwnedModel):
    """Units of one line that came in, at its price, as one stock move."""

    line = models.ForeignKey(PurchaseOrderLine, on_delete=models.CASCADE, related_name="arrivals")
    quantity = models.PositiveIntegerField()
    unit_price = models.BigIntegerField()
    move = models.ForeignKey("catalog.StockMove", on_delete=models.PROTECT, related_name="+")
    paid = models.BooleanField(default=False)  # paid on arrival (else: the bill, payables)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

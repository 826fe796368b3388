"""Pre-order batches (open PO): a product made to order, taken during a window.

A batch has its own quota instead of on-hand stock: what is baked or sewn after it
closes does not exist yet. ``reserved`` counts the units ordered so far and only ever
grows by a conditional UPDATE that keeps it within ``max_quantity`` (and a database
check says the same), so a capped batch is never oversold.

The link to orders lives here (``PreorderEntry``), one row per order line taken from
the batch; the orders app knows nothing of pre-orders.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from merdeka.core.scoping import ShopOwnedModel


class PreorderBatch(ShopOwnedModel):
    class State(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    class ClosedBy(models.TextChoices):
        SELLER = "seller", _("by the seller")
        SCHEDULE = "schedule", _("at the closing time")

    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=120)
    note = models.TextField(_("note"), blank=True)
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    ships_on = models.DateField(_("estimated shipping date"), null=True, blank=True)
    min_quantity = models.PositiveIntegerField(_("minimum total quantity"), null=True, blank=True)
    max_quantity = models.PositiveIntegerField(_("maximum total quantity"), null=True, blank=True)
    price = models.DecimalField(
        _("pre-order price (Rp)"), max_digits=12, decimal_places=0, null=True, blank=True
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.OPEN)
    reserved = models.PositiveIntegerField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.CharField(max_length=12, choices=ClosedBy.choices, blank=True)
    token = models.CharField(max_length=24, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opens_at", "-id"]
        indexes = [models.Index(fields=["shop", "state", "closes_at"], name="preorder_due")]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")), name="preorder_closes_after_opening"
            ),
            models.CheckConstraint(
                condition=Q(max_quantity__isnull=True) | Q(reserved__lte=F("max_quantity")),
                name="preorder_never_oversold",
            ),
            models.CheckConstraint(
                condition=Q(price__isnull=True) | Q(price__gt=0), name="preorder_price_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class PreorderBatchVariant(ShopOwnedModel):
    """The variants a batch sells (all of the product's, unless the seller chose)."""

    batch = models.ForeignKey(PreorderBatch, on_delete=models.CASCADE, related_name="items")
    variant = models.ForeignKey("catalog.Variant", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["batch", "variant"], name="preorder_variant_once")
        ]


class PreorderEntry(ShopOwnedModel):
    """One order line taken from a batch's quota."""

    batch = models.ForeignKey(PreorderBatch, on_delete=models.CASCADE, related_name="entries")
    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="+")
    variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    quantity = models.PositiveIntegerField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)
    # when the order was cancelled and these units went back to the quota (once)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "order", "variant"], name="preorder_entry_once"
            )
        ]

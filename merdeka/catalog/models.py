"""The catalog: products with variants (size, flavour), photos, and stock per location.

Stock is counted per variant and location as ``on_hand`` (in the building) and
``reserved`` (promised to orders not yet sent). What can still be sold is
``on_hand - reserved``; a database check keeps ``reserved <= on_hand`` so that no bug
anywhere can oversell. Every change is a ``StockMove`` with its reason.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from merdeka.core.scoping import ShopOwnedModel

# a variant is low on stock when fewer than this can still be sold, unless set otherwise
LOW_STOCK_DEFAULT = 5


class Category(ShopOwnedModel):
    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(max_length=90)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "slug"], name="category_unique_slug")
        ]

    def __str__(self) -> str:
        return self.name


class Product(ShopOwnedModel):
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(max_length=140)
    description = models.TextField(_("description"), blank=True)
    category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="products"
    )
    is_published = models.BooleanField(_("shown in the online shop"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["shop", "slug"], name="product_unique_slug")]
        indexes = [models.Index(fields=["shop", "is_published", "name"], name="product_listing")]

    def __str__(self) -> str:
        return self.name


class Variant(ShopOwnedModel):
    """What a buyer actually picks: a size and/or a flavour, with its own SKU and price."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    size = models.CharField(_("size"), max_length=60, blank=True)
    flavour = models.CharField(_("flavour"), max_length=60, blank=True)
    sku = models.CharField(_("SKU"), max_length=60, blank=True)
    price = models.DecimalField(_("price (Rp)"), max_digits=12, decimal_places=0)
    weight_grams = models.PositiveIntegerField(_("weight (grams)"), default=0)
    track_stock = models.BooleanField(_("count stock"), default=True)
    # the owner hears of it once when what can still be sold falls below this (0: never)
    low_stock_threshold = models.PositiveIntegerField(
        _("low stock alert below"), default=LOW_STOCK_DEFAULT
    )
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "sku"], condition=~Q(sku=""), name="variant_unique_sku"
            ),
            models.CheckConstraint(condition=Q(price__gt=0), name="variant_price_positive"),
        ]

    @property
    def label(self) -> str:
        return " · ".join(part for part in (self.size, self.flavour) if part)

    def __str__(self) -> str:
        return f"{self.product.name} {self.label}".strip()


class ProductPhoto(ShopOwnedModel):
    """A photo, re-encoded (no EXIF) into a few widths under the data directory."""

    WIDTHS = (320, 640)

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="photos")
    key = models.CharField(max_length=32, unique=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    widths = models.JSONField(default=list)  # the widths actually stored
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]


class StockLocation(ShopOwnedModel):
    class Kind(models.TextChoices):
        HOME = "home", pgettext_lazy("stock location", "Home")
        WAREHOUSE = "warehouse", _("Warehouse")
        PARTNER = "partner", _("Fulfilment partner")

    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.HOME)
    is_default = models.BooleanField(_("sell from here first"), default=False)
    sells_online = models.BooleanField(_("online orders take stock from here"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_default", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "name"], name="location_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class StockLevel(ShopOwnedModel):
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="stock_levels")
    location = models.ForeignKey(StockLocation, on_delete=models.CASCADE, related_name="levels")
    on_hand = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["variant", "location"], name="stocklevel_unique"),
            models.CheckConstraint(
                condition=Q(reserved__gte=0) & Q(reserved__lte=F("on_hand")),
                name="stocklevel_never_oversold",
            ),
        ]
        indexes = [models.Index(fields=["shop", "variant"], name="stocklevel_variant")]

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class StockMove(ShopOwnedModel):
    """One change of stock, with why it happened. Never edited afterwards."""

    class Reason(models.TextChoices):
        ORDER = "order", _("Order")
        ORDER_CANCELLED = "order_cancelled", _("Order cancelled")
        ORDER_SENT = "order_sent", _("Order sent")
        ADJUSTMENT = "adjustment", _("Adjustment")
        IMPORT = "import", _("Import")
        PURCHASE = "purchase", _("Stock purchase")
        OPENING_VALUE = "opening_value", _("Opening stock value")
        COUNT = "count", _("Stock count")
        # an imported marketplace order's units (merdeka.catalog.imported)
        IMPORT_SENT = "import_sent", _("Marketplace order sent")
        IMPORT_RETURNED = "import_returned", _("Back from a marketplace order")
        # a shop's own order the buyer sent back (merdeka.catalog.returned)
        ORDER_RETURNED = "order_returned", _("Back from a returned order")
        RETURN_DAMAGED = "return_damaged", _("Returned damaged, written off")

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey(StockLocation, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    on_hand_change = models.IntegerField(default=0)
    reserved_change = models.IntegerField(default=0)
    on_hand_after = models.IntegerField()
    reserved_after = models.IntegerField()
    order = models.ForeignKey(
        "orders.Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # what the move did to the stock's value (whole rupiah, ``StockCost``): a purchase
    # adds its cost, stock leaving takes the moving average cost of what left
    value_change = models.BigIntegerField(default=0)
    # units of ``on_hand_change`` whose cost nobody knows (never guessed): stock that
    # came in without a purchase or an opening value, and left again
    cost_missing = models.IntegerField(default=0)
    # a purchase's price per unit (whole rupiah)
    unit_cost = models.BigIntegerField(null=True, blank=True)
    # the form's key of a purchase: a double tap buys once
    key = models.CharField(max_length=40, null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["shop", "variant", "created_at"], name="stockmove_variant")]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "key"], condition=Q(key__isnull=False), name="stockmove_key_once"
            )
        ]

    @property
    def on_hand_before(self) -> int:
        """What was in stock right before this change (the ledger keeps the after)."""
        return self.on_hand_after - self.on_hand_change

    @property
    def reserved_before(self) -> int:
        return self.reserved_after - self.reserved_change


class StockCost(ShopOwnedModel):
    """What a variant's stock cost, for the moving average: ``quantity`` units on hand
    (in every location) whose cost is known, worth ``value`` rupiah together. The
    average cost of a unit is ``value / quantity``. Units on hand beyond ``quantity``
    came in without a cost (before the first purchase or opening value) and stay
    without one. Changed only by the stock service, in the transaction of the move
    that changes it, so the average follows the moves in the order they happened."""

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="+")
    quantity = models.IntegerField(default=0)
    value = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "variant"], name="stockcost_once"),
            models.CheckConstraint(
                condition=Q(quantity__gte=0) & Q(value__gte=0), name="stockcost_not_negative"
            ),
        ]

    @property
    def average(self) -> int | None:
        """The moving average cost of a unit, whole rupiah (None: no unit has a cost)."""
        if self.quantity <= 0:
            return None
        return (2 * self.value + self.quantity) // (2 * self.quantity)


class LowStockAlert(ShopOwnedModel):
    """A variant whose available stock fell below its threshold: raised once by the
    stock service when it crosses, shown on the home page and mailed to the owners,
    cleared when stock is back at the threshold (the next fall raises a new one)."""

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="+")
    threshold = models.PositiveIntegerField()
    available = models.IntegerField()  # what could still be sold when it was raised
    raised_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "variant"],
                condition=Q(cleared_at__isnull=True),
                name="lowstock_one_open_per_variant",
            )
        ]

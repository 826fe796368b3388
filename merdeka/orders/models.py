from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from merdeka.core.scoping import ShopOwnedModel
from merdeka.privacy.fields import (
    BlindIndexField,
    EncryptedBundleField,
    EncryptedModel,
    EncryptedTextField,
)

# what ``Order.personal`` seals together, in its order (each a property of the order)
PERSONAL = ("buyer_username", "recipient_name", "recipient_phone", "street", "city")


class Channel(models.TextChoices):
    SHOPEE = "shopee", "Shopee"
    TIKTOK = "tiktok", "TikTok Shop"
    TOKOPEDIA = "tokopedia", "Tokopedia"
    LAZADA = "lazada", "Lazada"
    BLIBLI = "blibli", "Blibli"
    BUKALAPAK = "bukalapak", "Bukalapak"
    WHATSAPP = "whatsapp", "WhatsApp"
    STOREFRONT = "storefront", _("Own storefront")
    MANUAL = "manual", _("Manual")
    OTHER = "other", _("Other")


class Status(models.TextChoices):
    NEW = "new", _("New")
    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
    PAID = "paid", _("Paid")
    PROCESSING = "processing", _("Processing")
    SHIPPED = "shipped", _("Shipped")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    RETURNED = "returned", _("Returned")


class DeliveryMethod(models.TextChoices):
    PICKUP = "pickup", _("Pick up")
    COURIER = "courier", _("Courier")
    COD = "cod", _("Cash on delivery (COD)")


class PaymentMethod(models.TextChoices):
    QRIS = "qris", "QRIS"
    TRANSFER = "transfer", _("Bank transfer")
    EWALLET = "ewallet", _("E-wallet")
    COD = "cod", _("Cash on delivery (COD)")


class Order(ShopOwnedModel, EncryptedModel):
    """One order from any channel. The buyer's username and the recipient's name, phone,
    street and city are sealed together in ``personal`` (one token per order; each is
    a property: ``order.street``), the city also kept as a blind index; village,
    district and province stay plain so that reports can group by them. A read of many
    orders opens each one's values at once: ``personal_opener``."""

    # no index of its own: the unique (shop, channel, external_id) and the composite
    # (shop, customer, ordered_at) start with the shop already
    shop = models.ForeignKey(
        "core.Shop", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    channel = models.CharField(max_length=20, choices=Channel.choices)
    external_id = models.CharField(max_length=80)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, related_name="orders"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    status_raw = models.CharField(max_length=120, blank=True)
    ordered_at = models.DateTimeField(db_index=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    total = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    shipping_fee = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    # the order's own discounts (vouchers, coins) as its channel reports them, if it does
    discount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    # buyer_username, recipient_name, recipient_phone, street, city: sealed as one
    # (docs/decisions/order-personal-blob.md)
    personal = EncryptedBundleField(members=PERSONAL, null=True, blank=True)
    village = models.CharField(max_length=80, blank=True)
    district = models.CharField(max_length=80, blank=True)
    # kept so that the city can be found again, but no query looks orders up by it (a
    # search by city reads the customers' or the stats' indexes): no index, which each
    # imported order paid for at a random place (docs/decisions/order-indexes.md)
    city_index = BlindIndexField(
        source="city", normalizer="merdeka.customers.models.normalize_city", db_index=False
    )
    province = models.CharField(max_length=80, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)
    import_file = models.ForeignKey(
        "imports.ImportFile", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Orders placed in Merdeka (the storefront, later pre-orders and group buys):
    # the key that makes a retried placement return the first order, the unguessable
    # token of the buyer's confirmation page, and what the buyer chose.
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, editable=False)
    public_token = models.CharField(
        max_length=32, null=True, blank=True, unique=True, editable=False
    )
    delivery_method = models.CharField(max_length=20, choices=DeliveryMethod.choices, blank=True)
    payment_method = models.CharField(max_length=20, choices=PaymentMethod.choices, blank=True)
    subtotal = models.DecimalField(max_digits=14, decimal_places=2, null=True)
    note = EncryptedTextField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-ordered_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "channel", "external_id"], name="order_unique_per_channel"
            ),
            models.UniqueConstraint(
                fields=["shop", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="order_unique_idempotency_key",
            ),
        ]
        indexes = [
            models.Index(fields=["shop", "customer", "ordered_at"], name="order_customer"),
            # the dashboard's counts of orders waiting for the seller (few open ones)
            models.Index(fields=["shop", "status"], name="order_shop_status"),
        ]


def personal_opener(shop_id: int):
    """A function ``(personal, uid) -> (buyer_username, recipient_name, recipient_phone,
    street, city)``: the values of a row read as tuples (``values_list("personal",
    "uid")``), opened with one decryption, the shop's key looked up once."""
    return Order._meta.get_field("personal").opener(shop_id)


class OrderLine(ShopOwnedModel):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    sku = models.CharField(max_length=120, blank=True)
    name = models.CharField(max_length=300)
    variant = models.CharField(max_length=200, blank=True)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=14, decimal_places=2)
    total = models.DecimalField(max_digits=14, decimal_places=2)
    # set for lines sold from the catalog: the variant and where its stock was reserved
    product_variant = models.ForeignKey(
        "catalog.Variant", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    stock_location = models.ForeignKey(
        "catalog.StockLocation", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["order", "position"]


# -- the seller's actions on an order (merdeka.orders.lifecycle) ----------------------


class EventKind(models.TextChoices):
    STATUS = "status", _("Status changed")
    PAYMENT = "payment", _("Payment recorded")
    SHIPPED = "shipped", _("Shipped")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    RETURNED = "returned", _("Returned")
    NOTE = "note", _("Note")


class OrderEvent(ShopOwnedModel, EncryptedModel):
    """One thing that happened to an order, written once and never edited: its history.

    The seller's note may name the buyer, so it is encrypted, and the row points at the
    order's customer so that erasing the customer clears the note too.
    """

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = EncryptedTextField(null=True, blank=True)
    # facts without personal data: courier and tracking number, payment method and amount
    detail = models.JSONField(default=dict, blank=True)
    # the message that told the buyer, if one was sent
    delivery = models.ForeignKey(
        "outreach.Delivery", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["shop", "order", "at"], name="orderevent_order")]


class PaymentMethodReceived(models.TextChoices):
    QRIS = "qris", "QRIS"
    TRANSFER = "transfer", _("Bank transfer")
    EWALLET = "ewallet", _("E-wallet")
    COD = "cod", _("Cash on delivery (COD)")
    CASH = "cash", _("Cash")


class Payment(ShopOwnedModel, EncryptedModel):
    """Money the seller received for an order. The reference ("transfer dari ...") and
    the proof photo (a re-encoded WebP, base64) are encrypted like the buyer's address:
    they are served only through an authenticated page, and erasing the customer
    clears them."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payments")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    method = models.CharField(max_length=12, choices=PaymentMethodReceived.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    reference = EncryptedTextField(null=True, blank=True)
    proof = EncryptedTextField(null=True, blank=True)
    proof_width = models.PositiveIntegerField(null=True, blank=True)
    proof_height = models.PositiveIntegerField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["recorded_at", "id"]


class Courier(models.TextChoices):
    JNE = "jne", "JNE"
    JNT = "jnt", "J&T Express"
    SICEPAT = "sicepat", "SiCepat"
    ANTERAJA = "anteraja", "AnterAja"
    POS = "pos", "Pos Indonesia"
    GOSEND = "gosend", "GoSend"
    GRAB = "grabexpress", "GrabExpress"
    OTHER = "other", _("Other courier")


class Shipment(ShopOwnedModel):
    """The parcel of an order: one per order (the unique constraint stops a second)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    courier = models.CharField(max_length=20, choices=Courier.choices)
    tracking_number = models.CharField(max_length=40, blank=True)
    shipped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    shipped_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "order"], name="shipment_once_per_order")
        ]


# -- what sold per day, kept for the reports (merdeka.orders.sales_days) --------------


class SalesDay(ShopOwnedModel):
    """The orders placed on one of the shop's days through one channel, cancelled and
    returned ones left out: their ``total`` summed (whole rupiah, as the reports show
    it) and counted. Made from the order book (``merdeka.orders.sales_days``), never
    by hand: the reports sum days, not orders."""

    day = models.DateField()
    channel = models.CharField(max_length=20)
    amount = models.BigIntegerField(default=0)
    orders = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "day", "channel"], name="sales_day_once")
        ]


class ProductSalesDay(ShopOwnedModel):
    """The lines of the orders placed on one day (cancelled and returned ones left
    out) per the name the order gives the product: quantity, ``total`` in hundredths of
    a rupiah (summed exactly, rounded when read), and how many lines."""

    day = models.DateField()
    name = models.CharField(max_length=300)
    quantity = models.BigIntegerField(default=0)
    cents = models.BigIntegerField(default=0)
    lines = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "day", "name"], name="product_sales_day_once")
        ]


class SalesDirty(ShopOwnedModel):
    """A UTC day whose orders or order lines were written since the days were last
    made: marked by the database itself (triggers on the orders and their lines, so no
    writer can forget), made again before the days are next read.

    Its shop is no database constraint: deleting a shop's orders (a shop erased, a test
    database flushed) fires the triggers, which mark days of a shop about to go; a mark
    left behind for a shop that is gone is harmless and never read."""

    shop = models.ForeignKey(
        "core.Shop", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    day = models.DateField()
    version = models.BigIntegerField(default=1)  # grows with each mark of the day

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "day"], name="sales_dirty_once")]


class SalesKept(ShopOwnedModel):
    """That a shop's sales days are made, and in which time zone (a shop that moves
    to another zone has them made again)."""

    time_zone = models.CharField(max_length=40)
    made_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop"], name="sales_kept_once")]

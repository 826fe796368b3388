"""The order book as a spreadsheet: one row per order, and (in XLSX) a sheet of lines.

The rows are typed values (text, whole rupiah, times) for ``merdeka.core.sheets``, which
writes the cells; headers, channels and statuses are in the active language (Bahasa
Indonesia unless the seller chose English; the CLI's whole-shop export always writes
Indonesian). The web export takes the order list's filters; the whole-shop export
(``merdeka.imports.exporting``) takes every order. Starting an export is audited.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from itertools import islice

from django.db.models import BooleanField, Case, Value, When
from django.utils import translation
from django.utils.translation import gettext as _

from merdeka.core import sheets
from merdeka.core.portable import Columns, among
from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Customer
from merdeka.orders.models import (
    Channel,
    Courier,
    DeliveryMethod,
    Order,
    OrderLine,
    PaymentMethod,
    Shipment,
    Status,
)
from merdeka.orders.selectors import paid_q
from merdeka.privacy.audit import audit_record

CHUNK = 2000


def order_header() -> list[str]:
    return [
        _("Order number"),
        _("Channel"),
        _("Status"),
        _("Paid"),
        _("Ordered at"),
        _("Paid at"),
        _("Customer"),
        _("Recipient"),
        _("Phone"),
        _("Address"),
        _("Village"),
        _("District"),
        _("City / regency"),
        _("Province"),
        _("Postal code"),
        _("Products"),
        _("Products total (Rp)"),
        _("Shipping (Rp)"),
        _("Discounts (Rp)"),
        _("Total (Rp)"),
        _("Delivery"),
        _("Payment method"),
        _("Courier"),
        _("Tracking number (resi)"),
    ]


def line_header() -> list[str]:
    return [
        _("Order number"),
        _("Product"),
        _("Variant"),
        _("SKU"),
        _("Quantity"),
        _("Unit price (Rp)"),
        _("Line total (Rp)"),
    ]


def _products(lines) -> str:
    """``lines``: (quantity, name, variant) of an order's lines, in their order."""
    return "; ".join(
        f"{quantity}x {name}" + (f" ({variant})" if variant else "")
        for quantity, name, variant, _total in lines
    )


def order_rows(*, shop, orders):
    """The orders of the queryset ``orders`` (in its order) as lists of typed values,
    read in chunks with their lines and parcel; personal data decrypted in memory. The
    rows are made while a download streams, in the language active now."""
    return _order_rows(shop, orders, translation.get_language())


ORDER_FIELDS = (
    "pk",
    "external_id",
    "channel",
    "status",
    "export_paid",
    "ordered_at",
    "paid_at",
    "customer_id",
    "recipient_name",
    "recipient_phone",
    "street",
    "village",
    "district",
    "city",
    "province",
    "postal_code",
    "shipping_fee",
    "discount",
    "total",
    "delivery_method",
    "payment_method",
)


def _labels(choices) -> dict:
    """Stored value -> its label in the active language (what ``get_FOO_display`` says)."""
    return {value: str(label) for value, label in choices}


def paid_case() -> Case:
    """The "Paid" column: an annotation of orders (``paid_q``)."""
    return Case(When(paid_q(), then=Value(True)), default=Value(False), output_field=BooleanField())


def _order_rows(shop, orders, language):
    """Rows read as tuples (``Columns``: no model instance per order, the sealed columns
    opened with the shop's key looked up once), a chunk of orders at a time with the
    chunk's lines, parcels and customers' names."""
    with translation.override(language), shop_scope(shop):
        yes, no = _("yes"), _("no")
        channels, statuses = _labels(Channel.choices), _labels(Status.choices)
        deliveries, methods = _labels(DeliveryMethod.choices), _labels(PaymentMethod.choices)
        couriers = _labels(Courier.choices)
        columns = Columns(Order, ORDER_FIELDS, shop=shop)
        names = Columns(Customer, ("pk", "name"), shop=shop)
        marked = orders.annotate(export_paid=paid_case())
        found = iter(marked.values_list(*columns.read).iterator(chunk_size=CHUNK))
        while chunk := list(islice(found, CHUNK)):
            chunk = columns.opened(chunk)
            ids = [row[0] for row in chunk]
            wanted = set(ids)  # the range of ``among`` can hold orders filtered out
            lines: dict[int, list[tuple]] = {}
            for order_id, *line in (
                OrderLine.objects.filter(among("order_id", ids), shop=shop)
                .order_by("order_id", "position", "pk")
                .values_list("order_id", "quantity", "name", "variant", "total")
            ):
                if order_id in wanted:
                    lines.setdefault(order_id, []).append(line)
            parcels = {
                order_id: (courier, number)
                for order_id, courier, number in Shipment.objects.filter(
                    among("order_id", ids), shop=shop
                )
                .order_by("-pk")  # one per order; the first read, should there be two
                .values_list("order_id", "courier", "tracking_number")
                if order_id in wanted
            }
            named = {row[7] for row in chunk if row[7] is not None}
            customers = dict(names.rows(Customer.objects.filter(shop=shop, pk__in=named)))
            for (
                pk,
                number,
                channel,
                status,
                paid,
                ordered_at,
                paid_at,
                customer_id,
                recipient_name,
                recipient_phone,
                street,
                village,
                district,
                city,
                province,
                postal_code,
                shipping_fee,
                discount,
                total,
                delivery_method,
                payment_method,
            ) in chunk:
                mine = lines.get(pk, ())
                parcel = parcels.get(pk)
                yield [
                    number,
                    channels.get(channel, channel),
                    statuses.get(status, status),
                    yes if paid else no,
                    ordered_at,
                    paid_at,
                    (customers.get(customer_id) or "") if customer_id is not None else "",
                    recipient_name or "",
                    recipient_phone or "",
                    street or "",
                    village,
                    district,
                    city,
                    province,
                    postal_code,
                    _products(mine),
                    sum((line[3] for line in mine), 0),
                    shipping_fee,
                    discount,
                    total,
                    deliveries.get(delivery_method, delivery_method) if delivery_method else "",
                    methods.get(payment_method, payment_method) if payment_method else "",
                    couriers.get(parcel[0], parcel[0]) if parcel is not None else "",
                    parcel[1] if parcel is not None else "",
                ]


class ExportCells:
    """orders.csv's row of an order read for orders.jsonl (``merdeka export``): the
    typed values ``order_rows`` gives, made from the JSON row (times in ISO 8601, money
    as text), so the whole-shop export reads and opens each order once for both files.
    Made in the language of the sheet."""

    def __init__(self):
        self.yes, self.no = _("yes"), _("no")
        self.channels, self.statuses = _labels(Channel.choices), _labels(Status.choices)
        self.deliveries = _labels(DeliveryMethod.choices)
        self.methods = _labels(PaymentMethod.choices)
        self.couriers = _labels(Courier.choices)

    def row(self, order: dict, *, paid: bool, customer: str, parcel) -> list:
        """``order``: a row of orders.jsonl; ``customer`` the customer's name ("" for
        none); ``parcel`` (courier, tracking number) or None."""
        lines = order["lines"]
        channel, status = order["channel"], order["status"]
        delivery, method = order["delivery_method"], order["payment_method"]
        return [
            order["external_id"],
            self.channels.get(channel, channel),
            self.statuses.get(status, status),
            self.yes if paid else self.no,
            _time(order["ordered_at"]),
            _time(order["paid_at"]),
            customer,
            order["recipient_name"] or "",
            order["recipient_phone"] or "",
            order["street"] or "",
            order["village"],
            order["district"],
            order["city"],
            order["province"],
            order["postal_code"],
            _products([(x["quantity"], x["name"], x["variant"], None) for x in lines]),
            sum((Decimal(x["total"]) for x in lines), 0),
            _money(order["shipping_fee"]),
            _money(order["discount"]),
            _money(order["total"]),
            self.deliveries.get(delivery, delivery) if delivery else "",
            self.methods.get(method, method) if method else "",
            self.couriers.get(parcel[0], parcel[0]) if parcel is not None else "",
            parcel[1] if parcel is not None else "",
        ]


def _time(text):
    return datetime.fromisoformat(text) if text is not None else None


def _money(text):
    return Decimal(text) if text is not None else None


def _through_order(name: str) -> str:
    """An ordering of orders as an ordering of their lines."""
    sign, field_name = ("-", name[1:]) if name.startswith("-") else ("", name)
    return sign + ("order_id" if field_name in ("pk", "id") else f"order__{field_name}")


def line_rows(*, shop, orders):
    """Every line of the orders of ``orders``, the orders in the same order."""
    ordering = [_through_order(n) for n in orders.query.order_by or Order._meta.ordering]
    with shop_scope(shop):
        lines = (
            OrderLine.objects.filter(shop=shop, order__in=orders.values("pk"))
            .order_by(*ordering, "order_id", "position")
            .values_list(
                "order__external_id", "name", "variant", "sku", "quantity", "unit_price", "total"
            )
        )
        for row in lines.iterator(chunk_size=CHUNK):
            yield list(row)


def order_sheets(*, shop, orders) -> list[sheets.Sheet]:
    """The orders sheet (the CSV's only table) and the lines sheet of a workbook."""
    return [
        sheets.Sheet(_("orders"), order_header(), order_rows(shop=shop, orders=orders)),
        sheets.Sheet(_("order lines"), line_header(), line_rows(shop=shop, orders=orders)),
    ]


def download(*, shop, fmt: str, orders):
    return sheets.download(
        name=_("orders").replace(" ", "-"),
        fmt=fmt,
        sheets=order_sheets(shop=shop, orders=orders),
        tz=shop.time_zone,
    )


def export_started(*, shop, actor, fmt: str, count: int, filtered: bool, request) -> None:
    """The audit record of an order export: its kind and size, never the search words."""
    audit_record(
        action="export.created",
        shop=shop,
        actor=actor,
        request=request,
        detail={"format": fmt, "orders": count, "filtered": filtered, "scope": "orders"},
    )

"""The order book as a spreadsheet: one row per order, and (in XLSX) a sheet of lines.

The rows are typed values (text, whole rupiah, times) for ``merdeka.core.sheets``, which
writes the cells; headers, channels and statuses are in the active language (Bahasa
Indonesia unless the seller chose English; the CLI's whole-shop export always writes
Indonesian). The web export takes the order list's filters; the whole-shop export
(``merdeka.imports.exporting``) takes every order. Starting an export is audited.
"""

from __future__ import annotations

from django.db.models import BooleanField, Case, Value, When
from django.utils import translation
from django.utils.translation import gettext as _

from merdeka.core import sheets
from merdeka.core.scoping import shop_scope
from merdeka.orders.models import Order, OrderLine
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
    return "; ".join(
        f"{line.quantity}x {line.name}" + (f" ({line.variant})" if line.variant else "")
        for line in lines
    )


def order_rows(*, shop, orders):
    """The orders of the queryset ``orders`` (in its order) as lists of typed values,
    read in chunks with their lines and parcel; personal data decrypted in memory. The
    rows are made while a download streams, in the language active now."""
    return _order_rows(shop, orders, translation.get_language())


def _order_rows(shop, orders, language):
    with translation.override(language), shop_scope(shop):
        yes, no = _("yes"), _("no")
        marked = orders.annotate(
            export_paid=Case(
                When(paid_q(), then=Value(True)), default=Value(False), output_field=BooleanField()
            )
        ).prefetch_related("lines", "shipments")
        for order in marked.iterator(chunk_size=CHUNK):
            lines = list(order.lines.all())
            shipment = next(iter(order.shipments.all()), None)
            customer = order.customer
            yield [
                order.external_id,
                order.get_channel_display(),
                order.get_status_display(),
                yes if order.export_paid else no,
                order.ordered_at,
                order.paid_at,
                (customer.name or "") if customer is not None else "",
                order.recipient_name or "",
                order.recipient_phone or "",
                order.street or "",
                order.village,
                order.district,
                order.city,
                order.province,
                order.postal_code,
                _products(lines),
                sum((line.total for line in lines), 0),
                order.shipping_fee,
                order.discount,
                order.total,
                order.get_delivery_method_display() if order.delivery_method else "",
                order.get_payment_method_display() if order.payment_method else "",
                shipment.get_courier_display() if shipment is not None else "",
                shipment.tracking_number if shipment is not None else "",
            ]


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

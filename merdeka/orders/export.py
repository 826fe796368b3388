"""The order book as a spreadsheet: one row per order, and (in XLSX) a sheet of lines.

The rows are typed values (text, whole rupiah, times) for ``merdeka.core.sheets``, which
writes the cells; headers, channels and statuses are in the active language (Bahasa
Indonesia unless the seller chose English; the CLI's whole-shop export always writes
Indonesian). The web export takes the order list's filters; the whole-shop export
(``merdeka.imports.exporting``) takes every order. Starting an export is audited.
"""

from __future__ import annotations

from decimal import Decimal
from itertools import islice

from django.db.models import BooleanField, Case, Value, When
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

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


# The orders' table (orders.csv, the orders sheet, the order book's download): one column
# list, each column its header (translated when the table is made), the order's value it
# is made of and how (``_KINDS``). Two adapters make its rows: ``OrderCells.typed_row``
# (typed values for ``merdeka.core.sheets``, from the values the database gives) and
# ``OrderCells.csv_rows`` (orders.csv's text, column by column, from orders.jsonl's rows).
ORDER_TABLE = (
    (gettext_noop("Order number"), "external_id", "text"),
    (gettext_noop("Channel"), "channel", "channel"),
    (gettext_noop("Status"), "status", "status"),
    (gettext_noop("Paid"), "paid", "yes_no"),
    (gettext_noop("Ordered at"), "ordered_at", "time"),
    (gettext_noop("Paid at"), "paid_at", "time"),
    (gettext_noop("Customer"), "customer", "text"),
    (gettext_noop("Recipient"), "recipient_name", "blank"),
    (gettext_noop("Phone"), "recipient_phone", "blank"),
    (gettext_noop("Address"), "street", "blank"),
    (gettext_noop("Village"), "village", "text"),
    (gettext_noop("District"), "district", "text"),
    (gettext_noop("City / regency"), "city", "text"),
    (gettext_noop("Province"), "province", "text"),
    (gettext_noop("Postal code"), "postal_code", "text"),
    (gettext_noop("Products"), "lines", "products"),
    (gettext_noop("Products total (Rp)"), "lines", "lines_total"),
    (gettext_noop("Shipping (Rp)"), "shipping_fee", "money"),
    (gettext_noop("Discounts (Rp)"), "discount", "money"),
    (gettext_noop("Total (Rp)"), "total", "money"),
    (gettext_noop("Delivery"), "delivery_method", "delivery"),
    (gettext_noop("Payment method"), "payment_method", "method"),
    (gettext_noop("Courier"), "parcel", "courier"),
    (gettext_noop("Tracking number (resi)"), "parcel", "tracking"),
)


def order_header() -> list[str]:
    return [_(header) for header, _key, _kind in ORDER_TABLE]


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
    """``lines``: an order's lines (``quantity``, ``name``, ``variant``), in their order."""
    return "; ".join(
        f"{x['quantity']}x {x['name']}" + (f" ({x['variant']})" if x["variant"] else "")
        for x in lines
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
LINE_FIELDS = ("quantity", "name", "variant", "total")


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
        cells = OrderCells()
        columns = Columns(Order, ORDER_FIELDS, shop=shop)
        names = Columns(Customer, ("pk", "name"), shop=shop)
        marked = orders.annotate(export_paid=paid_case())
        found = iter(marked.values_list(*columns.read).iterator(chunk_size=CHUNK))
        while chunk := list(islice(found, CHUNK)):
            chunk = columns.opened(chunk)
            ids = [row[0] for row in chunk]
            wanted = set(ids)  # the range of ``among`` can hold orders filtered out
            lines: dict[int, list[dict]] = {}
            for order_id, *line in (
                OrderLine.objects.filter(among("order_id", ids), shop=shop)
                .order_by("order_id", "position", "pk")
                .values_list("order_id", *LINE_FIELDS)
            ):
                if order_id in wanted:
                    lines.setdefault(order_id, []).append(dict(zip(LINE_FIELDS, line, strict=True)))
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
            for values in chunk:
                order = dict(zip(ORDER_FIELDS, values, strict=True))
                pk, customer_id = order["pk"], order["customer_id"]
                order["paid"] = order["export_paid"]
                order["customer"] = (
                    (customers.get(customer_id) or "") if customer_id is not None else ""
                )
                order["lines"] = lines.get(pk, ())
                order["parcel"] = parcels.get(pk)
                yield cells.typed_row(order)


class OrderCells:
    """The rows of ``ORDER_TABLE``, in the language active when it is made.

    An order is a mapping of the table's keys: the order's fields, ``paid`` (bool),
    ``customer`` (the customer's name, "" for none), ``lines`` (each a mapping of
    ``quantity``, ``name``, ``variant``, ``total``) and ``parcel`` ((courier, tracking
    number) or None)."""

    def __init__(self):
        yes, no = _("yes"), _("no")
        couriers = _labels(Courier.choices)

        def labelled(choices, *, blank: bool):
            table = _labels(choices)
            if blank:
                return lambda value: table.get(value, value) if value else ""
            return lambda value: table.get(value, value)

        def as_is(value):
            return value

        # kind -> the typed cell of the order's value
        self.makers = {
            "text": as_is,
            "blank": lambda value: value or "",
            "channel": labelled(Channel.choices, blank=False),
            "status": labelled(Status.choices, blank=False),
            "delivery": labelled(DeliveryMethod.choices, blank=True),
            "method": labelled(PaymentMethod.choices, blank=True),
            "yes_no": lambda paid: yes if paid else no,
            "time": as_is,
            "money": as_is,
            "products": _products,
            "lines_total": lambda lines: sum((x["total"] for x in lines), 0),
            "courier": lambda p: couriers.get(p[0], p[0]) if p is not None else "",
            "tracking": lambda p: p[1] if p is not None else "",
        }
        self._typed = [(key, self.makers[kind]) for _header, key, kind in ORDER_TABLE]

    def typed_row(self, order) -> list:
        """The row of an order read from the database (times as datetimes, money as
        Decimals): typed values for ``merdeka.core.sheets``."""
        return [make(order[key]) for key, make in self._typed]

    def csv_rows(self, orders: list[dict], beside: dict[str, list], *, tz) -> list[tuple]:
        """orders.csv's rows of orders as orders.jsonl has them (times in ISO 8601,
        money as text), made a column at a time: the bytes ``sheets.CsvRows`` writes of
        ``typed_row``'s cells, without a cell's type looked at per value. ``beside``:
        the columns an orders.jsonl row does not hold (``paid``, ``customer``,
        ``parcel``), a value per order."""
        columns = []
        for _header, key, kind in ORDER_TABLE:
            values = beside[key] if key in beside else [order[key] for order in orders]
            if kind == "time":
                columns.append(sheets.csv_times(values, tz))
            elif kind == "money":
                columns.append(sheets.csv_amounts(values))
            elif kind == "lines_total":
                totals = [sum((Decimal(x["total"]) for x in lines), 0) for lines in values]
                columns.append(sheets.csv_numbers(totals))
            else:
                make = self.makers[kind]
                texts = values if kind == "text" else [make(value) for value in values]
                columns.append(sheets.csv_texts(texts))
        return list(zip(*columns, strict=True))


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

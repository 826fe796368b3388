"""Everything about a shop's customers and orders, in open formats: the seller can leave.

``export_shop`` writes JSON Lines (the complete, lossless form, with stable English keys,
which ``merdeka import`` reads back into a fresh shop), plus CSV and XLSX for people and
spreadsheets, in Bahasa Indonesia (headers, channels, statuses). The cells of those are
written by ``merdeka.core.sheets`` (typed XLSX cells, formula-safe CSV text, times in
the shop's zone); the orders' table is the order book's export (``merdeka.orders.export``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from merdeka.books.portable import books_export
from merdeka.core import sheets
from merdeka.core.scoping import shop_scope
from merdeka.core.sheets import FORMULA_TRIGGERS, formula_safe, formula_unescape
from merdeka.customers.models import Customer, Identity
from merdeka.orders import export as order_export
from merdeka.orders.models import Order, OrderLine, Payment
from merdeka.privacy.audit import audit_record
from merdeka.receipts.portable import purchasing_export

__all__ = ["FORMULA_TRIGGERS", "export_shop", "formula_safe", "formula_unescape"]

FORMAT = "merdeka-export"
VERSION = 1
PEOPLE_LANGUAGE = "id"  # the CSV and XLSX are for people: in Bahasa Indonesia

CUSTOMER_COLUMNS = ["id", "name", "phone", "email", "address", "city", "province", "created_at"]
ORDER_COLUMNS = [
    "channel",
    "external_id",
    "customer_id",
    "status",
    "status_raw",
    "ordered_at",
    "paid_at",
    "total",
    "shipping_fee",
    "discount",
    "buyer_username",
    "recipient_name",
    "recipient_phone",
    "street",
    "village",
    "district",
    "city",
    "province",
    "postal_code",
    "delivery_method",
    "payment_method",
    "subtotal",
    "note",
]
LINE_COLUMNS = ["sku", "name", "variant", "quantity", "unit_price", "total"]


def _plain(value):
    if value is None:
        return None
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


@dataclass
class ExportReport:
    directory: Path
    customers: int
    orders: int
    journal_entries: int = 0


def _customer_rows(shop):
    customers = Customer.objects.filter(shop=shop, merged_into__isnull=True).order_by("pk")
    identities: dict[int, list[dict]] = {}
    for identity in Identity.objects.filter(shop=shop).order_by("pk"):
        identities.setdefault(identity.customer_id, []).append(
            {
                "kind": identity.kind,
                "channel": identity.channel,
                "value": identity.value,
                "source": identity.source,
                "first_seen_at": _plain(identity.first_seen_at),
                "last_seen_at": _plain(identity.last_seen_at),
            }
        )
    for customer in customers.iterator(chunk_size=2000):
        row = {column: _plain(getattr(customer, column)) for column in CUSTOMER_COLUMNS}
        row["identities"] = identities.get(customer.pk, [])
        yield row


PAYMENT_COLUMNS = ["method", "amount", "reference", "recorded_at"]


def _order_rows(shop):
    payments: dict[int, list[dict]] = {}
    for payment in Payment.objects.filter(shop=shop).order_by("pk").iterator(chunk_size=2000):
        payments.setdefault(payment.order_id, []).append(
            {column: _plain(getattr(payment, column)) for column in PAYMENT_COLUMNS}
        )
    lines: dict[int, list[dict]] = {}
    for line in OrderLine.objects.filter(shop=shop).order_by("order_id", "position"):
        lines.setdefault(line.order_id, []).append(
            {column: _plain(getattr(line, column)) for column in LINE_COLUMNS}
        )
    for order in Order.objects.filter(shop=shop).order_by("pk").iterator(chunk_size=2000):
        row = {column: _plain(getattr(order, column)) for column in ORDER_COLUMNS}
        row["lines"] = lines.get(order.pk, [])
        # an order of the shop's own (not read from an export) stays one when restored
        row["imported"] = order.import_file_id is not None
        row["payments"] = payments.get(order.pk, [])
        yield row


def _customer_header() -> list[str]:
    return [
        "id",
        _("name"),
        _("phone"),
        _("email"),
        _("address"),
        _("city"),
        _("province"),
        _("added"),
    ]


def _customer_cells(rows):
    """The JSON rows as typed cells: the time a date again (in the shop's zone there)."""
    for row in rows:
        added = datetime.fromisoformat(row["created_at"]) if row["created_at"] else None
        yield [row["id"], *(row[c] for c in CUSTOMER_COLUMNS[1:-1]), added]


def _people_files(shop, out: Path, customers: list[dict]) -> None:
    """customers.csv, orders.csv and one workbook of customers, orders and their lines."""

    tz = shop.time_zone
    orders = Order.objects.filter(shop=shop).select_related("customer").order_by("pk")
    customer_table = sheets.Sheet(
        _("customers"), _customer_header(), list(_customer_cells(customers))
    )
    sheets.csv_write(out / "customers.csv", customer_table.header, customer_table.rows, tz=tz)
    sheets.csv_write(
        out / "orders.csv",
        order_export.order_header(),
        order_export.order_rows(shop=shop, orders=orders),
        tz=tz,
    )
    sheets.xlsx_write(
        out / "merdeka-export.xlsx",
        [customer_table, *order_export.order_sheets(shop=shop, orders=orders)],
        tz=tz,
    )


def export_shop(*, shop, out: Path, actor=None, request=None) -> ExportReport:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    counts = {"customers": 0, "orders": 0, "journal_entries": 0}
    with shop_scope(shop):
        customers = list(_customer_rows(shop))
        orders = list(_order_rows(shop))
    counts["customers"], counts["orders"] = len(customers), len(orders)

    def jsonl(name, rows) -> int:
        written = 0
        with open(out / name, "w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
                written += 1
        return written

    jsonl("customers.jsonl", customers)
    jsonl("orders.jsonl", orders)
    with shop_scope(shop):
        books, journal = books_export(shop=shop)
        (out / "books.json").write_text(json.dumps(books, ensure_ascii=False, indent=1))
        counts["journal_entries"] = jsonl("journal.jsonl", journal)
        # receipts with their photos, suppliers, purchase orders, prices (receipts/portable.py)
        purchasing = purchasing_export(shop=shop)
        (out / "purchasing.json").write_text(json.dumps(purchasing, ensure_ascii=False))

    with translation.override(PEOPLE_LANGUAGE), shop_scope(shop):
        _people_files(shop, out, customers)

    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "shop": {"name": shop.name, "slug": shop.slug, "time_zone": shop.time_zone},
        "exported_at": timezone.now().isoformat(),
        "counts": counts,
        "files": [
            "customers.jsonl",
            "orders.jsonl",
            "books.json",
            "journal.jsonl",
            "purchasing.json",
            "customers.csv",
            "orders.csv",
            "merdeka-export.xlsx",
        ],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    for path in out.iterdir():
        path.chmod(0o600)
    audit_record(
        action="export.created",
        shop=shop,
        actor=actor,
        request=request,
        detail={**counts, "scope": "shop"},
    )
    return ExportReport(directory=out, **counts)


def export_zip(*, shop, actor=None, request=None):
    """The whole-shop export as one zip in a temporary file (the web's download; the
    response closes it). ``merdeka import`` reads the zip as it is."""
    import tempfile
    import zipfile

    handle = tempfile.TemporaryFile(suffix=".zip")  # noqa: SIM115 - the response closes it
    with tempfile.TemporaryDirectory(prefix="merdeka-export-") as work:
        report = export_shop(shop=shop, out=Path(work), actor=actor, request=request)
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(report.directory.iterdir()):
                archive.write(path, path.name)
    handle.seek(0)
    return handle

"""Everything about a shop's customers and orders, in open formats: the seller can leave.

``export_shop`` writes JSON Lines (the complete, lossless form, which
``merdeka import`` reads back into a fresh shop), plus formula-safe CSV and XLSX for
people and spreadsheets. Spreadsheet cells that start with ``= + - @`` (or a tab or
carriage return) are prefixed with an apostrophe so that no spreadsheet runs them;
Merdeka's importers remove that apostrophe again.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.utils import timezone
from openpyxl import Workbook

from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Customer, Identity
from merdeka.orders.models import Order, OrderLine
from merdeka.privacy.audit import audit_record

FORMAT = "merdeka-export"
VERSION = 1
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

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
]
LINE_COLUMNS = ["sku", "name", "variant", "quantity", "unit_price", "total"]


def formula_safe(value):
    """Text that a spreadsheet will show, never evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def formula_unescape(value: str) -> str:
    if value.startswith("'") and value[1:2] and value[1:].startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value


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


def _order_rows(shop):
    lines: dict[int, list[dict]] = {}
    for line in OrderLine.objects.filter(shop=shop).order_by("order_id", "position"):
        lines.setdefault(line.order_id, []).append(
            {column: _plain(getattr(line, column)) for column in LINE_COLUMNS}
        )
    for order in Order.objects.filter(shop=shop).order_by("pk").iterator(chunk_size=2000):
        row = {column: _plain(getattr(order, column)) for column in ORDER_COLUMNS}
        row["lines"] = lines.get(order.pk, [])
        yield row


def export_shop(*, shop, out: Path, actor=None, request=None) -> ExportReport:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    counts = {"customers": 0, "orders": 0}
    with shop_scope(shop):
        customers = list(_customer_rows(shop))
        orders = list(_order_rows(shop))
    counts["customers"], counts["orders"] = len(customers), len(orders)

    def jsonl(name, rows):
        with open(out / name, "w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")

    jsonl("customers.jsonl", customers)
    jsonl("orders.jsonl", orders)

    tables = {
        "customers": (CUSTOMER_COLUMNS, customers),
        "orders": ([*ORDER_COLUMNS, "lines"], orders),
    }
    workbook = Workbook(write_only=True)
    for name, (columns, rows) in tables.items():
        sheet = workbook.create_sheet(name)
        sheet.append(columns)
        with open(out / f"{name}.csv", "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            for row in rows:
                cells = []
                for column in columns:
                    value = row.get(column)
                    if column == "lines":
                        value = "; ".join(
                            f"{line['quantity']}x {line['name']}"
                            + (f" ({line['variant']})" if line["variant"] else "")
                            for line in value
                        )
                    cells.append(formula_safe(value))
                writer.writerow(cells)
                sheet.append(cells)
    workbook.save(out / "merdeka-export.xlsx")

    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "shop": {"name": shop.name, "slug": shop.slug, "time_zone": shop.time_zone},
        "exported_at": timezone.now().isoformat(),
        "counts": counts,
        "files": [
            "customers.jsonl",
            "orders.jsonl",
            "customers.csv",
            "orders.csv",
            "merdeka-export.xlsx",
        ],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    for path in out.iterdir():
        path.chmod(0o600)
    audit_record(action="export.created", shop=shop, actor=actor, request=request, detail=counts)
    return ExportReport(directory=out, **counts)

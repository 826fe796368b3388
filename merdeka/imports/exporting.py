"""Everything about a shop's customers and orders, in open formats: the seller can leave.

``export_shop`` writes JSON Lines (the complete, lossless form, with stable English keys,
which ``merdeka import`` reads back into a fresh shop), plus CSV and XLSX for people and
spreadsheets, in Bahasa Indonesia (headers, channels, statuses). The cells of those are
written by ``merdeka.core.sheets`` (typed XLSX cells, formula-safe CSV text, times in
the shop's zone); the orders' table is the order book's export (``merdeka.orders.export``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from merdeka.books.models import JournalEntry, JournalLine
from merdeka.books.portable import books_export
from merdeka.core import bulk, sheets
from merdeka.core.portable import Columns, among
from merdeka.core.scoping import shop_scope
from merdeka.core.sheets import FORMULA_TRIGGERS, formula_safe, formula_unescape
from merdeka.customers.models import Customer, CustomerNote, CustomerTag, Identity
from merdeka.customers.portable import extras_of, segments_export
from merdeka.imports.export_beside import Beside, usable
from merdeka.imports.parts import FILES as PART_FILES
from merdeka.imports.parts import parts_export
from merdeka.orders import export as order_export
from merdeka.orders.models import Order, OrderLine, Payment, Shipment
from merdeka.privacy.audit import audit_record
from merdeka.privacy.models import ConsentEvent
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


@dataclass
class ExportReport:
    directory: Path
    customers: int
    orders: int
    journal_entries: int = 0
    segments: int = 0
    # the rest of the shop (merdeka.imports.parts): rows per part
    parts: dict = field(default_factory=dict)
    # seconds per part: "json" (customers, orders, books), "csv", "xlsx"
    timings: dict = field(default_factory=dict)
    # the same parts' CPU seconds (this process): what a busy machine does not inflate
    cpu: dict = field(default_factory=dict)


CHUNK = 2000
# The second process's share of the orders (``orders_split``): what a customer and a
# journal entry cost it against an order (CPU, measured on the 20k and 200k builds:
# bench/RESULTS.md), and the least share worth a split.
CUSTOMER_COST, ENTRY_COST = 0.7, 0.35
SPLIT_LEAST = 5000
# its share's files, appended to orders.jsonl and orders.csv once it has finished
TAIL = ("orders-tail.jsonl", "orders-tail.csv")
# the tables read a batch at a time by a range of ids
BATCHED = (
    Order,
    OrderLine,
    Payment,
    Shipment,
    Customer,
    Identity,
    CustomerTag,
    CustomerNote,
    ConsentEvent,
    JournalEntry,
    JournalLine,
)
# a row of JSON Lines: ``json.dumps(row, ensure_ascii=False)``, its encoder made once
_to_json = json.JSONEncoder(ensure_ascii=False).encode
PAYMENT_COLUMNS = ["method", "amount", "reference", "recorded_at"]
# Called as rows are written: (what, how many more, how many in all).
Progress = Callable[[str, int, int], None]
# the "csv" part's steps: customers.csv, orders.csv (each told when written, in the pass
# that writes its JSON Lines), then the workbook
SPREADSHEETS = 3


IDENTITY_COLUMNS = ["kind", "channel", "value", "source", "first_seen_at", "last_seen_at"]


def _customer_batches(shop) -> Iterator[list[dict]]:
    """Each customer with her identities, read a batch at a time as tuples, sealed
    columns opened with the shop's key looked up once: memory stays flat whatever the
    shop's size, and no model instance is made per row."""
    customers = Columns(Customer, ["pk", *CUSTOMER_COLUMNS[1:]], shop=shop, plain=True)
    identity = Columns(Identity, ["customer_id", *IDENTITY_COLUMNS], shop=shop, plain=True)
    for batch in customers.batches(Customer.objects.filter(shop=shop, merged_into__isnull=True)):
        ids = [row[0] for row in batch]
        wanted = set(ids)
        identities: dict[int, list[dict]] = {}
        for customer_id, *values in identity.rows(
            Identity.objects.filter(among("customer_id", ids), shop=shop).order_by("pk")
        ):
            if customer_id in wanted:
                identities.setdefault(customer_id, []).append(
                    dict(zip(IDENTITY_COLUMNS, values, strict=True))
                )
        extras = extras_of(shop=shop, customer_ids=ids)
        rows = []
        for values in batch:
            row = dict(zip(CUSTOMER_COLUMNS, values, strict=True))
            row["identities"] = identities.get(values[0], [])
            row.update(extras[values[0]])  # tags, notes, the consent ledger
            rows.append(row)
        yield rows


def _customer_rows(shop) -> Iterator[dict]:
    for batch in _customer_batches(shop):
        yield from batch


@dataclass
class OrderBatch:
    """A batch of orders: their orders.jsonl rows, and what orders.csv holds beside
    them (``order_export.OrderCells.csv_rows``), a value per order."""

    rows: list[dict]
    beside: dict[str, list]


def _order_batches(shop, within: Q | None = None) -> Iterator[OrderBatch]:
    """Each order (of those ``within``, a range of ids) with its lines and payments (its
    orders.jsonl row), and orders.csv's values beside it, a batch of orders at a time,
    read as tuples (``Columns``): the orders are read and opened once for both files."""
    orders = Columns(
        Order, ["pk", *ORDER_COLUMNS, "import_file_id", "export_paid"], shop=shop, plain=True
    )
    payment = Columns(Payment, ["order_id", *PAYMENT_COLUMNS], shop=shop, plain=True)
    line = Columns(OrderLine, ["order_id", *LINE_COLUMNS], shop=shop, plain=True)
    parcel = Columns(Shipment, ["order_id", "courier", "tracking_number"], shop=shop, plain=True)
    names = Columns(Customer, ["pk", "name"], shop=shop, plain=True)
    marked = Order.objects.filter(within or Q(), shop=shop).annotate(
        export_paid=order_export.paid_case()
    )
    for batch in orders.batches(marked):
        # every order of the shop in the batch's range of ids is in the batch: a
        # range of ids (``among``) reads only theirs
        ids = [row[0] for row in batch]
        payments: dict[int, list[dict]] = {}
        for order_id, *values in payment.rows(
            Payment.objects.filter(among("order_id", ids), shop=shop).order_by("pk")
        ):
            payments.setdefault(order_id, []).append(
                dict(zip(PAYMENT_COLUMNS, values, strict=True))
            )
        lines: dict[int, list[dict]] = {}
        for order_id, *values in line.rows(
            OrderLine.objects.filter(among("order_id", ids), shop=shop).order_by(
                "order_id", "position", "pk"
            )
        ):
            lines.setdefault(order_id, []).append(dict(zip(LINE_COLUMNS, values, strict=True)))
        parcels = {
            order_id: (courier, number)
            for order_id, courier, number in parcel.rows(
                Shipment.objects.filter(among("order_id", ids), shop=shop).order_by("-pk")
            )
        }  # one per order; the first read (the newest), should there be two
        # the batch's customers by a subquery: an ``__in`` of up to 2,000 ids costs
        # Django more than the query (each value normalised)
        of_batch = Order.objects.filter(among("pk", ids), shop=shop).values("customer_id")
        customers = dict(names.rows(Customer.objects.filter(shop=shop, pk__in=of_batch)))
        rows, paid = [], []
        for pk, *values, import_file_id, export_paid in batch:
            row = dict(zip(ORDER_COLUMNS, values, strict=True))
            row["lines"] = lines.get(pk, [])
            # an order of the shop's own (not read from an export) stays one when restored
            row["imported"] = import_file_id is not None
            row["payments"] = payments.get(pk, [])
            rows.append(row)
            paid.append(export_paid)
        beside = {
            "paid": paid,
            "customer": [
                (customers.get(row[3]) or "") if row[3] is not None else "" for row in batch
            ],
            "parcel": [parcels.get(row[0]) for row in batch],
        }
        yield OrderBatch(rows, beside)


def _order_rows(shop) -> Iterator[dict]:
    """Each order's orders.jsonl row."""
    for batch in _order_batches(shop):
        yield from batch.rows


def _jsonl_read(path: Path) -> Iterator[dict]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


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


class _Clock:
    """Each part's wall and CPU seconds, one lap after the other."""

    def __init__(self):
        self.timings: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._started = (time.perf_counter(), time.process_time())

    def lap(self, part: str) -> None:
        now = (time.perf_counter(), time.process_time())
        self.timings[part] = now[0] - self._started[0]
        self.cpu[part] = now[1] - self._started[1]
        self._started = now


def _people_files(shop, out: Path, progress: Progress, clock: _Clock) -> None:
    """One workbook of customers, orders and their lines, written as it is read (the
    customers from customers.jsonl, decrypted once)."""

    tz = shop.time_zone
    orders = Order.objects.filter(shop=shop).select_related("customer").order_by("pk")
    header = _customer_header()
    # customers.csv and orders.csv are written already, each told as one of the
    # ``SPREADSHEETS`` when it was done (``people_beside``; ``export_shop`` once the
    # second process's tail is appended): the workbook is the last
    clock.lap("csv")
    customer_table = sheets.Sheet(
        _("customers"), header, _customer_cells(_jsonl_read(out / "customers.jsonl"))
    )
    sheets.xlsx_write(
        out / "merdeka-export.xlsx",
        [customer_table, *order_export.order_sheets(shop=shop, orders=orders)],
        tz=tz,
    )
    clock.lap("xlsx")
    progress("csv", 1, SPREADSHEETS)


def _orders_written(
    shop, out: Path, progress: Progress, total: int, *, within: Q | None = None, tail=False
) -> int:
    """orders.jsonl and orders.csv in one pass over the orders (the CSV in Bahasa
    Indonesia, as the other files for people): those ``within`` a range of ids. The
    ``tail`` (``TAIL``, the second process's share): their end, the CSV without its
    header."""
    written = 0
    with translation.override(PEOPLE_LANGUAGE):
        header, cells = order_export.order_header(), order_export.OrderCells()
    tz = shop.time_zone
    jsonl_name, csv_name = TAIL if tail else ("orders.jsonl", "orders.csv")
    with (
        open(out / jsonl_name, "w", encoding="utf-8") as jsonl,
        open(out / csv_name, "w", encoding="utf-8", newline="") as table,
    ):
        csv_rows = sheets.CsvRows(table, None if tail else header, tz=tz)
        for batch in _order_batches(shop, within):
            jsonl.write("".join([_to_json(row) + "\n" for row in batch.rows]))
            csv_rows.add_cells(cells.csv_rows(batch.rows, batch.beside, tz=tz))
            written += len(batch.rows)
            progress("orders", len(batch.rows), total)
    return written


def orders_split(shop, total: int) -> int | None:
    """The id of the first order the second process writes (the last orders, so that
    both processes end together, by what each row costs: ``CUSTOMER_COST``,
    ``ENTRY_COST``), or None for none."""
    people = CUSTOMER_COST * Customer.objects.filter(shop=shop, merged_into__isnull=True).count()
    people += ENTRY_COST * JournalEntry.objects.filter(shop=shop).count()
    share = int((total - people) / 2)
    if share < SPLIT_LEAST:
        return None
    first = Order.objects.filter(shop=shop).order_by("pk").values_list("pk", flat=True)
    found = list(first[total - share : total - share + 1])
    return found[0] if found else None


def _jsonl_writer(out: Path, progress: Progress):
    """``write(name, rows, what, total)``: rows into ``out / name`` as JSON Lines, each
    batch told to ``progress`` as ``what`` (nothing for "")."""

    def jsonl(name, rows, what: str, total: int) -> int:
        written = 0
        with open(out / name, "w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(_to_json(row) + "\n")
                written += 1
                if what and written % CHUNK == 0:
                    progress(what, CHUNK, total)
        if what:
            progress(what, written % CHUNK, total)
        return written

    return jsonl


def _customers_written(shop, out: Path, progress: Progress, total: int) -> int:
    """customers.jsonl and customers.csv in one pass over the customers, the CSV made a
    column at a time: the cells of ``_customer_cells``."""
    with translation.override(PEOPLE_LANGUAGE):
        header = _customer_header()
    tz = shop.time_zone
    written = 0
    with (
        open(out / "customers.jsonl", "w", encoding="utf-8") as jsonl,
        open(out / "customers.csv", "w", encoding="utf-8", newline="") as table,
    ):
        csv_rows = sheets.CsvRows(table, header, tz=tz)
        for rows in _customer_batches(shop):
            jsonl.write("".join([_to_json(row) + "\n" for row in rows]))
            columns = [
                [row["id"] for row in rows],
                *(sheets.csv_texts([row[c] for row in rows]) for c in CUSTOMER_COLUMNS[1:-1]),
                sheets.csv_times([row["created_at"] for row in rows], tz),
            ]
            csv_rows.add_cells(zip(*columns, strict=True))
            written += len(rows)
            progress("customers", len(rows), total)
    return written


def people_beside(
    *, shop, out: Path, progress: Progress | None = None, orders: tuple[int, int] | None = None
) -> dict[str, int]:
    """customers.jsonl, customers.csv and journal.jsonl into ``out``: the part of the
    export a second process writes (merdeka.imports.export_beside); and with ``orders``
    (the first id of its share, how many orders in all: ``orders_split``) the last
    orders (``TAIL``). How many customers, journal entries and orders."""
    progress = progress or _quiet
    jsonl = _jsonl_writer(out, progress)
    with shop_scope(shop):
        total = Customer.objects.filter(shop=shop, merged_into__isnull=True).count()
        customers = _customers_written(shop, out, progress, total)
        progress("csv", 1, SPREADSHEETS)  # customers.csv
        _books, journal = books_export(shop=shop)
        total = JournalEntry.objects.filter(shop=shop).count()
        entries = jsonl("journal.jsonl", journal, "journal", total)
        tail = 0
        if orders is not None:
            first, total = orders
            tail = _orders_written(shop, out, progress, total, within=Q(pk__gte=first), tail=True)
    return {"customers": customers, "journal_entries": entries, "orders": tail}


def _quiet(what: str, step: int, total: int) -> None:
    return None


def export_shop(
    *, shop, out: Path, actor=None, request=None, progress: Progress | None = None
) -> ExportReport:
    """Write the shop's export into ``out`` as it reads the database: every table a batch
    at a time, so memory stays flat whatever the shop's size (bench/bench_export.py).
    ``progress`` hears of each batch written: ("customers" | "orders" | "journal" |
    "catalog" | "shop" | "csv", how many more, how many in all)."""
    progress = progress or _quiet
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    counts = {"customers": 0, "segments": 0, "orders": 0, "journal_entries": 0}
    clock = _Clock()
    # the customers and the journal in a second process where it sees this one's rows
    # (merdeka.imports.export_beside), else here first
    beside, split = None, None
    # a batch's lines, payments, identities... are read by a range of their parent's
    # ids: without statistics SQLite reads them through the shop's index instead, every
    # row of the shop per batch (bulk.analyze)
    bulk.statistics_known(*BATCHED)
    with shop_scope(shop):
        total = Order.objects.filter(shop=shop).count()
        if usable(connection):
            # the second process also writes the last orders, if it would end first
            split = orders_split(shop, total)
            orders = (split, total) if split is not None else None
            beside = Beside.start(
                shop=shop, out=out, connection=connection, settings=settings, orders=orders
            )
    told = progress
    if beside is not None:
        progress = beside.relaying(told)  # its batches told as this one's are
    jsonl = _jsonl_writer(out, progress)
    try:
        with shop_scope(shop):
            if beside is None:
                counts.update(people_beside(shop=shop, out=out, progress=progress))
            segments = segments_export(shop=shop)
            counts["segments"] = jsonl("segments.jsonl", segments, "", 0)
            within = Q(pk__lt=split) if split is not None else None
            counts["orders"] = _orders_written(shop, out, progress, total, within=within)
            books, _journal = books_export(shop=shop)  # the journal: ``people_beside``
            (out / "books.json").write_text(json.dumps(books, ensure_ascii=False, indent=1))
            # receipts with their photos, suppliers, purchase orders, prices
            # (receipts/portable.py)
            purchasing = purchasing_export(shop=shop)
            (out / "purchasing.json").write_text(json.dumps(purchasing, ensure_ascii=False))
            # the catalog with its stock and photos, the storefront, pre-orders, group
            # buys, cards, campaigns and deliveries (merdeka.imports.parts)
            parts = parts_export(shop=shop, out=out, write=jsonl)
        if beside is not None:
            done = beside.finish(told)
            counts["customers"], counts["journal_entries"] = (
                done["customers"],
                done["journal_entries"],
            )
            counts["orders"] += done["orders"]
            clock.timings["beside"], clock.cpu["beside"] = done["wall"], done["cpu"]
        progress("csv", 1, SPREADSHEETS)  # orders.csv, its tail appended
    except BaseException:
        if beside is not None:
            beside.stop()
        raise

    clock.lap("json")
    with translation.override(PEOPLE_LANGUAGE), shop_scope(shop):
        _people_files(shop, out, progress, clock)

    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "shop": {"name": shop.name, "slug": shop.slug, "time_zone": shop.time_zone},
        "exported_at": timezone.now().isoformat(),
        "counts": {**counts, **parts},
        "files": [
            "customers.jsonl",
            "segments.jsonl",
            "orders.jsonl",
            "books.json",
            "journal.jsonl",
            "purchasing.json",
            *PART_FILES,
            "photos/",
            "customers.csv",
            "orders.csv",
            "merdeka-export.xlsx",
        ],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    for path in out.rglob("*"):
        path.chmod(0o700 if path.is_dir() else 0o600)
    audit_record(
        action="export.created",
        shop=shop,
        actor=actor,
        request=request,
        detail={**counts, **parts, "scope": "shop"},
    )
    return ExportReport(directory=out, timings=clock.timings, cpu=clock.cpu, parts=parts, **counts)

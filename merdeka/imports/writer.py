"""Writes parsed records into a shop: orders with their lines, customers, identities.

Called inside one transaction per file by the pipeline, so a file lands whole or not
at all. Re-importing the same orders adds nothing twice: orders are keyed by shop,
channel and the channel's order id, and what the export now says of a known order (its
status, payment date, total) is synced through the order lifecycle
(``lifecycle.orders_sync``), the one owner of an order's status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from merdeka.core import bulk
from merdeka.customers.resolution import (
    BuyerInput,
    Keys,
    Outcome,
    Resolver,
    email_claim,
    phone_claim,
    username_claim,
    wa_name_claim,
)
from merdeka.imports import records
from merdeka.imports.selectors import orders_by_external_id
from merdeka.orders import lifecycle, sales_days
from merdeka.orders.models import Order, OrderLine
from merdeka.privacy import crypto


@dataclass
class Counts:
    orders_new: int = 0
    orders_updated: int = 0
    orders_unchanged: int = 0
    lines_new: int = 0
    participants: int = 0
    contacts: int = 0
    settlements_new: int = 0  # rows of an income or settlement report
    settlements_known: int = 0


def _line_total(line: records.OrderLine) -> Decimal:
    return line.total if line.total is not None else line.unit_price * line.quantity


ORDER_BATCH = 20_000
_UPDATABLE = ("status", "status_raw", "paid_at", "total")


class PreparedUnderAnotherKey(Exception):
    """The orders were sealed ahead under a data key that is no longer the shop's active
    one (rotated meanwhile): they must be prepared again (``sources._write_orders``)."""


def write_orders(*, shop, orders, resolver: Resolver, import_file=None) -> Counts:
    """Write a file's orders in batches: new ones with their lines, changed statuses in place.

    ``orders`` is the file prepared (``prepare_orders``, in the read-ahead worker) or its
    parsed ``records.Order`` list, prepared here by the same function.

    Python's cycle collector is paused for a batch (``bulk.collector_paused``): a batch
    makes and holds tens of thousands of tuples, lists and dicts, and each of the
    collector's full passes walked them and the whole process for no cycle (~10 % of
    the writer's CPU, measured on the bench's 20k-line year)."""
    batch = orders_prepared(shop_id=shop.pk, orders=orders)
    if not batch.current(shop.pk):
        raise PreparedUnderAnotherKey(batch.key_version)
    counts = Counts()
    for start in range(0, len(batch.rows), ORDER_BATCH):
        with bulk.collector_paused():
            _write_order_batch(
                shop=shop,
                batch=batch,
                start=start,
                end=min(start + ORDER_BATCH, len(batch.rows)),
                resolver=resolver,
                import_file=import_file,
                counts=counts,
            )
    return counts


def _existing_orders(shop, rows) -> dict[tuple[str, str], tuple]:
    """The stored orders of these prepared rows: (channel, external id) -> (pk, the
    ``_UPDATABLE`` values as Python's)."""
    by_channel: dict[str, list[str]] = {}
    for row in rows:
        by_channel.setdefault(row[_CHANNEL], []).append(row[_EXTERNAL_ID])
    found = {}
    converters = [_from_db(Order._meta.get_field(f)) for f in _UPDATABLE]
    for channel, ids in by_channel.items():
        stored = orders_by_external_id(
            shop=shop, channel=channel, external_ids=ids, fields=_UPDATABLE
        )
        for external_id, pk, *values in stored:
            values = [convert(v) for convert, v in zip(converters, values, strict=True)]
            found[(channel, external_id)] = (pk, values)
    return found


def _from_db(field):
    """How the ORM turns a stored value of ``field`` into Python (raw SQL gives text
    for SQLite's datetimes and decimals)."""
    converters = connection.ops.get_db_converters(field.get_col(field.model._meta.db_table))
    converters += field.get_db_converters(connection)
    expression = field.get_col(field.model._meta.db_table)

    def convert(value):
        for converter in converters:
            value = converter(value, expression, connection)
        return value

    return convert


def _write_order_batch(
    *, shop, batch, start: int, end: int, resolver: Resolver, import_file, counts: Counts
) -> None:
    rows = batch.rows[start:end]
    existing = _existing_orders(shop, rows)
    updates, new = [], []
    as_python = _from_stored()
    for i, row in enumerate(rows, start):
        found = existing.get((row[_CHANNEL], row[_EXTERNAL_ID]))
        if found is None:
            new.append(i)
            continue
        pk, values = found
        changed = False
        merged = []
        for at, convert, current in zip(_UPDATABLE_AT, as_python, values, strict=True):
            value = row[at]
            if value is not None and (value := convert(value)) != current:
                changed = True
                merged.append(value)
            else:
                merged.append(current)
        if changed:
            status, status_raw, paid_at, total = merged
            # the marketplace keeps the status: the lifecycle syncs it, set-wise
            updates.append(
                lifecycle.SourceChange(
                    order_id=pk,
                    status=status,
                    status_raw=status_raw,
                    paid_at=paid_at,
                    total=total,
                    before=values[0],
                )
            )
            counts.orders_updated += 1
        else:
            counts.orders_unchanged += 1
    lifecycle.orders_sync(shop=shop, changes=updates, source="import")
    if not new:
        return

    buyers = batch.buyers
    customer_ids = resolver.resolve_many([buyers[i] for i in new])
    order_ids = bulk.reserve_ids(Order, len(new))
    shop_id = shop.pk  # a property: read once, not per row
    import_file_id = import_file.pk if import_file is not None else None
    # the rest of each row was made ahead as the backend stores it (prepare_orders)
    (stored_time,) = bulk.stored_as(Order, "created_at")
    now = stored_time(timezone.now())
    all_rows, lines, ends = batch.rows, batch.lines, batch.line_ends
    order_rows, line_rows = [], []
    for i, order_id, customer_id in zip(new, order_ids, customer_ids, strict=True):
        order_rows.append((order_id, customer_id, import_file_id, now, now, *all_rows[i]))
        for line in lines[ends[i - 1] if i else 0 : ends[i]]:
            line_rows.append((order_id, *line))
    # the days of what is written are marked once, set-wise, not by a trigger per row
    with sales_days.marked_set_wise(shop_id=shop_id):
        bulk.insert(Order, _ORDER_INSERT, order_rows, shop_id=shop_id, adapted=True)
        bulk.insert(
            OrderLine,
            _LINE_INSERT,
            line_rows,
            shop_id=shop_id,
            adapted=True,  # integers, text and decimals: what the drivers take
        )
    lifecycle.orders_imported(shop=shop, order_ids=order_ids)
    counts.orders_new += len(new)
    counts.lines_new += len(line_rows)


def order_buyer(p: records.Order) -> BuyerInput:
    """Who an order says its buyer is, for resolution."""
    return BuyerInput(
        claims=[
            username_claim(p.buyer.username, p.channel),
            phone_claim(p.buyer.phone),
            email_claim(p.buyer.email),
            phone_claim(p.address.phone),
        ],
        name=p.buyer.name or p.address.recipient,
        city=p.address.city or "",
        province=p.address.province or "",
        address=p.address.street,
        seen_at=p.ordered_at,
        phone_hint=p.buyer.phone_hint,
        name_hint=p.buyer.name_hint,
    )


def _seal_order(sealer: crypto.Sealer, p: records.Order, uid: str) -> tuple:
    """The order's encrypted column: its buyer's username, recipient's name, phone,
    street and city sealed together in ``personal``, bound to its row uid."""
    address = p.address
    return (
        _PERSONAL.sealed(
            sealer,
            row=bulk.dashed(uid),
            buyer_username=p.buyer.username,
            recipient_name=address.recipient,
            recipient_phone=address.phone,
            street=address.street,
            city=(address.city or "")[:80],
        ),
    )


_PERSONAL = Order._meta.get_field("personal")


class PreparedOrders:
    """A file's orders as the writer writes them (``prepare_orders``): plain rows of
    text, integers and None, made once, in the read-ahead worker when it can.

    Per order, in the file's order (an order the file holds twice only once: the first
    counts): ``rows[i]``, its row's columns but those only the writer knows
    (``_PREPARED``: its key, status, times and totals as the backend stores them, the
    sealed columns, the address); its lines' rows but the order id (``_LINE_PREPARED``),
    ``lines[line_ends[i - 1]:line_ends[i]]``; its buyer for resolution (``buyers[i]``,
    claims, blind indexes and match keys made). Sealed under data key ``key_version``
    of shop ``shop_id``, for a ``vendor`` backend. It crosses the pipe from the worker
    as lists of tuples: cheap to pickle and to load, and few objects for the cycle
    collector (the ``records.Order`` dataclasses were a state dict each)."""

    _FIELDS = ("shop_id", "key_version", "vendor", "rows", "lines", "line_ends", "buyers")
    __slots__ = _FIELDS

    def __init__(self, shop_id, key_version, vendor, rows, lines, line_ends, buyers):
        self.shop_id = shop_id
        self.key_version = key_version
        self.vendor = vendor
        self.rows: list[tuple] = rows
        self.lines: list[tuple] = lines
        self.line_ends: list[int] = line_ends
        self.buyers: list[BuyerInput] = buyers

    def __reduce__(self):
        return PreparedOrders, self._fields()

    def _fields(self) -> tuple:
        return tuple(getattr(self, name) for name in self._FIELDS)

    def __eq__(self, other) -> bool:
        return isinstance(other, PreparedOrders) and self._fields() == other._fields()

    __hash__ = None

    def __len__(self) -> int:
        return len(self.rows)

    def order_keys(self) -> list[tuple[str, str]]:
        """Each order's (channel, external id)."""
        return [(row[_CHANNEL], row[_EXTERNAL_ID]) for row in self.rows]

    def current(self, shop_id: int) -> bool:
        """Is it still right for this shop as it is now (the key it was sealed under
        still the active one, the same backend)?"""
        return (
            shop_id == self.shop_id
            and connection.vendor == self.vendor
            and crypto.active_data_key_version(shop_id) == self.key_version
        )


def orders_prepared(*, shop_id: int, orders) -> PreparedOrders:
    """``orders`` prepared: as they are when they are, else through ``prepare_orders``."""
    if isinstance(orders, PreparedOrders):
        return orders
    return prepare_orders(shop_id=shop_id, orders=orders)


def prepare_orders(*, shop_id: int, orders) -> PreparedOrders:
    """The work on a file's orders that needs no database state, as rows: each order's
    row uid and encrypted columns, its values and its lines' as the backend stores them,
    its buyer's claims, blind indexes and match keys. The read-ahead worker calls it
    on the next file (``sources.prepare``) when it opens the writer's database with the
    writer's keys, so that the single writer has less to do; otherwise the writer
    calls it (``write_orders``). The writer only adds the ids and the customer."""
    sealer = crypto.Sealer(shop_id=shop_id, label=Order._meta.label_lower)
    version = sealer.version
    keys = Keys(shop_id)
    city_index = Order._meta.get_field("city_index").indexer(shop_id)
    (stored_time,) = bulk.stored_as(Order, "ordered_at")
    money = _stored_money(connection.vendor)
    rows, lines, line_ends, buyers = [], [], [], []
    seen: set[tuple[str, str]] = set()
    for p in orders:
        key = (p.channel, p.external_id)
        if key in seen:
            continue  # the same order twice in one file: the first one counts
        seen.add(key)
        total = Decimal(0)
        for position, line in enumerate(p.lines):
            line_total = _line_total(line)
            total += line_total
            lines.append(
                (
                    shop_id,
                    position,
                    line.sku,
                    line.name,
                    line.variant,
                    line.quantity,
                    money(line.unit_price),
                    money(line_total),
                )
            )
        line_ends.append(len(lines))
        uid = bulk.new_uid()
        address = p.address
        rows.append(
            (
                shop_id,
                uid,
                version,
                p.channel,
                p.external_id,  # parsers refuse ids longer than the column
                p.status,
                p.status_raw[:120],
                stored_time(p.ordered_at),
                stored_time(p.paid_at),
                money(p.total if p.total is not None else total),
                money(p.shipping_fee),
                money(p.discount),
                *_seal_order(sealer, p, uid),
                city_index((address.city or "")[:80]),
                (address.village or "")[:80],
                (address.district or "")[:80],
                (address.province or "")[:80],
                (address.postal_code or "")[:10],
            )
        )
        buyers.append(keys.prepare(order_buyer(p)))
    return PreparedOrders(shop_id, version, connection.vendor, rows, lines, line_ends, buyers)


def _stored_money(vendor: str):
    """A ``Decimal`` as the driver stores it: SQLite's adapter (registered by Django)
    makes it its text, which is also smaller to send and load than the object;
    psycopg sends the ``Decimal`` as a number itself."""
    if vendor != "sqlite":
        return _as_it_is
    return _text_or_none


def _text_or_none(value):
    return None if value is None else str(value)


def _as_it_is(value):
    return value


def _from_stored():
    """Per ``_UPDATABLE`` value of a prepared row, how to make it Python's again (to
    compare with a stored order's, and to sync it): on SQLite the paid time is naive
    UTC text and the total text; psycopg's are the objects themselves."""
    if connection.vendor != "sqlite":
        return (_as_it_is,) * len(_UPDATABLE)
    return _as_it_is, _as_it_is, _sqlite_time, Decimal


def _sqlite_time(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


ORDER_COLUMNS = (
    "id",
    "shop",
    "uid",
    "key_version",
    "channel",
    "external_id",
    "customer",
    "status",
    "status_raw",
    "ordered_at",
    "paid_at",
    "total",
    "shipping_fee",
    "discount",
    "personal",
    "city_index",
    "village",
    "district",
    "province",
    "postal_code",
    "import_file",
    "created_at",
    "updated_at",
)


LINE_COLUMNS = (
    "shop",
    "order",
    "position",
    "sku",
    "name",
    "variant",
    "quantity",
    "unit_price",
    "total",
)


# A prepared row (``PreparedOrders.rows``) holds every column of ``ORDER_COLUMNS`` but
# those only the writer knows, in their order; the writer puts these first.
_WRITER_KNOWS = ("id", "customer", "import_file", "created_at", "updated_at")
_PREPARED = tuple(name for name in ORDER_COLUMNS if name not in _WRITER_KNOWS)
_ORDER_INSERT = _WRITER_KNOWS + _PREPARED
_CHANNEL, _EXTERNAL_ID = _PREPARED.index("channel"), _PREPARED.index("external_id")
_UPDATABLE_AT = tuple(_PREPARED.index(name) for name in _UPDATABLE)
_LINE_PREPARED = tuple(name for name in LINE_COLUMNS if name != "order")
_LINE_INSERT = ("order", *_LINE_PREPARED)


def write_contacts(*, contacts, resolver: Resolver) -> Counts:
    counts = Counts()
    with bulk.collector_paused():
        found = _resolve_contacts(contacts, resolver)
    counts.contacts = sum(1 for customer_id in found if customer_id is not None)
    return counts


def _resolve_contacts(contacts, resolver: Resolver) -> list[int | None]:
    return resolver.resolve_many(
        [
            BuyerInput(
                claims=[phone_claim(p) for p in contact.phones]
                + [email_claim(e) for e in contact.emails],
                name=contact.name,
            )
            for contact in contacts
        ]
    )


def write_participants(*, participants, resolver: Resolver) -> Counts:
    """WhatsApp chat participants: a shown number is a phone identity, else a chat name."""
    counts = Counts()
    with bulk.collector_paused():
        found = _resolve_participants(participants, resolver)
    counts.participants = sum(1 for customer_id in found if customer_id is not None)
    return counts


def _resolve_participants(participants, resolver: Resolver) -> list[int | None]:
    return resolver.resolve_many(
        [
            BuyerInput(
                claims=[phone_claim(person.phone)]
                if person.phone
                else [wa_name_claim(person.name)],
                name=None if person.phone else person.name,  # a shown number is not a name
                seen_at=person.last_at,
            )
            for person in participants
        ]
    )


__all__ = [
    "Counts",
    "Outcome",
    "prepare_orders",
    "write_contacts",
    "write_orders",
    "write_participants",
]

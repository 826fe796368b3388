"""Writes parsed records into a shop: orders with their lines, customers, identities.

Called inside one transaction per file by the pipeline, so a file lands whole or not
at all. Re-importing the same orders adds nothing twice: orders are keyed by shop,
channel and the channel's order id, and what the export now says of a known order (its
status, payment date, total) is synced through the order lifecycle
(``lifecycle.orders_sync``), the one owner of an order's status.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

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


def _order_total(parsed: records.Order) -> Decimal:
    if parsed.total is not None:
        return parsed.total
    return sum((_line_total(line) for line in parsed.lines), Decimal(0))


def write_orders(*, shop, orders, resolver: Resolver, import_file=None) -> Counts:
    """Write parsed orders in batches: new ones with their lines, changed statuses in place.

    Python's cycle collector is paused for a batch (``bulk.collector_paused``): a batch
    makes and holds tens of thousands of tuples, lists and dicts, and each of the
    collector's full passes walked them and the whole process for no cycle (~10 % of
    the writer's CPU, measured on the bench's 20k-line year)."""
    counts = Counts()
    orders = list(orders)
    for start in range(0, len(orders), ORDER_BATCH):
        with bulk.collector_paused():
            _write_order_batch(
                shop=shop,
                batch=orders[start : start + ORDER_BATCH],
                resolver=resolver,
                import_file=import_file,
                counts=counts,
            )
    return counts


def _existing_orders(shop, batch) -> dict[tuple[str, str], tuple]:
    by_channel: dict[str, list[str]] = {}
    for parsed in batch:
        by_channel.setdefault(parsed.channel, []).append(parsed.external_id)
    found = {}
    converters = [_from_db(Order._meta.get_field(f)) for f in _UPDATABLE]
    for channel, ids in by_channel.items():
        rows = orders_by_external_id(
            shop=shop, channel=channel, external_ids=ids, fields=_UPDATABLE
        )
        for external_id, pk, *values in rows:
            values = [convert(v) for convert, v in zip(converters, values, strict=True)]
            found[(channel, external_id)] = (pk, values)
    return found


def _from_db(field):
    """How the ORM turns a stored value of ``field`` into Python (raw SQL gives text
    for SQLite's datetimes and decimals)."""
    from django.db import connection

    converters = connection.ops.get_db_converters(field.get_col(field.model._meta.db_table))
    converters += field.get_db_converters(connection)
    expression = field.get_col(field.model._meta.db_table)

    def convert(value):
        for converter in converters:
            value = converter(value, expression, connection)
        return value

    return convert


def _write_order_batch(*, shop, batch, resolver: Resolver, import_file, counts: Counts) -> None:
    existing = _existing_orders(shop, batch)
    now = timezone.now()
    updates, new = [], []
    seen: set[tuple[str, str]] = set()
    for parsed in batch:
        key = (parsed.channel, parsed.external_id)
        if key in seen:
            continue  # the same order twice in one file: the first one counts
        seen.add(key)
        if key not in existing:
            new.append(parsed)
            continue
        pk, values = existing[key]
        changed = False
        row = []
        for attr, current in zip(_UPDATABLE, values, strict=True):
            value = getattr(parsed, attr)
            if value is not None and value != current:
                changed = True
                row.append(value)
            else:
                row.append(current)
        if changed:
            status, status_raw, paid_at, total = row
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

    customer_ids = resolver.resolve_many(
        [p.prepared.buyer if p.prepared is not None else order_buyer(p) for p in new]
    )
    order_ids = bulk.reserve_ids(Order, len(new))
    shop_id = shop.pk  # a property: read once, not per row
    sealer = crypto.Sealer(shop_id=shop_id, label=Order._meta.label_lower)
    city_index = Order._meta.get_field("city_index").indexer(shop_id)
    import_file_id = import_file.pk if import_file is not None else None
    # the rows are made as the backend stores them (``bulk.stored_as``): times as
    # SQLite's text there, the batch's ``now`` once; uids are text already (new_uid)
    (stored_time,) = bulk.stored_as(Order, "ordered_at")
    stored_now = stored_time(now)
    order_rows, line_rows = [], []
    for order_id, customer_id, p in zip(order_ids, customer_ids, new, strict=True):
        ahead = p.prepared
        if ahead is not None and ahead.key_version == sealer.version:
            uid, sealed = ahead.uid, ahead.sealed
        else:  # not prepared, or the key was rotated since
            uid = bulk.new_uid()
            sealed = _seal_order(sealer, p, uid)
        address = p.address
        order_rows.append(
            (
                order_id,
                shop_id,
                uid,
                sealer.version,
                p.channel,
                p.external_id,  # parsers refuse ids longer than the column
                customer_id,
                p.status,
                p.status_raw[:120],
                stored_time(p.ordered_at),
                stored_time(p.paid_at),
                _order_total(p),
                p.shipping_fee,
                p.discount,
                *sealed,
                city_index((address.city or "")[:80]),
                (address.village or "")[:80],
                (address.district or "")[:80],
                (address.province or "")[:80],
                (address.postal_code or "")[:10],
                import_file_id,
                stored_now,
                stored_now,
            )
        )
        for position, line in enumerate(p.lines):
            line_rows.append(
                (
                    shop_id,
                    order_id,
                    position,
                    line.sku,
                    line.name,
                    line.variant,
                    line.quantity,
                    line.unit_price,
                    _line_total(line),
                )
            )
    # the days of what is written are marked once, set-wise, not by a trigger per row
    with sales_days.marked_set_wise(shop_id=shop_id):
        bulk.insert(Order, ORDER_COLUMNS, order_rows, shop_id=shop_id, adapted=True)
        bulk.insert(
            OrderLine,
            LINE_COLUMNS,
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


@dataclass
class Prepared:
    """What ``prepare_orders`` worked out for one order ahead of writing it."""

    key_version: int  # of the data key that sealed ``sealed``
    uid: str
    sealed: tuple
    buyer: BuyerInput  # with its blind indexes and match keys (Keys.prepare)


def prepare_orders(*, shop_id: int, orders: list[records.Order]) -> None:
    """Do ahead, away from the writer, the work on each order that needs no database
    state: its row uid and encrypted columns, its buyer's claims, blind indexes and
    match keys. The read-ahead worker calls it on the next file (pipeline.import_paths)
    so that the single writer has less to do; the writer uses what it finds
    (``Order.prepared``) and does the rest itself, as before."""
    sealer = crypto.Sealer(shop_id=shop_id, label=Order._meta.label_lower)
    keys = Keys(shop_id)
    for p in orders:
        uid = bulk.new_uid()
        p.prepared = Prepared(
            key_version=sealer.version,
            uid=uid,
            sealed=_seal_order(sealer, p, uid),
            buyer=keys.prepare(order_buyer(p)),
        )


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

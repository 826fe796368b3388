"""Orders post themselves, once, on the accrual basis SAK EMKM asks for.

For every order the books know what its postings should add up to now (``target``),
from its state alone:

* money received moves into where it sits: cash, the bank, an e-wallet (by how the
  buyer paid), or the marketplace's seller balance for a marketplace's order;
* before delivery, money received is a **customer deposit** (a paid pre-order or
  group buy is not revenue yet);
* on delivery (completed, or shipped if the shop chose so) the goods are **revenue**
  and the shipping charged is shipping income; what is not paid yet is a
  **receivable** ("belum lunas");
* a cancelled or returned order adds up to nothing: everything it posted is reversed
  (a paid one's money goes back out: it was paid back to the buyer; a returned one's
  cost of goods goes back into the stock, and goods that came back damaged leave the
  stock again as a loss, posted by the stock service's write-off).

``order_postings_sync`` compares that target with what the order's entries already add
up to and posts the difference as one adjusting entry (nothing when they agree). So a
change posts an adjusting entry and never edits a posted line, and running it again —
a retried event, a re-import, the backfill — posts nothing twice, in whatever order it
runs. It is an inline subscriber of the order lifecycle's events: the postings commit
with the change of the order; an import's events (``HISTORY``) are delivered through
the outbox after the file commits (``IMPORT_POSTINGS``).

Imported marketplace orders post gross from the order export into the marketplace's
balance when delivered; their fees and payouts come from the marketplaces' income
reports (not from order exports).

On delivery the goods' cost moves from the stock (inventory) to the cost of goods
sold: what the stock ledger says the goods that left for the order cost, at the moving
average cost when they left (``merdeka.catalog.costing``). Sales are posted gross and
the order's discounts and vouchers as a line of their own. Goods that left without a
known cost post no cost (``merdeka.books.costs.revenue_without_cost`` lists them).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import CharField, Count, Sum
from django.db.models.functions import Cast

from merdeka.books.chart import MARKETPLACES, accounts_by_key, marketplace_key
from merdeka.books.models import (
    BooksSettings,
    ImportedLineCost,
    JournalEntry,
    JournalLine,
    RevenueOn,
    Source,
)
from merdeka.books.posting import Posting, entries_write, lines_from_changes, local_date
from merdeka.books.profit import batch_goods
from merdeka.catalog.models import StockMove
from merdeka.catalog.selectors import order_goods_costs
from merdeka.core import bulk
from merdeka.core.events import outbox_deliver_now
from merdeka.core.models import Shop
from merdeka.core.scoping import shop_scope
from merdeka.orders.lifecycle import OWN_CHANNELS
from merdeka.orders.models import Order, OrderEvent, OrderLine, Payment, Status

# the lifecycle's events that can move an order's postings. Not among them: placing
# (an order is placed unpaid and undelivered), asking for payment or processing, and
# repricing (only unpaid, undelivered orders are repriced): none changes ``target``,
# and the order book's hot path (placing) stays free of the books' reads.
ORDER_EVENTS = (
    "order.paid",
    "order.shipped",
    "order.completed",
    "order.cancelled",
    "order.returned",
    "order.synced",
    "order.imported",
)
# where money received by each payment method sits
MONEY_ACCOUNT = {
    "cash": "cash",
    "cod": "cash",
    "transfer": "bank",
    "qris": "bank",
    "ewallet": "ewallet",
}
VOID = frozenset({Status.CANCELLED, Status.RETURNED})


def rupiah(value) -> int:
    """A Decimal amount of the orders' columns as whole rupiah."""
    if value is None:
        return 0
    kind = type(value)
    if kind is str:  # ``orders_read``'s text: "12500" (SQLite), "12500.00" (PostgreSQL)
        if value.isdigit():
            return int(value)
        whole = value[:-3] if value.endswith(".00") else value
        if whole.isdigit() or (whole[:1] == "-" and whole[1:].isdigit()):
            return int(whole)
    elif kind is Decimal and value == value.to_integral_value():
        return int(value)  # most amounts: no fraction to round
    return int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def revenue_on(shop) -> str:
    with shop_scope(shop):
        found = BooksSettings.objects.filter(shop=shop).values_list("revenue_on", flat=True)
        return found.first() or RevenueOn.COMPLETED


def delivered(status: str, rule: str) -> bool:
    if status == Status.COMPLETED:
        return True
    return rule == RevenueOn.SHIPPED and status == Status.SHIPPED


def target(order: dict, paid: dict[str, int], *, rule: str) -> dict[str, int]:
    """What the order's postings should add up to: account key -> signed amount
    (debit positive). ``paid`` is the money received by account key. (Plain dicts and
    no helper calls: the backfill runs it for every order of the shop.)"""
    status = order["status"]
    if status in VOID:
        return {}
    total = rupiah(order["total"])
    channel = order["channel"]
    is_delivered = status == Status.COMPLETED or (
        status == Status.SHIPPED and rule == RevenueOn.SHIPPED
    )
    if channel in OWN_CHANNELS and order["import_file_id"] is None:
        effect = dict(paid)
        got = sum(effect.values())
    elif channel in MARKETPLACES:
        # the marketplace holds the buyer's money until it releases it on completion
        if not is_delivered:
            return {}
        effect, got = {marketplace_key(channel): total}, total
    elif order["paid_at"] is not None:  # another channel's export: paid when it says it was
        effect, got = {"cash": total}, total
    else:
        effect, got = {}, 0
    get = effect.get
    if is_delivered:
        # sales are gross; the order's discounts and vouchers are a line of their own
        shipping = rupiah(order["shipping_fee"])
        discount = abs(rupiah(order.get("discount")))
        effect["sales"] = get("sales", 0) - (total - shipping + discount)
        effect["discounts"] = get("discounts", 0) + discount
        effect["shipping_income"] = get("shipping_income", 0) - shipping
        owed = "receivable" if total > got else "customer_deposits"
        effect[owed] = get(owed, 0) + total - got
        # what the goods that left cost, at the moving average when they left
        cost = order.get("cost_of_goods") or 0
        effect["cost_of_goods"] = get("cost_of_goods", 0) + cost
        effect["inventory"] = get("inventory", 0) - cost
    else:
        effect["customer_deposits"] = get("customer_deposits", 0) - got
    return {key: amount for key, amount in effect.items() if amount}


def moment(value) -> dt.datetime | None:
    """A time as ``orders_read(times_as_text=True)`` gives it (the database's text of
    the UTC time: naive on SQLite, ``+00`` on PostgreSQL), or a datetime as it is."""
    if not isinstance(value, str):
        return value
    found = dt.datetime.fromisoformat(value)
    return found if found.tzinfo is not None else found.replace(tzinfo=dt.UTC)


def deposit_possible(order: dict) -> bool:
    """Can the order hold money before delivery (a customer deposit)? Not a
    marketplace's: the marketplace holds the buyer's money until completion (its
    ``target`` before delivery is nothing, whatever it was paid)."""
    own = order["channel"] in OWN_CHANNELS and order["import_file_id"] is None
    return own or order["channel"] not in MARKETPLACES


ORDER_FIELDS = (
    "pk",
    "channel",
    "status",
    "total",
    "shipping_fee",
    "discount",
    "paid_at",
    "import_file_id",
)

# ``ORDER_FIELDS`` and ``ordered_at`` with the times and amounts as text (``orders_read``)
AS_TEXT = ("total", "shipping_fee", "discount", "paid_at", "ordered_at")
TEXT_FIELDS = (
    *(f"{name}_text" if name in AS_TEXT else name for name in ORDER_FIELDS),
    "ordered_at_text",
)


@dataclass
class OrderBooks:
    """What the books know of some orders, read set-wise: each order's row, the money
    received by account key, what its entries add up to per account and how many it
    has. ``postings_plan`` keeps the last two as if its postings were written."""

    orders: dict[int, dict] = field(default_factory=dict)
    paid: dict[int, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    posted: dict[int, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))
    counts: dict[int, int] = field(default_factory=dict)
    # what the goods that left cost (the stock ledger: order -> variant -> (units,
    # cost, units without a cost)) and the imported lines' costs (line -> (cost,
    # product id)): read once here, shared with the gross-profit days (``profit``)
    sent: dict[int, dict] = field(default_factory=dict)
    mapped: dict[int, tuple[int, int]] = field(default_factory=dict)


def orders_read(
    *, shop, order_ids=None, id_range: tuple[int, int] | None = None, times_as_text=False
) -> OrderBooks:
    """The orders' rows (``ORDER_FIELDS`` and ``ordered_at``), payments and postings, a
    few queries per chunk of ids whatever their number: of ``order_ids``, or of every
    order of the shop whose id is in ``id_range`` (both ends included; the backfill's
    batches, read without a list of ids to send). ``times_as_text``: ``paid_at`` and
    ``ordered_at`` as the database's text of the UTC time (``moment`` reads it), and
    the amounts as the text of the number (``rupiah`` reads it), for a caller that
    needs few of the times (the backfill: converting every value was a sixth of its
    work)."""
    books = OrderBooks()
    if id_range is not None:
        parts = [id_range]
    else:
        # An import's orders have ids reserved in runs: ids without a gap are read as
        # their range (the same rows), sparing the ORM an IN list of 900 ids per query.
        parts = bulk.id_parts(order_ids)
    with shop_scope(shop):
        for first, last in parts:

            def which(field, first=first, last=last):
                if first is None:
                    return {f"{field}__in": last}
                return {f"{field}__gte": first, f"{field}__lte": last}

            read = []
            found = Order.objects.filter(shop=shop, **which("pk"))
            if times_as_text:
                names = (*ORDER_FIELDS, "ordered_at")
                found = found.annotate(
                    **{f"{name}_text": Cast(name, CharField()) for name in AS_TEXT}
                ).values_list(*TEXT_FIELDS)
                rows = (dict(zip(names, row, strict=True)) for row in found)
            else:
                rows = found.values(*ORDER_FIELDS, "ordered_at")
            for row in rows:
                books.orders[row["pk"]] = row
                read.append(row["pk"])
            # what the goods that left for them cost (the stock ledger's moving average)
            goods = (
                order_goods_costs(shop=shop, order_ids=read)
                if first is None
                else order_goods_costs(shop=shop, id_range=(first, last))
            )
            for order_id, sent in goods.items():
                if order_id in books.orders:
                    books.orders[order_id]["cost_of_goods"] = sum(c for _u, c, _m in sent.values())
                    books.sent[order_id] = sent
            # imported lines mapped to a variant (merdeka.books.skus): what their units
            # left at (merdeka.catalog.imported)
            for line_id, order_id, cost, product_id in ImportedLineCost.objects.filter(
                shop=shop, cost__isnull=False, **which("order_id")
            ).values_list("line_id", "order_id", "cost", "variant__product_id"):
                row = books.orders.get(order_id)
                if row is not None:
                    row["cost_of_goods"] = row.get("cost_of_goods", 0) + cost
                    books.mapped[line_id] = (int(cost), product_id or 0)
            for order_id, method, amount in (
                Payment.objects.filter(shop=shop, **which("order_id"))
                .values("order_id", "method")
                .annotate(amount=Sum("amount"))
                .values_list("order_id", "method", "amount")
            ):
                key = MONEY_ACCOUNT.get(method, "cash")
                books.paid[order_id][key] = books.paid[order_id].get(key, 0) + rupiah(amount)
            for order_id, account_id, debit, credit in (
                JournalLine.objects.filter(shop=shop, **which("entry__order_id"))
                .values("entry__order_id", "account_id")
                .annotate(d=Sum("debit"), c=Sum("credit"))
                .values_list("entry__order_id", "account_id", "d", "c")
            ):
                books.posted[order_id][account_id] = debit - credit
            books.counts.update(
                JournalEntry.objects.filter(shop=shop, **which("order_id"))
                .values("order_id")
                .annotate(n=Count("id"))
                .values_list("order_id", "n")
            )
    return books


def postings_plan(
    *,
    shop,
    books: OrderBooks,
    order_ids,
    rule: str,
    on=None,
    status_as: dict | None = None,
    actors: dict[int, int] | None = None,
) -> list[Posting]:
    """For each order, the posting that brings what it has posted to its ``target``
    (none where they agree), on day ``on`` (a date, a mapping of order id to date, or
    None: the order's own day; a ``dict`` subclass may work a day out on first use,
    ``__missing__``, for the orders that post only). ``books`` moves as if the postings
    were written, so a second plan over it continues from the first. ``actors`` names,
    by order id, the user whose change of the order the posting follows (who posted
    it)."""
    orders, paid, posted, counts = books.orders, books.paid, books.posted, books.counts
    targets = []
    keys: set[str] = set()
    for order_id in order_ids:
        order = orders.get(order_id)
        if order is None:
            continue
        if status_as and order_id in status_as:
            order = {**order, "status": status_as[order_id]}
        wanted = target(order, paid.get(order_id) or _NOTHING, rule=rule)
        if wanted:
            keys.update(wanted)
        elif not posted.get(order_id):
            continue  # nothing posted, nothing to post
        targets.append((order_id, wanted))
    if not targets:
        return []
    account_of = accounts_by_key(shop=shop, keys=keys)
    postings = []
    by_order = isinstance(on, dict)
    zone = zoneinfo.ZoneInfo(shop.time_zone)  # the order's own day (``local_date``)
    source = Source.ORDER
    for order_id, wanted in targets:
        # the target by account (an account has one key: no two keys meet in one)
        now = {account_of[key]: amount for key, amount in wanted.items()}
        has = posted.get(order_id)
        if has:
            changes = dict(now)
            for account_id, amount in has.items():
                changes[account_id] = changes.get(account_id, 0) - amount
            lines = lines_from_changes(changes)
            if not lines:
                continue
        else:
            lines = lines_from_changes(now)
        if by_order:
            day = on[order_id]
        else:
            day = on or moment(orders[order_id]["ordered_at"]).astimezone(zone).date()
        seq = counts.get(order_id, 0) + 1
        postings.append(
            Posting(
                date=day,
                source=source,
                key=f"order:{order_id}:{seq}",
                lines=lines,
                order_id=order_id,
                actor=_Who(actors[order_id]) if actors and actors.get(order_id) else None,
            )
        )
        counts[order_id] = seq
        posted[order_id] = now  # what it adds up to once written: the target
    return postings


_NOTHING: dict[str, int] = {}  # no money received (read only)


@dataclass(frozen=True)
class _Who:
    """A user by id, as ``Posting.actor`` takes it (only its ``pk`` is written)."""

    pk: int


def order_postings_sync(
    *,
    shop,
    order_ids,
    on: dt.date | None = None,
    status_as: dict | None = None,
    actors: dict[int, int] | None = None,
) -> int:
    """Post, for each order, the difference between what it should add up to and what
    it has posted; returns how many entries were written. ``on`` is the day they post
    on (default: each order's day); ``status_as`` may give an order another status to
    post as (the backfill's first step: paid before it was delivered)."""
    ids = sorted(set(order_ids))
    if not ids:
        return 0
    if len(ids) > bulk.LOOKUP_CHUNK:  # an import's batch: the journal may be new
        # and the order lines too: without their statistics, SQLite read a chunk's lines
        # (``batch_goods``) through the index on the shop, every line of the shop for
        # each chunk of 900 orders (70 % of the gross-profit goods' time at 100k lines)
        bulk.statistics_known(
            JournalEntry, JournalLine, Payment, Order, OrderLine, ImportedLineCost, StockMove
        )
    with _as_batch() if len(ids) > bulk.LOOKUP_CHUNK else nullcontext():
        # the times and amounts as text: parsed only for the orders that post (Django's
        # converters made an aware datetime and a Decimal of every value, a third of
        # the read)
        books = orders_read(shop=shop, order_ids=ids, times_as_text=True)
        postings = postings_plan(
            shop=shop,
            books=books,
            order_ids=ids,
            rule=revenue_on(shop),
            on=on,
            status_as=status_as,
            actors=actors,
        )
        # the posting orders' goods for the gross-profit days, from what was just read
        # (their stock costs and imported lines' costs): only their lines are read again
        posted = {posting.order_id for posting in postings}
        goods = batch_goods(shop=shop, books=books, order_ids=ids, only=posted) if posted else None
        entries_write(shop=shop, postings=postings, goods=goods)
    return len(postings)


@contextmanager
def _as_batch() -> Iterator[None]:
    """An import's batch of postings (tens of thousands of orders): written as the
    backfill writes its batches, without the cycle collector (its passes walked the
    batch's rows, plans and postings to find no cycle) and, on SQLite, with the bulk
    page cache (the journal's indexes take the batch's days and accounts all over)."""
    with bulk.collector_paused(), bulk.tuned_for_bulk():
        yield


# what an export says happened to an order, not when it was imported: on its own day
HISTORY = frozenset({"order.imported", "order.synced"})
# An import's events post after the file's transaction (an outbox subscriber, see
# docs/decisions/import-deferred-steps.md): the file commits without its orders'
# postings, which were a quarter of its time. They post on the orders' own days
# whenever they are delivered, and ``target`` makes them exact in any order.
IMPORT_POSTINGS = "books.orders_imported"


def orders_changed(events) -> None:
    """Subscriber of the order lifecycle: the orders' postings follow, on the day of the
    change in the shop's time zone (an import's orders: on their own day). Inline for
    the seller's changes; an import's (``HISTORY``) arrive later through the outbox, so
    an inline change first delivers what still waits of them in its shop: the import's
    posting lands on the order's day before the change posts the rest on its own."""
    if any(event.kind not in HISTORY for event in events):
        for shop_id in {event.shop_id for event in events}:
            outbox_deliver_now(IMPORT_POSTINGS, shop_id=shop_id)
    by_shop: dict[tuple[int, dt.datetime | None], set[int]] = defaultdict(set)
    for event in events:
        ids = event.data.get("order_ids") or [event.data["order_id"]]
        by_shop[(event.shop_id, None if event.kind in HISTORY else event.at)].update(ids)
    shops: dict[int, Shop] = {}
    for (shop_id, at), ids in by_shop.items():
        shop = shops.setdefault(shop_id, Shop.objects.get(pk=shop_id))
        on = local_date(shop, at) if at is not None else None
        order_postings_sync(
            shop=shop, order_ids=ids, on=on, actors=_actors(shop, ids) if at else None
        )


def _actors(shop, order_ids) -> dict[int, int]:
    """Who made each order's latest change: its history's newest row, written by the
    lifecycle in the transaction of the change the posting follows."""
    with shop_scope(shop):
        rows = (
            OrderEvent.objects.filter(shop=shop, order_id__in=list(order_ids))
            .order_by("order_id", "-at", "-id")
            .values_list("order_id", "actor_id")
        )
        found: dict[int, int] = {}
        for order_id, actor_id in rows:
            found.setdefault(order_id, actor_id)
    return {order_id: actor for order_id, actor in found.items() if actor}

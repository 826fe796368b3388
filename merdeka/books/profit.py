"""Gross profit kept per day as entries post: ``ProfitDay`` rows per shop, day, channel
and product, so that the gross-profit page sums days, not journal lines.

``profit_days_add`` is called by the journal's one writer (``posting.entries_write``,
the live path and the backfill alike) with the entries it wrote, and by the restore
(``portable.books_restore``) with the entries it brought. Of every order's entry it
takes what moved on sales (gross), discounts and cost of goods, and shares it over the
order's lines:

* net sales (sales less discounts) and units in proportion to the lines' totals;
* the cost of goods in proportion to what each line's goods cost when they left (the
  stock ledger), or to the lines' totals when the ledger knows no cost;
* the part of a line's sales and units whose goods had no known cost (revenue without
  HPP), by its units sent without a cost.

Shares are whole rupiah that add up exactly to what the entry moved (largest
remainder), so the rows of a day and channel sum to the journal's own figures; a
reversal or an adjusting entry moves them back by the same rule. An order without
lines keeps its figures under no product.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import BigIntegerField, Sum
from django.db.models.functions import Cast

from merdeka.books.models import Account, ImportedLineCost, JournalLine, ProfitDay
from merdeka.catalog.selectors import order_goods_costs
from merdeka.core import bulk
from merdeka.core.scoping import shop_scope
from merdeka.orders.models import Order, OrderLine

PROFIT_KEYS = ("sales", "discounts", "cost_of_goods")
KEYS = ("date", "channel", "product_id", "name")
AMOUNTS = ("sales", "cost", "units", "units_without_cost", "sales_without_cost")


def shares(amount: int, weights: list[int]) -> list[int]:
    """``amount`` split in proportion to ``weights`` (≥ 0; all zero: evenly) in whole
    units that add up to it exactly: the largest remainders get the odd units."""
    if not weights:
        return []
    if not amount:
        return [0] * len(weights)
    whole = sum(weights)
    if whole <= 0:
        weights, whole = [1] * len(weights), len(weights)
    size = abs(amount)
    parts = [size * w // whole for w in weights]
    rest = size - sum(parts)
    if not rest:
        return [-p for p in parts] if amount < 0 else parts
    by_remainder = sorted(range(len(weights)), key=lambda i: -(size * weights[i] % whole))
    for i in by_remainder[:rest]:
        parts[i] += 1
    return [-p for p in parts] if amount < 0 else parts


def part_of(amount: int, part: int, whole: int) -> int:
    """``amount * part / whole`` rounded half away from zero, in integers."""
    if not whole or not part:
        return 0
    if part == whole:
        return amount
    found = (abs(amount) * part * 2 + whole) // (2 * whole)
    return found if amount >= 0 else -found


@dataclass
class OrderGoods:
    """What the profit rows need of an order: its channel, number and lines (product
    id or 0, name, quantity, total in rupiah, units sent without a cost, what its goods
    cost)."""

    channel: str = ""
    external_id: str = ""
    lines: list[tuple[int, str, int, int, int, int]] = field(default_factory=list)


LINE_VALUES = (
    "order_id",
    "product_variant_id",
    "product_variant__product_id",
    "name",
    "quantity",
    "rupiah",
    "pk",
)


class _Whole(Cast):
    """``CAST(… AS bigint)``, taken as the database gives it (an int on both backends):
    no converter called per row (reading a backfill batch's lines, it was one call per
    line)."""

    convert_value = staticmethod(Cast._convert_value_noop)


def orders_goods(*, shop, order_ids) -> dict[int, OrderGoods]:
    """The orders' channels and lines with what their goods cost, a few queries per
    chunk of ids (a dense set of ids, like a backfill's batch, is read as a range)."""
    ids = sorted(set(order_ids))
    found: dict[int, OrderGoods] = {}
    if not ids:
        return found
    if len(ids) > bulk.LOOKUP_CHUNK and ids[-1] - ids[0] < 2 * len(ids):
        parts = [(ids[0], ids[-1], frozenset(ids))]
    else:
        parts = [(None, part, None) for part in bulk.chunks(ids)]
    with shop_scope(shop):
        lines: dict[int, list] = defaultdict(list)
        for first, last, wanted in parts:
            if first is None:
                mine, which = {"pk__in": last}, {"order_id__in": last}
            else:
                mine = {"pk__gte": first, "pk__lte": last}
                which = {"order_id__gte": first, "order_id__lte": last}
            for pk, channel, external_id in Order.objects.filter(shop=shop, **mine).values_list(
                "pk", "channel", "external_id"
            ):
                if wanted is None or pk in wanted:
                    found[pk] = OrderGoods(channel=channel, external_id=external_id)
            for row in (
                OrderLine.objects.filter(shop=shop, **which)
                .order_by("order_id", "position", "pk")
                .annotate(rupiah=_Whole("total", BigIntegerField()))  # weights: no Decimal
                .values_list(*LINE_VALUES)
            ):
                if row[0] in found:
                    lines[row[0]].append(row)
        # imported lines mapped to a variant (merdeka.books.skus): their cost was posted
        # with the order's, though no stock moved for them
        mapped: dict[int, tuple[int, int]] = {}
        for part in bulk.chunks(list(lines)):
            for line_id, cost, product_id in ImportedLineCost.objects.filter(
                shop=shop, order_id__in=part, cost__isnull=False
            ).values_list("line_id", "cost", "variant__product_id"):
                mapped[line_id] = (int(cost), product_id or 0)
    # the stock ledger only for orders with goods from the catalog (an imported line
    # not mapped to a variant left no stock move)
    sold = [pk for pk, rows in lines.items() if any(row[1] for row in rows)]
    if not sold:
        goods = {}
    elif len(sold) > bulk.LOOKUP_CHUNK and sold[-1] - sold[0] < 2 * len(sold):
        goods = order_goods_costs(shop=shop, id_range=(sold[0], sold[-1]))
    else:
        goods = order_goods_costs(shop=shop, order_ids=sold)
    _lines_costed(found, lines, goods, mapped)
    return found


def _lines_costed(found: dict[int, OrderGoods], lines, goods, mapped) -> None:
    """Each order's lines with what their goods cost (the stock ledger's ``goods``,
    or an imported line's ``mapped`` cost), into ``found``."""
    for order_id, rows in lines.items():
        sent = goods.get(order_id, {})
        if len(rows) == 1:
            same_variant = {rows[0][1]: rows[0][4]}
        else:
            same_variant = defaultdict(int)
            for _o, variant_id, _p, _n, quantity, _t, _pk in rows:
                same_variant[variant_id] += quantity
        append = found[order_id].lines.append
        for _o, variant_id, product_id, name, quantity, total, line_id in rows:
            if variant_id:
                units, cost, missing = sent.get(variant_id, (0, 0, 0))
                costed = max(0, units - missing)
                uncosted = max(0, quantity - costed)
                mine = part_of(cost, quantity, same_variant[variant_id])
            else:
                uncosted, mine = quantity, 0
            if line_id in mapped:  # an imported line with a known cost: costed
                mine, product_id = mapped[line_id][0], mapped[line_id][1] or product_id
                uncosted = 0
            append(
                (product_id or 0, name[:300], quantity, max(0, int(total or 0)), uncosted,
                 max(0, mine))
            )  # fmt: skip


def batch_goods(
    *, shop, books, id_range: tuple[int, int] | None = None, order_ids=None, only=None
) -> dict[int, OrderGoods]:
    """``orders_goods`` of a batch of orders the caller has read already (``books`` from
    ``orders.orders_read``, with their channels, the stock ledger's costs and the
    imported lines' costs): only the lines are read, over ``id_range`` (the backfill's
    batch: one query) or ``order_ids`` (an import's batch, ``order_postings_sync``: ids
    without a gap as their range, ``bulk.id_parts``, as ``orders_read`` reads them).
    ``only``: the orders that posted (the others are left out)."""
    found = {
        pk: OrderGoods(channel=row["channel"])
        for pk, row in books.orders.items()
        if only is None or pk in only
    }
    if id_range is not None:
        parts = [{"order_id__gte": id_range[0], "order_id__lte": id_range[1]}]
    else:
        parts = [
            {"order_id__in": last}
            if first is None
            else {"order_id__gte": first, "order_id__lte": last}
            for first, last in bulk.id_parts(order_ids)
        ]
    lines: dict[int, list] = defaultdict(list)
    with shop_scope(shop):
        for which in parts:
            for row in (
                OrderLine.objects.filter(shop=shop, **which)
                .order_by("order_id", "position", "pk")
                .annotate(rupiah=_Whole("total", BigIntegerField()))
                .values_list(*LINE_VALUES)
            ):
                if row[0] in found:
                    lines[row[0]].append(row)
    _lines_costed(found, lines, books.sent, books.mapped)
    return found


def order_shares(order: OrderGoods, *, gross: int, net: int, cost: int) -> list[tuple]:
    """What an entry of ``order`` moved (gross sales, net sales, cost of goods), shared
    over its lines: ``(product id, name, [sales, cost, units, units without a cost,
    sales without a cost], line)`` per line."""
    lines = order.lines
    if not lines:
        return [((0, ""), [net, cost, 0, 0, net if not cost else 0], None)]
    if len(lines) == 1:  # most orders: no sharing to do
        line = lines[0]
        product_id, name, quantity, total, uncosted, _cost = line
        if total:
            units = part_of(quantity * gross, 1, total)
        else:
            units = quantity if gross > 0 else -quantity if gross < 0 else 0
        if not uncosted:
            return [((product_id, name), [net, cost, units, 0, 0], line)]
        without = [part_of(units, uncosted, quantity), part_of(net, uncosted, quantity)]
        return [((product_id, name), [net, cost, units, *without], line)]
    totals = [line[3] for line in lines]
    whole = sum(totals)
    sales = shares(net, totals)
    costs = shares(cost, [line[5] for line in lines] if any(line[5] for line in lines) else totals)
    found = []
    for line, line_sales, line_cost in zip(lines, sales, costs, strict=True):
        product_id, name, quantity, _total, uncosted, _cost = line
        if whole:
            units = part_of(quantity * gross, 1, whole)
        else:
            units = quantity if gross > 0 else -quantity if gross < 0 else 0
        found.append(
            (
                (product_id, name),
                [
                    line_sales,
                    line_cost,
                    units,
                    part_of(units, uncosted, quantity),
                    part_of(line_sales, uncosted, quantity),
                ],
                line,
            )
        )
    return found


def profit_accounts(shop) -> dict[int, str]:
    """The ids of the sales, discounts and cost of goods accounts (those that exist)."""
    with shop_scope(shop):
        return dict(Account.objects.filter(shop=shop, key__in=PROFIT_KEYS).values_list("pk", "key"))


def entry_moves(postings, accounts: dict[int, str]) -> list[tuple[dt.date, int, int, int, int]]:
    """``(date, order id, gross sales, net sales, cost)`` of each order's entry that
    moved any of them."""
    moves = []
    for posting in postings:
        if posting.order_id is None:
            continue
        moved = dict.fromkeys(PROFIT_KEYS, 0)
        for line in posting.lines:
            key = accounts.get(line.account_id)
            if key is not None:
                moved[key] += line.debit - line.credit
        if any(moved.values()):
            gross = -moved["sales"]
            moves.append(
                (
                    posting.date,
                    posting.order_id,
                    gross,
                    gross - moved["discounts"],
                    moved["cost_of_goods"],
                )
            )
    return moves


def profit_days_add(shop, postings, goods: dict[int, OrderGoods] | None = None) -> None:
    """Move the gross-profit days by what ``postings`` (written entries: ``date``,
    ``order_id`` and ``lines`` of ``account_id``, ``debit``, ``credit``, dates as
    written) moved; in the caller's transaction. ``goods``: the orders' goods when the
    caller has them (``batch_goods``), read here otherwise."""
    if not any(p.order_id is not None for p in postings):
        return
    accounts = profit_accounts(shop)
    moves = entry_moves(postings, accounts) if accounts else []
    if not moves:
        return
    wanted = {m[1] for m in moves}
    if goods is None or not wanted <= goods.keys():
        goods = orders_goods(shop=shop, order_ids=wanted)
    orders = goods
    days: dict[tuple, list[int]] = {}
    nothing = OrderGoods()
    for date, order_id, gross, net, cost in moves:
        order = orders.get(order_id) or nothing
        channel = order.channel
        for (product_id, name), amounts, _line in order_shares(
            order, gross=gross, net=net, cost=cost
        ):
            key = (date, channel, product_id, "" if product_id else name)
            row = days.get(key)
            if row is None:
                days[key] = amounts  # a list of its own (``order_shares`` makes each)
            else:
                row[0] += amounts[0]
                row[1] += amounts[1]
                row[2] += amounts[2]
                row[3] += amounts[3]
                row[4] += amounts[4]
    bulk.add_to(
        ProfitDay,
        KEYS,
        AMOUNTS,
        ((shop.pk, *key, *amounts) for key, amounts in sorted(days.items())),
        shop_id=shop.pk,
        shop_in_key=True,
    )


# -- reading ----------------------------------------------------------------------------


def profit_rows(*, shop, date_from: dt.date, date_to: dt.date) -> list[dict]:
    """The period's gross profit per channel and product, summed over its days."""
    with shop_scope(shop):
        return list(
            ProfitDay.objects.filter(shop=shop, date__gte=date_from, date__lte=date_to)
            .values("channel", "product_id", "name")
            .annotate(**{f"{name}_sum": Sum(name) for name in AMOUNTS})
            .order_by()
        )


@dataclass
class OrderProfit:
    """One order's entry in the period: what it moved and which of its lines had no
    known cost."""

    line_id: int
    date: dt.date
    order_id: int
    channel: str
    external_id: str
    sales: int = 0
    cost: int = 0
    sales_without_cost: int = 0
    without_cost: list[dict] = field(default_factory=list)

    @property
    def gross_profit(self) -> int:
        return self.sales - self.cost


def cursor_read(value: str | None) -> tuple[dt.date, int] | None:
    """A page's cursor (``YYYY-MM-DD.<id>``), or None when it is not one."""
    try:
        day, line_id = (value or "").split(".")
        return dt.date.fromisoformat(day), int(line_id)
    except ValueError:
        return None


def profit_orders_page(
    *,
    shop,
    date_from: dt.date,
    date_to: dt.date,
    before: str | None = None,
    size: int = 25,
) -> tuple[list[OrderProfit], str | None]:
    """The orders' entries that moved sales in the period, newest first, ``size`` a page
    after the cursor ``before`` (``YYYY-MM-DD.<line id>``, as returned; keyset: never
    an offset over the whole period; one that is not a cursor: the first page), each
    with its gross profit and its lines without a known cost; and the next page's
    cursor (None on the last page)."""
    after = cursor_read(before)
    accounts = profit_accounts(shop)
    sales = next((pk for pk, key in accounts.items() if key == "sales"), None)
    if sales is None:
        return [], None
    with shop_scope(shop):
        found = JournalLine.objects.filter(
            shop=shop, account_id=sales, date__gte=date_from, date__lte=date_to
        )
        if after is not None:
            found = found.filter(date__lte=after[0]).exclude(date=after[0], pk__gte=after[1])
        rows = list(
            found.order_by("-date", "-pk").values_list("pk", "date", "entry_id", "entry__order_id")[
                : size + 1
            ]
        )
        more = len(rows) > size
        last = f"{rows[size - 1][1].isoformat()}.{rows[size - 1][0]}" if more else None
        rows = [row for row in rows[:size] if row[3] is not None]
        lines = JournalLine.objects.filter(
            shop=shop, entry_id__in=[row[2] for row in rows], account_id__in=list(accounts)
        ).values_list("entry_id", "account_id", "debit", "credit")
        moved: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(PROFIT_KEYS, 0))
        for entry_id, account_id, debit, credit in lines:
            moved[entry_id][accounts[account_id]] += debit - credit
    orders = orders_goods(shop=shop, order_ids={row[3] for row in rows})
    page = []
    for line_id, date, entry_id, order_id in rows:
        order = orders.get(order_id) or OrderGoods()
        gross = -moved[entry_id]["sales"]
        net = gross - moved[entry_id]["discounts"]
        cost = moved[entry_id]["cost_of_goods"]
        item = OrderProfit(line_id, date, order_id, order.channel, order.external_id, net, cost)
        for (_product, _name), amounts, line in order_shares(
            order, gross=gross, net=net, cost=cost
        ):
            item.sales_without_cost += amounts[4]
            if amounts[3] and line is not None:
                item.without_cost.append(
                    {"name": line[1], "quantity": line[2], "without_cost": line[4],
                     "sales": amounts[4], "product_id": line[0]}
                )  # fmt: skip
        page.append(item)
    return page, last

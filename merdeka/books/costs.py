"""What things cost, in the books: the stock's value and the gross profit it leaves.

* ``stock_changed`` - inline subscriber of the stock service's ``stock.valued``: a
  purchase is stock (inventory) against the account that paid (or payables, when not
  paid yet); an opening stock value is stock against the owner's capital; a count's
  difference (stok opname) is stock against the stock count differences (a loss is a
  debit there, a find a credit). One entry per stock move, keyed by it: posted once.
* The cost of goods sold of an order is posted with the order (``merdeka.books.orders``
  puts it in the order's ``target``): what the goods cost at the moving average when
  they left the shelf.
* ``gross_profit`` - per channel and per product over a period, from the days kept as
  the orders' entries posted (``merdeka.books.profit``), per order a page at a time;
  ``revenue_without_cost`` - the delivered lines whose goods had no known cost
  (imported lines, stock never bought or valued): reported, never guessed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from merdeka.books.chart import accounts_by_key
from merdeka.books.models import Account, Kind, Source
from merdeka.books.posting import Line, entry_post, local_date
from merdeka.books.profit import profit_orders_page, profit_rows
from merdeka.catalog.models import Product, StockMove
from merdeka.core.models import Shop
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.orders.models import Order

COUNTER = {
    StockMove.Reason.OPENING_VALUE: "capital",
    StockMove.Reason.ADJUSTMENT: "stock_difference",
    StockMove.Reason.COUNT: "stock_difference",
    StockMove.Reason.IMPORT: "stock_difference",
}
MEMO = {
    StockMove.Reason.PURCHASE: "Stock purchase",
    StockMove.Reason.OPENING_VALUE: "Opening stock value",
    StockMove.Reason.RETURN_DAMAGED: "Returned goods written off as damaged",
}


def paid_from_choices(*, shop) -> list[tuple[int, str]]:
    """Where a purchase's money may come from: her money accounts, then "not paid
    yet" (payables)."""
    keys = accounts_by_key(shop=shop, keys=["cash", "bank", "payable"])
    with shop_scope(shop):
        money = list(
            Account.objects.filter(shop=shop, kind=Kind.ASSET, is_active=True)
            .exclude(key__in=["receivable", "inventory"])
            .order_by("code", "pk")
            .values_list("pk", "name")
        )
    return [*money, (keys["payable"], _("Not paid yet (payables)"))]


def _counter(shop, reason: str, paid_from) -> int:
    if reason != StockMove.Reason.PURCHASE:
        key = COUNTER.get(reason, "stock_difference")
        return accounts_by_key(shop=shop, keys=[key])[key]
    if paid_from is None:
        return accounts_by_key(shop=shop, keys=["payable"])["payable"]
    if paid_from not in {pk for pk, _name in paid_from_choices(shop=shop)}:
        raise ServiceError(_("Choose the account that paid from the list."))
    return paid_from


def stock_changed(events) -> None:
    """Inline subscriber of ``stock.valued``: the stock's value moved, the books follow
    in the same transaction, once per stock move."""
    shops: dict[int, Shop] = {}
    for event in events:
        shop = shops.setdefault(event.shop_id, Shop.objects.get(pk=event.shop_id))
        data = event.data
        value, reason = int(data["value_change"]), data["reason"]
        stock = accounts_by_key(shop=shop, keys=["inventory"])["inventory"]
        counter = _counter(shop, reason, data.get("paid_from"))
        if value > 0:
            lines = [Line(stock, debit=value), Line(counter, credit=value)]
        else:
            lines = [Line(counter, debit=-value), Line(stock, credit=-value)]
        entry_post(
            shop=shop,
            date=local_date(shop, event.at),
            source=Source.STOCK,
            key=f"stock:{data['move_id']}",
            lines=lines,
            memo=_(MEMO.get(reason, "Stock count difference")),
        )


# -- gross profit ----------------------------------------------------------------------


@dataclass
class Profit:
    """Net sales (after discounts and vouchers), their cost of goods, and what is
    left; ``without_cost``: the part of the sales whose goods had no known cost."""

    label: str = ""
    sales: int = 0
    cost: int = 0
    units: int = 0

    @property
    def gross_profit(self) -> int:
        return self.sales - self.cost

    @property
    def margin(self) -> int | None:
        """Gross profit in whole per cent of sales."""
        return round(100 * self.gross_profit / self.sales) if self.sales > 0 else None


@dataclass
class GrossProfit:
    total: Profit
    by_channel: list[Profit]
    by_product: list[Profit]
    without_cost_sales: int
    without_cost_units: int


def gross_profit(*, shop, date_from: dt.date, date_to: dt.date) -> GrossProfit:
    """Gross profit over the period, per channel and per product, from the days kept
    as the orders' entries posted (``merdeka.books.profit``: a reversal in the period
    counts against it). A product's share of an entry's sales is its lines' share of
    the order's lines; its cost is what its goods cost when they left."""
    total = Profit(label=_("All orders"))
    channels: dict[str, Profit] = {}
    products: dict[tuple[int, str], Profit] = {}
    labels = dict(Order._meta.get_field("channel").choices)
    without_sales = without_units = 0
    rows = profit_rows(shop=shop, date_from=date_from, date_to=date_to)
    for row in rows:
        channel = row["channel"]
        item = (row["product_id"], row["name"])
        for bucket in (
            total,
            channels.setdefault(channel, Profit(label=str(labels.get(channel, channel)))),
            products.setdefault(item, Profit(label=row["name"])),
        ):
            bucket.sales += row["sales_sum"]
            bucket.cost += row["cost_sum"]
            bucket.units += row["units_sum"]
        without_sales += row["sales_without_cost_sum"]
        without_units += row["units_without_cost_sum"]
    with shop_scope(shop):
        names = dict(
            Product.objects.filter(
                shop=shop, pk__in=[pk for pk, _name in products if pk]
            ).values_list("pk", "name")
        )
    for (pk, _name), profit in products.items():
        if pk:
            profit.label = names.get(pk) or _("A deleted product")
    return GrossProfit(
        total=total,
        by_channel=sorted(channels.values(), key=lambda p: -p.sales),
        by_product=sorted(products.values(), key=lambda p: -p.gross_profit),
        without_cost_sales=without_sales,
        without_cost_units=without_units,
    )


def revenue_without_cost(
    *, shop, date_from: dt.date, date_to: dt.date, limit: int = 100
) -> tuple[int, list[dict]]:
    """The sales of the period whose goods had no known cost, and (up to ``limit``,
    newest first) its lines: imported lines, lines not sold from the catalog, stock
    that came in without a purchase or an opening value. Their gross profit is
    unknown, not guessed."""
    total = gross_profit(shop=shop, date_from=date_from, date_to=date_to).without_cost_sales
    found: list[dict] = []
    before = None
    while len(found) < limit:
        page, before = profit_orders_page(
            shop=shop, date_from=date_from, date_to=date_to, before=before, size=100
        )
        for order in page:
            found.extend({**line, "order_id": order.order_id} for line in order.without_cost)
        if before is None:
            break
    return total, found[:limit]

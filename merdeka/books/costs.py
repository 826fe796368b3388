"""What things cost, in the books: the stock's value and the gross profit it leaves.

* ``stock_changed`` - inline subscriber of the stock service's ``stock.valued``: a
  purchase is stock (inventory) against the account that paid (or payables, when not
  paid yet); an opening stock value is stock against the owner's capital; a count's
  difference (stok opname) is stock against the stock count differences (a loss is a
  debit there, a find a credit). One entry per stock move, keyed by it: posted once.
* The cost of goods sold of an order is posted with the order (``merdeka.books.orders``
  puts it in the order's ``target``): what the goods cost at the moving average when
  they left the shelf.
* ``gross_profit`` - per order, per channel and per product over a period, from what
  was posted in it; ``revenue_without_cost`` - the delivered lines whose goods had no
  known cost (imported lines, stock never bought or valued): reported, never guessed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Sum
from django.utils.translation import gettext as _

from merdeka.books.chart import accounts_by_key
from merdeka.books.models import Account, ImportedLineCost, JournalLine, Kind, Source
from merdeka.books.posting import Line, entry_post, local_date
from merdeka.catalog.models import StockMove
from merdeka.catalog.selectors import order_goods_costs
from merdeka.core.models import Shop
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.orders.models import Order, OrderLine

COUNTER = {
    StockMove.Reason.OPENING_VALUE: "capital",
    StockMove.Reason.ADJUSTMENT: "stock_difference",
    StockMove.Reason.COUNT: "stock_difference",
    StockMove.Reason.IMPORT: "stock_difference",
}
MEMO = {
    StockMove.Reason.PURCHASE: "Stock purchase",
    StockMove.Reason.OPENING_VALUE: "Opening stock value",
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
    orders: set = field(default_factory=set)

    @property
    def gross_profit(self) -> int:
        return self.sales - self.cost

    @property
    def margin(self) -> int | None:
        """Gross profit in whole per cent of sales."""
        return round(100 * self.gross_profit / self.sales) if self.sales > 0 else None


def _posted_by_order(shop, date_from: dt.date, date_to: dt.date) -> dict[int, dict[str, int]]:
    """What each order posted to sales, discounts and cost of goods in the period."""
    keys = ("sales", "discounts", "cost_of_goods")
    account = accounts_by_key(shop=shop, keys=keys)
    key_of = {pk: key for key, pk in account.items()}
    posted: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(keys, 0))
    with shop_scope(shop):
        rows = (
            JournalLine.objects.filter(
                shop=shop,
                account_id__in=list(key_of),
                date__gte=date_from,
                date__lte=date_to,
                entry__order_id__isnull=False,
            )
            .values("entry__order_id", "account_id")
            .annotate(d=Sum("debit"), c=Sum("credit"))
            .order_by()
        )
        for row in rows:
            posted[row["entry__order_id"]][key_of[row["account_id"]]] += row["d"] - row["c"]
    return {
        order_id: {
            "sales": -(amounts["sales"] + amounts["discounts"]),  # net of discounts
            "gross": -amounts["sales"],
            "cost": amounts["cost_of_goods"],
        }
        for order_id, amounts in posted.items()
        if any(amounts.values())
    }


def _scaled(amount, part: int, whole: int) -> int:
    return round(amount * part / whole) if whole else 0


def _imported_costs(shop, order_ids) -> dict[int, tuple[int, int, str]]:
    """Imported lines with a known cost (``merdeka.books.skus``): line id -> (cost,
    product id, product name)."""
    with shop_scope(shop):
        return {
            line_id: (cost, product_id, name)
            for line_id, cost, product_id, name in ImportedLineCost.objects.filter(
                shop=shop, order_id__in=list(order_ids), cost__isnull=False
            ).values_list("line_id", "cost", "variant__product_id", "variant__product__name")
        }


@dataclass
class GrossProfit:
    total: Profit
    by_channel: list[Profit]
    by_product: list[Profit]
    without_cost: list[dict]
    without_cost_sales: int


def gross_profit(*, shop, date_from: dt.date, date_to: dt.date, limit: int = 100) -> GrossProfit:
    """Gross profit over the period, per channel and per product, from what the orders
    posted in it (so a reversal in the period counts against it). A product's share of
    an order's sales is its lines' share of the order's lines; its cost is what its
    goods cost when they left."""
    posted = _posted_by_order(shop, date_from, date_to)
    ids = sorted(posted)
    total = Profit(label=_("All orders"))
    channels: dict[str, Profit] = {}
    products: dict[object, Profit] = {}
    without, without_sales = [], 0
    labels = dict(Order._meta.get_field("channel").choices)
    with shop_scope(shop):
        orders = {
            pk: (channel, external_id)
            for pk, channel, external_id in Order.objects.filter(shop=shop, pk__in=ids).values_list(
                "pk", "channel", "external_id"
            )
        }
        lines_of: dict[int, list] = defaultdict(list)
        for line in (
            OrderLine.objects.filter(shop=shop, order_id__in=ids)
            .select_related("product_variant__product")
            .order_by("order_id", "position", "pk")
        ):
            lines_of[line.order_id].append(line)
    goods = order_goods_costs(shop=shop, order_ids=ids)
    mapped = _imported_costs(shop, ids)
    for order_id, amounts in posted.items():
        channel, external_id = orders.get(order_id, ("", ""))
        for bucket in (
            total,
            channels.setdefault(channel, Profit(label=str(labels.get(channel, channel)))),
        ):
            bucket.sales += amounts["sales"]
            bucket.cost += amounts["cost"]
            bucket.orders.add(order_id)
        lines = lines_of.get(order_id, [])
        whole = sum(int(line.total) for line in lines)
        ledger_cost = sum(cost for _u, cost, _m in goods.get(order_id, {}).values())
        ledger_cost += sum(mapped[line.pk][0] for line in lines if line.pk in mapped)
        for line in lines:
            variant = line.product_variant
            imported = mapped.get(line.pk)  # an imported line mapped to a variant
            key = variant.product_id if variant else ("name", line.name)
            label = variant.product.name if variant else line.name
            if imported is not None:
                key, label = imported[1], imported[2]
            profit = products.setdefault(key, Profit(label=label))
            sales = _scaled(amounts["sales"], int(line.total), whole)
            profit.sales += sales
            profit.orders.add(order_id)
            units, cost, missing = goods.get(order_id, {}).get(
                variant.pk if variant else None, (0, 0, 0)
            )
            same = [x for x in lines if x.product_variant_id == line.product_variant_id]
            mine = _scaled(cost, line.quantity, sum(x.quantity for x in same))
            if imported is not None:
                mine = imported[0]
            profit.cost += _scaled(amounts["cost"], mine, ledger_cost)
            costed = max(0, units - missing)
            uncosted = max(0, line.quantity - costed) if variant else line.quantity
            if imported is not None:
                uncosted = 0
            if uncosted and amounts["gross"] > 0:
                part = _scaled(sales, uncosted, line.quantity)
                without_sales += part
                if len(without) < limit:
                    without.append(
                        {
                            "order_id": order_id,
                            "external_id": external_id,
                            "channel": labels.get(channel, channel),
                            "name": line.name,
                            "quantity": line.quantity,
                            "without_cost": uncosted,
                            "sales": part,
                            "sku": line.sku,
                        }
                    )
    return GrossProfit(
        total=total,
        by_channel=sorted(channels.values(), key=lambda p: -p.sales),
        by_product=sorted(products.values(), key=lambda p: -p.gross_profit),
        without_cost=without,
        without_cost_sales=without_sales,
    )


def revenue_without_cost(
    *, shop, date_from: dt.date, date_to: dt.date, limit: int = 100
) -> tuple[int, list[dict]]:
    """The sales of the period whose goods had no known cost, and (up to ``limit``) its
    lines: imported lines, lines not sold from the catalog, stock that came in without
    a purchase or an opening value. Their gross profit is unknown, not guessed."""
    found = gross_profit(shop=shop, date_from=date_from, date_to=date_to, limit=limit)
    return found.without_cost_sales, found.without_cost

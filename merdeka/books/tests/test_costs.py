"""What things cost: purchases and opening values set the moving average cost, orders
post the cost of their goods when delivered, counts post their difference, and what
has no cost is reported, never guessed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction

from merdeka.books.backfill import backfill
from merdeka.books.chart import accounts_by_key
from merdeka.books.costs import gross_profit, revenue_without_cost
from merdeka.books.models import JournalEntry, Source
from merdeka.books.orders import order_postings_sync, target
from merdeka.books.posting import today
from merdeka.books.profit import profit_orders_page
from merdeka.books.selectors import report
from merdeka.books.tests.test_orders import SARI, by_key
from merdeka.catalog import services as catalog
from merdeka.catalog.costing import value_moved
from merdeka.catalog.models import StockCost, StockMove
from merdeka.core.ownership import OwnershipError
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.orders import lifecycle
from merdeka.orders.manual import ManualLine, manual_order_create
from merdeka.orders.models import Order, Status
from merdeka.storefront.tests.conftest import make_product


@pytest.fixture
def kastengel(ika_shop):
    _product, [variant] = make_product(ika_shop, name="Kastengel", stock=0)
    return variant


@pytest.fixture
def home(ika_shop):
    return catalog.location_default(shop=ika_shop)


def sell(shop, actor, variant, quantity, key, price=60000, payment="cash"):
    """A picked-up order of ``quantity`` units, paid and completed: delivered."""
    order, _ = manual_order_create(
        shop=shop,
        actor=actor,
        buyer=SARI,
        lines=[ManualLine(quantity=quantity, variant_id=variant.pk, unit_price=Decimal(price))],
        idempotency_key=key,
        delivery_method="pickup",
        payment_method="transfer",
    )
    lifecycle.order_payment_record(shop=shop, order_id=order.pk, method=payment, actor=actor)
    lifecycle.order_complete(shop=shop, order_id=order.pk, actor=actor)
    return order


def buy(shop, variant, location, quantity, unit_cost, **kwargs):
    return catalog.stock_purchase(
        shop=shop,
        variant=variant,
        location=location,
        quantity=quantity,
        unit_cost=unit_cost,
        **kwargs,
    )


def balanced(shop):
    day = today(shop)
    figures = report(shop=shop, date_from=day, date_to=day + dt.timedelta(days=62))
    assert figures["trial_balance"]["debit"] == figures["trial_balance"]["credit"]
    sheet = figures["balance_sheet"]
    assert sheet["assets"] == sheet["liabilities"] + sheet["equity"]


def test_the_cost_of_goods_is_the_moving_average_in_the_order_things_happened(
    ika_shop, ika, kastengel, home
):
    buy(ika_shop, kastengel, home, 10, 1000)  # not paid yet: a payable
    cash = accounts_by_key(shop=ika_shop, keys=["cash"])["cash"]
    buy(ika_shop, kastengel, home, 10, 2000, paid_from=cash)
    assert by_key(ika_shop) == {"inventory": 30000, "payable": 10000, "cash": -20000}
    order = sell(ika_shop, ika, kastengel, 5, "a")
    assert by_key(ika_shop) == {
        "inventory": 30000 - 7500,
        "payable": 10000,
        "cash": -20000 + 300000,
        "sales": 300000,
        "cost_of_goods": 7500,  # 5 x (10 x 1000 + 10 x 2000) / 20
    }
    # a later purchase moves the average from where it stands: 15 x 1500 + 5 x 3500
    buy(ika_shop, kastengel, home, 5, 3500)
    with shop_scope(ika_shop):
        cost = StockCost.objects.get(variant=kastengel)
    assert (cost.quantity, cost.value, cost.average) == (20, 40000, 2000)
    day = today(ika_shop)
    found = gross_profit(shop=ika_shop, date_from=day, date_to=day)
    assert (found.total.sales, found.total.cost, found.total.gross_profit) == (
        300000,
        7500,
        292500,
    )
    [product] = found.by_product
    assert (product.label, product.cost, product.margin) == ("Kastengel", 7500, 98)
    [channel] = found.by_channel
    assert (channel.units, channel.sales) == (5, 300000)
    assert found.without_cost_sales == 0
    [row], _more = profit_orders_page(shop=ika_shop, date_from=day, date_to=day)
    assert (row.order_id, row.sales, row.cost, row.without_cost) == (order.pk, 300000, 7500, [])
    balanced(ika_shop)


def test_goods_sold_before_any_cost_was_known_are_revenue_without_cost(
    ika_shop, ika, kastengel, home
):
    catalog.stock_adjust(shop=ika_shop, variant=kastengel, location=home, on_hand=3)
    sell(ika_shop, ika, kastengel, 2, "a")
    assert by_key(ika_shop) == {"cash": 120000, "sales": 120000}  # no cost guessed
    # a purchase does not price the unit that came without a cost: it leaves first
    buy(ika_shop, kastengel, home, 4, 1000)
    sell(ika_shop, ika, kastengel, 2, "b")
    assert by_key(ika_shop)["cost_of_goods"] == 1000
    day = today(ika_shop)
    total, rows = revenue_without_cost(shop=ika_shop, date_from=day, date_to=day)
    assert total == 120000 + 60000
    # newest first: the second order had one unit without a cost, the first two
    assert [(r["quantity"], r["without_cost"]) for r in rows] == [(2, 1), (2, 2)]
    balanced(ika_shop)


def test_an_opening_value_prices_the_units_without_a_cost_against_capital(
    ika_shop, ika, kastengel, home
):
    catalog.stock_adjust(shop=ika_shop, variant=kastengel, location=home, on_hand=8)
    catalog.stock_opening_value(shop=ika_shop, variant=kastengel, unit_cost=1500, actor=ika)
    assert by_key(ika_shop) == {"inventory": 12000, "capital": 12000}
    with pytest.raises(ServiceError):  # every unit has its cost now
        catalog.stock_opening_value(shop=ika_shop, variant=kastengel, unit_cost=1500)
    sell(ika_shop, ika, kastengel, 8, "a")
    assert by_key(ika_shop)["cost_of_goods"] == 12000
    assert "inventory" not in by_key(ika_shop)  # the last unit took what was left
    balanced(ika_shop)


def test_a_count_posts_its_difference_at_the_average_cost(ika_shop, ika, kastengel, home):
    buy(ika_shop, kastengel, home, 3, 1000)
    buy(ika_shop, kastengel, home, 3, 1001)  # the average: 1000.5
    moves = catalog.stock_count(shop=ika_shop, location=home, counts={kastengel.pk: 5})
    assert [(m.on_hand_change, m.value_change) for m in moves] == [(-1, -1001)]  # half up
    assert by_key(ika_shop)["stock_difference"] == 1001  # a loss
    catalog.stock_count(shop=ika_shop, location=home, counts={kastengel.pk: 7}, actor=ika)
    # two found again, at the average of the five left (5002 / 5): a gain
    assert by_key(ika_shop)["stock_difference"] == 1001 - 2001
    assert by_key(ika_shop)["inventory"] == 6003 - 1001 + 2001
    assert catalog.stock_count(shop=ika_shop, location=home, counts={kastengel.pk: 7}) == []
    with shop_scope(ika_shop):
        entries = JournalEntry.objects.filter(source=Source.STOCK).count()
    assert entries == 4  # two purchases, two differences
    balanced(ika_shop)


def test_a_count_below_what_is_ordered_is_refused_and_writes_nothing(
    ika_shop, ika, kastengel, home
):
    buy(ika_shop, kastengel, home, 3, 1000)
    manual_order_create(
        shop=ika_shop,
        actor=ika,
        buyer=SARI,
        lines=[ManualLine(quantity=2, variant_id=kastengel.pk)],
        idempotency_key="a",
        delivery_method="pickup",
        payment_method="transfer",
    )
    with pytest.raises(ServiceError):
        catalog.stock_count(shop=ika_shop, location=home, counts={kastengel.pk: 1})
    with shop_scope(ika_shop):
        assert not StockMove.objects.filter(reason=StockMove.Reason.COUNT).exists()


def test_a_purchase_tapped_twice_buys_once(ika_shop, kastengel, home):
    first = buy(ika_shop, kastengel, home, 2, 5000, key="k1")
    again = buy(ika_shop, kastengel, home, 2, 5000, key="k1")
    assert first.pk == again.pk
    assert by_key(ika_shop) == {"inventory": 10000, "payable": 10000}


def test_a_purchase_needs_whole_positive_numbers_and_a_money_account(ika_shop, kastengel, home):
    for quantity, cost in ((0, 1000), (2, 0), (2, Decimal("10.5")), (-1, 5)):
        with pytest.raises(ServiceError):
            buy(ika_shop, kastengel, home, quantity, cost)
    sales = accounts_by_key(shop=ika_shop, keys=["sales"])["sales"]
    with pytest.raises(ServiceError):  # paid from a revenue account: refused whole
        buy(ika_shop, kastengel, home, 2, 1000, paid_from=sales)
    with shop_scope(ika_shop):
        assert not StockMove.objects.filter(reason=StockMove.Reason.PURCHASE).exists()
    assert by_key(ika_shop) == {}


def test_a_cancelled_or_returned_delivered_order_reverses_its_cost_of_goods(
    ika_shop, ika, kastengel, home
):
    buy(ika_shop, kastengel, home, 10, 1000)
    order = sell(ika_shop, ika, kastengel, 2, "a")
    assert by_key(ika_shop)["cost_of_goods"] == 2000
    order_row = {
        "status": Status.CANCELLED,
        "channel": "manual",
        "total": Decimal(120000),
        "shipping_fee": Decimal(0),
        "paid_at": None,
        "import_file_id": None,
        "cost_of_goods": 2000,
    }
    assert target(order_row, {"cash": 120000}, rule="completed") == {}
    with transaction.atomic():
        order_postings_sync(shop=ika_shop, order_ids=[order.pk], status_as={order.pk: "returned"})
    assert by_key(ika_shop) == {"inventory": 10000, "payable": 10000}


def test_a_discount_is_its_own_line_and_sales_stay_gross(ika_shop, ika, kastengel, home):
    buy(ika_shop, kastengel, home, 10, 1000)
    order, _ = manual_order_create(
        shop=ika_shop,
        actor=ika,
        buyer=SARI,
        lines=[ManualLine(quantity=2, variant_id=kastengel.pk, unit_price=Decimal(50000))],
        idempotency_key="a",
        delivery_method="pickup",
        payment_method="transfer",
    )
    with shop_scope(ika_shop):  # a voucher of Rp10.000 off the order
        Order.objects.filter(pk=order.pk).update(discount=Decimal(10000), total=Decimal(90000))
    lifecycle.order_payment_record(shop=ika_shop, order_id=order.pk, method="cash", actor=ika)
    lifecycle.order_complete(shop=ika_shop, order_id=order.pk, actor=ika)
    assert by_key(ika_shop) == {
        "cash": 90000,
        "sales": 100000,
        "discounts": -10000,  # a contra-revenue: a debit
        "cost_of_goods": 2000,
        "inventory": 8000,
        "payable": 10000,
    }
    day = today(ika_shop)
    found = gross_profit(shop=ika_shop, date_from=day, date_to=day)
    assert (found.total.sales, found.total.gross_profit) == (90000, 88000)
    assert found.by_product[0].sales == 90000
    balanced(ika_shop)


def test_syncing_and_the_backfill_post_the_cost_of_goods_once(ika_shop, ika, kastengel, home):
    buy(ika_shop, kastengel, home, 10, 1000)
    order = sell(ika_shop, ika, kastengel, 3, "a")
    before = by_key(ika_shop)
    with transaction.atomic():
        assert order_postings_sync(shop=ika_shop, order_ids=[order.pk]) == 0
    assert backfill(shop=ika_shop) == 0
    assert by_key(ika_shop) == before


def test_stock_cost_rows_are_written_only_by_the_stock_service(ika_shop, kastengel, home):
    buy(ika_shop, kastengel, home, 1, 1000)
    with pytest.raises(OwnershipError), transaction.atomic(), shop_scope(ika_shop):
        StockCost.objects.filter(variant=kastengel).update(value=1)
    with pytest.raises(OwnershipError), transaction.atomic(), shop_scope(ika_shop):
        StockCost.objects.create(shop=ika_shop, variant_id=kastengel.pk + 1000)


@pytest.mark.parametrize(
    ("state", "delta", "unit_cost", "expected"),
    [
        ((0, 0, 0), 10, 1000, (10000, 10, 0)),  # a purchase
        ((10, 10000, 10), 10, 2000, (20000, 10, 0)),
        ((20, 30000, 20), -5, None, (-7500, -5, 0)),  # leaves at the average
        ((20, 30000, 20), -20, None, (-30000, -20, 0)),  # the last takes all
        ((0, 0, 3), -2, None, (0, 0, 2)),  # nothing has a cost: none guessed
        ((0, 0, 3), 2, None, (0, 0, 2)),  # found, no average: still none
        ((4, 4000, 5), -2, None, (-1000, -1, 1)),  # the unit without a cost first
        ((3, 3001, 3), 1, None, (1000, 1, 0)),  # found at the average
    ],
)
def test_the_moving_average_arithmetic(state, delta, unit_cost, expected):
    quantity, value, on_hand = state
    moved = value_moved(
        quantity=quantity, value=value, on_hand_before=on_hand, delta=delta, unit_cost=unit_cost
    )
    assert (moved.value_change, moved.quantity_change, moved.missing) == expected

"""Imported marketplace orders whose lines map to catalog variants move their units
through the stock service: once when their goods left, back when cancelled or returned,
from one variant to the other when the mapping changes; at the moving average when they
leave and at the value they left with when they come back, so that the stock's value
and the cost of goods the books posted stay equal and a stock count finds nothing."""

from __future__ import annotations

from django.db.models import Sum
from django.utils import timezone

from merdeka.books import skus
from merdeka.books.models import ImportedLineCost
from merdeka.books.tests.test_costs import buy
from merdeka.books.tests.test_orders import by_key
from merdeka.books.tests.test_skus import (
    ORDERS,
    SHOPEE_HEADER,
    _one_process,  # noqa: F401 - the import in one process
    run_import,
    variant_with_cost,
)
from merdeka.catalog import services as catalog
from merdeka.catalog.imported import stock_imported_sent
from merdeka.catalog.models import StockCost, StockLevel, StockMove
from merdeka.core.ownership import STOCK, owning
from merdeka.core.scoping import shop_scope
from merdeka.orders.models import Order


def export(path, *rows):
    """A Shopee order export: ``(order id, status, sku, quantity, deal price)`` rows."""
    path.write_text(
        SHOPEE_HEADER
        + "".join(
            f"{order};{status};2025-05-02 10:00;Nastar Keju;{sku};{quantity};{price};"
            "rina_w;Kota Bandung;Jawa Barat\n"
            for order, status, sku, quantity, price in rows
        ),
        encoding="utf-8",
    )
    return path


def stock(shop, variant) -> tuple[int, int, int]:
    """Units on hand (every location), and the costed units and their value."""
    with shop_scope(shop):
        on_hand = StockLevel.objects.filter(shop=shop, variant=variant).aggregate(n=Sum("on_hand"))[
            "n"
        ]
        cost = StockCost.objects.filter(shop=shop, variant=variant).first()
    return on_hand, cost.quantity if cost else 0, cost.value if cost else 0


def imported_moves(shop) -> list[tuple]:
    with shop_scope(shop):
        return list(
            StockMove.objects.filter(shop=shop, reason__startswith="import_")
            .order_by("pk")
            .values_list("variant_id", "reason", "on_hand_change", "value_change")
        )


def line_costs(shop, external_id) -> list:
    with shop_scope(shop):
        order = Order.objects.get(shop=shop, external_id=external_id)
        return list(ImportedLineCost.objects.filter(order=order).values_list("cost", flat=True))


def test_a_delivered_imported_order_ships_its_units_once_and_a_count_finds_nothing(
    ika_shop, ika, capsys, tmp_path
):
    nastar = variant_with_cost(ika_shop, ika, "Nastar Keju", "NST-500", 30000)  # 10 units
    file = export(
        tmp_path / "Order.all.20250501_20250531.csv",
        ("2505020000001A", "Completed", "NST-500", 2, "180,000"),
        ("2505020000002B", "Cancelled", "NST-500", 1, "90,000"),
    )
    run_import(capsys, ika_shop, file)
    run_import(capsys, ika_shop, file)  # the same export again: nothing moves twice
    assert stock(ika_shop, nastar) == (8, 8, 240000)
    assert imported_moves(ika_shop) == [(nastar.pk, "import_sent", -2, -60000)]
    assert line_costs(ika_shop, "2505020000001A") == [60000]  # what its units left at
    assert line_costs(ika_shop, "2505020000002B") == [None]  # cancelled: none left
    books = by_key(ika_shop)
    assert books["cost_of_goods"] == 60000
    assert books["inventory"] == 240000  # the books' stock is the stock's value
    # stok opname: the shelf holds 8, as the stock says
    home = catalog.location_default(shop=ika_shop)
    assert catalog.stock_count(shop=ika_shop, location=home, counts={nastar.pk: 8}) == []


def test_a_cancelled_imported_order_brings_its_units_back_at_the_value_they_left_with(
    ika_shop, ika, capsys, tmp_path
):
    nastar = variant_with_cost(ika_shop, ika, "Nastar Keju", "NST-500", 30000)
    home = catalog.location_default(shop=ika_shop)
    row = ("2505020000001A", "Completed", "NST-500", 2, "180,000")
    run_import(capsys, ika_shop, export(tmp_path / "Order.all.20250501_20250531.csv", row))
    assert stock(ika_shop, nastar) == (8, 8, 240000)
    buy(ika_shop, nastar, home, 8, 40000)  # the average is 35,000 now
    later = export(tmp_path / "Order.all.20250501_20250607.csv", (*row[:1], "Cancelled", *row[2:]))
    run_import(capsys, ika_shop, later)
    # the 2 units are back at the 60,000 they left with, not at today's average
    assert stock(ika_shop, nastar) == (18, 18, 240000 + 320000 + 60000)
    assert [move[1:] for move in imported_moves(ika_shop)] == [
        ("import_sent", -2, -60000),
        ("import_returned", 2, 60000),
    ]
    assert line_costs(ika_shop, "2505020000001A") == [None]
    books = by_key(ika_shop)
    assert "cost_of_goods" not in books  # reversed with the order
    assert books["inventory"] == stock(ika_shop, nastar)[2]
    run_import(capsys, ika_shop, later)  # again: nothing more comes back
    assert len(imported_moves(ika_shop)) == 2


def test_a_changed_mapping_moves_the_units_from_the_old_variant_to_the_new(ika_shop, ika, capsys):
    cheap = variant_with_cost(ika_shop, ika, "Kastengel Mini", "KST-MINI", 20000)
    dear = variant_with_cost(ika_shop, ika, "Kastengel Besar", "KST-BSR", 45000)
    run_import(capsys, ika_shop, ORDERS)
    skus.sku_map(shop=ika_shop, key="sku:KST-1", variant_id=cheap.pk, actor=ika)
    with shop_scope(ika_shop):
        order = Order.objects.get(shop=ika_shop, external_id="2504226A23B55PX")
    sent = stock_imported_sent(shop=ika_shop, order_ids=[order.pk])[order.pk]
    assert set(sent) == {cheap.pk} and sent[cheap.pk].units == 1
    assert stock(ika_shop, cheap) == (9, 9, 180000)
    skus.sku_map(shop=ika_shop, key="sku:KST-1", variant_id=dear.pk, actor=ika)
    assert stock(ika_shop, cheap) == (10, 10, 200000)  # back, at what it left with
    assert stock(ika_shop, dear) == (9, 9, 405000)
    moves = len(imported_moves(ika_shop))
    skus.sku_map(shop=ika_shop, key="sku:KST-1", variant_id=dear.pk, actor=ika)  # again
    assert len(imported_moves(ika_shop)) == moves
    books = by_key(ika_shop)
    assert books["cost_of_goods"] == 45000
    assert books["inventory"] == stock(ika_shop, cheap)[2] + stock(ika_shop, dear)[2]


def test_units_the_shelf_does_not_have_stay_unsent_and_without_a_cost(
    ika_shop, ika, capsys, tmp_path
):
    nastar = variant_with_cost(ika_shop, ika, "Nastar Keju", "NST-500", 30000)  # 10 units
    file = export(
        tmp_path / "Order.all.20250501_20250531.csv",
        ("2505020000001A", "Completed", "NST-500", 12, "1,080,000"),
    )
    run_import(capsys, ika_shop, file)  # the import is never refused for the shelf's count
    assert stock(ika_shop, nastar) == (0, 0, 0)
    assert line_costs(ika_shop, "2505020000001A") == [300000]  # the 10 that left
    assert by_key(ika_shop)["cost_of_goods"] == 300000


def test_orders_placed_before_the_stock_was_first_counted_move_none_and_cost_the_average(
    ika_shop, ika, capsys, tmp_path
):
    """A year of marketplace history imported after today's opening count: those units
    left long before, from a shelf this count never saw."""
    nastar = variant_with_cost(ika_shop, ika, "Nastar Keju", "NST-500", 30000)  # 10 units
    with shop_scope(ika_shop), owning(STOCK):  # counted today, after the orders
        StockMove.objects.filter(shop=ika_shop, variant=nastar).update(created_at=timezone.now())
    file = export(
        tmp_path / "Order.all.20250501_20250531.csv",
        ("2505020000001A", "Completed", "NST-500", 2, "180,000"),
    )
    run_import(capsys, ika_shop, file)
    assert stock(ika_shop, nastar) == (10, 10, 300000)
    assert imported_moves(ika_shop) == []
    assert line_costs(ika_shop, "2505020000001A") == [60000]  # the average, as uncounted
    assert by_key(ika_shop)["cost_of_goods"] == 60000

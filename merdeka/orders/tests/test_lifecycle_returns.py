"""A shop's own order that comes back (``lifecycle.order_return``): from shipped or
completed, with a reason; its goods back on the shelf at the value they left with, or
written off when damaged; the books reversing the order as for a cancellation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from merdeka.books.chart import accounts_by_key
from merdeka.books.models import JournalEntry, Source
from merdeka.books.orders import order_postings_sync
from merdeka.books.posting import today
from merdeka.books.selectors import report
from merdeka.books.tests.test_orders import SARI, by_key
from merdeka.catalog import services as catalog
from merdeka.catalog.models import StockCost, StockMove
from merdeka.catalog.returned import stock_return_order
from merdeka.core.models import EventOutbox
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.orders import lifecycle
from merdeka.orders.manual import ManualLine, manual_order_create
from merdeka.orders.models import OrderEvent, Status
from merdeka.orders.tests.test_lifecycle import fresh, history, imported, level, place
from merdeka.privacy.models import AuditEvent
from merdeka.storefront.tests.conftest import make_product


@pytest.fixture
def kastengel(ika_shop):
    _product, [variant] = make_product(ika_shop, name="Kastengel", stock=0)
    catalog.stock_purchase(
        shop=ika_shop,
        variant=variant,
        location=catalog.location_default(shop=ika_shop),
        quantity=10,
        unit_cost=1000,
        paid_from=accounts_by_key(shop=ika_shop, keys=["cash"])["cash"],
    )
    return variant


def sold(shop, actor, variant, *, quantity=2, price=60000, ship=True, complete=True, key="a"):
    """A manual order of ``quantity`` units, paid in cash, shipped and completed."""
    order, _ = manual_order_create(
        shop=shop,
        actor=actor,
        buyer=SARI,
        lines=[ManualLine(quantity=quantity, variant_id=variant.pk, unit_price=Decimal(price))],
        idempotency_key=key,
        delivery_method="courier",
        payment_method="transfer",
    )
    lifecycle.order_payment_record(shop=shop, order_id=order.pk, method="cash", actor=actor)
    if ship:
        lifecycle.order_ship(shop=shop, order_id=order.pk, courier="jne", tracking="JP12345678")
    if complete:
        lifecycle.order_complete(shop=shop, order_id=order.pk, actor=actor)
    return order


def on_hand(shop, variant) -> int:
    with shop_scope(shop):
        return sum(level.on_hand for level in variant.stock_levels.all())


def figures(shop):
    day = today(shop)
    return report(shop=shop, date_from=day, date_to=day + dt.timedelta(days=1))


def assert_balanced(shop):
    found = figures(shop)
    assert found["trial_balance"]["debit"] == found["trial_balance"]["credit"]
    sheet = found["balance_sheet"]
    assert sheet["assets"] == sheet["liabilities"] + sheet["equity"]


def stock_value(shop, variant) -> int:
    with shop_scope(shop):
        return StockCost.objects.get(variant=variant).value


# -- the service -----------------------------------------------------------------------


def test_a_completed_order_comes_back_into_stock_and_leaves_its_history(ika_shop, ika, lapis):
    _product, variant = lapis
    order = place(ika_shop, variant)
    lifecycle.order_payment_record(shop=ika_shop, order_id=order.pk, method="qris")
    lifecycle.order_ship(shop=ika_shop, order_id=order.pk, courier="jne", tracking="JP1234567")
    lifecycle.order_complete(shop=ika_shop, order_id=order.pk)
    assert level(ika_shop, variant) == (3, 0)

    outcome = lifecycle.order_return(
        shop=ika_shop, order_id=order.pk, reason="  Ukuran   salah ", restock=True, actor=ika
    )
    assert fresh(ika_shop, order).status == Status.RETURNED
    assert level(ika_shop, variant) == (5, 0)
    assert outcome.event.kind == "returned" and outcome.event.note == "Ukuran salah"
    assert outcome.event.detail == {"restock": True, "stock_back": 2, "was_paid": True}
    assert history(ika_shop, order)[-1] == ("returned", "completed", "returned")
    with shop_scope(ika_shop):
        back = StockMove.objects.get(order=order, reason="order_returned")
    assert (back.on_hand_change, back.reserved_change, back.on_hand_after) == (2, 0, 5)
    assert back.actor == ika
    audit = AuditEvent.unscoped.get(shop=ika_shop, action="order.returned")
    assert audit.target_id == str(order.pk) and audit.detail["from"] == "completed"
    # once: a second return is refused and moves nothing
    with pytest.raises(ServiceError, match="sudah dikembalikan"):
        lifecycle.order_return(shop=ika_shop, order_id=order.pk, reason="lagi", restock=True)
    assert level(ika_shop, variant) == (5, 0)
    assert stock_return_order(shop=ika_shop, order_id=order.pk, restock=True) == 0
    assert level(ika_shop, variant) == (5, 0)
    assert lifecycle.next_statuses(fresh(ika_shop, order)) == []
    with pytest.raises(ServiceError):
        lifecycle.order_payment_record(shop=ika_shop, order_id=order.pk, method="qris")


def test_a_shipped_parcel_the_courier_brings_back_is_a_return(ika_shop, lapis):
    _product, variant = lapis
    order = place(ika_shop, variant, payment_method="cod", delivery_method="cod")
    lifecycle.order_ship(shop=ika_shop, order_id=order.pk, courier="sicepat", tracking="00123456")
    assert lifecycle.next_statuses(fresh(ika_shop, order)) == ["completed", "returned"]
    outcome = lifecycle.order_return(
        shop=ika_shop, order_id=order.pk, reason="Pembeli tidak di rumah", restock=True
    )
    assert outcome.order.status == Status.RETURNED
    assert outcome.event.detail["was_paid"] is False
    assert level(ika_shop, variant) == (5, 0)


def test_damaged_goods_do_not_come_back_into_stock(ika_shop, ika, lapis):
    _product, variant = lapis
    order = place(ika_shop, variant)
    lifecycle.order_payment_record(shop=ika_shop, order_id=order.pk, method="qris")
    lifecycle.order_ship(shop=ika_shop, order_id=order.pk, courier="jne", tracking="JP1234567")
    lifecycle.order_return(
        shop=ika_shop, order_id=order.pk, reason="Kue hancur", restock=False, actor=ika
    )
    assert fresh(ika_shop, order).status == Status.RETURNED
    assert level(ika_shop, variant) == (3, 0)
    with shop_scope(ika_shop):
        moves = list(
            StockMove.objects.filter(order=order, reason__in=["order_returned", "return_damaged"])
            .order_by("id")
            .values_list("reason", "on_hand_change", "on_hand_after")
        )
        event = OrderEvent.objects.get(order=order, kind="returned")
    # the ledger says both: they came back, and were written off
    assert moves == [("order_returned", 2, 5), ("return_damaged", -2, 3)]
    assert event.detail == {"restock": False, "stock_back": 0, "was_paid": True}


@pytest.mark.parametrize("status", ["new", "awaiting_payment", "paid", "processing", "cancelled"])
def test_only_a_shipped_or_completed_order_can_be_returned(ika_shop, status):
    order = imported(ika_shop, channel="storefront", status=status)
    problem = lifecycle.transition_problem(order, Status.RETURNED)
    assert problem is not None
    with pytest.raises(ServiceError):
        lifecycle.order_return(shop=ika_shop, order_id=order.pk, reason="x", restock=True)
    assert fresh(ika_shop, order).status == status


def test_a_shipped_order_points_at_the_return_instead_of_a_cancel(ika_shop):
    order = imported(ika_shop, channel="manual", status="shipped")
    assert "catat sebagai retur" in lifecycle.transition_problem(order, Status.CANCELLED)
    assert lifecycle.transition_problem(order, Status.RETURNED) is None
    completed = imported(ika_shop, channel="whatsapp", status="completed")
    assert lifecycle.transition_problem(completed, Status.RETURNED) is None
    assert "tidak bisa berubah lagi" in lifecycle.transition_problem(completed, Status.CANCELLED)


def test_a_return_needs_a_reason(ika_shop, lapis):
    _product, variant = lapis
    order = place(ika_shop, variant, payment_method="cod", delivery_method="cod")
    lifecycle.order_ship(shop=ika_shop, order_id=order.pk, courier="jne", tracking="JP1234567")
    with pytest.raises(ServiceError, match="kenapa pesanannya kembali"):
        lifecycle.order_return(shop=ika_shop, order_id=order.pk, reason="  ", restock=True)
    with pytest.raises(ServiceError, match="300"):
        lifecycle.order_return(shop=ika_shop, order_id=order.pk, reason="x" * 301, restock=True)
    assert fresh(ika_shop, order).status == Status.SHIPPED


@pytest.mark.parametrize("channel", ["shopee", "tiktok", "tokopedia"])
def test_a_marketplace_order_cannot_be_returned_by_hand(ika_shop, channel):
    order = imported(ika_shop, channel=channel, status="completed")
    with pytest.raises(ServiceError, match="impor ekspor berikutnya"):
        lifecycle.order_return(shop=ika_shop, order_id=order.pk, reason="x", restock=True)
    assert fresh(ika_shop, order).status == "completed"
    assert lifecycle.next_statuses(order) == []


def test_the_return_reaches_the_catalog_and_the_customers_figures(ika_shop, lapis):
    _product, variant = lapis
    order = place(ika_shop, variant, payment_method="cod", delivery_method="cod")
    lifecycle.order_ship(shop=ika_shop, order_id=order.pk, courier="jne", tracking="JP1234567")
    lifecycle.order_return(shop=ika_shop, order_id=order.pk, reason="Alamat salah", restock=True)
    rows = EventOutbox.unscoped.filter(shop_id=ika_shop.pk, kind=lifecycle.ORDER_RETURNED)
    assert {row.subscriber for row in rows} >= {"catalog.low_stock", "customers.figures"}
    data = rows.first().data
    assert (data["order_id"], data["status"], data["from_status"], data["reason"]) == (
        order.pk,
        "returned",
        "shipped",
        "Alamat salah",
    )


# -- the books and the stock's value ----------------------------------------------------


def test_a_returned_paid_order_adds_up_to_nothing_and_its_goods_come_back_at_cost(
    ika_shop, ika, kastengel
):
    before = by_key(ika_shop)
    assert before == {"inventory": 10000, "cash": -10000}
    order = sold(ika_shop, ika, kastengel)
    assert by_key(ika_shop) == {
        "inventory": 8000,
        "cash": -10000 + 120000,
        "sales": 120000,
        "cost_of_goods": 2000,
    }
    assert figures(ika_shop)["profit_and_loss"]["revenue"] == 120000

    lifecycle.order_return(shop=ika_shop, order_id=order.pk, reason="Salah rasa", restock=True)
    # revenue, cost of goods and the money received reversed: the money went back out
    assert by_key(ika_shop) == before
    assert on_hand(ika_shop, kastengel) == 10
    assert stock_value(ika_shop, kastengel) == 10000  # the stock account agrees
    pnl = figures(ika_shop)["profit_and_loss"]
    assert (pnl["revenue"], pnl["cost_of_goods"], pnl["profit"]) == (0, 0, 0)
    assert_balanced(ika_shop)
    with shop_scope(ika_shop):
        reversal = JournalEntry.objects.filter(order=order).order_by("-id").first()
        cash = accounts_by_key(shop=ika_shop, keys=["cash"])["cash"]
        paid_back = reversal.lines.get(account_id=cash)
    assert (paid_back.debit, paid_back.credit) == (0, 120000)  # money paid back
    # a posting is never written twice: syncing again posts nothing
    assert order_postings_sync(shop=ika_shop, order_ids=[order.pk]) == 0


def test_damaged_returned_goods_are_a_loss_and_the_stock_account_still_agrees(
    ika_shop, ika, kastengel
):
    order = sold(ika_shop, ika, kastengel)
    lifecycle.order_return(shop=ika_shop, order_id=order.pk, reason="Remuk", restock=False)
    assert on_hand(ika_shop, kastengel) == 8
    assert stock_value(ika_shop, kastengel) == 8000
    assert by_key(ika_shop) == {
        "inventory": 8000,  # as the stock's value
        "cash": -10000,  # the sale's money paid back
        "stock_difference": 2000,  # the damaged goods' cost, a loss
    }
    pnl = figures(ika_shop)["profit_and_loss"]
    assert (pnl["revenue"], pnl["cost_of_goods"]) == (0, 0)
    assert_balanced(ika_shop)
    with shop_scope(ika_shop):
        assert JournalEntry.objects.filter(source=Source.STOCK).count() == 2  # buy, write-off


def test_a_shipped_order_returned_before_delivery_posts_nothing_but_the_money_back(
    ika_shop, ika, kastengel
):
    order = sold(ika_shop, ika, kastengel, complete=False)
    # paid, not delivered: a customer deposit; the goods' cost not posted yet
    assert by_key(ika_shop) == {"inventory": 10000, "cash": 110000, "customer_deposits": 120000}
    lifecycle.order_return(shop=ika_shop, order_id=order.pk, reason="Ditolak", restock=True)
    assert by_key(ika_shop) == {"inventory": 10000, "cash": -10000}
    assert stock_value(ika_shop, kastengel) == 10000 and on_hand(ika_shop, kastengel) == 10
    assert_balanced(ika_shop)


# -- the order page ---------------------------------------------------------------------


@pytest.fixture
def shipped(ika_shop, lapis):
    _product, variant = lapis
    order = place(ika_shop, variant)
    lifecycle.order_payment_record(shop=ika_shop, order_id=order.pk, method="qris")
    lifecycle.order_ship(shop=ika_shop, order_id=order.pk, courier="jne", tracking="JP1234567")
    return order


def test_the_owner_records_a_return_from_the_order_page(ika_client, ika_shop, lapis, shipped):
    _product, variant = lapis
    page = ika_client.get(reverse("order_detail", args=[shipped.pk])).content.decode()
    assert 'data-testid="return-form"' in page and "Catat retur" in page
    assert "Barang kembali ke stok?" in page
    url = reverse("order_return", args=[shipped.pk])
    response = ika_client.post(url, {"reason": "Pembeli pindah alamat", "restock": "yes"})
    assert response.status_code == 302
    assert fresh(ika_shop, shipped).status == Status.RETURNED
    assert level(ika_shop, variant) == (5, 0)
    page = ika_client.get(response["Location"]).content.decode()
    assert "Retur sudah dicatat. Barangnya sudah kembali ke stok." in page
    assert "Pembeli pindah alamat" in page and "2 barang kembali ke stok" in page
    assert 'data-testid="return-form"' not in page
    again = ika_client.post(url, {"reason": "lagi", "restock": "yes"})
    assert again.status_code == 400
    assert level(ika_shop, variant) == (5, 0)


def test_staff_record_a_damaged_return_and_the_page_says_so(rina_client, ika_shop, lapis, shipped):
    _product, variant = lapis
    url = reverse("order_return", args=[shipped.pk])
    response = rina_client.post(url, {"reason": "Pecah di jalan", "restock": "no"})
    assert response.status_code == 302
    assert level(ika_shop, variant) == (3, 0)
    page = rina_client.get(response["Location"]).content.decode()
    assert "barang yang rusak tidak masuk ke stok lagi" in page.lower()
    assert "Rusak: tidak kembali ke stok" in page


@pytest.mark.parametrize(
    "data",
    [{"reason": "", "restock": "yes"}, {"reason": "Rusak"}, {"reason": "Rusak", "restock": "x"}],
)
def test_a_return_without_a_reason_or_an_answer_is_refused_on_the_page(
    ika_client, ika_shop, shipped, data
):
    response = ika_client.post(reverse("order_return", args=[shipped.pk]), data)
    assert response.status_code == 400
    assert 'data-testid="return-form"' in response.content.decode()
    assert fresh(ika_shop, shipped).status == Status.SHIPPED


def test_the_return_needs_a_post(ika_client, shipped):
    assert ika_client.get(reverse("order_return", args=[shipped.pk])).status_code == 405


def test_another_shops_member_cannot_return_the_order(citra_client, ika_shop, lapis, shipped):
    _product, variant = lapis
    url = reverse("order_return", args=[shipped.pk])
    response = citra_client.post(url, {"reason": "Bukan punyaku", "restock": "yes"})
    assert response.status_code in (403, 404)
    assert fresh(ika_shop, shipped).status == Status.SHIPPED
    assert level(ika_shop, variant) == (3, 0)


def test_a_marketplace_order_page_offers_no_return(ika_client, ika_shop):
    order = imported(ika_shop, channel="shopee", status="completed")
    page = ika_client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert 'data-testid="return-form"' not in page
    response = ika_client.post(
        reverse("order_return", args=[order.pk]), {"reason": "x", "restock": "yes"}
    )
    assert response.status_code == 400 and "Shopee" in response.content.decode()
    assert fresh(ika_shop, order).status == "completed"


def test_a_delivered_unpaid_order_opens_its_payment_form_beside_the_return(
    ika_client, ika_shop, ika
):
    """A return is no step forward: a delivered cash-on-delivery order whose money has not
    all come opens on its payment form, as before returns existed."""
    order, _made = manual_order_create(
        shop=ika_shop,
        actor=ika,
        buyer=SARI,
        lines=[ManualLine(quantity=1, name="Kue Lapis Legit", unit_price=Decimal(285_000))],
        shipping_fee=Decimal(0),
        idempotency_key="cod-open",
        delivery_method="courier",
        payment_method="cod",
    )
    lifecycle.order_ship(shop=ika_shop, order_id=order.pk, courier="gosend", actor=ika)
    lifecycle.order_complete(shop=ika_shop, order_id=order.pk, actor=ika)
    page = ika_client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert '<details open data-testid="pay-section">' in page
    assert 'data-testid="return-form"' in page

"""A delivered order not paid in full is a receivable (*belum lunas*): the seller records
what the buyer pays, in parts, through the order lifecycle (its one owner) until it is
paid; the books post each part as money in against the receivable, never editing a
posted line; more than what is left is refused with the amount left; the order page,
the ageing and the dashboard show what is left."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from merdeka.books import dashboard, debts
from merdeka.books.chart import accounts_by_key
from merdeka.books.models import DebtKind, JournalEntry, JournalLine, Source
from merdeka.books.posting import today
from merdeka.books.selectors import balances
from merdeka.books.tests.test_debts import unpaid_delivered_order
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.orders import lifecycle
from merdeka.orders.manual import ManualLine, manual_order_create
from merdeka.orders.models import Order, OrderEvent, Payment, Status
from merdeka.orders.selectors import receivable_q
from merdeka.orders.services import Buyer

FAR = dt.date(2100, 1, 1)


def by_key(shop) -> dict[str, int]:
    return {
        (row.account.key or row.account.code): row.amount
        for row in balances(shop=shop, date_to=FAR)
        if row.amount
    }


def fresh(shop, order) -> Order:
    with shop_scope(shop):
        return Order.objects.get(pk=order.pk)


def lines_of(shop, entry) -> list[tuple[str, int, int]]:
    keys = accounts_by_key(shop=shop, keys=["cash", "bank", "receivable", "customer_deposits"])
    names = {pk: key for key, pk in keys.items()}
    with shop_scope(shop):
        return sorted(
            (names.get(line.account_id, "?"), line.debit, line.credit)
            for line in JournalLine.objects.filter(shop=shop, entry=entry)
        )


def posted_lines(shop, order) -> list[tuple[int, int, int, int]]:
    with shop_scope(shop):
        return list(
            JournalLine.objects.filter(shop=shop, entry__order=order)
            .order_by("pk")
            .values_list("pk", "account_id", "debit", "credit")
        )


def test_a_delivered_order_is_paid_in_parts_each_posted_against_the_receivable(ika_shop, ika, rina):
    order = unpaid_delivered_order(ika_shop, ika, price=150_000)
    assert by_key(ika_shop) == {"receivable": 150_000, "sales": 150_000}
    before = posted_lines(ika_shop, order)

    # staff take the first part in cash
    outcome = lifecycle.order_payment_record(
        shop=ika_shop, order_id=order.pk, method="cash", amount=Decimal(40_000), actor=rina
    )
    assert outcome.left == Decimal(110_000)
    part = fresh(ika_shop, order)
    assert part.status == Status.COMPLETED and part.paid_at is None  # belum lunas
    assert by_key(ika_shop) == {"cash": 40_000, "receivable": 110_000, "sales": 150_000}
    with shop_scope(ika_shop):
        first = JournalEntry.objects.filter(order=order).latest("id")
        assert Order.objects.filter(receivable_q(), pk=order.pk).exists()
    assert first.source == Source.ORDER and first.date == today(ika_shop)
    assert first.created_by_id == rina.pk  # who took the money, as its history says
    assert lines_of(ika_shop, first) == [("cash", 40_000, 0), ("receivable", 0, 40_000)]
    # what was posted before stays as it was: the payment is an entry of its own
    assert posted_lines(ika_shop, order)[: len(before)] == before

    # what is left shows in the ageing, on her order's item and on the dashboard
    [item] = debts.owed_list(shop=ika_shop, kind=DebtKind.RECEIVABLE)
    assert (item.order_id, item.left, item.bucket) == (order.pk, 110_000, "0_30")
    buckets, total = debts.ageing(items=[item])
    assert total == 110_000 and {b.key: b.total for b in buckets}["0_30"] == 110_000
    assert debts.order_owed(shop=ika_shop, order_id=order.pk).left == 110_000
    assert dashboard.receivables_due(shop=ika_shop, day=today(ika_shop))["amount"] == 110_000

    # more than what is left: refused with the amount left, nothing written
    with pytest.raises(ServiceError, match=r"sisa yang belum dibayar \(Rp110\.000\)"):
        lifecycle.order_payment_record(
            shop=ika_shop, order_id=order.pk, method="cash", amount=Decimal(110_001)
        )
    with shop_scope(ika_shop):
        assert Payment.objects.filter(order=order).count() == 1

    # the rest by transfer: paid in full, the receivable cleared, into the bank
    outcome = lifecycle.order_payment_record(
        shop=ika_shop, order_id=order.pk, method="transfer", actor=ika
    )
    assert outcome.left == 0
    assert fresh(ika_shop, order).paid_at is not None
    assert by_key(ika_shop) == {"cash": 40_000, "bank": 110_000, "sales": 150_000}
    with shop_scope(ika_shop):
        last = JournalEntry.objects.filter(order=order).latest("id")
        assert not Order.objects.filter(receivable_q(), pk=order.pk).exists()
        events = [
            (Decimal(e.detail["amount"]), e.detail["left"])
            for e in OrderEvent.objects.filter(order=order, kind="payment").order_by("id")
        ]
    assert lines_of(ika_shop, last) == [("bank", 110_000, 0), ("receivable", 0, 110_000)]
    assert last.created_by_id == ika.pk
    assert events == [(40_000, "110000"), (110_000, "0")]
    assert debts.owed_list(shop=ika_shop, kind=DebtKind.RECEIVABLE) == []
    assert dashboard.receivables_due(shop=ika_shop, day=today(ika_shop))["amount"] == 0
    with pytest.raises(ServiceError, match="sudah dicatat"):
        lifecycle.order_payment_record(shop=ika_shop, order_id=order.pk, method="cash")


def test_a_down_payment_is_a_deposit_and_the_rest_a_receivable_on_delivery(ika_shop, ika):
    order, _ = manual_order_create(
        shop=ika_shop,
        actor=ika,
        buyer=Buyer(name="Sari Dewi Lestari", phone="0812-7777-8888"),
        lines=[ManualLine(quantity=2, name="Kue Lapis Legit", unit_price=Decimal(100_000))],
        shipping_fee=Decimal(0),
        idempotency_key="dp",
        delivery_method="pickup",
        payment_method="transfer",
    )
    lifecycle.order_payment_record(
        shop=ika_shop, order_id=order.pk, method="transfer", amount=Decimal(50_000)
    )
    dp = fresh(ika_shop, order)
    assert dp.status == Status.PAID and dp.paid_at is None  # a DP: ready to make, not lunas
    assert by_key(ika_shop) == {"bank": 50_000, "customer_deposits": 50_000}
    lifecycle.order_complete(shop=ika_shop, order_id=order.pk, actor=ika)
    assert by_key(ika_shop) == {"bank": 50_000, "receivable": 150_000, "sales": 200_000}
    with shop_scope(ika_shop):
        assert Order.objects.filter(receivable_q(), pk=order.pk).exists()
    lifecycle.order_payment_record(
        shop=ika_shop, order_id=order.pk, method="cash", amount=Decimal(150_000)
    )
    assert by_key(ika_shop) == {"bank": 50_000, "cash": 150_000, "sales": 200_000}
    assert fresh(ika_shop, order).paid_at is not None


def test_a_cancelled_part_paid_order_reverses_and_tells_the_buyer_the_money_goes_back(
    ika_shop, ika
):
    order, _ = manual_order_create(
        shop=ika_shop,
        actor=ika,
        buyer=Buyer(name="Sari Dewi Lestari", phone="0812-7777-8888"),
        lines=[ManualLine(quantity=1, name="Bolu Pandan", unit_price=Decimal(80_000))],
        shipping_fee=Decimal(0),
        idempotency_key="c",
        delivery_method="pickup",
        payment_method="transfer",
    )
    lifecycle.order_payment_record(
        shop=ika_shop, order_id=order.pk, method="transfer", amount=Decimal(30_000)
    )
    outcome = lifecycle.order_cancel(shop=ika_shop, order_id=order.pk, reason="Batal", actor=ika)
    assert outcome.event.detail["was_paid"] is True
    assert by_key(ika_shop) == {}


def shown(page: str, testid: str) -> str:
    """The text of the page's element ``data-testid=testid`` (its tags dropped)."""
    found = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</dd>', page)
    return re.sub(r"<[^>]+>", "", found.group(1)).strip() if found else ""


def test_the_order_page_shows_paid_and_left_and_takes_a_part_payment(rina_client, ika, ika_shop):
    order = unpaid_delivered_order(ika_shop, ika, price=150_000)
    url = reverse("order_detail", args=[order.pk])
    page = re.sub(r"\s+", " ", rina_client.get(url).content.decode())
    assert shown(page, "order-left") == "Rp150.000 Belum lunas"
    pay = reverse("order_pay", args=[order.pk])
    answer = rina_client.post(pay, {"method": "cash", "amount": "200.000"})
    assert answer.status_code == 400
    assert "lebih besar dari sisa yang belum dibayar (Rp150.000)" in answer.content.decode()
    answer = rina_client.post(pay, {"method": "cash", "amount": "50.000"}, follow=True)
    page = re.sub(r"\s+", " ", answer.content.decode())
    assert "Pembayaran dicatat. Sisa tagihan Rp100.000." in page
    assert shown(page, "order-paid") == "Rp50.000"
    assert shown(page, "order-left") == "Rp100.000 Belum lunas"
    assert 'value="100000"' in page  # the form offers what is left
    answer = rina_client.post(pay, {"method": "qris", "amount": ""}, follow=True)
    page = re.sub(r"\s+", " ", answer.content.decode())
    assert "Pembayaran dicatat. Pesanan sudah dibayar." in page
    assert shown(page, "order-left") == "Rp0" and 'data-testid="pay-form"' not in page
    assert by_key(ika_shop) == {"cash": 50_000, "bank": 100_000, "sales": 150_000}

"""Orders post themselves, once, on the accrual basis: deposits before delivery, revenue
on delivery, receivables for what is not paid, reversals for cancellations; every
channel, every retry, and the backfill in any order."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.core.management import call_command
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from merdeka.books import backfill as backfill_module
from merdeka.books.backfill import backfill
from merdeka.books.chart import accounts_by_key
from merdeka.books.models import Account, BooksSettings, JournalEntry, RevenueOn, Source
from merdeka.books.orders import order_postings_sync, orders_read, target
from merdeka.books.posting import (
    Line,
    entry_post,
    entry_reverse,
    month_close,
    month_reopen,
    today,
)
from merdeka.books.selectors import balance_sheet, balances, profit_and_loss, report
from merdeka.books.statements import cash_flow, financial_position, is_money
from merdeka.books.tests.test_profit import profit_days_agree
from merdeka.books.tests.test_totals import journal_months_agree
from merdeka.catalog import services as catalog
from merdeka.catalog.models import StockCost
from merdeka.core import events
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.orders import lifecycle
from merdeka.orders.manual import ManualLine, manual_order_create
from merdeka.orders.models import Payment
from merdeka.orders.services import Buyer
from merdeka.storefront.tests.conftest import make_product

SARI = Buyer(name="Sari Dewi Lestari", phone="0812-7777-8888")


def manual(shop, actor, key, price, fee=0, delivery="pickup", payment="transfer"):
    order, _ = manual_order_create(
        shop=shop,
        actor=actor,
        buyer=SARI,
        lines=[ManualLine(quantity=1, name="Bolu Pandan", unit_price=Decimal(price))],
        shipping_fee=Decimal(fee),
        idempotency_key=key,
        delivery_method=delivery,
        payment_method=payment,
    )
    return order


def by_key(shop) -> dict[str, int]:
    """Each account's balance on its normal side, by its key (seller-made: by code)."""
    return {
        (row.account.key or row.account.code): row.amount
        for row in balances(shop=shop, date_to=dt.date(2100, 1, 1))
        if row.amount
    }


def test_a_paid_order_is_a_deposit_until_it_is_delivered_then_revenue(ika_shop, ika):
    order = manual(ika_shop, ika, "a", 85000, fee=15000, delivery="courier")
    assert by_key(ika_shop) == {}  # placed: nothing happened to money yet
    lifecycle.order_payment_record(shop=ika_shop, order_id=order.pk, method="qris", actor=ika)
    assert by_key(ika_shop) == {"bank": 100000, "customer_deposits": 100000}
    lifecycle.order_ship(
        shop=ika_shop, order_id=order.pk, courier="jne", tracking="JP1234567890", actor=ika
    )
    assert by_key(ika_shop) == {"bank": 100000, "customer_deposits": 100000}  # not yet
    lifecycle.order_complete(shop=ika_shop, order_id=order.pk, actor=ika)
    assert by_key(ika_shop) == {"bank": 100000, "sales": 85000, "shipping_income": 15000}
    day = today(ika_shop)
    pnl = profit_and_loss(shop=ika_shop, date_from=day, date_to=day)
    assert (pnl["revenue"], pnl["profit"]) == (100000, 100000)
    with shop_scope(ika_shop):
        assert JournalEntry.objects.filter(order=order, source=Source.ORDER).count() == 2


def test_revenue_on_shipping_when_the_shop_chose_so(ika_shop, ika):
    with shop_scope(ika_shop):
        BooksSettings.objects.create(shop=ika_shop, revenue_on=RevenueOn.SHIPPED)
    order = manual(ika_shop, ika, "a", 50000, delivery="courier", payment="cod")
    lifecycle.order_ship(shop=ika_shop, order_id=order.pk, courier="gosend", actor=ika)
    assert by_key(ika_shop) == {"receivable": 50000, "sales": 50000}  # belum lunas
    lifecycle.order_payment_record(shop=ika_shop, order_id=order.pk, method="cash", actor=ika)
    assert by_key(ika_shop) == {"cash": 50000, "sales": 50000}


def test_a_cancelled_paid_order_reverses_what_it_posted(ika_shop, ika):
    order = manual(ika_shop, ika, "a", 120000)
    lifecycle.order_payment_record(shop=ika_shop, order_id=order.pk, method="ewallet", actor=ika)
    lifecycle.order_cancel(shop=ika_shop, order_id=order.pk, reason="Stok habis", actor=ika)
    assert by_key(ika_shop) == {}
    with shop_scope(ika_shop):
        assert JournalEntry.objects.filter(order=order).count() == 2  # posted, then adjusted


def test_syncing_again_posts_nothing_twice(ika_shop, ika):
    order = manual(ika_shop, ika, "a", 75000)
    lifecycle.order_payment_record(shop=ika_shop, order_id=order.pk, method="cash", actor=ika)
    lifecycle.order_complete(shop=ika_shop, order_id=order.pk, actor=ika)
    with transaction.atomic():
        assert order_postings_sync(shop=ika_shop, order_ids=[order.pk, order.pk]) == 0
    assert backfill(shop=ika_shop) == 0
    assert by_key(ika_shop) == {"cash": 75000, "sales": 75000}


def test_an_order_change_in_a_closed_month_posts_in_the_open_one(ika_shop, ika):
    order = manual(ika_shop, ika, "a", 60000)
    lifecycle.order_payment_record(shop=ika_shop, order_id=order.pk, method="cash", actor=ika)
    day = today(ika_shop)
    month_close(shop=ika_shop, month=day, actor=ika)
    lifecycle.order_complete(shop=ika_shop, order_id=order.pk, actor=ika)
    with shop_scope(ika_shop):
        late = JournalEntry.objects.filter(order=order).latest("id")
    assert late.belongs_to == day and late.date > day and late.date.day == 1


SHOPEE_HEADER = (
    "Order ID;Order Status;Order Creation Date;Product Name;Quantity;Deal Price;"
    "Username (Buyer);Receiver Name;Phone Number;City;Province;Shipping Fee\n"
)


def shopee(path, status, total="85,000"):
    path.write_text(
        SHOPEE_HEADER
        + f"2505010000001A;{status};2025-05-01 10:00;Nastar Keju;1;{total};sarilestari;"
        "Sari Dewi Lestari;6281277778888;Kota Bandung;Jawa Barat;0\n",
        encoding="utf-8",
    )


def test_an_imported_marketplace_order_posts_into_its_seller_balance_once(
    ika_shop, tmp_path, capsys
):
    first = tmp_path / "Order.all.20250501_20250531.csv"
    shopee(first, "Completed")
    call_command("import", str(first), "--shop", ika_shop.slug)
    call_command("import", str(first), "--shop", ika_shop.slug)  # the same file again
    assert by_key(ika_shop) == {"marketplace:shopee": 85000, "sales": 85000}
    with shop_scope(ika_shop):
        entry = JournalEntry.objects.get()
    assert entry.date == dt.date(2025, 5, 1)  # on the order's own day, not the import's
    later = tmp_path / "Order.all.20250501_20250602.csv"
    shopee(later, "Cancelled")
    call_command("import", str(later), "--shop", ika_shop.slug)
    assert by_key(ika_shop) == {}
    capsys.readouterr()


def test_the_backfill_posts_every_order_once_in_any_order(ika_shop, ika):
    # orders made while the books did not listen (as before the books existed)
    saved = events._subscribers.pop("books.orders")
    try:
        orders = [manual(ika_shop, ika, f"k{i}", 10000 * (i + 1)) for i in range(6)]
        for order in orders[:4]:
            lifecycle.order_payment_record(
                shop=ika_shop, order_id=order.pk, method="transfer", actor=ika
            )
        for order in orders[:2]:
            lifecycle.order_complete(shop=ika_shop, order_id=order.pk, actor=ika)
        lifecycle.order_cancel(shop=ika_shop, order_id=orders[3].pk, reason="Batal", actor=ika)
    finally:
        events._subscribers["books.orders"] = saved
    assert by_key(ika_shop) == {}
    ids = [o.pk for o in orders]
    random.Random(7).shuffle(ids)
    with transaction.atomic():  # part of it, in a shuffled order, as a stopped run would
        order_postings_sync(shop=ika_shop, order_ids=ids[:3])
    assert backfill(shop=ika_shop) > 0
    assert backfill(shop=ika_shop) == 0
    # paid: 10k+20k+30k(+40k cancelled); delivered: the first two
    assert by_key(ika_shop) == {"bank": 60000, "sales": 30000, "customer_deposits": 30000}


STATES = st.sampled_from(
    ["placed", "paid", "done", "done_unpaid", "cancelled", "part_done", "part_paid_off"]
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    states=st.lists(STATES, min_size=1, max_size=5),
    seed=st.integers(min_value=0, max_value=10**6),
    synced=st.integers(min_value=0, max_value=5),
    batch=st.integers(min_value=1, max_value=4),
)
def test_the_backfill_posts_each_order_exactly_once_whatever_order_it_runs_in(
    ika_shop, ika, monkeypatch, states, seed, synced, batch
):
    monkeypatch.setattr(backfill_module, "BATCH", batch)
    try:
        with transaction.atomic(), shop_scope(ika_shop):
            _backfill_in_any_order(ika_shop, ika, states, random.Random(seed), synced)
            raise _Rollback
    except _Rollback:
        pass


def _backfill_in_any_order(shop, actor, states, rng, synced):
    saved = events._subscribers.pop("books.orders")  # made before the books listened
    try:
        orders = [
            manual(shop, actor, f"x{n}", 10000 * (n + 1), fee=n * 1000) for n in range(len(states))
        ]
        for order, state in zip(orders, states, strict=True):
            try:
                if state in ("paid", "done", "cancelled"):
                    lifecycle.order_payment_record(
                        shop=shop, order_id=order.pk, method="transfer", actor=actor
                    )
                if state in ("part_done", "part_paid_off"):  # a down payment of a third
                    lifecycle.order_payment_record(
                        shop=shop,
                        order_id=order.pk,
                        method="transfer",
                        amount=(order.total // 3).quantize(Decimal(1)),
                        actor=actor,
                    )
                if state in ("done", "done_unpaid", "part_done", "part_paid_off"):
                    lifecycle.order_complete(shop=shop, order_id=order.pk, actor=actor)
                if state == "part_paid_off":  # the rest in cash, after delivery
                    lifecycle.order_payment_record(
                        shop=shop, order_id=order.pk, method="cash", actor=actor
                    )
                if state == "cancelled":
                    lifecycle.order_cancel(shop=shop, order_id=order.pk, reason="x", actor=actor)
            except ServiceError:
                pass  # a step the lifecycle refuses leaves the order where it was
    finally:
        events._subscribers["books.orders"] = saved
    ids = [o.pk for o in orders]
    rng.shuffle(ids)
    for order_id in ids[:synced]:  # some orders were posted already, in any order
        order_postings_sync(shop=shop, order_ids=[order_id])
    backfill(shop=shop)
    assert backfill(shop=shop) == 0
    profit_days_agree(shop)  # the gross-profit days moved with every entry
    # each order's entries add up to its target: posted once, not twice, not partly
    books = orders_read(shop=shop, order_ids=ids)
    keys = dict(Account.objects.filter(shop=shop).values_list("pk", "key"))
    for order_id in ids:
        wanted = target(books.orders[order_id], books.paid.get(order_id, {}), rule="completed")
        has = {keys[a]: amount for a, amount in books.posted.get(order_id, {}).items() if amount}
        assert has == wanted, (order_id, has, wanted)
        assert books.counts.get(order_id, 0) <= 2


# -- any sequence keeps the books whole ----------------------------------------------

ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "order",
                "cod",
                "pay",
                "part",
                "ship",
                "complete",
                "cancel",
                "expense",
                "capital",
                "drawing",
                "transfer",
                "reverse",
                "close",
                "reopen",
                "buy",
                "sell",
                "count",
            ]
        ),
        st.integers(min_value=0, max_value=7),
        st.integers(min_value=1, max_value=2_000).map(lambda n: n * 500),
    ),
    min_size=1,
    max_size=14,
)


class _Rollback(Exception):
    pass


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=ACTIONS)
def test_any_sequence_keeps_the_books_balanced_and_the_statements_reconciled(
    ika_shop, ika, actions
):
    try:
        with transaction.atomic(), shop_scope(ika_shop):
            _play(ika_shop, ika, actions)
            raise _Rollback
    except _Rollback:
        pass


def _play(shop, actor, actions):
    acc = accounts_by_key(
        shop=shop, keys=["cash", "bank", "capital", "drawings", "expense:packaging"]
    )
    start = today(shop)
    opening = balance_sheet(shop=shop, at=start - dt.timedelta(days=1))
    orders, entries, capital, drawings = [], [], 0, 0
    _product, [variant] = make_product(shop, name="Kastengel", stock=0)
    home = catalog.location_default(shop=shop)
    for n, (action, pick, amount) in enumerate(actions):
        try:
            if action == "order":
                orders.append(manual(shop, actor, f"p{n}", amount, fee=pick * 1000))
            elif action == "cod":  # shipped before it is paid: a receivable on delivery
                orders.append(
                    manual(shop, actor, f"c{n}", amount, delivery="courier", payment="cod")
                )
            elif action == "buy":  # not paid yet: a payable, no cash moves
                catalog.stock_purchase(
                    shop=shop, variant=variant, location=home, quantity=pick + 1, unit_cost=amount
                )
            elif action == "sell":
                order, _ = manual_order_create(
                    shop=shop,
                    actor=actor,
                    buyer=SARI,
                    lines=[ManualLine(quantity=pick % 3 + 1, variant_id=variant.pk)],
                    idempotency_key=f"v{n}",
                    delivery_method="pickup",
                    payment_method="transfer",
                )
                orders.append(order)
            elif action == "count":
                catalog.stock_count(shop=shop, location=home, counts={variant.pk: pick})
            elif action in ("pay", "part", "ship", "complete", "cancel") and orders:
                order = orders[pick % len(orders)]
                if action == "pay":  # what is left, all of it
                    lifecycle.order_payment_record(
                        shop=shop, order_id=order.pk, method="cash", actor=actor
                    )
                elif action == "part":  # a part (more than is left is refused)
                    lifecycle.order_payment_record(
                        shop=shop,
                        order_id=order.pk,
                        method="transfer",
                        amount=Decimal(amount // 4 or 1),
                        actor=actor,
                    )
                elif action == "ship":
                    lifecycle.order_ship(
                        shop=shop, order_id=order.pk, courier="gosend", actor=actor
                    )
                elif action == "complete":
                    lifecycle.order_complete(shop=shop, order_id=order.pk, actor=actor)
                else:
                    lifecycle.order_cancel(shop=shop, order_id=order.pk, reason="x", actor=actor)
            elif action in ("expense", "capital", "drawing", "transfer"):
                debit, credit = {
                    "expense": ("expense:packaging", "cash"),
                    "capital": ("cash", "capital"),
                    "drawing": ("drawings", "cash"),
                    "transfer": ("bank", "cash"),
                }[action]
                entries.append(
                    entry_post(
                        shop=shop,
                        date=start,
                        source=Source.MANUAL,
                        key=f"e{n}",
                        lines=[Line(acc[debit], debit=amount), Line(acc[credit], credit=amount)],
                    )
                )
                capital += amount if action == "capital" else 0
                drawings += amount if action == "drawing" else 0
            elif action == "reverse" and entries:
                entry = entries.pop(pick % len(entries))
                entry_reverse(shop=shop, entry_id=entry.pk, actor=actor, date=start)
                capital -= entry_amount(entry, acc["capital"], credit=True)
                drawings -= entry_amount(entry, acc["drawings"], credit=False)
            elif action == "close":
                month_close(shop=shop, month=start, actor=actor)
            elif action == "reopen":
                month_reopen(shop=shop, month=start, actor=actor)
        except ServiceError:
            pass  # a move the lifecycle refuses (already paid, not shipped...) changes nothing
    end = start + dt.timedelta(days=62)  # closed months push postings to the next one
    profit_days_agree(shop)
    journal_months_agree(shop)  # and the months the evidence pack reads
    figures = report(shop=shop, date_from=start, date_to=end)
    assert figures["trial_balance"]["debit"] == figures["trial_balance"]["credit"]
    sheet = figures["balance_sheet"]
    assert sheet["assets"] == sheet["liabilities"] + sheet["equity"]
    # drawings are equity with a debit balance: equity moves by profit + capital - drawings
    assert sheet["equity"] - opening["equity"] == (
        figures["profit_and_loss"]["profit"] + capital - drawings
    )
    cash = sum(
        b.amount for b in balances(shop=shop, date_from=start, date_to=end)
        if b.account.key in ("cash", "bank")
    )  # fmt: skip
    paid = sum(  # every payment, in full or a part, of the orders not cancelled
        int(p.amount)
        for p in Payment.objects.filter(shop=shop, order__in=[o.pk for o in orders])
        if p.order.status != "cancelled"
    )  # fmt: skip
    moved = sum(
        line.debit - line.credit
        for e in JournalEntry.objects.filter(shop=shop, source__in=[Source.MANUAL, Source.REVERSAL])
        for line in e.lines.all()
        if line.account_id in (acc["cash"], acc["bank"])
    )  # fmt: skip
    assert cash == paid + moved  # Arus Kas: the change in cash is what moved it
    # the cash flow statement explains exactly the change in money over the period
    flow = cash_flow(shop=shop, date_from=start, date_to=end).totals
    closing = sum(
        b.amount for b in balances(shop=shop, date_to=end) if is_money(b.account)
    )  # fmt: skip
    opening_money = sum(
        b.amount for b in balances(shop=shop, date_to=start - dt.timedelta(days=1))
        if is_money(b.account)
    )  # fmt: skip
    assert flow["net"] == flow["change"] == closing - opening_money
    assert flow["financing"] == capital - drawings  # no loans here: the owner's money only
    position = financial_position(shop=shop, at=end).totals
    assert position["assets"] == position["liabilities_and_equity"]
    # the stock account holds what the stock on the shelf cost (orders leave on delivery)
    inventory = sum(
        b.amount for b in balances(shop=shop, date_from=start, date_to=end)
        if b.account.key == "inventory"
    )  # fmt: skip
    assert inventory == sum(StockCost.objects.filter(shop=shop).values_list("value", flat=True))
    assert backfill(shop=shop) == 0  # everything live was posted exactly once
    # what belonged to a closed month posted on the first day of a later one, saying so
    for entry in JournalEntry.objects.filter(shop=shop, belongs_to__isnull=False):
        assert entry.date.day == 1 and entry.date > entry.belongs_to, entry


def entry_amount(entry, account_id, *, credit: bool) -> int:
    return sum(
        (line.credit if credit else line.debit)
        for line in entry.lines.all()
        if line.account_id == account_id
    )


def test_orders_read_by_runs_of_ids_reads_what_lists_of_them_read(ika_shop, ika):
    orders = [manual(ika_shop, ika, f"r{i}", 10000 * (i + 1), fee=1000) for i in range(6)]
    for order in orders[:3]:
        lifecycle.order_payment_record(
            shop=ika_shop, order_id=order.pk, method="transfer", actor=ika
        )
    lifecycle.order_complete(shop=ika_shop, order_id=orders[0].pk, actor=ika)
    ids = sorted(o.pk for o in orders)
    assert ids == list(range(ids[0], ids[0] + 6))  # one run: read as a range
    whole = orders_read(shop=ika_shop, order_ids=ids)
    # every other id: chunks with gaps, read through lists of ids
    halves = [orders_read(shop=ika_shop, order_ids=ids[i::2]) for i in (0, 1)]
    for part in ("orders", "paid", "posted", "counts", "sent", "mapped"):
        joined = {**getattr(halves[0], part), **getattr(halves[1], part)}
        assert {k: dict(v) if isinstance(v, dict) else v for k, v in joined.items()} == {
            k: dict(v) if isinstance(v, dict) else v for k, v in getattr(whole, part).items()
        }, part
    assert set(whole.orders) == set(ids)
    assert whole.posted and whole.paid  # the comparison saw postings and payments
    # a run with an id of another shop's order or none at all reads only the shop's own
    assert set(orders_read(shop=ika_shop, order_ids=[*ids, ids[-1] + 1]).orders) == set(ids)

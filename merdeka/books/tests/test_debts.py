"""Debts: a customer's piutang and the shop's utang, each posted once, paid in parts
(never more than is left), aged by days past the due date, and reminded through
outreach as a service message that says so, logged every time."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from merdeka.books import debt_reminders, debts
from merdeka.books.chart import accounts_by_key
from merdeka.books.models import (
    Debt,
    DebtKind,
    DebtPayment,
    DebtReminder,
    JournalEntry,
    Source,
)
from merdeka.books.posting import month_close, today
from merdeka.books.selectors import balances, profit_and_loss
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.customers.resolution import customer_merge
from merdeka.customers.services import customer_create
from merdeka.orders import lifecycle
from merdeka.orders.manual import ManualLine, manual_order_create
from merdeka.orders.services import Buyer
from merdeka.outreach.models import Delivery, DeliveryStatus, Purpose, WhatsAppTemplate
from merdeka.privacy.models import AuditEvent
from merdeka.privacy.rights import customer_erase, customer_restrict

FAR = dt.date(2100, 1, 1)


@pytest.fixture
def acc(ika_shop):
    return accounts_by_key(
        shop=ika_shop,
        keys=["cash", "bank", "sales", "other_income", "inventory", "receivable", "payable"],
    )


@pytest.fixture
def sari(ika_shop):
    return customer_create(
        shop=ika_shop, name="Sari Dewi Lestari", phone="0812-7777-8888", email="sari@example.id"
    )


def by_key(shop) -> dict[str, int]:
    return {
        (row.account.key or row.account.code): row.amount
        for row in balances(shop=shop, date_to=FAR)
        if row.amount
    }


def piutang(shop, customer, acc, *, key="d1", amount=300_000, day=None, due=None, **kw):
    day = day or today(shop)
    return debts.debt_record(
        shop=shop,
        kind=DebtKind.RECEIVABLE,
        key=key,
        amount=amount,
        counter_account_id=kw.pop("counter", acc["sales"]),
        due_date=due or day + dt.timedelta(days=14),
        day=day,
        customer_id=customer.pk,
        note=kw.pop("note", "Nastar 3 toples"),
        **kw,
    )


def test_a_customers_debt_posts_a_receivable_against_sales_once_per_tap(ika_shop, rina, sari, acc):
    first = piutang(ika_shop, sari, acc, actor=rina)
    again = piutang(ika_shop, sari, acc, actor=rina)
    assert first.pk == again.pk
    assert by_key(ika_shop) == {"receivable": 300_000, "sales": 300_000}
    with shop_scope(ika_shop):
        entry = JournalEntry.objects.get(pk=first.entry_id)
        assert AuditEvent.objects.filter(action="books.debt_recorded").count() == 1
    # the entry names its source, who and when
    assert entry.source == Source.DEBT and entry.key == f"debt:{first.pk}"
    assert entry.created_by == rina and entry.created_at is not None
    assert "Sari" not in entry.memo  # no personal data in the journal


def test_a_loan_given_moves_money_into_the_receivable_not_profit(ika_shop, sari, acc):
    piutang(ika_shop, sari, acc, counter=acc["cash"], note="Pinjaman")
    assert by_key(ika_shop) == {"receivable": 300_000, "cash": -300_000}
    day = today(ika_shop)
    assert profit_and_loss(shop=ika_shop, date_from=day, date_to=day)["profit"] == 0


def test_a_payable_for_stock_then_paid_from_the_bank(ika_shop, ika, acc):
    debt = debts.debt_record(
        shop=ika_shop, kind=DebtKind.PAYABLE, key="u1", amount=1_200_000,
        counter_account_id=acc["inventory"], due_date=today(ika_shop) + dt.timedelta(days=30),
        creditor="Toko Bahan Kue Sinar", note="Tepung 50 kg", actor=ika,
    )  # fmt: skip
    assert by_key(ika_shop) == {"inventory": 1_200_000, "payable": 1_200_000}
    debts.debt_payment_record(
        shop=ika_shop, debt_id=debt.pk, key="p1", amount=200_000, account_id=acc["bank"], actor=ika
    )
    assert by_key(ika_shop) == {"inventory": 1_200_000, "payable": 1_000_000, "bank": -200_000}
    [item] = debts.owed_list(shop=ika_shop, kind=DebtKind.PAYABLE)
    assert (item.name, item.left) == ("Toko Bahan Kue Sinar", 1_000_000)
    with shop_scope(ika_shop):  # the creditor's name is stored encrypted
        raw = Debt.objects.filter(pk=debt.pk).values_list("creditor", flat=True).get()
    assert "Sinar" not in str(raw)


def test_partial_payments_clear_the_debt_and_more_than_is_left_is_refused(
    ika_shop, rina, sari, acc
):
    debt = piutang(ika_shop, sari, acc)
    debts.debt_payment_record(
        shop=ika_shop, debt_id=debt.pk, key="p1", amount=100_000, account_id=acc["cash"],
        actor=rina,
    )  # fmt: skip
    debts.debt_payment_record(  # the same form again: recorded once
        shop=ika_shop, debt_id=debt.pk, key="p1", amount=100_000, account_id=acc["cash"]
    )
    [item] = debts.owed_list(shop=ika_shop, kind=DebtKind.RECEIVABLE)
    assert (item.paid, item.left) == (100_000, 200_000)
    with pytest.raises(ServiceError) as refused:
        debts.debt_payment_record(
            shop=ika_shop, debt_id=debt.pk, key="p2", amount=250_000, account_id=acc["cash"]
        )
    assert str(refused.value) == (
        "Pembayaran Rp250.000 lebih besar dari sisa yang belum dibayar (Rp200.000). "
        "Tulis Rp200.000 atau kurang."
    )
    payment = debts.debt_payment_record(
        shop=ika_shop, debt_id=debt.pk, key="p3", amount=200_000, account_id=acc["bank"]
    )
    assert debts.owed_list(shop=ika_shop, kind=DebtKind.RECEIVABLE) == []
    assert by_key(ika_shop) == {"cash": 100_000, "bank": 200_000, "sales": 300_000}
    with shop_scope(ika_shop):
        assert JournalEntry.objects.get(pk=payment.entry_id).source == Source.DEBT_PAYMENT
        assert DebtPayment.objects.count() == 2
    with pytest.raises(ServiceError, match="lunas"):
        debts.debt_payment_record(
            shop=ika_shop, debt_id=debt.pk, key="p4", amount=1, account_id=acc["cash"]
        )


def test_a_payment_goes_into_a_money_account_only(ika_shop, sari, acc):
    debt = piutang(ika_shop, sari, acc)
    for account in ("receivable", "inventory", "sales"):
        with pytest.raises(ServiceError):
            debts.debt_payment_record(
                shop=ika_shop, debt_id=debt.pk, key="p", amount=1, account_id=acc[account]
            )


def test_a_debt_needs_its_person_a_due_date_after_it_and_a_sensible_account(ika_shop, sari, acc):
    day = today(ika_shop)
    with pytest.raises(ServiceError, match="pelanggan"):
        debts.debt_record(
            shop=ika_shop, kind=DebtKind.RECEIVABLE, key="x", amount=1000,
            counter_account_id=acc["sales"], due_date=day,
        )  # fmt: skip
    with pytest.raises(ServiceError, match=r"(?i)jatuh tempo"):
        piutang(ika_shop, sari, acc, due=day - dt.timedelta(days=1))
    with pytest.raises(ServiceError):
        piutang(ika_shop, sari, acc, counter=acc["receivable"])
    with pytest.raises(ServiceError):
        debts.debt_record(
            shop=ika_shop, kind=DebtKind.PAYABLE, key="y", amount=1000,
            counter_account_id=acc["inventory"], due_date=day, creditor="  ",
        )  # fmt: skip
    with shop_scope(ika_shop):
        assert not Debt.objects.exists() and not JournalEntry.objects.exists()


def test_ageing_sorts_what_is_left_by_days_past_the_due_date(ika_shop, sari, acc):
    at = dt.date(2026, 11, 30)
    cases = {  # due date -> amount
        dt.date(2026, 12, 10): 1_000,  # not due yet
        dt.date(2026, 11, 30): 2_000,  # due today: 0 days
        dt.date(2026, 10, 31): 3_000,  # 30 days
        dt.date(2026, 10, 30): 4_000,  # 31 days
        dt.date(2026, 10, 1): 5_000,  # 60 days
        dt.date(2026, 9, 1): 6_000,  # 90 days
        dt.date(2026, 8, 31): 7_000,  # 91 days
    }
    for n, (due, amount) in enumerate(cases.items()):
        piutang(ika_shop, sari, acc, key=f"a{n}", amount=amount, day=dt.date(2026, 8, 1), due=due)
    items = debts.owed_list(shop=ika_shop, kind=DebtKind.RECEIVABLE, at=at)
    buckets, total = debts.ageing(items=items)
    assert {b.key: b.total for b in buckets} == {
        "not_due": 1_000,
        "0_30": 2_000 + 3_000,
        "31_60": 4_000 + 5_000,
        "61_90": 6_000,
        "over_90": 7_000,
    }
    assert total == 28_000
    assert [i.days_overdue for i in items] == [91, 90, 60, 31, 30, 0, -10]  # most overdue first
    # as it stood on an earlier day: a later payment is not in it yet
    with shop_scope(ika_shop):
        debt = Debt.objects.filter(shop=ika_shop, amount=7_000).get()
    debts.debt_payment_record(
        shop=ika_shop, debt_id=debt.pk, key="late", amount=7_000, account_id=acc["cash"],
        day=dt.date(2026, 12, 1),
    )  # fmt: skip
    again, _total = debts.ageing(
        items=debts.owed_list(shop=ika_shop, kind=DebtKind.RECEIVABLE, at=at)
    )
    assert again[-1].total == 7_000
    assert debts.owed_list(shop=ika_shop, kind=DebtKind.RECEIVABLE, at=dt.date(2026, 7, 1)) == []


def test_a_debt_in_a_closed_month_posts_in_the_open_one(ika_shop, ika, sari, acc):
    day = today(ika_shop)
    earlier = (day.replace(day=1) - dt.timedelta(days=1)).replace(day=5)
    month_close(shop=ika_shop, month=earlier, actor=ika)
    debt = piutang(ika_shop, sari, acc, day=earlier, due=earlier + dt.timedelta(days=10))
    with shop_scope(ika_shop):
        entry = JournalEntry.objects.get(pk=debt.entry_id)
    assert entry.belongs_to == earlier and entry.date == day.replace(day=1)
    [item] = debts.owed_list(shop=ika_shop, kind=DebtKind.RECEIVABLE)
    assert item.date == earlier  # the debt keeps its own day for the ageing


def test_a_mistaken_debt_is_cancelled_by_a_reversal_and_a_paid_one_is_not(ika_shop, ika, sari, acc):
    debt = piutang(ika_shop, sari, acc)
    debts.debt_void(shop=ika_shop, debt_id=debt.pk, actor=ika)
    assert by_key(ika_shop) == {}
    with shop_scope(ika_shop):
        assert JournalEntry.objects.filter(reverses_id=debt.entry_id).exists()
    assert debts.owed_list(shop=ika_shop, kind=DebtKind.RECEIVABLE) == []
    with pytest.raises(ServiceError, match="dibatalkan"):
        debts.debt_payment_record(
            shop=ika_shop, debt_id=debt.pk, key="p", amount=1, account_id=acc["cash"]
        )
    paid = piutang(ika_shop, sari, acc, key="d2")
    debts.debt_payment_record(
        shop=ika_shop, debt_id=paid.pk, key="p2", amount=1, account_id=acc["cash"]
    )
    with pytest.raises(ServiceError):
        debts.debt_void(shop=ika_shop, debt_id=paid.pk, actor=ika)


def unpaid_delivered_order(shop, actor, price=150_000):
    order, _ = manual_order_create(
        shop=shop,
        actor=actor,
        buyer=Buyer(name="Sari Dewi Lestari", phone="0812-7777-8888"),
        lines=[ManualLine(quantity=1, name="Bolu Pandan", unit_price=Decimal(price))],
        shipping_fee=Decimal(0),
        idempotency_key=f"o-{price}",
        delivery_method="courier",
        payment_method="cod",
    )
    lifecycle.order_ship(shop=shop, order_id=order.pk, courier="gosend", actor=actor)
    lifecycle.order_complete(shop=shop, order_id=order.pk, actor=actor)
    return order


def test_an_unpaid_delivered_order_is_a_receivable_its_payment_clears_without_double_posting(
    ika_shop, ika, sari, acc
):
    order = unpaid_delivered_order(ika_shop, ika)
    piutang(ika_shop, sari, acc)
    items = debts.owed_list(shop=ika_shop, kind=DebtKind.RECEIVABLE)
    [from_order] = [i for i in items if i.order_id]
    assert (from_order.left, from_order.customer_id, from_order.name) == (
        150_000,
        sari.pk,
        "Sari Dewi Lestari",
    )
    assert debts.customer_owes(shop=ika_shop, customer=sari)["total"] == 450_000
    assert by_key(ika_shop)["receivable"] == 300_000 + 150_000
    lifecycle.order_payment_record(shop=ika_shop, order_id=order.pk, method="cash", actor=ika)
    assert by_key(ika_shop)["receivable"] == 300_000
    with shop_scope(ika_shop):
        only = Debt.objects.get().pk
    assert [i.debt_id for i in debts.owed_list(shop=ika_shop, kind=DebtKind.RECEIVABLE)] == [only]
    with shop_scope(ika_shop):  # the order's entries are the order's only
        assert not JournalEntry.objects.filter(
            order=order, source__in=[Source.DEBT, Source.DEBT_PAYMENT]
        ).exists()


def test_the_debts_of_a_merged_customer_are_the_survivors(ika_shop, sari, acc):
    twin = customer_create(shop=ika_shop, name="Sari D.")
    piutang(ika_shop, twin, acc, amount=80_000)
    with shop_scope(ika_shop):
        customer_merge(shop=ika_shop, survivor=sari, absorbed=twin, reason="phone")
    owes = debts.customer_owes(shop=ika_shop, customer=sari)
    assert owes["total"] == 80_000
    [item] = debts.owed_list(shop=ika_shop, kind=DebtKind.RECEIVABLE)
    assert (item.customer_id, item.name) == (sari.pk, "Sari Dewi Lestari")


# -- reminders ---------------------------------------------------------------------------


def test_a_walink_reminder_is_a_logged_service_message_that_says_so(ika_shop, rina, sari, acc):
    debt = piutang(ika_shop, sari, acc, due=today(ika_shop))
    sent = debt_reminders.reminder_send(
        shop=ika_shop, channel="walink", debt_id=debt.pk, actor=rina
    )
    assert sent.open_url.startswith("https://wa.me/6281277778888?text=")
    with shop_scope(ika_shop):
        delivery = Delivery.objects.get()
        reminder = DebtReminder.objects.get()
        event = AuditEvent.objects.get(action="books.debt_reminded")
    assert delivery.purpose == Purpose.SERVICE and delivery.status == DeliveryStatus.SENT
    assert "Halo Sari" in delivery.body and "Rp300.000" in delivery.body
    assert "bukan promosi" in delivery.body and "transaksi" in delivery.body
    assert (reminder.debt_id, reminder.channel, reminder.sent_by) == (debt.pk, "walink", rina)
    assert reminder.sent_at is not None and reminder.delivery == delivery
    assert event.target_id == str(sari.pk) and event.detail["debt"] == debt.pk


def test_an_email_reminder_is_sent_by_the_worker_and_logged(
    ika_shop, ika, sari, acc, smtp, django_capture_on_commit_callbacks
):
    debt = piutang(ika_shop, sari, acc)
    with django_capture_on_commit_callbacks(execute=True):
        debt_reminders.reminder_send(shop=ika_shop, channel="email", debt_id=debt.pk, actor=ika)
    assert smtp.recipients() == ["sari@example.id"]
    with shop_scope(ika_shop):
        assert Delivery.objects.get().status == DeliveryStatus.SENT
        assert DebtReminder.objects.get().channel == "email"


def test_a_restricted_customer_gets_no_reminder_and_the_seller_is_told_why(
    ika_shop, ika, sari, acc
):
    debt = piutang(ika_shop, sari, acc)
    customer_restrict(shop=ika_shop, customer_id=sari.pk, actor=ika, reason="request")
    with pytest.raises(ServiceError) as refused:
        debt_reminders.reminder_send(shop=ika_shop, channel="walink", debt_id=debt.pk, actor=ika)
    assert "dibatasi" in str(refused.value)
    with shop_scope(ika_shop):
        assert not Delivery.objects.exists() and not DebtReminder.objects.exists()


def test_a_reminder_needs_an_address_something_owed_and_a_template_outside_the_window(
    ika_shop, ika, acc, cloud
):
    nomail = customer_create(shop=ika_shop, name="Budi", phone="0813-3333-4444")
    debt = piutang(ika_shop, nomail, acc)
    with pytest.raises(ServiceError, match="email"):
        debt_reminders.reminder_send(shop=ika_shop, channel="email", debt_id=debt.pk, actor=ika)
    with pytest.raises(ServiceError, match="template"):
        debt_reminders.reminder_send(shop=ika_shop, channel="cloudapi", debt_id=debt.pk, actor=ika)
    with shop_scope(ika_shop):
        template = WhatsAppTemplate.objects.create(
            shop=ika_shop, name="pengingat_bayar", category="UTILITY",
            body="Halo {{1}}, sisa tagihan {{2}} jatuh tempo {{3}} ({{4}}). {{5}}",
        )  # fmt: skip
    debt_reminders.reminder_send(
        shop=ika_shop, channel="cloudapi", debt_id=debt.pk, template_id=template.pk, actor=ika
    )
    with shop_scope(ika_shop):
        delivery = Delivery.objects.get()
    assert delivery.template_id == template.pk and "Rp300.000" in delivery.body
    debts.debt_payment_record(
        shop=ika_shop, debt_id=debt.pk, key="all", amount=300_000, account_id=acc["cash"]
    )
    with pytest.raises(ServiceError, match="tidak ada"):
        debt_reminders.reminder_send(shop=ika_shop, channel="walink", debt_id=debt.pk, actor=ika)


def test_an_unpaid_orders_reminder_names_the_order(ika_shop, ika, sari):
    order = unpaid_delivered_order(ika_shop, ika)
    sent = debt_reminders.reminder_send(
        shop=ika_shop, channel="walink", order_id=order.pk, actor=ika
    )
    assert sent.reminder.order_id == order.pk and sent.open_url
    body = sent.reminder.delivery.body
    assert f"#{order.external_id}" in body and "Rp150.000" in body


def test_an_erased_customers_debt_stays_in_the_books_without_her(ika_shop, ika, sari, acc):
    debt = piutang(ika_shop, sari, acc)
    debt_reminders.reminder_send(shop=ika_shop, channel="walink", debt_id=debt.pk, actor=ika)
    customer_erase(shop=ika_shop, customer_id=sari.pk, actor=ika)
    [item] = debts.owed_list(shop=ika_shop, kind=DebtKind.RECEIVABLE)
    assert (item.debt_id, item.customer_id, item.name, item.left) == (debt.pk, None, "", 300_000)
    assert by_key(ika_shop) == {"receivable": 300_000, "sales": 300_000}
    with pytest.raises(ServiceError, match="pelanggan"):
        debt_reminders.reminder_send(shop=ika_shop, channel="walink", debt_id=debt.pk, actor=ika)
    with shop_scope(ika_shop):  # the reminder's log stays; its message went with her
        assert DebtReminder.objects.get().delivery is None

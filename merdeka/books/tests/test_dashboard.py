"""The home page is the shop's dashboard: today's sales and profit to the rupiah, the
orders waiting for her, what buyers owe, each linking where she acts; the profit is the
owners' unless they open it to the staff; an empty shop gets its first steps."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from merdeka.books import accounts, debts, services
from merdeka.books.chart import accounts_by_key
from merdeka.books.models import DebtKind
from merdeka.books.posting import today
from merdeka.catalog.models import Product
from merdeka.core.scoping import shop_scope
from merdeka.orders import lifecycle
from merdeka.orders.manual import ManualLine, manual_order_create
from merdeka.orders.models import Order
from merdeka.orders.services import Buyer

SARI = Buyer(name="Sari Dewi Lestari", phone="0812-7777-8888")


def manual(shop, actor, key, price, *, fee=0, delivery="pickup", payment="transfer"):
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


def text_of(html: str, testid: str, end: str = "strong|a|span") -> str:
    found = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</(?:{end})>', html, re.S)
    assert found, testid
    return " ".join(re.sub(r"<[^>]+>", "", found.group(1)).split())


def href_of(html: str, testid: str) -> str:
    found = re.search(rf'href="([^"]+)"[^>]*data-testid="{testid}"', html)
    assert found, testid
    return found.group(1).replace("&amp;", "&")


@pytest.fixture
def busy_shop(ika_shop, ika):
    """A day of Bu Ika's shop: what each figure must add up to is written beside it."""
    paid = manual(ika_shop, ika, "a", 85_000)  # paid and picked up: Rp85.000 of sales
    lifecycle.order_payment_record(shop=ika_shop, order_id=paid.pk, method="transfer", actor=ika)
    lifecycle.order_complete(shop=ika_shop, order_id=paid.pk, actor=ika)
    # cash on delivery, delivered, not paid yet: Rp50.000 of sales, all of it owed
    cod = manual(ika_shop, ika, "b", 40_000, fee=10_000, delivery="courier", payment="cod")
    lifecycle.order_ship(shop=ika_shop, order_id=cod.pk, courier="gosend", actor=ika)
    lifecycle.order_complete(shop=ika_shop, order_id=cod.pk, actor=ika)
    # paid, to pack: to process
    ready = manual(ika_shop, ika, "c", 30_000)
    lifecycle.order_payment_record(shop=ika_shop, order_id=ready.pk, method="qris", actor=ika)
    # cash on delivery, new: to process (it ships before it is paid)
    new_cod = manual(ika_shop, ika, "d", 20_000, delivery="courier", payment="cod")
    # waiting for a transfer: not paid yet, Rp25.000
    waiting = manual(ika_shop, ika, "e", 25_000)
    # cancelled: nowhere
    gone = manual(ika_shop, ika, "f", 60_000)
    lifecycle.order_cancel(shop=ika_shop, order_id=gone.pk, reason="Batal", actor=ika)
    acc = accounts_by_key(shop=ika_shop, keys=["expense:packaging", "cash"])
    services.expense_record(
        shop=ika_shop,
        key="kardus",
        amount=45_000,
        category_id=acc["expense:packaging"],
        paid_from_id=acc["cash"],
        actor=ika,
    )
    with shop_scope(ika_shop):
        Product.objects.create(shop=ika_shop, name="Bolu Pandan", slug="bolu-pandan")
    ika_shop.seeded = {"process": {ready.pk, new_cod.pk}, "unpaid": {waiting.pk}, "owed": {cod.pk}}
    return ika_shop


def test_the_dashboard_adds_up_a_seeded_day_to_the_rupiah(ika_client, busy_shop):
    html = ika_client.get(reverse("home")).content.decode()
    assert text_of(html, "today-sales") == "Rp135.000"  # 85.000 + 40.000 + 10.000 shipping
    assert text_of(html, "today-expenses") == "Rp45.000"
    assert text_of(html, "today-profit") == "Rp90.000"
    assert text_of(html, "orders-today").startswith("6 ")
    assert text_of(html, "to-process") == "2"
    assert text_of(html, "unpaid") == "1"
    assert "Rp25.000" in text_of(html, "tile-unpaid", end="a")
    assert text_of(html, "receivables") == "Rp50.000"
    assert 'data-testid="first-steps"' not in html  # products and orders: not empty
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    assert "audit" not in main.lower()  # the count of audit records is gone


def test_each_figure_opens_the_orders_it_counts(ika_client, busy_shop):
    html = ika_client.get(reverse("home")).content.decode()
    for testid, seeded in (
        ("tile-process", "process"),
        ("tile-unpaid", "unpaid"),
    ):
        page = ika_client.get(href_of(html, testid))
        assert page.status_code == 200
        listed = {order.pk for order in page.context["page"].object_list}
        assert listed == busy_shop.seeded[seeded], testid
    assert href_of(html, "tile-process").endswith("?need=process")
    # what buyers owe opens the receivables, oldest first: the delivered COD order is there
    owed = ika_client.get(href_of(html, "tile-receivables"))
    assert owed.status_code == 200
    with shop_scope(busy_shop):
        numbers = Order.objects.filter(pk__in=busy_shop.seeded["owed"])
        numbers = [f"#{o.external_id}" for o in numbers]
    assert all(number in owed.content.decode() for number in numbers)


def test_receivables_count_what_falls_due_within_a_week(ika_client, busy_shop, ika):
    day = today(busy_shop)
    other = accounts_by_key(shop=busy_shop, keys=["other_income"])["other_income"]
    with shop_scope(busy_shop):
        buyer = Order.objects.get(pk=next(iter(busy_shop.seeded["owed"]))).customer_id
    for key, amount, due in (
        ("lama", 70_000, day - dt.timedelta(days=40)),
        ("jumat", 5_000, day + dt.timedelta(days=7)),
        ("bulan-depan", 900_000, day + dt.timedelta(days=30)),
    ):
        debts.debt_record(
            shop=busy_shop,
            kind=DebtKind.RECEIVABLE,
            key=key,
            amount=amount,
            counter_account_id=other,
            due_date=due,
            day=min(day, due),
            customer_id=buyer,
            actor=ika,
        )
    html = ika_client.get(reverse("home")).content.decode()
    # the COD order (Rp50.000, due when delivered), the overdue debt and Friday's
    assert text_of(html, "receivables") == "Rp125.000"


def test_staff_see_the_sales_but_not_the_profit_until_an_owner_opens_it(
    rina_client, busy_shop, ika
):
    html = rina_client.get(reverse("home")).content.decode()
    assert text_of(html, "today-sales") == "Rp135.000"
    assert 'data-testid="today-profit"' not in html
    assert 'data-testid="today-expenses"' not in html
    assert rina_client.get(reverse("books_expenses")).status_code == 403
    accounts.staff_see_reports_set(shop=busy_shop, allowed=True, actor=ika)
    html = rina_client.get(reverse("home")).content.decode()
    assert text_of(html, "today-profit") == "Rp90.000"
    assert rina_client.get(reverse("books_expenses")).status_code == 200


def test_an_owner_opens_the_profit_to_staff_on_the_chart_page(ika_client, ika_shop):
    response = ika_client.post(
        reverse("books_accounts"), {"do": "staff", "staff_see_reports": "on"}
    )
    assert response.status_code == 302
    assert accounts.books_settings_get(shop=ika_shop).staff_see_reports


def test_an_empty_shop_gets_first_steps_that_tick_themselves(ika_client, ika_shop, ika):
    html = ika_client.get(reverse("home")).content.decode()
    assert 'data-testid="first-steps"' in html
    for step in ("product", "storefront", "import", "expense"):
        assert re.search(rf'data-testid="step-{step}" data-done="no"', html), step
    with shop_scope(ika_shop):
        Product.objects.create(shop=ika_shop, name="Nastar", slug="nastar")
    acc = accounts_by_key(shop=ika_shop, keys=["expense:rent", "cash"])
    services.expense_record(
        shop=ika_shop,
        key="sewa",
        amount=500_000,
        category_id=acc["expense:rent"],
        paid_from_id=acc["cash"],
    )
    html = ika_client.get(reverse("home")).content.decode()
    assert re.search(r'data-testid="step-product" data-done="yes"', html)
    assert re.search(r'data-testid="step-expense" data-done="yes"', html)
    assert re.search(r'data-testid="step-import" data-done="no"', html)
    manual(ika_shop, ika, "first", 10_000)  # products and an order: the shop is running
    assert 'data-testid="first-steps"' not in ika_client.get(reverse("home")).content.decode()


def test_the_dashboard_reads_a_fixed_number_of_queries(ika_client, busy_shop, ika):
    ika_client.get(reverse("home"))
    with CaptureQueriesContext(connection) as first:
        ika_client.get(reverse("home"))
    more = manual(busy_shop, ika, "g", 70_000)
    lifecycle.order_payment_record(shop=busy_shop, order_id=more.pk, method="cash", actor=ika)
    lifecycle.order_complete(shop=busy_shop, order_id=more.pk, actor=ika)
    with CaptureQueriesContext(connection) as second:
        ika_client.get(reverse("home"))
    assert len(second.captured_queries) == len(first.captured_queries)
    # the figures read the per-day totals, never the journal's lines
    assert not any("books_journalline" in q["sql"] for q in second.captured_queries)


def test_another_shops_figures_never_show(citra_client, busy_shop):
    html = citra_client.get(reverse("home")).content.decode()
    assert text_of(html, "today-sales") == "Rp0"
    assert text_of(html, "to-process") == "0"
    assert text_of(html, "receivables") == "Rp0"

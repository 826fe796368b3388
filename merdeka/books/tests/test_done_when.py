"""Issue 15's "done when": a seller who imported her marketplace orders (the real
sample exports of tests/data, through the real import command) and sold for a month on
her storefront opens the dashboard and sees today's and this month's figures, and the
Laba Rugi (``merdeka books report --json`` and its PDF) matches her orders and expenses
to the rupiah.

The expectation is computed here from the orders and the expenses themselves (what was
delivered, what its goods cost, what she spent, on which day of her time zone), never
from the journal."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import shutil
import zoneinfo
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from pypdf import PdfReader

from merdeka.books import services
from merdeka.books.chart import accounts_by_key
from merdeka.books.posting import today
from merdeka.catalog import services as catalog
from merdeka.core import events
from merdeka.core.money import format_rupiah
from merdeka.core.scoping import shop_scope
from merdeka.orders import lifecycle
from merdeka.orders.models import Order, Status
from merdeka.orders.services import Buyer, LineRequest, order_place
from merdeka.storefront.tests.conftest import make_product

DATA = Path(__file__).parents[2] / "imports" / "tests" / "data" / "marketplaces"
EXPORTS = [
    "Order.all.20250401_20250430.xlsx",  # Shopee
    "tiktok_OrderSKUList.xlsx",
    "tokopedia_laporan_penjualan.xlsx",
    "lazada_orders.csv",
    "shopee_english.csv",  # the same Shopee orders again (English headers): nothing twice
]
PRICE, UNIT_COST = 85_000, 31_000


@dataclasses.dataclass(frozen=True)
class _ClockEvent(events.Event):
    """The lifecycle's events stamped by the test's clock (``Event.at`` took
    ``timezone.now`` when the class was made, before the clock could be moved)."""

    at: dt.datetime = dataclasses.field(default_factory=lambda: timezone.now())


class Clock:
    """Moves ``timezone.now`` to a moment of the shop's calendar."""

    def __init__(self, monkeypatch, zone):
        self.monkeypatch, self.zone, self.real = monkeypatch, zone, timezone.now
        monkeypatch.setattr(lifecycle, "Event", _ClockEvent)

    def at(self, day: dt.date, hour: int, minute: int = 0) -> dt.date:
        moment = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=self.zone)
        self.monkeypatch.setattr(timezone, "now", lambda: moment.astimezone(dt.UTC))
        return day

    def back(self):
        self.monkeypatch.setattr(timezone, "now", self.real)


def _sell(shop, variant, n, *, quantity, cod=False):
    """One storefront order of ``quantity`` cakes, delivered; a cash-on-delivery one is
    paid only in part (a receivable remains)."""
    order, _ = order_place(
        shop=shop,
        lines=[LineRequest(variant.pk, quantity)],
        buyer=Buyer(name=f"Pembeli {n}", phone=f"0812-5555-{1000 + n}"),
        idempotency_key=f"sf-{n}",
        delivery_method="courier" if cod else "pickup",
        payment_method="cod" if cod else "transfer",
    )
    if cod:
        lifecycle.order_ship(shop=shop, order_id=order.pk, courier="gosend")
        lifecycle.order_complete(shop=shop, order_id=order.pk)
        lifecycle.order_payment_record(
            shop=shop, order_id=order.pk, method="cash", amount=Decimal(PRICE)
        )
    else:
        lifecycle.order_payment_record(shop=shop, order_id=order.pk, method="transfer")
        lifecycle.order_complete(shop=shop, order_id=order.pk)
    return order


@pytest.mark.django_db(transaction=True)
def test_a_year_of_marketplace_orders_and_a_month_of_storefront_sales_add_up_to_the_rupiah(
    ika_client, ika_shop, tmp_path, monkeypatch, capsys
):
    shop = ika_shop
    zone = zoneinfo.ZoneInfo(shop.time_zone)
    end = today(shop)
    month_start = end.replace(day=1)

    # 1. the marketplace exports, imported as she would (the same command, real files)
    for name in EXPORTS:
        copy = tmp_path / name
        shutil.copy(DATA / name, copy)
        call_command("import", str(copy), "--shop", shop.slug)
    with shop_scope(shop):
        imported = list(
            Order.objects.filter(shop=shop, import_file__isnull=False).values(
                "status", "total", "ordered_at"
            )
        )
    assert len(imported) == 7
    since = min(o["ordered_at"] for o in imported).astimezone(zone).date()
    # revenue on completion (the shop's rule); the marketplace's lines have no cost yet
    delivered = [o for o in imported if o["status"] == Status.COMPLETED]
    assert delivered and len(delivered) < len(imported)  # some are not finished
    market_revenue = sum(int(o["total"]) for o in delivered)

    # 2. a month on the storefront: one sale a day, cash on delivery part-paid every
    # seventh, an order paid and cancelled, expenses every fifth day; and the two sides
    # of the month's first midnight in her time zone
    clock = Clock(monkeypatch, zone)
    first = end - dt.timedelta(days=29)
    clock.at(first - dt.timedelta(days=1), 9)
    _product, [variant] = make_product(shop, name="Kue Lapis Legit", stock=0)
    home = catalog.location_default(shop=shop)
    catalog.stock_purchase(
        shop=shop, variant=variant, location=home, quantity=200, unit_cost=UNIT_COST
    )
    acc = accounts_by_key(shop=shop, keys=["cash", "bank", "expense:packaging", "expense:rent"])
    sold: list[tuple[dt.date, int, int]] = []  # (her day, revenue, cost of goods)
    spent: list[tuple[dt.date, int]] = []
    for n in range(30):
        day = clock.at(first + dt.timedelta(days=n), 10)
        quantity = n % 3 + 1
        _sell(shop, variant, n, quantity=quantity, cod=n % 7 == 3)
        sold.append((day, PRICE * quantity, UNIT_COST * quantity))
        if n % 5 == 0:
            amount = 17_500 + 1_000 * n
            services.expense_record(
                shop=shop,
                key=f"ex-{n}",
                amount=amount,
                category_id=acc["expense:packaging"],
                paid_from_id=acc["cash"],
                day=day,
            )
            spent.append((day, amount))
    # a paid order the buyer cancelled: no sale
    clock.at(end, 8)
    order, _ = order_place(
        shop=shop,
        lines=[LineRequest(variant.pk, 2)],
        buyer=Buyer(name="Pembeli batal", phone="0812-5555-9999"),
        idempotency_key="sf-cancelled",
        delivery_method="pickup",
        payment_method="transfer",
    )
    lifecycle.order_payment_record(shop=shop, order_id=order.pk, method="transfer")
    lifecycle.order_cancel(shop=shop, order_id=order.pk, reason="Salah pesan")
    # 23:30 on the last day of last month, and 00:10 on the first of this one
    for n, (day, hour, minute) in enumerate(
        [(month_start - dt.timedelta(days=1), 23, 30), (month_start, 0, 10)], start=100
    ):
        clock.at(day, hour, minute)
        if day < first:  # the month began less than 30 days ago: still the same two days
            continue
        _sell(shop, variant, n, quantity=1)
        sold.append((day, PRICE, UNIT_COST))
    rent = clock.at(month_start, 7)
    services.expense_record(
        shop=shop,
        key="rent",
        amount=1_250_000,
        category_id=acc["expense:rent"],
        paid_from_id=acc["bank"],
        day=rent,
    )
    spent.append((rent, 1_250_000))
    clock.back()

    def expected(date_from, date_to, with_market=True):
        revenue = sum(r for d, r, _c in sold if date_from <= d <= date_to)
        cost = sum(c for d, _r, c in sold if date_from <= d <= date_to)
        expenses = sum(a for d, a in spent if date_from <= d <= date_to)
        revenue += market_revenue if with_market else 0
        return {
            "revenue": revenue,
            "cost_of_goods": cost,
            "gross_profit": revenue - cost,
            "expenses": expenses,
            "profit": revenue - cost - expenses,
        }

    # 3. the dashboard: today's figures, and the month's on the books page
    now = expected(end, end, with_market=False)
    home_page = ika_client.get("/").content.decode()
    assert figure(home_page, "today-sales") == format_rupiah(now["revenue"])
    assert figure(home_page, "today-expenses") == format_rupiah(now["expenses"])
    assert figure(home_page, "today-profit") == format_rupiah(now["profit"])
    month = expected(month_start, end, with_market=False)
    books_page = ika_client.get("/buku/").content.decode()
    assert figure(books_page, "today-revenue") == format_rupiah(now["revenue"])
    assert figure(books_page, "month-revenue") == format_rupiah(month["revenue"])
    assert figure(books_page, "month-expenses") == format_rupiah(month["expenses"])
    assert figure(books_page, "month-profit") == format_rupiah(month["profit"])

    # 4. the Laba Rugi of everything, for scripts (--json) and as her PDF
    whole = expected(since, end)
    pdf = tmp_path / "laba-rugi.pdf"
    capsys.readouterr()
    call_command(
        "books",
        "report",
        "--shop",
        shop.slug,
        "--from",
        since.isoformat(),
        "--to",
        end.isoformat(),
        "--json",
        "--pdf",
        str(pdf),
    )
    figures = json.loads(capsys.readouterr().out)
    assert figures["profit_and_loss"] == whole
    assert figures["trial_balance"]["debit"] == figures["trial_balance"]["credit"]
    sheet = figures["balance_sheet"]
    assert sheet["assets"] == sheet["liabilities"] + sheet["equity"]
    words = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    for label, key in [
        ("Total pendapatan", "revenue"),
        ("Total harga pokok penjualan", "cost_of_goods"),
        ("Laba kotor", "gross_profit"),
        ("Total beban", "expenses"),
        ("Laba bersih", "profit"),
    ]:
        assert re.search(rf"{label}\s*{re.escape(format_rupiah(whole[key]))}", words), (
            label,
            words,
        )
    # and a month alone, its first and last days included, in her time zone
    for date_from, date_to in [(month_start, end), (first, month_start - dt.timedelta(days=1))]:
        if date_to < date_from:
            continue
        call_command(
            "books",
            "report",
            "--shop",
            shop.slug,
            "--from",
            date_from.isoformat(),
            "--to",
            date_to.isoformat(),
            "--json",
        )
        part = json.loads(capsys.readouterr().out)["profit_and_loss"]
        assert part == expected(date_from, date_to, with_market=False), (date_from, date_to)


def figure(html: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</strong>', html, re.S)
    assert found, testid
    return re.sub(r"<[^>]+>|\s+", "", found.group(1))

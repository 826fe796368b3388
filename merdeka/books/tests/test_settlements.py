"""The marketplaces' income, settlement and withdrawal reports: imported like an order
export, posted once (fees, shipping passed on, subsidies, adjustments, withdrawals to
the bank), and each day's released orders reconciled with the orders the books hold."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from merdeka.books.models import JournalEntry, MarketplaceSettlement, Source
from merdeka.books.orders import order_postings_sync
from merdeka.books.settlements import balances, releases
from merdeka.books.tests.test_orders import by_key
from merdeka.core import services as core_services
from merdeka.core.scoping import shop_scope
from merdeka.orders.models import Order, Status

DATA = Path(__file__).parents[2] / "imports" / "tests" / "data"
ORDERS = DATA / "marketplaces"
REPORTS = DATA / "settlements"
SHOPEE_ORDERS = ORDERS / "Order.all.20250401_20250430.xlsx"
TIKTOK_ORDERS = ORDERS / "tiktok_OrderSKUList.xlsx"
SHOPEE_INCOME = REPORTS / "Income.sudah dilepas.id.20250401_20250430.xlsx"
SHOPEE_BALANCE = REPORTS / "my_balance_transaction_report.shopee.20250401_20250430.xlsx"
TIKTOK_SETTLEMENT = REPORTS / "tiktok_settlement_20250512_20250518.xlsx"
TIKTOK_WITHDRAWALS = REPORTS / "tiktok_withdrawals_202505.csv"


@pytest.fixture(autouse=True)
def _one_process(settings):
    settings.MERDEKA_IMPORT_PARSE_AHEAD = 0  # a few small files: no worker to start


def run_import(capsys, shop, *paths) -> dict:
    with contextlib.suppress(SystemExit):  # a refused file: the report says why
        call_command("import", *map(str, paths), "--shop", shop.slug, "--json")
    return {f["name"]: f for f in json.loads(capsys.readouterr().out)["files"]}


def settlement_entries(shop) -> int:
    with shop_scope(shop):
        return JournalEntry.objects.filter(shop=shop, source=Source.SETTLEMENT).count()


def test_a_shopee_income_report_posts_fees_and_shipping_from_the_seller_balance(ika_shop, capsys):
    files = run_import(capsys, ika_shop, SHOPEE_ORDERS, SHOPEE_INCOME)
    report = files[SHOPEE_INCOME.name]
    assert (report["state"], report["source"]) == ("imported", "shopee-income")
    assert (report["rows_read"], report["settlements_new"]) == (3, 3)
    books = by_key(ika_shop)
    # fees of the three released orders: 27.250 + 14.750 + 5.250; shipping passed on to
    # the courier 9.000 twice; the 2.000 Shopee bore is income
    assert books["expense:marketplace_fees"] == 47250
    assert books["expense:shipping"] == 18000
    assert books["other_income"] == 2000
    # the completed order (Rp269.000) posted gross, less what the reports took and gave
    assert books["marketplace:shopee"] == 269000 - 47250 - 18000 + 2000


def test_the_same_report_again_posts_nothing_twice(ika_shop, capsys):
    run_import(capsys, ika_shop, SHOPEE_INCOME)
    before = by_key(ika_shop)
    # the same bytes: refused as a duplicate file
    again = run_import(capsys, ika_shop, SHOPEE_INCOME)
    assert again[SHOPEE_INCOME.name]["state"] == "duplicate"
    assert by_key(ika_shop) == before
    assert settlement_entries(ika_shop) == 3


def test_an_overlapping_report_adds_only_its_new_rows(ika_shop, capsys, tmp_path):
    run_import(capsys, ika_shop, SHOPEE_INCOME)
    # next month's report repeats one order (another file: different bytes)
    later = tmp_path / "Income.sudah dilepas.id.20250401_20250515.xlsx"
    workbook = load_workbook(SHOPEE_INCOME)
    sheet = workbook["Income"]
    sheet.append(
        [4, "2505019ABC12345", "", "budi.santoso", "2025-05-01", "COD", "2025-05-06", "80.000"]
        + [""] * 15
        + ["-6.400", "-1.600", "-1.250"]
        + [""] * 5
        + ["70.750"]
    )
    workbook.save(later)
    files = run_import(capsys, ika_shop, later)
    assert (files[later.name]["settlements_new"], files[later.name]["settlements_known"]) == (1, 3)
    assert settlement_entries(ika_shop) == 4
    assert by_key(ika_shop)["expense:marketplace_fees"] == 47250 + 9250


def test_withdrawals_move_the_seller_balance_to_the_bank(ika_shop, capsys):
    files = run_import(capsys, ika_shop, SHOPEE_BALANCE, TIKTOK_WITHDRAWALS)
    assert files[SHOPEE_BALANCE.name]["source"] == "shopee-withdrawals"
    # the balance's income rows are the income report's; the one in progress moved nothing
    assert files[SHOPEE_BALANCE.name]["settlements_new"] == 1
    assert files[TIKTOK_WITHDRAWALS.name]["settlements_new"] == 1  # the failed one: none
    books = by_key(ika_shop)
    assert books["bank"] == 300000 + 100000
    assert books["marketplace:shopee"] == -300000
    assert books["marketplace:tiktok"] == -100000


def test_a_tiktok_settlement_reconciles_with_its_orders(ika_shop, capsys):
    files = run_import(capsys, ika_shop, TIKTOK_ORDERS, TIKTOK_SETTLEMENT)
    assert files[TIKTOK_SETTLEMENT.name]["source"] == "tiktok-settlement"
    assert files[TIKTOK_SETTLEMENT.name]["settlements_new"] == 3
    books = by_key(ika_shop)
    assert books["expense:marketplace_fees"] == 10450 + 4250
    assert books["expense:shipping"] == 12000
    assert books["other_income"] == 3000 + 5000  # the platform's shipping share, a refund
    payouts = releases(shop=ika_shop, date_from=dt.date(2025, 5, 1), date_to=dt.date(2025, 5, 31))
    [payout] = payouts
    assert (payout.marketplace, payout.date) == ("tiktok", dt.date(2025, 5, 14))
    found = {m.settlement.order_number: m for m in payout.orders}
    known = found["578123456789012345"]
    # Rp124.000 posted, less 10.450 fees and 12.000 shipping, plus 3.000 borne
    assert (known.expected, known.difference, known.problem) == (104550, 0, "")
    assert found["578123456789012399"].problem == "missing"
    assert payout.released == 104550 + 40750
    # what TikTok Shop still owes by the books: the order, less fees and shipping, plus
    # its subsidies; the order the shop does not have takes its fees from the balance
    assert dict(balances(shop=ika_shop, at=dt.date(2025, 6, 1))) == {
        "Saldo penjual TikTok Shop": 124000 - 10450 - 12000 + 3000 - 4250 + 5000
    }


def test_differences_and_orders_not_delivered_are_shown(ika_shop, capsys):
    run_import(capsys, ika_shop, SHOPEE_ORDERS, SHOPEE_INCOME)
    payouts = releases(shop=ika_shop, date_from=dt.date(2025, 4, 1), date_to=dt.date(2025, 4, 30))
    by_order = {m.settlement.order_number: m for p in payouts for m in p.orders}
    refunded = by_order["2504226A23B55PX"]
    assert (refunded.expected, refunded.difference, refunded.problem) == (
        269000 - 27250 - 9000,
        -10000,  # 10.000 went back to the buyer
        "difference",
    )
    assert by_order["2504246C9XYZ12A"].problem == "undelivered"  # "Dikirim" in the export
    assert by_order["2504289QWE77RTY"].problem == "missing"


def test_a_report_with_a_bad_amount_is_refused_whole(ika_shop, capsys, tmp_path):
    bad = tmp_path / "Income.rusak.xlsx"
    workbook = load_workbook(SHOPEE_INCOME)
    workbook["Income"]["AF8"] = "seratus"  # Total Penghasilan of the second order
    workbook.save(bad)
    with translation.override("id"):
        files = run_import(capsys, ika_shop, bad)
    report = files[bad.name]
    assert report["state"] == "rejected"
    [problem] = report["problems"]
    assert (problem["row"], problem["column"]) == (8, "Total Penghasilan")
    assert problem["message"] == "Ini bukan jumlah uang."
    with shop_scope(ika_shop):
        assert not MarketplaceSettlement.objects.exists()
    assert settlement_entries(ika_shop) == 0


@pytest.mark.parametrize("path", [SHOPEE_INCOME, TIKTOK_SETTLEMENT])
def test_the_payouts_page_shows_the_reconciliation(ika_shop, ika_client, capsys, path, tmp_path):
    copy = tmp_path / path.name
    shutil.copy(path, copy)
    run_import(capsys, ika_shop, SHOPEE_ORDERS, TIKTOK_ORDERS, copy)
    with translation.override("id"):
        page = ika_client.get(
            reverse("books_settlements"), {"date_from": "2025-04-01", "date_to": "2025-05-31"}
        )
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="payout"' in html
    assert 'data-problem="missing"' in html
    assert "Saldo penjual" in html


def settlement_rows(shop):
    with shop_scope(shop):
        return sorted(
            MarketplaceSettlement.objects.filter(shop=shop).values_list(
                "marketplace", "kind", "reference", "order_number", "date", "fees", "shipping",
                "subsidies", "released", "note",
            )
        )  # fmt: skip


def test_the_reports_travel_in_the_export_and_post_nothing_again(ika, ika_shop, capsys, tmp_path):
    run_import(capsys, ika_shop, SHOPEE_ORDERS, SHOPEE_INCOME, SHOPEE_BALANCE)
    out = tmp_path / "export"
    call_command("export", "--shop", ika_shop.slug, "--out", str(out))
    fresh = core_services.shop_create(name="Toko Pindahan", owner=ika, slug="toko-pindahan")
    call_command("import", str(out), "--shop", fresh.slug, "--json")
    capsys.readouterr()
    assert settlement_rows(fresh) == settlement_rows(ika_shop)
    assert by_key(fresh) == by_key(ika_shop)
    # the income report imported into the restored shop finds every row there already
    files = run_import(capsys, fresh, SHOPEE_INCOME)
    assert files[SHOPEE_INCOME.name]["settlements_known"] == 3
    assert by_key(fresh) == by_key(ika_shop)
    period = {"date_from": dt.date(2025, 4, 1), "date_to": dt.date(2025, 4, 30)}
    assert [(p.date, p.released, p.expected) for p in releases(shop=fresh, **period)] == [
        (p.date, p.released, p.expected) for p in releases(shop=ika_shop, **period)
    ]


def test_a_tokopedia_order_settled_by_tiktok_shop_moves_on_to_its_balance(ika_shop, capsys):
    with shop_scope(ika_shop):
        order = Order.objects.create(
            shop=ika_shop,
            channel="tokopedia",  # served by TikTok Shop since the two merged
            external_id="578123456789012399",
            status=Status.COMPLETED,
            ordered_at=timezone.now(),
            total=Decimal(45000),
        )
    order_postings_sync(shop=ika_shop, order_ids=[order.pk])
    assert by_key(ika_shop) == {"marketplace:tokopedia": 45000, "sales": 45000}
    run_import(capsys, ika_shop, TIKTOK_SETTLEMENT)
    books = by_key(ika_shop)
    # the order's balance gave its fees and passed what was released on to TikTok Shop's
    assert "marketplace:tokopedia" not in books  # 45.000 - 4.250 - 40.750
    # 40.750 released, the other order's fees and shipping (-19.450), an adjustment 5.000
    assert books["marketplace:tiktok"] == 40750 - 19450 + 5000

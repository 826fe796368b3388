"""The journal: balanced, whole rupiah, written once, corrected by reversals, closed
months kept closed, and per-day totals that always agree with the lines."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.db.models import Sum

from merdeka.books.chart import accounts_by_key, chart_ensure
from merdeka.books.models import Account, AccountDay, JournalEntry, JournalLine, Source
from merdeka.books.posting import Line, entry_post, entry_reverse, month_close, month_reopen
from merdeka.books.selectors import report
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.privacy.models import AuditEvent

DAY = dt.date(2026, 11, 3)


@pytest.fixture
def acc(ika_shop):
    return accounts_by_key(
        shop=ika_shop, keys=["cash", "bank", "capital", "drawings", "expense:rent", "sales"]
    )


def post(shop, acc, key, debit, credit, amount, day=DAY, source=Source.MANUAL):
    return entry_post(
        shop=shop,
        date=day,
        source=source,
        key=key,
        lines=[Line(acc[debit], debit=amount), Line(acc[credit], credit=amount)],
    )


def test_the_default_chart_is_small_and_in_the_sellers_words(ika_shop):
    chart_ensure(shop=ika_shop)
    with shop_scope(ika_shop):
        names = dict(Account.objects.values_list("key", "name"))
    assert names["cash"] == "Kas"
    assert names["customer_deposits"] == "Uang muka pelanggan"
    assert names["expense:utilities"] == "Listrik dan air"
    assert len(names) == 25  # with "Pendapatan lain", stock count differences, PPh Final
    assert names["other_income"] == "Pendapatan lain"
    shopee = accounts_by_key(shop=ika_shop, keys=["marketplace:shopee"])["marketplace:shopee"]
    with shop_scope(ika_shop):
        assert Account.objects.get(pk=shopee).name == "Saldo penjual Shopee"


def test_an_entry_that_does_not_balance_is_refused_and_writes_nothing(ika_shop, acc):
    with pytest.raises(ServiceError, match="seimbang"):
        entry_post(
            shop=ika_shop, date=DAY, source=Source.MANUAL, key="x",
            lines=[Line(acc["cash"], debit=1000), Line(acc["capital"], credit=999)],
        )  # fmt: skip
    with pytest.raises(TypeError):
        entry_post(
            shop=ika_shop, date=DAY, source=Source.MANUAL, key="y",
            lines=[Line(acc["cash"], debit=10.5), Line(acc["capital"], credit=10.5)],
        )  # fmt: skip
    with shop_scope(ika_shop):
        assert not JournalEntry.objects.exists() and not AccountDay.objects.exists()


def test_posting_a_key_twice_writes_one_entry(ika_shop, acc):
    first = post(ika_shop, acc, "capital:1", "cash", "capital", 5_000_000)
    again = post(ika_shop, acc, "capital:1", "cash", "capital", 5_000_000)
    assert first.pk == again.pk
    with shop_scope(ika_shop):
        assert JournalLine.objects.count() == 2
        assert AccountDay.objects.get(account_id=acc["cash"]).debit == 5_000_000


def test_a_reversal_mirrors_the_entry_and_cannot_itself_be_reversed(ika_shop, acc):
    rent = post(ika_shop, acc, "rent:nov", "expense:rent", "cash", 1_500_000)
    reversal = entry_reverse(shop=ika_shop, entry_id=rent.pk, date=DAY)
    assert entry_reverse(shop=ika_shop, entry_id=rent.pk, date=DAY).pk == reversal.pk  # once
    figures = report(shop=ika_shop, date_from=DAY, date_to=DAY)
    assert figures["profit_and_loss"]["expenses"] == 0
    with pytest.raises(ServiceError):
        entry_reverse(shop=ika_shop, entry_id=reversal.pk)


def test_a_change_for_a_closed_month_posts_in_the_first_open_one(ika_shop, ika, acc):
    assert month_close(shop=ika_shop, month=dt.date(2026, 10, 1), actor=ika)
    assert month_close(shop=ika_shop, month=dt.date(2026, 11, 1), actor=ika)
    assert not month_close(shop=ika_shop, month=dt.date(2026, 11, 20), actor=ika)
    late = post(ika_shop, acc, "late", "expense:rent", "cash", 200_000, day=dt.date(2026, 10, 30))
    assert late.date == dt.date(2026, 12, 1)
    assert late.belongs_to == dt.date(2026, 10, 30)
    assert month_reopen(shop=ika_shop, month=dt.date(2026, 11, 1), actor=ika)
    with shop_scope(ika_shop):
        actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions.count("books.month_closed") == 2 and "books.month_reopened" in actions


def test_the_day_totals_always_agree_with_the_journal(ika_shop, acc):
    post(ika_shop, acc, "a", "cash", "capital", 1_000_000)
    post(ika_shop, acc, "b", "bank", "cash", 400_000)
    post(ika_shop, acc, "c", "bank", "cash", 100_000, day=DAY + dt.timedelta(days=1))
    post(ika_shop, acc, "d", "drawings", "bank", 50_000)
    with shop_scope(ika_shop):
        lines = JournalLine.objects.values("account_id", "date").annotate(
            d=Sum("debit"), c=Sum("credit")
        )
        days = {(d.account_id, d.date): (d.debit, d.credit) for d in AccountDay.objects.all()}
    assert {(r["account_id"], r["date"]): (r["d"], r["c"]) for r in lines} == days


def test_the_report_command_prints_the_figures_in_whole_rupiah(ika_shop, acc, capsys):
    post(ika_shop, acc, "capital", "cash", "capital", 2_000_000)
    post(ika_shop, acc, "sale", "cash", "sales", 350_000)
    post(ika_shop, acc, "rent", "expense:rent", "cash", 100_000)
    post(ika_shop, acc, "prive", "drawings", "cash", 50_000, day=DAY + dt.timedelta(days=40))
    call_command(
        "books", "report", "--shop", ika_shop.slug, "--from", "2026-11-01", "--to",
        "2026-11-30", "--json",
    )  # fmt: skip
    figures = json.loads(capsys.readouterr().out)
    assert figures["trial_balance"] == {"debit": 2_450_000, "credit": 2_450_000}
    assert figures["profit_and_loss"] == {
        "revenue": 350_000,
        "cost_of_goods": 0,
        "gross_profit": 350_000,
        "expenses": 100_000,
        "profit": 250_000,
    }
    assert figures["balance_sheet"] == {
        "assets": 2_250_000,
        "liabilities": 0,
        "equity": 2_250_000,  # capital and the period's profit; the drawing is in December
    }

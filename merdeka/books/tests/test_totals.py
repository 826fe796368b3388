"""The journal's months kept as entries post (``JournalMonth``): they always equal the
journal's own lines grouped per month, account and source (sums, counts, places in the
chain), whatever posted them (orders delivered, paid in parts, cancelled, reversals,
expenses, closed months); a rebuild and a restore make the same rows; the pack's
sources table reads them and says what the journal says. The random sequences of
``test_orders`` check the same after every run (``journal_months_agree``)."""

from __future__ import annotations

import datetime as dt
import importlib
import json
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.db import transaction
from django.db.models import Count, Max, Min, Sum
from django.db.models.functions import TruncMonth

from merdeka.books.chart import accounts_by_key
from merdeka.books.models import JournalLine, JournalMonth, Source
from merdeka.books.pack_contents import figures_sources
from merdeka.books.portable import books_export, books_restore
from merdeka.books.posting import (
    Line,
    entry_post,
    entry_reverse,
    month_close,
    month_reopen,
    today,
)
from merdeka.books.totals import (
    journal_month_rows,
    journal_month_sums,
    journal_month_truth,
    journal_months_rebuild,
)
from merdeka.core import services
from merdeka.core.ownership import OwnershipError
from merdeka.core.scoping import shop_scope
from merdeka.orders import lifecycle
from merdeka.orders.manual import ManualLine, manual_order_create
from merdeka.orders.services import Buyer

SARI = Buyer(name="Sari Dewi Lestari", phone="0812-7777-8888")


def journal_months_agree(shop) -> None:
    """Every kept month equals the journal's lines of that month, account and source."""
    assert journal_month_sums(shop=shop) == journal_month_truth(shop=shop)


def old_sources(shop, start, end) -> list[tuple]:
    """The sources table as the pack grouped it from the journal before the months were
    kept (month, account, source, entries, debit, credit, first, last)."""
    with shop_scope(shop):
        return [
            (
                g["month"],
                g["account_id"],
                g["entry__source"],
                g["entries"],
                g["debit"],
                g["credit"],
                g["first"],
                g["last"],
            )
            for g in JournalLine.objects.filter(shop=shop, date__gte=start, date__lte=end)
            .annotate(month=TruncMonth("date"))
            .values("month", "account_id", "entry__source")
            .annotate(
                entries=Count("entry_id", distinct=True),
                debit=Sum("debit"),
                credit=Sum("credit"),
                first=Min("entry__chain_seq"),
                last=Max("entry__chain_seq"),
            )
            .order_by("month", "account_id", "entry__source")
        ]


def new_sources(shop, start, end) -> list[tuple]:
    return [
        (
            g["month"],
            g["account_id"],
            g["source"],
            g["entries"],
            g["debit"],
            g["credit"],
            g["first"],
            g["last"],
        )
        for g in journal_month_rows(shop=shop, start=start, end=end)
    ]


def order(shop, actor, key, amount, *, payment="transfer", delivery="pickup"):
    placed, _ = manual_order_create(
        shop=shop,
        actor=actor,
        buyer=SARI,
        lines=[ManualLine(quantity=1, name="Nastar", unit_price=Decimal(amount))],
        idempotency_key=key,
        delivery_method=delivery,
        payment_method=payment,
    )
    return placed


@pytest.fixture
def acc(ika_shop):
    return accounts_by_key(
        shop=ika_shop, keys=["cash", "bank", "capital", "expense:rent", "expense:packaging"]
    )


@pytest.fixture
def mixed(ika_shop, ika, acc):
    """A month of books: orders delivered, paid whole and in parts, one cancelled after
    a down payment, expenses, a reversal, a month closed (a late expense moves to the
    next month) and reopened, a posting in two lines on one account."""
    day = today(ika_shop)
    last_month = (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)

    def post(key, debit, credit, amount, date=day, source=Source.MANUAL):
        return entry_post(
            shop=ika_shop,
            date=date,
            source=source,
            key=key,
            lines=[Line(acc[debit], debit=amount), Line(acc[credit], credit=amount)],
        )

    post("capital", "cash", "capital", 5_000_000, date=last_month)
    post("rent", "expense:rent", "cash", 750_000, date=last_month, source=Source.EXPENSE)
    whole = order(ika_shop, ika, "a", 120_000)
    lifecycle.order_payment_record(shop=ika_shop, order_id=whole.pk, method="cash", actor=ika)
    lifecycle.order_complete(shop=ika_shop, order_id=whole.pk, actor=ika)
    parts = order(ika_shop, ika, "b", 90_000, payment="cod", delivery="courier")
    lifecycle.order_ship(shop=ika_shop, order_id=parts.pk, courier="gosend", actor=ika)
    lifecycle.order_complete(shop=ika_shop, order_id=parts.pk, actor=ika)
    for amount in (30_000, 25_000):
        lifecycle.order_payment_record(
            shop=ika_shop, order_id=parts.pk, method="transfer", amount=Decimal(amount), actor=ika
        )
    gone = order(ika_shop, ika, "c", 60_000)
    lifecycle.order_payment_record(
        shop=ika_shop, order_id=gone.pk, method="cash", amount=Decimal(10_000), actor=ika
    )
    lifecycle.order_cancel(shop=ika_shop, order_id=gone.pk, reason="batal", actor=ika)
    wrong = post("packaging", "expense:packaging", "cash", 45_000, source=Source.EXPENSE)
    entry_reverse(shop=ika_shop, entry_id=wrong.pk, actor=ika)
    month_close(shop=ika_shop, month=last_month, actor=ika)
    post("late", "expense:rent", "bank", 100_000, date=last_month + dt.timedelta(days=3))
    month_reopen(shop=ika_shop, month=last_month, actor=ika)
    post("late-after", "expense:packaging", "cash", 5_000, date=last_month + dt.timedelta(3))
    entry_post(  # two lines on the cash account: two lines, one entry
        shop=ika_shop,
        date=day,
        source=Source.TRANSFER,
        key="split",
        lines=[
            Line(acc["bank"], debit=300_000),
            Line(acc["cash"], credit=100_000),
            Line(acc["cash"], credit=200_000),
        ],
    )
    return last_month, day


def test_the_kept_months_equal_the_journal_after_a_mix_of_postings(ika_shop, mixed):
    journal_months_agree(ika_shop)
    with shop_scope(ika_shop):
        sources = set(JournalMonth.objects.filter(shop=ika_shop).values_list("source", flat=True))
        split = JournalMonth.objects.get(shop=ika_shop, source=Source.TRANSFER, account__key="cash")
    assert {"order", "expense", "reversal", "manual", "transfer"} <= sources
    assert (split.lines, split.entries, split.credit) == (2, 1, 300_000)


def test_the_pack_sources_table_is_what_the_journal_grouping_was(ika_shop, mixed):
    last_month, day = mixed
    for start, end in (
        (last_month, day),  # whole months and this one up to today
        (last_month + dt.timedelta(days=2), day),  # a month cut in two: from the journal
        (last_month, last_month + dt.timedelta(days=3)),
        (day, day),
        (day + dt.timedelta(days=1), day + dt.timedelta(days=40)),  # nothing there
    ):
        assert new_sources(ika_shop, start, end) == old_sources(ika_shop, start, end), start
    report = figures_sources(shop=ika_shop, start=last_month, end=day)
    assert report.figures["debit"] == report.figures["credit"] > 0


def test_a_rebuild_and_a_restore_make_the_same_months(ika_shop, citra, mixed):
    kept = journal_month_sums(shop=ika_shop)
    assert journal_months_rebuild(shop=ika_shop) == len(kept)
    assert journal_month_sums(shop=ika_shop) == kept
    exported, journal = books_export(shop=ika_shop)
    with shop_scope(ika_shop):
        journal = list(journal)
    fresh = services.shop_create(name="Toko Pulih", owner=citra, slug="toko-pulih")
    books_restore(
        shop=fresh, books=json.loads(json.dumps(exported)), journal=journal, had_data=False
    )
    journal_months_agree(fresh)
    with shop_scope(fresh):
        assert JournalMonth.objects.filter(shop=fresh).exists()


def test_a_posted_line_cannot_be_changed_in_place(ika_shop, mixed):
    with shop_scope(ika_shop):
        line = JournalLine.objects.order_by("pk").first()
        with pytest.raises(OwnershipError), transaction.atomic():
            JournalLine.objects.filter(pk=line.pk).update(debit=line.debit + 1)
        entry = line.entry
        with pytest.raises(OwnershipError), transaction.atomic():
            type(entry).objects.filter(pk=entry.pk).update(date=entry.date - dt.timedelta(1))
        entry.order = None  # what deleting its order does (SET NULL) stays allowed
        type(entry).objects.filter(pk=entry.pk).update(order=None, created_by=None)
    journal_months_agree(ika_shop)


def test_the_migration_makes_the_months_of_a_journal_written_before_them(ika_shop, mixed):
    kept = journal_month_sums(shop=ika_shop)
    with shop_scope(ika_shop):
        JournalMonth.objects.filter(shop=ika_shop).delete()
    importlib.import_module("merdeka.books.migrations.0009_journal_month").months_existing(
        django_apps, None
    )
    assert journal_month_sums(shop=ika_shop) == kept

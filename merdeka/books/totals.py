"""The journal summed per month, account and source, kept as entries post.

``JournalMonth`` holds, per shop, month, account and source, the debits and credits of
the month's lines, how many lines and how many entries they come from, and the first
and last of those entries in the hash chain (``merdeka.books.chain``). It is what the
evidence pack's "where the figures come from" shows (``pack_contents``), so the pack
reads a few hundred rows instead of grouping every journal line of the year.

* ``journal_months_add`` is called by the journal's one writer (``posting.
  entries_write``: the live path and the backfill alike) with what the entries it
  wrote moved, grouped with their places in the chain in its one pass over their
  lines, in its transaction; two writers add to a row with one ``INSERT … ON
  CONFLICT DO UPDATE`` each (``bulk.add_to``), so neither loses the other's lines;
* ``journal_months_rebuild`` makes a shop's rows again from its journal (a restore,
  whose entries are chained after they are written; a shop whose journal predates the
  table);
* ``journal_month_rows`` reads a period's groups: whole months from the kept rows, a
  month the period cuts in two (with lines outside the period) from the journal.

An entry lies in one month (its date) and has one source, so its lines add one entry
to each account they touch: the entry counts add up exactly as the journal's
``COUNT(DISTINCT entry)`` per group does.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.db.models import Count, Max, Min, Sum
from django.db.models.functions import TruncMonth

from merdeka.books.models import AccountDay, JournalLine, JournalMonth
from merdeka.core import bulk
from merdeka.core.scoping import shop_scope

AMOUNTS = ("debit", "credit", "lines", "entries")
COLUMNS = ("month", "account_id", "source", *AMOUNTS, "first_seq", "last_seq")
FIELDS = ("month", "account_id", "source", *AMOUNTS, "first", "last")


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(month: dt.date) -> dt.date:
    return (month + dt.timedelta(days=32)).replace(day=1)


def journal_months_add(shop, months: dict[tuple, list[int]]) -> None:
    """Move the months by what the journal's writer wrote: ``{(month, account id,
    source): [debit, credit, lines, entries, first seq, last seq]}``, grouped in its
    one pass over the lines it wrote (dates moved out of closed months already; an
    entry counted once per group, however many of its lines fall in it); in the
    caller's transaction."""
    if not months:
        return
    bulk.add_to(
        JournalMonth,
        ("month", "account", "source"),
        AMOUNTS,
        ((shop.pk, *key, *row) for key, row in sorted(months.items())),
        shop_id=shop.pk,
        shop_in_key=True,
        lowest=("first_seq",),
        highest=("last_seq",),
    )


def _grouped(shop, **where):
    """The journal's lines grouped per month, account and source (``where``: more
    filters on the lines)."""
    return (
        JournalLine.objects.filter(shop=shop, **where)
        .annotate(month=TruncMonth("date"))
        .values("month", "account_id", "entry__source")
        .annotate(
            lines_=Count("id"),
            entries_=Count("entry_id", distinct=True),
            debit_=Sum("debit"),
            credit_=Sum("credit"),
            first_=Min("entry__chain_seq"),
            last_=Max("entry__chain_seq"),
        )
        .order_by()
    )


def _as_date(value) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def journal_months_rebuild(*, shop) -> int:
    """Make the shop's months again from its journal (one grouping of its lines).
    Returns how many rows it has."""
    with transaction.atomic(), shop_scope(shop):
        JournalMonth.objects.filter(shop=shop).delete()
        rows = [
            JournalMonth(
                shop=shop,
                month=_as_date(g["month"]),
                account_id=g["account_id"],
                source=g["entry__source"],
                debit=g["debit_"] or 0,
                credit=g["credit_"] or 0,
                lines=g["lines_"],
                entries=g["entries_"],
                first_seq=g["first_"],
                last_seq=g["last_"],
            )
            for g in _grouped(shop)
        ]
        JournalMonth.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _whole(shop, month: dt.date, start: dt.date, end: dt.date) -> bool:
    """Whether the period holds every line of ``month`` (no day of the month outside
    the period has any: read from the day totals)."""
    last = _next_month(month) - dt.timedelta(days=1)
    if start <= month and last <= end:
        return True
    outside = AccountDay.objects.filter(shop=shop, date__gte=month, date__lte=last).exclude(
        date__gte=start, date__lte=end
    )
    return not outside.exists()


def journal_month_rows(*, shop, start: dt.date, end: dt.date) -> list[dict]:
    """The period's lines per month, account and source, ordered so: ``month``,
    ``account_id``, ``source``, ``debit``, ``credit``, ``lines``, ``entries``,
    ``first`` and ``last`` (places in the chain, None when not chained). A month the
    period cuts in two is read from the journal when it has lines outside the period."""
    found: list[dict] = []
    if end < start:
        return found
    with shop_scope(shop):
        first, last = _month(start), _month(end)
        kept_from, kept_to = first, last
        cut = []
        if not _whole(shop, first, start, end):
            cut.append(first)
            kept_from = _next_month(first)
        if last != first and not _whole(shop, last, start, end):
            cut.append(last)
            kept_to = _month(last - dt.timedelta(days=1))
        if kept_from <= kept_to:
            kept = JournalMonth.objects.filter(
                shop=shop, month__gte=kept_from, month__lte=kept_to
            ).exclude(lines=0)
            found += [dict(zip(FIELDS, row, strict=True)) for row in kept.values_list(*COLUMNS)]
        for month in cut:
            last_day = _next_month(month) - dt.timedelta(days=1)
            found += [
                {
                    "month": _as_date(g["month"]),
                    "account_id": g["account_id"],
                    "source": g["entry__source"],
                    "debit": g["debit_"] or 0,
                    "credit": g["credit_"] or 0,
                    "lines": g["lines_"],
                    "entries": g["entries_"],
                    "first": g["first_"],
                    "last": g["last_"],
                }
                for g in _grouped(shop, date__gte=max(start, month), date__lte=min(end, last_day))
            ]
    found.sort(key=lambda g: (g["month"], g["account_id"], g["source"]))
    return found


def journal_month_sums(*, shop) -> dict[tuple, tuple]:
    """Every kept row of the shop as ``{(month, account, source): (debit, credit, lines,
    entries, first, last)}`` beside the same grouped from the journal: for the tests
    and a check command."""
    with shop_scope(shop):
        kept = {
            (m, a, s): rest
            for m, a, s, *rest in JournalMonth.objects.filter(shop=shop)
            .exclude(lines=0)
            .values_list(
                "month", "account_id", "source", "debit", "credit", "lines", "entries",
                "first_seq", "last_seq",
            )
        }  # fmt: skip
    return {key: tuple(value) for key, value in kept.items()}


def journal_month_truth(*, shop) -> dict[tuple, tuple]:
    """The same as ``journal_month_sums``, grouped from the journal's lines."""
    found = defaultdict(tuple)
    with shop_scope(shop):
        for g in _grouped(shop):
            found[(_as_date(g["month"]), g["account_id"], g["entry__source"])] = (
                g["debit_"] or 0,
                g["credit_"] or 0,
                g["lines_"],
                g["entries_"],
                g["first_"],
                g["last_"],
            )
    return dict(found)

"""Posting to the journal: the one way entries are written.

Rules kept here:

* an entry balances (debits = credits), in whole rupiah, each line on one side;
* an entry is written once and never edited; ``key`` makes posting idempotent (posting
  the same key again returns the first entry), a correction is ``entry_reverse`` or a
  new adjusting entry;
* a change that belongs to a closed month posts on the first day of the first open
  month after it, and says which date it belongs to (``belongs_to``);
* each account's total per day (``AccountDay``) moves in the same transaction, so that
  reports read days, not lines; so do the orders' gross profit per day
  (``ProfitDay``, ``merdeka.books.profit``) and the lines per month, account and source
  (``JournalMonth``, ``merdeka.books.totals``).

Call inside the transaction of the change that posts (an order's lifecycle event, an
expense saved): the entry commits or rolls back with it.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from merdeka.books import chain
from merdeka.books.models import AccountDay, ClosedMonth, JournalEntry, JournalLine, Source
from merdeka.books.profit import profit_days_add
from merdeka.books.totals import journal_months_add
from merdeka.core import bulk
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.privacy.audit import audit_record

MAX_AMOUNT = 10**15  # Rp1 kuadriliun: anything above is a typo


class Line(NamedTuple):
    """One line of an entry (immutable; a tuple: the backfill makes tens of thousands)."""

    account_id: int
    debit: int = 0
    credit: int = 0


@dataclass
class Posting:
    """An entry to write: what ``entries_post`` takes."""

    date: dt.date
    source: str
    key: str
    lines: list[Line]
    memo: str = ""
    order_id: int | None = None
    reverses_id: int | None = None
    actor: object = None
    belongs_to: dt.date | None = field(default=None, init=False)


def lines_from_changes(changes: dict[int, int]) -> list[Line]:
    """Signed changes per account (debit positive) as journal lines, zeros dropped."""
    new = tuple.__new__  # what ``Line(...)`` does, without its call: tens of thousands
    return [
        new(Line, (account_id, amount, 0)) if amount > 0 else new(Line, (account_id, 0, -amount))
        for account_id, amount in sorted(changes.items())
        if amount
    ]


def _check(posting: Posting) -> None:
    lines = [line for line in posting.lines if line.debit or line.credit]
    if len(lines) < 2:
        raise ServiceError(_("An entry needs at least two lines."))
    debits = credits = 0
    for line in lines:
        debit, credit = line.debit, line.credit
        if type(debit) is not int or type(credit) is not int:  # not a float, Decimal, bool
            raise TypeError("amounts are whole rupiah (int)")
        if debit < 0 or credit < 0 or debit >= MAX_AMOUNT or credit >= MAX_AMOUNT:
            raise ServiceError(_("An amount must be a whole number of rupiah above 0."))
        if debit and credit:
            raise ServiceError(_("A line is either a debit or a credit."))
        debits += debit
        credits += credit
    if debits != credits:
        raise ServiceError(_("The entry does not balance: debits and credits differ."))
    if len(posting.key) > 120 or not posting.key:
        raise ValueError("an entry key of 1-120 characters is needed")
    posting.lines = lines


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(month: dt.date) -> dt.date:
    return (month + dt.timedelta(days=32)).replace(day=1)


def _open_dates(shop, postings: list[Posting]) -> None:
    """Move postings that fall into closed months to the first open day after."""
    closed = set(ClosedMonth.objects.filter(shop=shop).values_list("month", flat=True))
    if not closed:
        return
    for posting in postings:
        month = month_of(posting.date)
        if month not in closed:
            continue
        while month in closed:
            month = _next_month(month)
        posting.belongs_to, posting.date = posting.date, month


def entries_post(*, shop, postings: Iterable[Posting]) -> list[JournalEntry]:
    """Write entries set-wise; an entry whose key exists already is not written again
    (the existing one is returned in its place)."""
    postings = list(postings)
    if not postings:
        return []
    with transaction.atomic(), shop_scope(shop):
        entries_write(shop=shop, postings=postings)
        keys = list({p.key for p in postings})
        by_key = {e.key: e for e in JournalEntry.objects.filter(shop=shop, key__in=keys)}
    return [by_key[p.key] for p in postings]


def entries_write(*, shop, postings: Iterable[Posting], goods=None) -> int:
    """The one writer of the journal: check and write many entries at once, with plain
    inserts (no model instance per row), and move the day totals; an entry whose key
    exists already (or comes twice) is written once. Returns how many were written.
    ``goods``: the orders' goods for the gross-profit days, when the caller has read
    them (``profit.batch_goods``)."""
    postings = list(postings)
    for posting in postings:
        _check(posting)
    if not postings:
        return 0
    with transaction.atomic(), shop_scope(shop):
        unique: dict[str, Posting] = {}
        for posting in postings:
            unique.setdefault(posting.key, posting)  # the first of a key in one batch
        existing = _existing(shop, unique)
        fresh = [p for k, p in unique.items() if k not in existing]
        if not fresh:
            return 0
        _open_dates(shop, fresh)
        ids = bulk.reserve_ids(JournalEntry, len(fresh))
        # the hash chain moves with the entries (merdeka.books.chain)
        links = chain.chain_extend(shop=shop, entries=list(zip(ids, fresh, strict=True)))
        shop_id = shop.pk
        entries, rows = [], []
        # the day totals by (account, day) and the months' by (month, account, source):
        # [debit, credit] and [debit, credit, lines, entries, first seq, last seq]
        days: dict[tuple[int, dt.date], list[int]] = {}
        months: dict[tuple[dt.date, int, str], list[int]] = {}
        texts: dict[dt.date, tuple[str, dt.date]] = {}  # each day's ISO text and month
        for entry_id, p, (seq, hash_) in zip(ids, fresh, links, strict=True):
            date, source = p.date, p.source
            text, month = texts.get(date) or texts.setdefault(
                date, (date.isoformat(), month_of(date))
            )  # as both backends take a day, and its month
            belongs_to = p.belongs_to.isoformat() if p.belongs_to else None
            entries.append(
                (entry_id, shop_id, text, source, p.key, p.memo[:200], p.order_id,
                 p.reverses_id, belongs_to, getattr(p.actor, "pk", None), seq, hash_)
            )  # fmt: skip
            for account_id, debit, credit in p.lines:
                rows.append((shop_id, entry_id, account_id, text, debit, credit))
                day = days.get((account_id, date))
                if day is None:
                    days[(account_id, date)] = [debit, credit]
                else:
                    day[0] += debit
                    day[1] += credit
                group = months.get((month, account_id, source))
                if group is None:
                    months[(month, account_id, source)] = [debit, credit, 1, 1, seq, seq]
                else:
                    group[0] += debit
                    group[1] += credit
                    group[2] += 1
                    if group[5] != seq:  # the entry's first line in the group
                        group[3] += 1
                        group[5] = seq  # the chain's places grow along the batch
        bulk.insert(JournalEntry, ENTRY_COLUMNS, entries, shop_id=shop_id, adapted=True)
        bulk.insert(JournalLine, LINE_COLUMNS, rows, shop_id=shop_id, adapted=True)
        _days_add(shop, days)
        profit_days_add(shop, fresh, goods)  # gross profit per day, channel, product
        # the lines per month, account and source, with their places in the chain
        journal_months_add(shop, months)
    return len(fresh)


def _existing(shop, unique: dict[str, Posting]) -> set[str]:
    """The keys among ``unique`` written already. Many orders' postings with dense ids
    (a backfill's batch) are looked up by the range of their orders' ids, not by a list
    of thousands of keys: an entry's key names the order it belongs to (``order:<id>:
    <n>``, ``reversal:<entry of the order>``), so a key written before belongs to the
    same order (and ``(shop, key)`` is unique in the database all the same)."""
    orders = sorted({p.order_id for p in unique.values() if p.order_id is not None})
    if (
        len(orders) > bulk.LOOKUP_CHUNK
        and orders[-1] - orders[0] < 2 * len(orders)
        and all(p.order_id is not None for p in unique.values())
    ):
        found = JournalEntry.objects.filter(
            shop=shop, order_id__gte=orders[0], order_id__lte=orders[-1]
        ).values_list("key", flat=True)
        return {key for key in found if key in unique}
    existing: set[str] = set()
    for part in bulk.chunks(list(unique)):
        existing.update(
            JournalEntry.objects.filter(shop=shop, key__in=part).values_list("key", flat=True)
        )
    return existing


ENTRY_COLUMNS = (
    "id",
    "shop",
    "date",
    "source",
    "key",
    "memo",
    "order",
    "reverses",
    "belongs_to",
    "created_by",
    "chain_seq",
    "chain_hash",
)
LINE_COLUMNS = ("shop", "entry", "account", "date", "debit", "credit")


def _days_add(shop, days: dict[tuple[int, dt.date], list[int]]) -> None:
    """Each (account, day) total moves by what was posted to it, in one statement per
    row that adds to it (or makes it): two writers never lose each other's amounts."""
    bulk.add_to(
        AccountDay,
        ("account", "date"),
        ("debit", "credit"),
        (
            (shop.pk, account_id, date, debit, credit)
            for (account_id, date), (debit, credit) in sorted(days.items())
        ),
        shop_id=shop.pk,
    )


def entry_post(
    *,
    shop,
    date: dt.date,
    source: str,
    key: str,
    lines: list[Line],
    memo: str = "",
    order_id: int | None = None,
    actor=None,
) -> JournalEntry:
    """Write one entry (or find it, when ``key`` was posted before)."""
    [entry] = entries_post(
        shop=shop,
        postings=[
            Posting(
                date=date,
                source=source,
                key=key,
                lines=lines,
                memo=memo,
                order_id=order_id,
                actor=actor,
            )
        ],
    )
    return entry


def entry_reverse(*, shop, entry_id: int, memo: str = "", actor=None, date=None) -> JournalEntry:
    """Undo an entry with its mirror image (the original stays as it was)."""
    with transaction.atomic(), shop_scope(shop):
        entry = JournalEntry.objects.select_for_update().get(shop=shop, pk=entry_id)
        if entry.source == Source.REVERSAL:
            raise ServiceError(_("A reversal cannot be reversed; post a new entry instead."))
        lines = [
            Line(line.account_id, debit=line.credit, credit=line.debit)
            for line in entry.lines.all()
        ]
        [reversal] = entries_post(
            shop=shop,
            postings=[
                Posting(
                    date=date or today(shop),
                    source=Source.REVERSAL,
                    key=f"reversal:{entry.pk}",
                    lines=lines,
                    memo=memo or _("Reversal of entry %(id)s") % {"id": entry.pk},
                    order_id=entry.order_id,
                    reverses_id=entry.pk,
                    actor=actor,
                )
            ],
        )
    return reversal


def today(shop) -> dt.date:
    return local_date(shop, timezone.now())


def local_date(shop, moment: dt.datetime) -> dt.date:
    """The shop's calendar day of ``moment`` (WIB, WITA or WIT)."""
    return moment.astimezone(zoneinfo.ZoneInfo(shop.time_zone)).date()


def month_close(*, shop, month: dt.date, actor=None, request=None) -> bool:
    """Close a month: nothing posts into it any more. False if it was closed already."""
    month = month_of(month)
    with transaction.atomic(), shop_scope(shop):
        try:
            with transaction.atomic():
                ClosedMonth.objects.create(shop=shop, month=month, closed_by=actor)
        except IntegrityError:
            return False
        audit_record(
            action="books.month_closed",
            shop=shop,
            actor=actor,
            request=request,
            detail={"month": month.isoformat()},
        )
    return True


def month_reopen(*, shop, month: dt.date, actor=None, request=None) -> bool:
    """The owner reopens a closed month (audited). False if it was not closed."""
    month = month_of(month)
    with transaction.atomic(), shop_scope(shop):
        deleted, _by_model = ClosedMonth.objects.filter(shop=shop, month=month).delete()
        if deleted:
            audit_record(
                action="books.month_reopened",
                shop=shop,
                actor=actor,
                request=request,
                detail={"month": month.isoformat()},
            )
    return bool(deleted)

"""The journal's hash chain: each entry's hash covers the one before it.

An entry's link is ``sha256(previous hash + canonical(entry))``, where ``canonical`` is
the entry as JSON: its place in the chain (``seq``), id, date, source, key, memo,
``belongs_to``, order, what it reverses, and its lines as ``[account id, debit,
credit]`` sorted. The chain is extended as entries post (``chain_extend``, called by
``posting.entries_write`` in the same transaction, set-wise: a batch is hashed in
Python from the head, in posting order), so a pack reads one head and never re-hashes
the journal. The head row (``JournalChain``) is locked while it moves (``SELECT … FOR
UPDATE`` on PostgreSQL; SQLite's write transactions are serialised), and
``(shop, chain_seq)`` is unique: two postings cannot fork the chain.

* ``chain_build`` chains what is not chained yet (the migration for existing journals,
  and a restore: the restored entries are chained anew from a genesis that names the
  exporting shop's head, so the new chain continues the old one);
* ``chain_check`` re-hashes the whole journal and says where it first disagrees;
* ``month_roll`` keeps the head at each month's end (``ChainMonthHead``): the head as
  the month ended is the head before the first extension in a later month.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from django.db import IntegrityError, transaction
from django.utils import timezone

from merdeka.books.models import ChainMonthHead, JournalChain, JournalEntry, JournalLine
from merdeka.core import bulk
from merdeka.core.ownership import JOURNAL, owning
from merdeka.core.scoping import shop_scope

VERSION = "merdeka-journal-chain-v1"


def genesis_of(shop_id: int, restored_from: str = "") -> str:
    """Where a shop's chain starts: its own, or after the head of the books it was
    restored from."""
    seed = f"{VERSION}|restored|{restored_from}" if restored_from else f"{VERSION}|shop|{shop_id}"
    return hashlib.sha256(seed.encode()).hexdigest()


# one encoder for every link (``json.dumps`` with options builds a new one per call)
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def canonical(
    *,
    seq: int,
    entry_id: int,
    date: dt.date,
    source: str,
    key: str,
    memo: str,
    belongs_to: dt.date | None,
    order_id: int | None,
    reverses_id: int | None,
    lines: Iterable[Sequence[int]],
) -> bytes:
    return _ENCODER.encode(
        [
            seq,
            entry_id,
            date.isoformat(),
            source,
            key,
            memo,
            belongs_to.isoformat() if belongs_to else None,
            order_id,
            reverses_id,
            sorted([int(a), int(d), int(c)] for a, d, c in lines),
        ]
    ).encode()


# what the encoder writes a string as (``ensure_ascii=False``): the very function
_string = json.encoder.encode_basestring


def canonical_quick(
    seq, entry_id, date, source, key, memo, belongs_to, order_id, reverses_id, lines
) -> bytes | None:
    """``canonical``'s very bytes, written as text without building the list and
    walking it in the encoder: for plain values only (``int`` ids and amounts, ``str``
    texts), None for anything else (then ``canonical`` it is). A writer hashes every
    entry it writes: the backfill, thousands a batch."""
    if type(seq) is not int or type(entry_id) is not int:
        return None
    if (order_id is not None and type(order_id) is not int) or (
        reverses_id is not None and type(reverses_id) is not int
    ):
        return None
    if not isinstance(source, str):
        return None
    if type(key) is not str or type(memo) is not str:
        return None
    rows = []
    for a, d, c in sorted(lines):
        if type(a) is not int or type(d) is not int or type(c) is not int:
            return None
        rows.append(f"[{a},{d},{c}]")
    return (
        f"[{seq},{entry_id},{_string(date.isoformat())},{_string(source)},{_string(key)},"
        f"{_string(memo)},{_string(belongs_to.isoformat()) if belongs_to else 'null'},"
        f"{'null' if order_id is None else order_id},"
        f"{'null' if reverses_id is None else reverses_id},[{','.join(rows)}]]"
    ).encode()


def link(previous: str, data: bytes) -> str:
    return hashlib.sha256(bytes.fromhex(previous) + data).hexdigest()


def _month(shop, moment: dt.datetime) -> dt.date:
    """The shop's calendar month of ``moment`` (as ``posting.local_date``, which
    imports this module)."""
    return moment.astimezone(zoneinfo.ZoneInfo(shop.time_zone)).date().replace(day=1)


def _locked(shop) -> JournalChain:
    chain = JournalChain.objects.select_for_update().filter(shop=shop).first()
    if chain is None:
        start = genesis_of(shop.pk)
        try:
            with transaction.atomic():
                JournalChain.objects.create(shop=shop, head=start, genesis=start)
        except IntegrityError:  # another writer made it first
            pass
        chain = JournalChain.objects.select_for_update().get(shop=shop)
    return chain


def _roll(shop, chain: JournalChain, now: dt.datetime) -> None:
    """Keep the head of the month the chain last moved in, once a later month began."""
    month = _month(shop, now)
    if chain.month is not None and chain.month < month and chain.seq:
        ChainMonthHead.objects.get_or_create(
            shop=shop, month=chain.month, defaults={"seq": chain.seq, "head": chain.head}
        )
    chain.month = month


class Link(NamedTuple):
    """An entry's place in the chain and the chain's hash after it (a tuple: a batch
    makes thousands)."""

    seq: int
    hash: str


def chain_extend(*, shop, entries: list[tuple[int, object]], now=None) -> list[Link]:
    """The links of entries about to be written: ``(entry id, Posting)`` in posting
    order. Moves the head; call inside the transaction that writes the entries."""
    chain = _locked(shop)
    _roll(shop, chain, now or timezone.now())
    head, seq = chain.head, chain.seq
    found = []
    for entry_id, p in entries:
        seq += 1
        memo = p.memo[:200]
        data = canonical_quick(
            seq, entry_id, p.date, p.source, p.key, memo, p.belongs_to, p.order_id,
            p.reverses_id, p.lines,
        )  # fmt: skip
        if data is None:
            data = canonical(
                seq=seq,
                entry_id=entry_id,
                date=p.date,
                source=p.source,
                key=p.key,
                memo=memo,
                belongs_to=p.belongs_to,
                order_id=p.order_id,
                reverses_id=p.reverses_id,
                lines=((line.account_id, line.debit, line.credit) for line in p.lines),
            )
        head = link(head, data)
        found.append(Link(seq, head))
    chain.head, chain.seq = head, seq
    chain.save(update_fields=["head", "seq", "month", "updated_at"])
    return found


ENTRY_VALUES = (
    "pk",
    "chain_seq",
    "date",
    "source",
    "key",
    "memo",
    "belongs_to",
    "order_id",
    "reverses_id",
    "chain_hash",
)


def _entries_with_lines(shop, entries):
    """(entry values, its lines) for a queryset of entries in chain order, read in
    chunks (lines joined by entry id)."""
    rows = list(entries.values_list(*ENTRY_VALUES))
    for part in bulk.chunks(rows, 20_000):
        ids = [row[0] for row in part]
        lines: dict[int, list] = {}
        for entry_id, account, debit, credit in JournalLine.objects.filter(
            shop=shop, entry_id__gte=min(ids), entry_id__lte=max(ids)
        ).values_list("entry_id", "account_id", "debit", "credit"):
            lines.setdefault(entry_id, []).append((account, debit, credit))
        for row in part:
            yield row, lines.get(row[0], [])


def _canonical_row(seq: int, row, lines) -> bytes:
    pk, _seq, date, source, key, memo, belongs_to, order_id, reverses_id, _hash = row
    return canonical(
        seq=seq,
        entry_id=pk,
        date=date,
        source=source,
        key=key,
        memo=memo,
        belongs_to=belongs_to,
        order_id=order_id,
        reverses_id=reverses_id,
        lines=lines,
    )


def chain_build(*, shop, restored_from: str = "", now=None) -> int:
    """Chain the shop's entries that have no link yet, in id order, after the head
    (a restore passes the exporting shop's head: the chain starts after it). Returns
    how many were chained."""
    with transaction.atomic(), shop_scope(shop):
        if restored_from and not JournalChain.objects.filter(shop=shop).exists():
            start = genesis_of(shop.pk, restored_from)
            JournalChain.objects.create(shop=shop, head=start, genesis=start)
        chain = _locked(shop)
        _roll(shop, chain, now or timezone.now())
        head, seq = chain.head, chain.seq
        todo = JournalEntry.objects.filter(shop=shop, chain_seq__isnull=True).order_by("pk")
        updates = []
        for row, lines in _entries_with_lines(shop, todo):
            seq += 1
            head = link(head, _canonical_row(seq, row, lines))
            updates.append((seq, head, row[0]))
        with owning(JOURNAL):  # entries not chained yet get their places, once
            bulk.update(JournalEntry, ("chain_seq", "chain_hash"), updates, shop_id=shop.pk)
        chain.head, chain.seq = head, seq
        chain.save(update_fields=["head", "seq", "month", "updated_at"])
    return len(updates)


@dataclass
class Check:
    ok: bool
    entries: int
    head: str
    problem: str = ""


def chain_check(*, shop) -> Check:
    """Re-hash the whole journal from the genesis: does every stored link, and the head,
    match? (Reads every line: an audit, not what a pack does.)"""
    with shop_scope(shop):
        chain = JournalChain.objects.filter(shop=shop).first()
        if chain is None:
            empty = not JournalEntry.objects.filter(shop=shop).exists()
            return Check(empty, 0, "", "" if empty else "the journal has no chain")
        head, seq = chain.genesis, 0
        entries = JournalEntry.objects.filter(shop=shop).order_by("chain_seq", "pk")
        for row, lines in _entries_with_lines(shop, entries):
            seq += 1
            if row[1] != seq:
                return Check(False, seq - 1, head, f"entry {row[0]} is not chained in order")
            head = link(head, _canonical_row(seq, row, lines))
            if row[-1] != head:
                return Check(False, seq - 1, head, f"entry {row[0]} differs from its link")
        if (seq, head) != (chain.seq, chain.head):
            return Check(False, seq, head, "the head does not match the journal")
    return Check(True, seq, head)


def month_roll(*, shop, now=None) -> None:
    """Record last month's head for a shop that has not posted since it ended."""
    with transaction.atomic(), shop_scope(shop):
        if not JournalChain.objects.filter(shop=shop).exists():
            return
        chain = _locked(shop)
        _roll(shop, chain, now or timezone.now())
        chain.save(update_fields=["month", "updated_at"])


def heads(*, shop) -> tuple[JournalChain | None, list[ChainMonthHead]]:
    with shop_scope(shop):
        return (
            JournalChain.objects.filter(shop=shop).first(),
            list(ChainMonthHead.objects.filter(shop=shop).order_by("month")),
        )

"""The books in ``merdeka export`` and back: a shop moves with its journal as it was.

``books_export`` gives the chart (accounts), the shop's settings, the closed months
and every journal entry with its lines, in plain JSON values (ids are the exporting
shop's, orders named by channel and external id). ``books_restore`` writes them into
a shop that has no journal yet: ids are drawn anew and remapped (accounts, entries,
what a reversal reverses, the orders, the ids inside entry keys), dates, sources,
``belongs_to`` and creators are kept, and each account's day totals are rebuilt from
the lines, as are the gross-profit days. The hash chain is recomputed (new ids make new
links), starting after the exporting shop's head, with its month-end heads kept
(``merdeka.books.chain``). Nothing is posted again: the entries' keys and order links are
the ones a later lifecycle event or backfill looks for, so they find what is there.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterator

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from merdeka.books.chain import chain_build, heads
from merdeka.books.models import (
    Account,
    BooksSettings,
    ChainMonthHead,
    ClosedMonth,
    ImportedLineCost,
    JournalEntry,
    JournalLine,
    MarketplaceSettlement,
    PackKey,
    SkuMapping,
)
from merdeka.books.posting import ENTRY_COLUMNS, LINE_COLUMNS, Line, Posting, _days_add
from merdeka.books.profit import profit_days_add
from merdeka.books.totals import journal_months_rebuild
from merdeka.catalog.models import Variant
from merdeka.core import bulk
from merdeka.core.models import Membership
from merdeka.core.portable import Columns
from merdeka.core.scoping import shop_scope
from merdeka.orders.models import Order, OrderLine
from merdeka.tax.portable import tax_export, tax_restore

ACCOUNT_FIELDS = ("id", "code", "name", "kind", "key", "is_active")


class BooksNotRestored(Exception):
    """The export's journal cannot go into this shop (it has data of its own)."""

    message = _(
        "This export holds the books of a shop: restore it into a new, empty shop. "
        "This shop has orders or a journal of its own already."
    )


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def books_export(*, shop) -> tuple[dict, Iterator[dict]]:
    """The books of ``shop``: the chart, settings and closed months, and the journal as
    rows read as they are written out (a journal of millions of lines is never held
    whole). Consume the journal inside ``shop_scope(shop)``."""
    User = get_user_model()
    with shop_scope(shop):
        users = dict(User.objects.filter(memberships__shop=shop).values_list("pk", "username"))
        setting = BooksSettings.objects.filter(shop=shop).values("revenue_on").first()
        books = {
            "settings": setting or {},
            "accounts": list(
                Account.objects.filter(shop=shop).order_by("pk").values(*ACCOUNT_FIELDS)
            ),
            "settlements": [
                {**row, "date": _day(row["date"])}
                for row in MarketplaceSettlement.objects.filter(shop=shop)
                .order_by("pk")
                .values(*SETTLEMENT_FIELDS)
            ],
            # imported lines mapped to the catalog (merdeka.books.skus): the mappings by
            # the variant's SKU, the lines' costs by order and line position
            "sku_mappings": [
                {"key": key, "label": label, "variant_sku": sku}
                for key, label, sku in SkuMapping.objects.filter(shop=shop)
                .order_by("pk")
                .values_list("key", "label", "variant__sku")
            ],
            "line_costs": [
                list(row)
                for row in ImportedLineCost.objects.filter(shop=shop)
                .order_by("pk")
                .values_list(
                    "line__order__channel", "line__order__external_id", "line__position", "cost"
                )
            ],
            "closed_months": [
                {"month": _day(month), "closed_by": users.get(by), "closed_at": at.isoformat()}
                for month, by, at in ClosedMonth.objects.filter(shop=shop)
                .order_by("month")
                .values_list("month", "closed_by_id", "closed_at")
            ],
            # the business profile, its documents and the tax paid (merdeka.tax.portable)
            "tax": tax_export(shop=shop, users=users),
            "chain": _chain_export(shop),
        }
    return books, _journal(shop, users)


def _journal(shop, users: dict[int, str]) -> Iterator[dict]:
    orders = {
        pk: [pk, channel, external_id]
        for pk, channel, external_id in Order.objects.filter(
            shop=shop, pk__in=JournalEntry.objects.filter(shop=shop).values("order_id")
        ).values_list("pk", "channel", "external_id")
    }
    lines = (
        JournalLine.objects.filter(shop=shop)
        .order_by("entry_id", "pk")
        .values_list("entry_id", "account_id", "debit", "credit")
        .iterator(chunk_size=20000)
    )
    pending = next(lines, None)
    # the entries as raw rows (``Columns``, plain): their days and times as the export's
    # text straight from the connection's rows, not parsed and formatted again
    entries = Columns(JournalEntry, ENTRY_FIELDS, shop=shop, plain=True)
    for batch in entries.batches(JournalEntry.objects.filter(shop=shop)):
        for pk, day, source, key, memo, order_id, reverses, belongs_to, by, created in batch:
            mine = []
            while pending is not None and pending[0] == pk:  # both in entry order
                mine.append(list(pending[1:]))
                pending = next(lines, None)
            yield {
                "id": pk,
                "date": day or None,
                "source": source,
                "key": key,
                "memo": memo,
                "order": orders.get(order_id),
                "reverses": reverses,
                "belongs_to": belongs_to or None,
                "created_by": users.get(by),
                "created_at": created,
                "lines": mine,
            }


# the marketplaces' report rows (merdeka.books.settlements): their entries' keys name
# them by marketplace and reference, so they are restored as they are
SETTLEMENT_FIELDS = (
    "marketplace",
    "kind",
    "reference",
    "order_number",
    "date",
    "fees",
    "shipping",
    "subsidies",
    "released",
    "note",
)


ENTRY_FIELDS = (
    "pk",
    "date",
    "source",
    "key",
    "memo",
    "order_id",
    "reverses_id",
    "belongs_to",
    "created_by_id",
    "created_at",
)


# the ids that entry keys carry, and what they are ids of
KEY_IDS = (
    (re.compile(r"^(order:)(\d+)(:.*)$"), "order"),
    (re.compile(r"^(reversal:)(\d+)()$"), "entry"),
    (re.compile(r"^(.*account-)(\d+)()$"), "account"),
    (re.compile(r"^(stock:)(\d+)()$"), "stock_move"),  # the ledger travels (catalog)
)


# keys that name a row the export does not carry (a debt, a payment of one, a stock
# move): restored under a prefix, so that a new row of the restored shop that happens to
# get the same id posts its own entry instead of finding the old one
UNMAPPED_KEY = re.compile(r"^(debt|debt_payment|stock):\d+$")


def _key(key: str, maps: dict[str, dict[int, int]]) -> str:
    for pattern, kind in KEY_IDS:
        found = pattern.match(key)
        if found and int(found.group(2)) in maps.get(kind, {}):
            return f"{found.group(1)}{maps[kind][int(found.group(2))]}{found.group(3)}"
    if UNMAPPED_KEY.match(key):
        return f"restored:{key}"
    return key


def books_restore(
    *, shop, books: dict, journal: list[dict], had_data: bool, stock_moves=None
) -> int:
    """Write an export's books into ``shop`` (its orders restored already); returns
    the entries written. A shop that had data of its own (``had_data``) takes the
    journal only when it holds it already (the same export again: nothing is
    written); otherwise ``BooksNotRestored``. The business profile and the tax paid
    (``books["tax"]``, ``merdeka.tax.portable``) follow, their entries remapped.
    ``stock_moves`` (old id -> new) are the restored stock ledger's: an entry of a
    stock move keeps pointing at it."""
    maps: dict[str, dict[int, int]] = {"stock_move": dict(stock_moves or {})}
    with transaction.atomic(), shop_scope(shop):
        written = _restore(shop, books, journal, had_data, maps)
        tax_restore(shop=shop, data=books.get("tax") or {}, entries=maps.get("entry", {}))
    return written


def _restore(shop, books: dict, journal: list[dict], had_data: bool, maps: dict) -> int:
    maps.update({"order": _orders(shop, journal), "entry": {}})
    if had_data or JournalEntry.objects.filter(shop=shop).exists():
        if not journal:
            return 0  # nothing to bring: her own chart stays as it is
        maps["account"] = _accounts(shop, books.get("accounts", []), create=False)
        if maps["account"] is None:
            raise BooksNotRestored
        existing = dict(JournalEntry.objects.filter(shop=shop).values_list("key", "pk"))
        # a stock move's entry of the same export restored before: its move has an id
        # of this shop that the export cannot know, but the entry kept when it was made
        moments = {
            (source, date.isoformat(), at): pk
            for pk, source, date, at in JournalEntry.objects.filter(
                shop=shop, key__startswith="stock:"
            ).values_list("pk", "source", "date", "created_at")
        }
        for e in journal:  # in id order: a reversal comes after what it reverses
            found = existing.get(_key(e["key"], maps))
            if found is None and e["key"].startswith("stock:"):
                moment = dt.datetime.fromisoformat(e["created_at"])
                found = moments.get((e["source"], e["date"], moment))
            if found is None:
                raise BooksNotRestored
            maps["entry"][e["id"]] = found
        return 0
    maps["account"] = _accounts(shop, books.get("accounts", []), create=True)
    setting = books.get("settings") or {}
    if setting.get("revenue_on"):
        BooksSettings.objects.update_or_create(
            shop=shop, defaults={"revenue_on": setting["revenue_on"]}
        )
    members = _members(shop)
    for closed in books.get("closed_months", []):
        month, made = ClosedMonth.objects.get_or_create(
            shop=shop,
            month=dt.date.fromisoformat(closed["month"]),
            defaults={"closed_by_id": members.get(closed.get("closed_by"))},
        )
        if made and closed.get("closed_at"):  # when she closed it, not when it moved
            ClosedMonth.objects.filter(pk=month.pk).update(
                closed_at=dt.datetime.fromisoformat(closed["closed_at"])
            )
    _skus_restore(shop, books)
    MarketplaceSettlement.objects.bulk_create(
        [
            MarketplaceSettlement(shop=shop, **{**row, "date": dt.date.fromisoformat(row["date"])})
            for row in books.get("settlements", [])
        ]
    )
    if not journal:
        return 0
    ids = bulk.reserve_ids(JournalEntry, len(journal))
    maps["entry"] = {e["id"]: new for e, new in zip(journal, ids, strict=True)}
    bulk.insert(
        JournalEntry,
        (*ENTRY_COLUMNS, "created_at"),
        (
            (
                maps["entry"][e["id"]],
                shop.pk,
                dt.date.fromisoformat(e["date"]),
                e["source"],
                _key(e["key"], maps),
                e.get("memo") or "",
                maps["order"].get(e["order"][0]) if e.get("order") else None,
                maps["entry"].get(e.get("reverses")),
                dt.date.fromisoformat(e["belongs_to"]) if e.get("belongs_to") else None,
                members.get(e.get("created_by")),
                None,  # chained below, anew
                "",
                dt.datetime.fromisoformat(e["created_at"]),
            )
            for e in journal
        ),
        shop_id=shop.pk,
    )
    days: dict[tuple[int, dt.date], list[int]] = defaultdict(lambda: [0, 0])
    rows = []
    for e in journal:
        day = dt.date.fromisoformat(e["date"])
        for account, debit, credit in e["lines"]:
            account_id = maps["account"][account]
            rows.append((shop.pk, maps["entry"][e["id"]], account_id, day, debit, credit))
            total = days[(account_id, day)]
            total[0] += debit
            total[1] += credit
    bulk.insert(JournalLine, LINE_COLUMNS, rows, shop_id=shop.pk)
    _days_add(shop, days)  # the day totals, rebuilt from the lines
    profit_days_add(shop, _restored(journal, maps))  # and the gross profit's
    _chain_restore(shop, books.get("chain") or {})
    journal_months_rebuild(shop=shop)  # the months, once the entries are chained anew
    return len(journal)


def _restored(journal: list[dict], maps: dict[str, dict[int, int]]) -> list[Posting]:
    """The restored entries as the writer's postings, for the gross-profit days."""
    return [
        Posting(
            date=dt.date.fromisoformat(e["date"]),
            source=e["source"],
            key=e["key"],
            lines=[
                Line(maps["account"][account], debit=debit, credit=credit)
                for account, debit, credit in e["lines"]
            ],
            order_id=maps["order"].get(e["order"][0]) if e.get("order") else None,
        )
        for e in journal
    ]


def _chain_export(shop) -> dict:
    chain, months = heads(shop=shop)
    if chain is None:
        return {}
    return {
        "head": chain.head,
        "seq": chain.seq,
        # the public keys its packs were signed with: the lender's copies still verify
        "pack_keys": list(PackKey.objects.filter(shop=shop).values_list("public_key", flat=True)),
        "months": [{"month": _day(m.month), "seq": m.seq, "head": m.head} for m in months],
    }


def _chain_restore(shop, old: dict) -> None:
    """The restored entries get new ids, so their links are computed anew (they cannot
    be copied): the new chain starts after the exporting shop's head, and the heads of
    the months before the move are kept, so a lender's earlier pack still compares."""
    for month in old.get("months", []):
        ChainMonthHead.objects.get_or_create(
            shop=shop,
            month=dt.date.fromisoformat(month["month"]),
            defaults={"seq": month["seq"], "head": month["head"]},
        )
    for public_key in old.get("pack_keys", []):  # published, never used to sign again
        PackKey.objects.get_or_create(
            shop=shop,
            public_key=public_key,
            defaults={"wrapped": b"", "master_key_id": "", "retired_at": timezone.now()},
        )
    chain_build(shop=shop, restored_from=old.get("head", ""))


def _orders(shop, journal: list[dict]) -> dict[int, int]:
    """The exporting shop's order ids -> this shop's, by channel and external id."""
    wanted = {
        (channel, external): old
        for old, channel, external in (e["order"] for e in journal if e.get("order"))
    }
    found = {}
    for part in bulk.chunks(sorted({key[1] for key in wanted})):
        for pk, channel, external in Order.objects.filter(
            shop=shop, external_id__in=part
        ).values_list("pk", "channel", "external_id"):
            if (channel, external) in wanted:
                found[wanted[(channel, external)]] = pk
    return found


def _members(shop) -> dict[str, int]:
    """Usernames of the shop's members: an entry's creator is kept where she belongs
    to the new shop too (and left empty otherwise)."""
    return dict(Membership.objects.filter(shop=shop).values_list("user__username", "user_id"))


def _accounts(shop, rows: list[dict], *, create: bool) -> dict[int, int] | None:
    """Old account id -> this shop's: found by key (the chart's accounts) or code (the
    seller's own), made where missing (``create``; else None when one is missing)."""
    by_key = dict(Account.objects.filter(shop=shop, key__isnull=False).values_list("key", "pk"))
    by_code = dict(Account.objects.filter(shop=shop).values_list("code", "pk"))
    found = {}
    for row in rows:
        pk = by_key.get(row["key"]) if row.get("key") else by_code.get(row["code"])
        if pk is None:
            if not create:
                return None
            code = row["code"] if row["code"] not in by_code else f"{row['code']}-{row['id']}"
            pk = Account.objects.create(
                shop=shop,
                code=code[:12],
                name=row["name"],
                kind=row["kind"],
                key=row.get("key"),
                is_active=row.get("is_active", True),
            ).pk
            by_code[code] = pk
        elif create:
            Account.objects.filter(shop=shop, pk=pk).update(
                name=row["name"], is_active=row.get("is_active", True)
            )
        found[row["id"]] = pk
    return found


def _skus_restore(shop, books: dict) -> None:
    """The imported lines' costs, on the restored orders' lines (without a variant: the
    export carries no catalog), and the mappings whose SKU the shop's catalog has."""
    rows = books.get("line_costs", [])
    orders: dict[tuple[str, str], int] = {}
    for part in bulk.chunks(sorted({row[1] for row in rows})):
        for pk, channel, external in Order.objects.filter(
            shop=shop, external_id__in=part
        ).values_list("pk", "channel", "external_id"):
            orders[(channel, external)] = pk
    lines: dict[tuple[int, int], int] = {}
    for part in bulk.chunks(sorted(set(orders.values()))):
        for pk, order_id, position in (
            OrderLine.objects.filter(shop=shop, order_id__in=part)
            .order_by("-pk")
            .values_list("pk", "order_id", "position")
        ):
            lines[(order_id, position)] = pk  # the first line of a position wins
    costs = []
    for channel, external, position, cost in rows:
        order_id = orders.get((channel, external))
        line_id = lines.get((order_id, position))
        if line_id is not None:
            costs.append(ImportedLineCost(shop=shop, line_id=line_id, order_id=order_id, cost=cost))
    ImportedLineCost.objects.bulk_create(costs)
    mappings = books.get("sku_mappings", [])
    variants = dict(
        Variant.objects.filter(
            shop=shop, sku__in=[m["variant_sku"] for m in mappings if m["variant_sku"]]
        ).values_list("sku", "pk")
    )
    SkuMapping.objects.bulk_create(
        [
            SkuMapping(
                shop=shop, key=m["key"], label=m["label"], variant_id=variants[m["variant_sku"]]
            )
            for m in mappings
            if m["variant_sku"] in variants
        ]
    )

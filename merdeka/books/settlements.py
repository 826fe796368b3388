"""The marketplaces' income and settlement reports in the books, and their reconciliation.

An imported marketplace order posts gross (``merdeka.books.orders``): what the buyer
paid moves into the marketplace's seller balance (*saldo penjual*) when it is
delivered. What the platform then does with that money is in its reports, not in
order exports (the readers: ``merdeka.imports.formats.settlements``):

* an **order released** (Shopee's *Laporan Penghasilan*, TikTok Shop's settlement
  export): its fees are an expense (*biaya marketplace*) and the shipping passed on to
  the courier a shipping cost, both taken from the balance; what the platform bears
  (its vouchers, free shipping, compensation) is income added to it. The money
  released stays in the seller balance;
* an **adjustment** (a penalty, a compensation): added to or taken from the balance,
  as other income or a marketplace fee;
* a **withdrawal** (Shopee's *Penarikan Dana*, TikTok Shop's withdrawals): a transfer
  from the seller balance to the bank.

Each report row is written once (``MarketplaceSettlement``, unique by marketplace,
kind and reference) and posts one entry keyed by it: a report imported again posts
nothing twice. What a release should have been (the order as posted, less the fees and
shipping, plus the subsidies) against what the report says was released is the
reconciliation (``releases``): a difference is shown, never posted by guess, so the
seller balance keeps saying what the marketplace still owes by the books.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max, Sum
from django.utils.translation import gettext as _

from merdeka.books.chart import MARKETPLACES, accounts_by_key, marketplace_key
from merdeka.books.models import (
    AccountDay,
    MarketplaceSettlement,
    RevenueOn,
    SettlementKind,
    Source,
)
from merdeka.books.orders import delivered, revenue_on, rupiah
from merdeka.books.posting import Posting, entries_write, lines_from_changes
from merdeka.core import bulk
from merdeka.core.scoping import shop_scope
from merdeka.orders.models import Order

# the channels whose orders a marketplace's report may name (TikTok Shop's reports
# hold the Tokopedia orders it serves too)
ORDER_CHANNELS = {"tiktok": ("tiktok", "tokopedia")}


@dataclass
class SettlementRow:
    """One row of a report, as a reader found it (amounts in whole rupiah, fees,
    shipping and subsidies as positive amounts, ``released`` signed)."""

    marketplace: str
    kind: str
    reference: str
    date: dt.date
    order_number: str = ""
    fees: int = 0
    shipping: int = 0
    subsidies: int = 0
    released: int = 0
    note: str = ""
    row: int | None = None  # the file's row, for messages


def entry_key(marketplace: str, kind: str, reference: str) -> str:
    return f"settlement:{marketplace}:{kind}:{reference}"[:120]


def _changes(row, keys: dict[str, int], via: str | None = None) -> dict[int, int]:
    """The entry of one report row: account id -> signed amount (debit positive).
    ``via``: the channel of an order another marketplace settled (a Tokopedia order in
    TikTok Shop's report): its fees come from that channel's balance, where the order
    posted, and what was released moves on to the settling marketplace's balance."""
    balance = keys[marketplace_key(row.marketplace)]
    changes: dict[int, int] = defaultdict(int)
    if row.kind == SettlementKind.ORDER:
        held = keys[marketplace_key(via)] if via else balance
        changes[keys["expense:marketplace_fees"]] += row.fees
        changes[keys["expense:shipping"]] += row.shipping
        changes[keys["other_income"]] -= row.subsidies
        changes[held] += row.subsidies - row.fees - row.shipping
        if via:
            changes[held] -= row.released
            changes[balance] += row.released
    elif row.kind == SettlementKind.ADJUSTMENT:
        counter = "other_income" if row.released > 0 else "expense:marketplace_fees"
        changes[balance] += row.released
        changes[keys[counter]] -= row.released
    else:  # a withdrawal: from the seller balance to the bank
        changes[keys["bank"]] += row.released
        changes[balance] -= row.released
    return changes


KEYS = ("expense:marketplace_fees", "expense:shipping", "other_income", "bank")


def settlements_record(*, shop, rows: list[SettlementRow], actor=None) -> tuple[int, int]:
    """Write a report's rows and post each new one; rows known already (the same
    report again, or an overlapping period) are left as they are. Returns (new,
    known). Call inside the import's transaction: all or nothing with it."""
    with transaction.atomic(), shop_scope(shop):
        wanted: dict[tuple[str, str, str], SettlementRow] = {}
        for row in rows:
            wanted.setdefault((row.marketplace, row.kind, row.reference), row)
        known = set()
        for marketplace in {key[0] for key in wanted}:
            refs = [key[2] for key in wanted if key[0] == marketplace]
            for part in bulk.chunks(refs):
                known.update(
                    MarketplaceSettlement.objects.filter(
                        shop=shop, marketplace=marketplace, reference__in=part
                    ).values_list("marketplace", "kind", "reference")
                )
        fresh = [row for key, row in wanted.items() if key not in known]
        if not fresh:
            return 0, len(wanted)
        via = _settled_for(shop, fresh)
        keys = accounts_by_key(
            shop=shop,
            keys={
                *KEYS,
                *(marketplace_key(r.marketplace) for r in fresh),
                *(marketplace_key(channel) for channel in via.values()),
            },
        )
        MarketplaceSettlement.objects.bulk_create(
            [
                MarketplaceSettlement(
                    shop=shop,
                    marketplace=row.marketplace,
                    kind=row.kind,
                    reference=row.reference,
                    order_number=row.order_number,
                    date=row.date,
                    fees=row.fees,
                    shipping=row.shipping,
                    subsidies=row.subsidies,
                    released=row.released,
                    note=row.note[:120],
                )
                for row in fresh
            ]
        )
        postings = []
        for row in fresh:
            channel = via.get((row.marketplace, row.order_number))
            lines = lines_from_changes(_changes(row, keys, channel))
            if len(lines) < 2:
                continue  # a release with no fee, shipping or subsidy moves nothing
            label = MARKETPLACES[row.marketplace][1]
            postings.append(
                Posting(
                    date=row.date,
                    source=Source.SETTLEMENT,
                    key=entry_key(row.marketplace, row.kind, row.reference),
                    lines=lines,
                    memo=_memo(row, label),
                    actor=actor,
                )
            )
        entries_write(shop=shop, postings=postings)
    return len(fresh), len(wanted) - len(fresh)


def _settled_for(shop, rows) -> dict[tuple[str, str], str]:
    """(marketplace, order number) -> the channel of the order, for the released orders
    a marketplace settled for another channel (TikTok Shop settles Tokopedia's)."""
    found = {}
    for marketplace, channels in ORDER_CHANNELS.items():
        others = [c for c in channels if c != marketplace]
        numbers = sorted(
            {
                r.order_number
                for r in rows
                if r.marketplace == marketplace and r.kind == SettlementKind.ORDER
            }
        )
        for part in bulk.chunks(numbers):
            for number, channel in Order.objects.filter(
                shop=shop, channel__in=others, external_id__in=part
            ).values_list("external_id", "channel"):
                found[(marketplace, number)] = channel
    return found


def _memo(row, label: str) -> str:
    if row.kind == SettlementKind.ORDER:
        return _("%(marketplace)s income of order %(number)s") % {
            "marketplace": label,
            "number": row.order_number,
        }
    if row.kind == SettlementKind.ADJUSTMENT:
        return _("%(marketplace)s adjustment %(reference)s") % {
            "marketplace": label,
            "reference": row.reference,
        }
    return _("Withdrawal from the %(marketplace)s balance") % {"marketplace": label}


# -- reconciliation ---------------------------------------------------------------------


@dataclass
class Matched:
    """One released order of a payout, with what the books expected of it."""

    settlement: MarketplaceSettlement
    order: dict | None  # pk, status, total; None: not in the shop's orders
    posted: int  # what the order put into the seller balance (0: not delivered yet)
    expected: int | None
    difference: int | None

    @property
    def problem(self) -> str:
        if self.order is None:
            return "missing"
        if not self.posted:
            return "undelivered"
        return "difference" if self.difference else ""


@dataclass
class Payout:
    """The orders a marketplace released on one day."""

    marketplace: str
    date: dt.date
    orders: list[Matched]

    @property
    def label(self) -> str:
        return MARKETPLACES[self.marketplace][1]

    @property
    def released(self) -> int:
        return sum(m.settlement.released for m in self.orders)

    @property
    def expected(self) -> int:
        return sum(m.expected or 0 for m in self.orders)

    @property
    def difference(self) -> int:
        return self.released - self.expected

    @property
    def problems(self) -> int:
        return sum(1 for m in self.orders if m.problem)


def _orders(shop, marketplace: str, numbers) -> dict[str, dict]:
    found = {}
    channels = ORDER_CHANNELS.get(marketplace, (marketplace,))
    for part in bulk.chunks(sorted(set(numbers))):
        for row in Order.objects.filter(
            shop=shop, channel__in=channels, external_id__in=part
        ).values("pk", "external_id", "status", "total", "import_file_id"):
            found[row["external_id"]] = row
    return found


def releases(
    *, shop, date_from: dt.date, date_to: dt.date, marketplace: str | None = None
) -> list[Payout]:
    """The released orders of a period, per marketplace and day, each matched with its
    order: expected = what the order posted into the balance - fees - shipping +
    subsidies; the difference is what the report released beyond that. An order the
    shop does not have, or not delivered in its books yet, is expected nothing."""
    rule = revenue_on(shop)
    with shop_scope(shop):
        rows = MarketplaceSettlement.objects.filter(
            shop=shop, kind=SettlementKind.ORDER, date__gte=date_from, date__lte=date_to
        )
        if marketplace:
            rows = rows.filter(marketplace=marketplace)
        rows = list(rows.order_by("-date", "marketplace", "pk"))
        by_marketplace: dict[str, list] = defaultdict(list)
        for row in rows:
            by_marketplace[row.marketplace].append(row.order_number)
        orders = {m: _orders(shop, m, numbers) for m, numbers in by_marketplace.items()}
    payouts: dict[tuple[str, dt.date], Payout] = {}
    for row in rows:
        order = orders[row.marketplace].get(row.order_number)
        posted = 0
        if order is not None and delivered(order["status"], rule or RevenueOn.COMPLETED):
            posted = rupiah(order["total"])
        expected = posted - row.fees - row.shipping + row.subsidies if posted else None
        difference = row.released - expected if expected is not None else None
        payout = payouts.setdefault(
            (row.marketplace, row.date), Payout(row.marketplace, row.date, [])
        )
        payout.orders.append(Matched(row, order, posted, expected, difference))
    return list(payouts.values())


def latest_day(*, shop) -> dt.date | None:
    """The day of the latest report row, or None."""
    with shop_scope(shop):
        return MarketplaceSettlement.objects.filter(shop=shop).aggregate(day=Max("date"))["day"]


def withdrawals(*, shop, date_from: dt.date, date_to: dt.date) -> list[MarketplaceSettlement]:
    with shop_scope(shop):
        return list(
            MarketplaceSettlement.objects.filter(
                shop=shop,
                kind__in=[SettlementKind.WITHDRAWAL, SettlementKind.ADJUSTMENT],
                date__gte=date_from,
                date__lte=date_to,
            ).order_by("-date", "pk")
        )


def balances(*, shop, at: dt.date) -> list[tuple[str, int]]:
    """Each marketplace's seller balance in the books at the end of ``at``: what the
    marketplace still owes the shop."""
    with shop_scope(shop):
        totals = (
            AccountDay.objects.filter(
                shop=shop, account__key__startswith="marketplace:", date__lte=at
            )
            .values("account__key", "account__name")
            .annotate(d=Sum("debit"), c=Sum("credit"))
            .order_by("account__code")
        )
        return [(t["account__name"], (t["d"] or 0) - (t["c"] or 0)) for t in totals]

"""Reading the books: balances and statements from the per-day totals, never by summing
the journal (``AccountDay`` moves with every entry). Periods are calendar days in the
shop's time zone, both ends included."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Sum

from merdeka.books.chart import MONEY_KEYS, is_money_key
from merdeka.books.models import DEBIT_NORMAL, Account, AccountDay, Kind
from merdeka.core.scoping import shop_scope


@dataclass(frozen=True)
class Balance:
    account: Account
    debit: int
    credit: int

    @property
    def amount(self) -> int:
        """The balance on its normal side (a debit for assets and costs)."""
        if self.account.kind in DEBIT_NORMAL:
            return self.debit - self.credit
        return self.credit - self.debit


def balances(*, shop, date_from: dt.date | None = None, date_to: dt.date) -> list[Balance]:
    """Each account's debits and credits over the period (from the start of the books
    when ``date_from`` is None)."""
    with shop_scope(shop):
        days = AccountDay.objects.filter(shop=shop, date__lte=date_to)
        if date_from is not None:
            days = days.filter(date__gte=date_from)
        sums = {
            row["account_id"]: (row["d"] or 0, row["c"] or 0)
            for row in days.values("account_id").annotate(d=Sum("debit"), c=Sum("credit"))
        }
        accounts = list(Account.objects.filter(shop=shop).order_by("code", "pk"))
    return [Balance(a, *sums.get(a.pk, (0, 0))) for a in accounts]


def _total(rows: list[Balance], *kinds: str) -> int:
    return sum(row.amount for row in rows if row.account.kind in kinds)


def profit_and_loss(*, shop, date_from: dt.date, date_to: dt.date) -> dict[str, int]:
    rows = balances(shop=shop, date_from=date_from, date_to=date_to)
    return _profit(rows)


def _profit(rows: list[Balance]) -> dict[str, int]:
    revenue = _total(rows, Kind.REVENUE)
    cost = _total(rows, Kind.COST_OF_GOODS)
    expenses = _total(rows, Kind.EXPENSE)
    return {
        "revenue": revenue,
        "cost_of_goods": cost,
        "gross_profit": revenue - cost,
        "expenses": expenses,
        "profit": revenue - cost - expenses,
    }


def balance_sheet(*, shop, at: dt.date) -> dict[str, int]:
    """Assets, liabilities and equity at the end of ``at``; equity includes every
    profit made until then (SAK EMKM's saldo laba)."""
    rows = balances(shop=shop, date_to=at)
    return {
        "assets": _total(rows, Kind.ASSET),
        "liabilities": _total(rows, Kind.LIABILITY),
        "equity": _total(rows, Kind.EQUITY) + _profit(rows)["profit"],
    }


def trial_balance(*, shop, date_from: dt.date, date_to: dt.date) -> dict[str, int]:
    rows = balances(shop=shop, date_from=date_from, date_to=date_to)
    return {"debit": sum(r.debit for r in rows), "credit": sum(r.credit for r in rows)}


def report(*, shop, date_from: dt.date, date_to: dt.date) -> dict[str, dict[str, int]]:
    """What ``merdeka books report --json`` prints, in whole rupiah."""
    return {
        "trial_balance": trial_balance(shop=shop, date_from=date_from, date_to=date_to),
        "profit_and_loss": profit_and_loss(shop=shop, date_from=date_from, date_to=date_to),
        "balance_sheet": balance_sheet(shop=shop, at=date_to),
    }


def money_balances(*, shop, at: dt.date) -> list[Balance]:
    """Where her money sits at the end of ``at``: cash, bank, e-wallets, the
    marketplaces' seller balances (accounts with a balance or a default one)."""
    return [
        row
        for row in balances(shop=shop, date_to=at)
        if row.account.kind == Kind.ASSET
        and is_money_key(row.account.key)
        and (row.amount or row.account.key in MONEY_KEYS or row.account.key.startswith("money:"))
    ]

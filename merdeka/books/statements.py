"""The books' statements for any period: the figures behind the report pages, their
PDFs and spreadsheets.

Every statement sums ``AccountDay`` rows (each account's debits and credits per shop
day), never the journal's lines, so that a period costs its days, not its orders. The
ledger of one account is the exception: it lists that account's lines, a page at a time
over the (shop, account, date) index, from an opening balance that is again a sum of
days. Periods are calendar days in the shop's time zone, both ends included.

*Money* is what the seller can spend: cash, bank accounts, e-wallets and the seller
balances the marketplaces hold (``is_money``). The cash flow (*arus kas*) explains its
change over the period the indirect way, from the period's profit: since every entry
balances, the change in money equals the profit plus what every other balance-sheet
account gave up (its credits less its debits), so the statement always reconciles.
Those accounts are grouped as

* operating - receivables, stock, payables, customer deposits (and any account the
  books keep under those keys);
* investing - other assets the seller added herself (equipment, a motorbike);
* financing - the owner's capital and drawings, other equity, and liabilities the
  seller added herself (a loan).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q, Sum

from merdeka.books.models import (
    DEBIT_NORMAL,
    Account,
    AccountDay,
    BooksSettings,
    JournalLine,
    Kind,
)
from merdeka.books.selectors import Balance, _profit, balances
from merdeka.core.scoping import shop_scope
from merdeka.orders import sales

MONEY_KEYS = frozenset({"cash", "bank", "ewallet"})
OPERATING_KEYS = frozenset({"receivable", "inventory", "payable", "customer_deposits"})
LEDGER_PAGE = 50
BUCKETS = ("day", "week", "month")


def staff_see_reports(shop) -> bool:
    with shop_scope(shop):
        found = BooksSettings.objects.filter(shop=shop).values_list("staff_see_reports", flat=True)
        return bool(found.first())


def may_see_reports(membership) -> bool:
    """The reports show the shop's profit: its owners', and its staff's when an owner
    allows it (``BooksSettings.staff_see_reports``)."""
    if membership is None:
        return False
    return membership.is_owner or staff_see_reports(membership.shop)


def is_money(account: Account) -> bool:
    key = account.key or ""
    return account.kind == Kind.ASSET and (key in MONEY_KEYS or key.startswith("marketplace:"))


def _operating(account: Account) -> bool:
    key = account.key or ""
    return key in OPERATING_KEYS or key.split(":", 1)[0] in OPERATING_KEYS


def _day_before(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=1)


def _sign(account: Account) -> int:
    """+1 where a debit raises the balance (assets, costs), -1 where a credit does."""
    return 1 if account.kind in DEBIT_NORMAL else -1


# -- buckets: days, weeks (Monday first) and months -----------------------------------


def bucket_of(day: dt.date, by: str) -> dt.date:
    """The first day of the bucket ``day`` falls in."""
    if by == "month":
        return day.replace(day=1)
    if by == "week":
        return day - dt.timedelta(days=day.weekday())
    return day


def bucket_auto(date_from: dt.date, date_to: dt.date) -> str:
    """Days for a month, weeks for a quarter, months for anything longer."""
    days = (date_to - date_from).days + 1
    return "day" if days <= 31 else "week" if days <= 120 else "month"


def buckets(date_from: dt.date, date_to: dt.date, by: str) -> list[dt.date]:
    found, day = [], bucket_of(date_from, by)
    while day <= date_to:
        found.append(day)
        if by == "month":
            day = (day + dt.timedelta(days=32)).replace(day=1)
        else:
            day += dt.timedelta(days=7 if by == "week" else 1)
    return found


# -- profit and loss (Laba Rugi) -------------------------------------------------------


@dataclass
class ProfitAndLoss:
    revenue: list[Balance]
    cost_of_goods: list[Balance]
    expenses: list[Balance]
    totals: dict[str, int]


def profit_and_loss(*, shop, date_from: dt.date, date_to: dt.date) -> ProfitAndLoss:
    rows = balances(shop=shop, date_from=date_from, date_to=date_to)

    def of(kind):
        return [r for r in rows if r.account.kind == kind and (r.debit or r.credit)]

    return ProfitAndLoss(
        revenue=of(Kind.REVENUE),
        cost_of_goods=of(Kind.COST_OF_GOODS),
        expenses=of(Kind.EXPENSE),
        totals=_profit(rows),
    )


# -- financial position (Posisi Keuangan) ----------------------------------------------


@dataclass
class Position:
    at: dt.date
    assets: list[Balance]
    liabilities: list[Balance]
    equity: list[Balance]
    retained: int  # every profit made until ``at`` (saldo laba)
    totals: dict[str, int]


def financial_position(*, shop, at: dt.date) -> Position:
    rows = balances(shop=shop, date_to=at)

    def of(kind):
        return [r for r in rows if r.account.kind == kind and r.amount]

    retained = _profit(rows)["profit"]
    assets, liabilities, equity = of(Kind.ASSET), of(Kind.LIABILITY), of(Kind.EQUITY)
    totals = {
        "assets": sum(r.amount for r in assets),
        "liabilities": sum(r.amount for r in liabilities),
        "equity": sum(r.amount for r in equity) + retained,
    }
    totals["liabilities_and_equity"] = totals["liabilities"] + totals["equity"]
    return Position(at, assets, liabilities, equity, retained, totals)


# -- cash flow (Arus Kas) --------------------------------------------------------------


@dataclass
class MoneyMove:
    account: Account
    opening: int
    money_in: int
    money_out: int

    @property
    def closing(self) -> int:
        return self.opening + self.money_in - self.money_out


@dataclass
class CashFlow:
    profit: int
    operating: list[tuple[Account, int]]
    investing: list[tuple[Account, int]]
    financing: list[tuple[Account, int]]
    money: list[MoneyMove]
    totals: dict[str, int] = field(default_factory=dict)


def cash_flow(*, shop, date_from: dt.date, date_to: dt.date) -> CashFlow:
    """Where the money came from and went in the period; ``totals["net"]`` (operating +
    investing + financing) always equals ``totals["change"]`` (closing - opening money)."""
    period = balances(shop=shop, date_from=date_from, date_to=date_to)
    before = {b.account.pk: b for b in balances(shop=shop, date_to=_day_before(date_from))}
    flow = CashFlow(_profit(period)["profit"], operating=[], investing=[], financing=[], money=[])
    for row in period:
        account = row.account
        if is_money(account):
            opening = before[account.pk].amount
            if opening or row.debit or row.credit or account.key in MONEY_KEYS:
                flow.money.append(MoneyMove(account, opening, row.debit, row.credit))
            continue
        effect = row.credit - row.debit  # what the account gave up is money gained
        if account.kind in (Kind.REVENUE, Kind.COST_OF_GOODS, Kind.EXPENSE) or not effect:
            continue
        if account.kind == Kind.EQUITY:
            flow.financing.append((account, effect))
        elif account.kind == Kind.LIABILITY:
            (flow.operating if _operating(account) else flow.financing).append((account, effect))
        else:
            (flow.operating if _operating(account) else flow.investing).append((account, effect))
    totals = {
        "operating": flow.profit + sum(amount for _a, amount in flow.operating),
        "investing": sum(amount for _a, amount in flow.investing),
        "financing": sum(amount for _a, amount in flow.financing),
        "opening": sum(m.opening for m in flow.money),
        "closing": sum(m.closing for m in flow.money),
    }
    totals["net"] = totals["operating"] + totals["investing"] + totals["financing"]
    totals["change"] = totals["closing"] - totals["opening"]
    flow.totals = totals
    return flow


# -- trial balance (Neraca Saldo) -------------------------------------------------------


@dataclass
class TrialRow:
    account: Account
    debit: int  # the period's movements
    credit: int
    closing: int  # the balance at the end, on the account's normal side

    @property
    def closing_debit(self) -> int:
        signed = _sign(self.account) * self.closing
        return signed if signed > 0 else 0

    @property
    def closing_credit(self) -> int:
        signed = _sign(self.account) * self.closing
        return -signed if signed < 0 else 0


def trial_balance(*, shop, date_from: dt.date, date_to: dt.date) -> tuple[list[TrialRow], dict]:
    """Each account with a movement in the period or a balance at its end."""
    period = balances(shop=shop, date_from=date_from, date_to=date_to)
    closing = {b.account.pk: b.amount for b in balances(shop=shop, date_to=date_to)}
    rows = [
        TrialRow(b.account, b.debit, b.credit, closing[b.account.pk])
        for b in period
        if b.debit or b.credit or closing[b.account.pk]
    ]
    totals = {
        "debit": sum(r.debit for r in rows),
        "credit": sum(r.credit for r in rows),
        "closing_debit": sum(r.closing_debit for r in rows),
        "closing_credit": sum(r.closing_credit for r in rows),
    }
    return rows, totals


# -- the ledger of one account (Buku Besar) ---------------------------------------------


@dataclass
class LedgerPage:
    account: Account
    opening: int  # the balance before the page's first line
    lines: list[tuple[JournalLine, int]]  # each line with the balance after it
    next_cursor: str | None
    period_opening: int  # the balance when the period starts
    closing: int  # the balance when the period ends


def _day_sums(shop, account: Account, **dates) -> int:
    got = AccountDay.objects.filter(shop=shop, account=account, **dates).aggregate(
        d=Sum("debit"), c=Sum("credit")
    )
    return _sign(account) * ((got["d"] or 0) - (got["c"] or 0))


def parse_cursor(text: str | None) -> tuple[dt.date, int] | None:
    """A ledger page's position: the date and id of the line before it ("2026-11-03.812")."""
    if not text:
        return None
    day, _dot, pk = text.partition(".")
    try:
        return dt.date.fromisoformat(day), int(pk)
    except ValueError:
        return None


def ledger_page(
    *,
    shop,
    account_id: int,
    date_from: dt.date,
    date_to: dt.date,
    after: str | None = None,
    size: int = LEDGER_PAGE,
) -> LedgerPage:
    """One page of an account's lines in the period (keyset: after the line the cursor
    names), each with the running balance. Raises ``Account.DoesNotExist`` for an
    account of another shop."""
    with shop_scope(shop):
        account = Account.objects.get(shop=shop, pk=account_id)
        period_opening = _day_sums(shop, account, date__lt=date_from)
        closing = period_opening + _day_sums(shop, account, date__gte=date_from, date__lte=date_to)
        lines = JournalLine.objects.filter(
            shop=shop, account=account, date__gte=date_from, date__lte=date_to
        )
        opening = period_opening
        cursor = parse_cursor(after)
        if cursor is not None and date_from <= cursor[0] <= date_to:
            day, pk = cursor
            opening += _day_sums(shop, account, date__gte=date_from, date__lt=day)
            got = lines.filter(date=day, pk__lte=pk).aggregate(d=Sum("debit"), c=Sum("credit"))
            opening += _sign(account) * ((got["d"] or 0) - (got["c"] or 0))
            # the date bound keeps the index range; the OR only orders within its first day
            lines = lines.filter(date__gte=day).filter(Q(date__gt=day) | Q(date=day, pk__gt=pk))
        found = list(lines.select_related("entry").order_by("date", "pk")[: size + 1])
    more = len(found) > size
    found = found[:size]
    rows, balance = [], opening
    for line in found:
        balance += _sign(account) * (line.debit - line.credit)
        rows.append((line, balance))
    last = found[-1] if found else None
    return LedgerPage(
        account=account,
        opening=opening,
        lines=rows,
        next_cursor=f"{last.date.isoformat()}.{last.pk}" if more and last else None,
        period_opening=period_opening,
        closing=closing,
    )


# -- the daily recap and the charts' series ----------------------------------------------


def _kind_days(shop, date_from, date_to, kinds) -> dict[dt.date, dict[str, int]]:
    """{day: {kind: amount on the kind's normal side}} for the accounts of ``kinds``."""
    found: dict[dt.date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    with shop_scope(shop):
        rows = (
            AccountDay.objects.filter(
                shop=shop, date__gte=date_from, date__lte=date_to, account__kind__in=kinds
            )
            .values("date", "account__kind")
            .annotate(d=Sum("debit"), c=Sum("credit"))
            .values_list("date", "account__kind", "d", "c")
        )
        for day, kind, debit, credit in rows:
            found[day][kind] += debit - credit if kind in DEBIT_NORMAL else credit - debit
    return found


@dataclass
class RecapDay:
    day: dt.date
    sales: dict[str, int]  # orders placed, per channel
    revenue: int
    cost_of_goods: int
    expenses: int = 0

    @property
    def gross_profit(self) -> int:
        return self.revenue - self.cost_of_goods

    @property
    def profit(self) -> int:
        return self.gross_profit - self.expenses

    @property
    def sales_total(self) -> int:
        return sum(self.sales.values())


def daily_recap(*, shop, date_from: dt.date, date_to: dt.date) -> tuple[list[RecapDay], list[str]]:
    """Each day with something to say: the orders placed per channel (omzet), and the
    books' revenue, cost of goods sold, gross profit, expenses and net profit. Returns
    the days and the channels that sold."""
    placed = sales.sales_by_day(shop=shop, date_from=date_from, date_to=date_to)
    books = _kind_days(shop, date_from, date_to, [Kind.REVENUE, Kind.COST_OF_GOODS, Kind.EXPENSE])
    days = []
    for day in sorted(set(placed) | set(books)):
        kinds = books.get(day, {})
        recap = RecapDay(
            day,
            placed.get(day, {}),
            kinds.get(Kind.REVENUE, 0),
            kinds.get(Kind.COST_OF_GOODS, 0),
            kinds.get(Kind.EXPENSE, 0),
        )
        if recap.sales or recap.revenue or recap.cost_of_goods or recap.expenses:
            days.append(recap)
    channels = sorted({c for d in placed.values() for c in d}, key=_channel_order)
    return days, channels


def _channel_order(channel: str) -> tuple[int, str]:
    order = sales.CHANNELS
    return (order.index(channel) if channel in order else len(order), channel)


def sales_by_bucket(
    *, shop, date_from: dt.date, date_to: dt.date, by: str
) -> tuple[list[dt.date], list[str], dict[dt.date, dict[str, int]]]:
    """Orders placed per channel in each day, week or month of the period."""
    placed = sales.sales_by_day(shop=shop, date_from=date_from, date_to=date_to)
    series: dict[dt.date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for day, per_channel in placed.items():
        for channel, amount in per_channel.items():
            series[bucket_of(day, by)][channel] += amount
    channels = sorted({c for d in placed.values() for c in d}, key=_channel_order)
    return buckets(date_from, date_to, by), channels, series


def profit_by_month(*, shop, date_from: dt.date, date_to: dt.date) -> list[dict]:
    """Each month of the period: revenue, cost of goods, expenses and profit."""
    days = _kind_days(shop, date_from, date_to, [Kind.REVENUE, Kind.COST_OF_GOODS, Kind.EXPENSE])
    months: dict[dt.date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for day, kinds in days.items():
        for kind, amount in kinds.items():
            months[bucket_of(day, "month")][kind] += amount
    found = []
    for month in buckets(date_from, date_to, "month"):
        kinds = months.get(month, {})
        revenue = kinds.get(Kind.REVENUE, 0)
        cost = kinds.get(Kind.COST_OF_GOODS, 0)
        expenses = kinds.get(Kind.EXPENSE, 0)
        found.append(
            {
                "month": month,
                "revenue": revenue,
                "cost_of_goods": cost,
                "expenses": expenses,
                "profit": revenue - cost - expenses,
            }
        )
    return found


def money_by_bucket(*, shop, date_from: dt.date, date_to: dt.date, by: str) -> list[dict]:
    """The money held at the end of each day, week or month of the period."""
    with shop_scope(shop):
        money = [a for a in Account.objects.filter(shop=shop, kind=Kind.ASSET) if is_money(a)]
        ids = [a.pk for a in money]
        opening = AccountDay.objects.filter(
            shop=shop, account_id__in=ids, date__lt=date_from
        ).aggregate(d=Sum("debit"), c=Sum("credit"))
        moves = (
            AccountDay.objects.filter(
                shop=shop, account_id__in=ids, date__gte=date_from, date__lte=date_to
            )
            .values("date")
            .annotate(d=Sum("debit"), c=Sum("credit"))
            .values_list("date", "d", "c")
        )
        change: dict[dt.date, int] = defaultdict(int)
        for day, debit, credit in moves:
            change[bucket_of(day, by)] += debit - credit
    held = (opening["d"] or 0) - (opening["c"] or 0)
    found = []
    for start in buckets(date_from, date_to, by):
        held += change.get(start, 0)
        found.append({"start": start, "money": held})
    return found

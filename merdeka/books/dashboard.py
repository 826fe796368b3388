"""What the dashboard reads from the books, cheaply: per-day totals (``AccountDay``),
never the journal.

* ``today_figures`` - the day's sales (revenue accounts), cost of goods, expenses and
  profit: one grouped query over the day's ``AccountDay`` rows (index shop, date);
* ``receivables_due`` - what buyers owe that falls due within a week (overdue
  included): the debts recorded by hand and the delivered orders not fully paid
  (``merdeka.books.debts.owed_list``, names left closed), with the page that lists
  them by age;
* ``month_seal`` - the journal chain's head at the last month's end (the owners'), the
  same the monthly email gives (``merdeka.books.chain_mail``);
* ``profit_visible`` - the profit and the expenses are the owners' unless they opened
  them to the staff role (``BooksSettings.staff_see_reports``).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Sum
from django.urls import reverse

from merdeka.books import debts
from merdeka.books.chart import accounts_by_key
from merdeka.books.models import DEBIT_NORMAL, AccountDay, ChainMonthHead, DebtKind, Kind
from merdeka.books.statements import may_see_reports
from merdeka.core.scoping import shop_scope


def profit_visible(*, shop, membership) -> bool:
    """The profit and the expenses show to the owners, and to the staff when an owner
    opened the reports to them: the reports' own rule (``statements.may_see_reports``)."""
    return membership is not None and membership.shop_id == shop.pk and may_see_reports(membership)


def today_figures(*, shop, day: dt.date) -> dict[str, int]:
    """Sales, cost of goods, expenses and profit of one day of the shop, in rupiah."""
    with shop_scope(shop):
        rows = (
            AccountDay.objects.filter(shop=shop, date=day)
            .values("account__kind")
            .annotate(d=Sum("debit"), c=Sum("credit"))
            .order_by()
        )
        by_kind = {
            row["account__kind"]: (
                (row["d"] or 0) - (row["c"] or 0)
                if row["account__kind"] in DEBIT_NORMAL
                else (row["c"] or 0) - (row["d"] or 0)
            )
            for row in rows
        }
    sales = by_kind.get(Kind.REVENUE, 0)
    cost = by_kind.get(Kind.COST_OF_GOODS, 0)
    expenses = by_kind.get(Kind.EXPENSE, 0)
    return {
        "sales": sales,
        "cost_of_goods": cost,
        "expenses": expenses,
        "profit": sales - cost - expenses,
    }


def receivables_due(*, shop, day: dt.date) -> dict:
    """What buyers owe that is due by a week after ``day`` (overdue included), and where
    she collects it. Read without the journal's lines: everything owed is the receivable
    account's balance (its per-day rows); an order's receivable is due on delivery, so
    only the debts recorded by hand with a later due date are taken out of it."""
    receivable = accounts_by_key(shop=shop, keys=["receivable"])["receivable"]
    week_end = day + dt.timedelta(days=7)
    with shop_scope(shop):
        totals = AccountDay.objects.filter(
            shop=shop, account_id=receivable, date__lte=day
        ).aggregate(d=Sum("debit"), c=Sum("credit"))
        later = debts.debts_left(shop=shop, kind=DebtKind.RECEIVABLE, at=day, due_after=week_end)
    owed = (totals["d"] or 0) - (totals["c"] or 0)
    return {"amount": owed - later, "total": owed, "url": reverse("debt_receivables")}


def month_seal(*, shop) -> dict | None:
    """The last month-end head of the journal's hash chain, shortened for the tile."""
    with shop_scope(shop):
        last = ChainMonthHead.objects.filter(shop=shop).order_by("-month").first()
    if last is None:
        return None
    return {
        "month": last.month,
        "head": last.head,
        "short": last.head[:16],
        "url": reverse("books_pack"),
    }

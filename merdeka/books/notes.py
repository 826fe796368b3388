"""Catatan atas Laporan Keuangan: the notes SAK EMKM asks beside the statements of
financial position and of profit and loss, for any period (a month, a quarter, a year).

* general information, from the business profile (``merdeka.tax.profile``);
* the accounting policies, written from the shop's own settings: the accrual basis at
  historical cost, revenue when an order is completed or shipped
  (``BooksSettings.revenue_on``), stock at moving average cost, the Rupiah, and the
  income tax the business pays (PPh Final UMKM, or the general rules when its years
  have run out: ``merdeka.tax.services``);
* details of the material lines: money per account, receivables, stock, liabilities at
  the period's end; revenue and expenses of the period, and the tax owed and paid.
"""

from __future__ import annotations

import datetime as dt

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from merdeka.books import documents, statements
from merdeka.books.models import RevenueOn
from merdeka.books.orders import revenue_on
from merdeka.tax import profile as profiles
from merdeka.tax import services as tax

WORDS = "words"
MATERIAL_SHARE = 20  # an expense of at least 1/20 (5%) of the total is a line of its own


def _words(title: str, rows: list[tuple[str, str]], key: str) -> documents.Table:
    return documents.Table(
        title,
        _("Item"),
        [_("Note")],
        [documents.Row(label, [text]) for label, text in rows],
        kinds=[WORDS],
        key=key,
    )


def general(shop, end: dt.date) -> documents.Table:
    profile = profiles.profile_get(shop=shop)
    known = profile.pk is not None
    rows = [
        (_("Business name"), profile.business_name or shop.name),
        (_("Legal form"), str(profile.get_legal_form_display())),
        (_("NIB"), profile.nib or _("not filled in")),
        (
            _("NPWP"),
            profiles.npwp_format(profile.npwp) if known and profile.npwp else _("not filled in"),
        ),
        (
            _("Started on"),
            date_format(profile.started_on, "j F Y") if profile.started_on else _("not filled in"),
        ),
        (_("Address"), (profile.address if known else None) or _("not filled in")),
    ]
    return _words(_("1. General information"), rows, "notes-general")


def _tax_policy(shop, end: dt.date) -> str:
    year = tax.tax_year(shop=shop, year=end.year)
    if year.final_rate:
        text = _(
            "Income tax is PPh Final UMKM (PP 55/2022): 0.5%% of each month's gross "
            "turnover, recognised as an expense when paid."
        )
        if year.allowance:
            text += " " + _("The first Rp500 juta of each year's turnover is not taxed.")
        return text
    return _(
        "The business no longer uses the final rate: income tax follows the general rules "
        "and is not computed by these books."
    )


def _policies(shop, end: dt.date) -> documents.Table:
    rule = revenue_on(shop)
    revenue = (
        _("Revenue is recognised when the order is shipped to the buyer.")
        if rule == RevenueOn.SHIPPED
        else _("Revenue is recognised when the order is completed (received by the buyer).")
    )
    rows = [
        (
            _("Compliance"),
            _(
                "These statements are prepared under the Financial Accounting Standard for "
                "Micro, Small and Medium Entities (SAK EMKM)."
            ),
        ),
        (_("Basis"), _("Accrual basis, at historical cost.")),
        (_("Currency"), _("Indonesian Rupiah, in whole rupiah.")),
        (_("Revenue"), revenue + " " + _("Sales are gross; discounts are shown on their own.")),
        (_("Stock"), _("Stock is valued at moving average cost.")),
        (_("Income tax"), _tax_policy(shop, end)),
    ]
    return _words(_("2. Accounting policies"), rows, "notes-policies")


def _money_table(title: str, rows: list, key: str) -> documents.Table:
    return documents.Table(title, _("Account"), [_("Amount")], rows, key=key)


def _lines(shop, start: dt.date, end: dt.date) -> list[documents.Table]:
    position = statements.financial_position(shop=shop, at=end)
    pnl = statements.profit_and_loss(shop=shop, date_from=start, date_to=end)
    money = [r for r in position.assets if statements.is_money(r.account)]
    other_assets = [r for r in position.assets if not statements.is_money(r.account)]
    tables = []
    number = 3
    for title, rows, key in (
        (_("Cash and cash equivalents"), money, "notes-money"),
        (_("Receivables, stock and other assets"), other_assets, "notes-assets"),
        (_("Liabilities"), position.liabilities, "notes-liabilities"),
    ):
        total = sum(r.amount for r in rows)
        body = [documents.Row(r.account.name, [r.amount]) for r in rows]
        body.append(documents.Row(_("Total"), [total], "total"))
        tables.append(
            _money_table(
                f"{number}. {title} ({date_format(end, 'j M Y')})",
                body,
                key,
            )
        )
        number += 1
    revenue = [documents.Row(r.account.name, [r.amount]) for r in pnl.revenue]
    revenue.append(documents.Row(_("Total revenue"), [pnl.totals["revenue"]], "total"))
    tables.append(_money_table(f"{number}. {_('Revenue')}", revenue, "notes-revenue"))
    number += 1
    whole = pnl.totals["expenses"]
    material = [r for r in pnl.expenses if whole and r.amount * MATERIAL_SHARE >= whole]
    rest = whole - sum(r.amount for r in material)
    expenses = [documents.Row(r.account.name, [r.amount]) for r in material]
    if rest:
        expenses.append(documents.Row(_("Other expenses (each under 5%)"), [rest]))
    expenses.append(documents.Row(_("Total expenses"), [whole], "total"))
    tables.append(_money_table(f"{number}. {_('Expenses')}", expenses, "notes-expenses"))
    number += 1
    tables.append(_tax_table(shop, start, end, number))
    return tables


def _tax_table(shop, start: dt.date, end: dt.date, number: int) -> documents.Table:
    owed = 0
    for year in range(start.year, end.year + 1):
        for month in tax.tax_months(shop, year):
            if start.replace(day=1) <= month.month <= end:
                owed += month.tax
    rows = [
        documents.Row(_("PPh Final for the months of the period"), [owed]),
        documents.Row(_("PPh Final paid in the period"), [tax.tax_paid(shop, start, end)]),
    ]
    return _money_table(f"{number}. {_('Income tax')}", rows, "notes-tax")


def notes(*, shop, start: dt.date, end: dt.date) -> documents.Report:
    tables = [general(shop, end), _policies(shop, end), *_lines(shop, start, end)]
    return documents.Report("catatan", _("Notes to the financial statements"), start, end, tables)

"""What goes into a lender's evidence pack: the documents, each a ``documents.Report``.

``DOCUMENTS`` lists them by the slug of their files, in the pack's order; each builder
takes the shop and the period. The statements come from ``merdeka.books.documents``;
the rest are the pack's own: sales per month by channel, receivables by age, customer
concentration (counts and shares, never a name), the business profile, and the tax
paid; the notes to the statements (*Catatan atas Laporan Keuangan*) come from
``merdeka.books.notes``, the business profile and the PPh Final from ``merdeka.tax``.

No personal data of a customer goes into any document (``test_pack`` seeds a canary
customer and greps every byte of every file, the PDF's text included).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.db.models import Sum
from django.utils.translation import gettext as _

from merdeka.books import debts, documents, notes, statements
from merdeka.books.documents import MONEY, NUMBER, TEXT, Report, Row, Table
from merdeka.books.models import Account, DebtKind, Source
from merdeka.books.totals import journal_month_rows
from merdeka.core.scoping import shop_scope
from merdeka.orders import sales
from merdeka.tax import services as tax


def _month_label(month: dt.date) -> str:
    return month.strftime("%Y-%m")


def sales_by_channel(*, shop, start: dt.date, end: dt.date) -> Report:
    months, channels, series = statements.sales_by_bucket(
        shop=shop, date_from=start, date_to=end, by="month"
    )
    rows = [
        Row(
            _month_label(month),
            [series.get(month, {}).get(c, 0) for c in channels]
            + [sum(series.get(month, {}).values())],
        )
        for month in months
    ]
    report = Report("penjualan-per-bulan", _("Sales per month by channel"), start, end)
    report.tables.append(
        Table(
            _("Sales per month by channel"),
            _("Month"),
            [sales.channel_label(c) for c in channels] + [_("Total")],
            rows,
            key="pack-sales",
        )
    )
    report.notes.append(_("Orders placed in each month, cancelled and returned ones left out."))
    return report


def receivables_ageing(*, shop, start: dt.date, end: dt.date) -> Report:
    items = debts.owed_list(shop=shop, kind=DebtKind.RECEIVABLE, at=end, names=False)
    for item in items:  # aged here: without names, owed_list leaves them unaged
        item.days_overdue = (end - item.due_date).days
        item.bucket = debts.bucket_of(item.days_overdue)
    buckets, total = debts.ageing(items=items)
    report = Report("umur-piutang", _("Receivables by age"), start, end)
    report.tables.append(
        Table(
            _("Receivables by age"),
            _("Days past due"),
            [_("Items"), _("Amount")],
            [Row(b.label, [b.count, b.total]) for b in buckets]
            + [Row(_("Total"), [len(items), total], style="total")],
            kinds=[NUMBER, MONEY],
            key="pack-ageing",
        )
    )
    report.figures["receivables"] = total
    return report


def figures_sources(*, shop, start: dt.date, end: dt.date) -> Report:
    """Where the figures come from: the period's journal lines summed per month, account
    and source (order, payment, expense, receipt, settlement…), with how many entries and
    the first and last of them in the hash chain. Every statement line is a sum of these
    rows, and the chain positions tie each group to the journal whose head the manifest
    names: a lender who is shown the journal can find every entry behind a figure."""
    labels = dict(Source.choices)
    with shop_scope(shop):
        accounts = {
            pk: f"{code} {name}"
            for pk, code, name in Account.objects.filter(shop=shop).values_list(
                "pk", "code", "name"
            )
        }
    # kept as entries post (merdeka.books.totals): months, not lines
    groups = journal_month_rows(shop=shop, start=start, end=end)
    rows = []
    debit_total = credit_total = 0
    for g in groups:
        source = str(labels.get(g["source"], g["source"]))
        rows.append(
            Row(
                f"{_month_label(g['month'])} · {accounts.get(g['account_id'], '')} · {source}",
                [g["entries"], g["debit"], g["credit"], g["first"] or 0, g["last"] or 0],
            )
        )
        debit_total += g["debit"]
        credit_total += g["credit"]
    report = Report("asal-angka", _("Where the figures come from"), start, end)
    report.tables.append(
        Table(
            _("Journal lines per month, account and source"),
            _("Month · account · source"),
            [
                _("Entries"),
                _("Debit"),
                _("Credit"),
                _("First in the chain"),
                _("Last in the chain"),
            ],
            [*rows, Row(_("Total"), [None, debit_total, credit_total, None, None], style="total")],
            kinds=[NUMBER, MONEY, MONEY, NUMBER, NUMBER],
            key="pack-sources",
        )
    )
    report.notes.append(
        _(
            "Every figure of the statements is a sum of these journal lines; debit and credit "
            "are equal. The chain positions name the entries behind each group."
        )
    )
    report.figures["debit"], report.figures["credit"] = debit_total, credit_total
    return report


def customer_concentration(*, shop, start: dt.date, end: dt.date) -> Report:
    """How much of the sales the largest customers bring: counts and shares only."""
    with shop_scope(shop):
        per_customer = list(
            sales._placed(shop, start, end)
            .values("customer_id")
            .annotate(amount=Sum("total"))
            .values_list("customer_id", "amount")
        )
    amounts = Counter()
    walk_in = 0
    for customer_id, amount in per_customer:
        if customer_id is None:
            walk_in += sales.rupiah(amount)
        else:
            amounts[customer_id] += sales.rupiah(amount)
    ranked = sorted(amounts.values(), reverse=True)
    total = sum(ranked) + walk_in

    def share(part: int) -> str:
        return f"{part * 100 / total:.1f}%" if total else "0.0%"

    rows = [Row(_("Customers who bought"), [len(ranked), "", ""], note="")]
    for top in (1, 5, 10):
        part = sum(ranked[:top])
        rows.append(
            Row(_("Largest %(n)s") % {"n": top}, [min(top, len(ranked)), part, share(part)])
        )
    rows.append(Row(_("Orders without a customer"), ["", walk_in, share(walk_in)]))
    rows.append(Row(_("All sales"), ["", total, share(total)], style="total"))
    report = Report("konsentrasi-pelanggan", _("Customer concentration"), start, end)
    report.tables.append(
        Table(
            _("Customer concentration"),
            _("Customers"),
            [_("Count"), _("Sales"), _("Share")],
            rows,
            kinds=[NUMBER, MONEY, TEXT],
            key="pack-concentration",
        )
    )
    report.notes.append(_("No customer is named: only how many and what share of the sales."))
    report.figures["customers"] = len(ranked)
    return report


def business_profile(*, shop, start: dt.date, end: dt.date) -> Report:
    """The business as its owner described it (``merdeka.tax.profile``): the same general
    information the notes to the statements open with, and the shop's place in Merdeka."""
    report = Report("profil-usaha", _("Business profile"), start, end)
    general = notes.general(shop, end)
    general.key = "pack-profile"
    general.rows.append(Row(_("Shop address in Merdeka"), [shop.slug]))
    general.rows.append(Row(_("Time zone"), [shop.time_zone]))
    report.tables.append(general)
    return report


def tax_paid(*, shop, start: dt.date, end: dt.date) -> Report:
    """The PPh Final UMKM of each month of the period: owed, paid, and when it was due
    (``merdeka.tax.services``)."""
    report = Report("pajak", _("Tax paid"), start, end)
    rows = []
    owed_total = paid_total = 0
    for year in range(start.year, end.year + 1):
        for month in tax.tax_months(shop, year):
            if start.replace(day=1) <= month.month <= end:
                rows.append(Row(_month_label(month.month), [month.turnover, month.tax, month.paid]))
                owed_total += month.tax
                paid_total += month.paid
    report.tables.append(
        Table(
            _("PPh Final UMKM per month"),
            _("Month"),
            [_("Turnover"), _("Tax"), _("Paid")],
            [
                *rows,
                Row(
                    _("Total"),
                    [sum(r.values[0] for r in rows), owed_total, paid_total],
                    style="total",
                ),
            ],
            kinds=[MONEY, MONEY, MONEY],
            key="pack-tax",
        )
    )
    report.figures["tax_owed"] = owed_total
    report.figures["tax_paid"] = paid_total
    return report


# slug -> builder, in the pack's order: the three SAK EMKM statements with their notes
# first, then what a lender reads beside them
DOCUMENTS = [
    ("posisi-keuangan", documents.financial_position),
    ("laba-rugi", documents.profit_and_loss),
    ("catatan", notes.notes),
    ("arus-kas", documents.cash_flow),
    ("penjualan-per-bulan", sales_by_channel),
    ("umur-piutang", receivables_ageing),
    ("konsentrasi-pelanggan", customer_concentration),
    ("profil-usaha", business_profile),
    ("pajak", tax_paid),
    ("asal-angka", figures_sources),
]


def documents_build(*, shop, start: dt.date, end: dt.date) -> list[Report]:
    return [build(shop=shop, start=start, end=end) for _slug, build in DOCUMENTS]

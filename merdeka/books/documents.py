"""The books' reports as documents: titled tables (and charts with their tables) that
the phone page, the PDF and the spreadsheet all show the same way.

``merdeka.books.statements`` computes the figures; this module words them in the
seller's language and lays them out. One builder per report, each taking the shop and
the period: ``BUILDERS`` names them by the slug of their page and file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.template import Context
from django.template.base import render_value_in_context
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from merdeka.books import charts, notes, statements
from merdeka.books.models import Kind
from merdeka.core.money import format_rupiah
from merdeka.core.templatetags.merdeka import rupiah as rupiah_filter
from merdeka.orders import sales

MONEY, NUMBER, TEXT = "money", "number", "text"


@dataclass
class Row:
    label: str
    values: list
    style: str = ""  # "" | "section" | "total" | "grand"
    link: str = ""  # the screen's link (a ledger, an order)
    note: str = ""  # a small line under the label


@dataclass
class Table:
    title: str
    label_header: str
    columns: list[str]
    rows: list[Row]
    kinds: list[str] = field(default_factory=list)  # per column: money, number or text
    key: str = ""  # data-testid on the page

    def __post_init__(self):
        if not self.kinds:
            self.kinds = [MONEY] * len(self.columns)

    @property
    def cells(self):
        """Each row with its values paired with their column's kind and name (for
        templates: a phone shows the name beside each value of a wide table)."""
        return [
            (row, list(zip(row.values, self.kinds, self.columns, strict=True))) for row in self.rows
        ]

    def body(self, *, screen: bool) -> SafeString:
        """The table's rows as HTML (``books/_report_table.html``'s body: written here,
        not in the template language, because a year's recap has thousands of cells);
        the same markup the template wrote, cell for cell."""
        context = Context()
        columns = [conditional_escape(render_value_in_context(c, context)) for c in self.columns]
        out = []
        for row in self.rows:
            label = render_value_in_context(row.label, context)
            if row.link and screen:
                label = format_html('<a href="{}">{}</a>', row.link, row.label)
            if row.note:
                label += format_html("<small>{}</small>", row.note)
            style = f' class="row-{conditional_escape(row.style)}"' if row.style else ""
            cells = []
            for value, kind, column in zip(row.values, self.kinds, columns, strict=True):
                if value is None or value == "":
                    cells.append(f'<td class="num blank" data-label="{column}"></td>')
                    continue
                if kind == MONEY:
                    shown = rupiah_filter(value)
                elif kind in (NUMBER, "words"):
                    shown = render_value_in_context(value, context)
                elif isinstance(value, dt.date):
                    shown = conditional_escape(date_filter(value, "j M"))
                else:  # text as it is (a share "12,5%"): the date filter blanked it
                    shown = conditional_escape(render_value_in_context(value, context))
                cells.append(f'<td class="num" data-label="{column}">{shown}</td>')
            out.append(
                f'\n    <tr{style}>\n      <th scope="row">{label}</th>\n      '
                + "".join(cells)
                + "\n    </tr>\n  "
            )
        return mark_safe("".join(out))  # noqa: S308 - every part escaped above

    @property
    def body_screen(self) -> SafeString:
        return self.body(screen=True)

    @property
    def body_print(self) -> SafeString:
        return self.body(screen=False)


@dataclass
class Chart:
    svg: SafeString
    table: Table


@dataclass
class Report:
    slug: str
    title: str
    start: dt.date
    end: dt.date
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    figures: dict = field(default_factory=dict)  # the headline numbers (tests, commands)
    more: str = ""  # the next page (the ledger)

    @property
    def period(self) -> str:
        if self.start == self.end:
            return date_format(self.start, "j F Y")
        return f"{date_format(self.start, 'j M Y')} \u2013 {date_format(self.end, 'j M Y')}"

    @property
    def filename(self) -> str:
        return f"{self.slug}-{self.start.isoformat()}-{self.end.isoformat()}"


def _day(day: dt.date) -> str:
    return date_format(day, "D j M")


def _bucket_label(start: dt.date, by: str) -> str:
    if by == "month":
        return date_format(start, "M Y")
    return date_format(start, "j M")


def _period_query(start: dt.date, end: dt.date, **more) -> str:
    return urlencode({"date_from": start.isoformat(), "date_to": end.isoformat(), **more})


def _ledger_link(account_id: int, start: dt.date, end: dt.date) -> str:
    return reverse("books_ledger", args=[account_id]) + "?" + _period_query(start, end)


# -- Laba Rugi -------------------------------------------------------------------------


def profit_and_loss(*, shop, start: dt.date, end: dt.date) -> Report:
    pnl = statements.profit_and_loss(shop=shop, date_from=start, date_to=end)
    t = pnl.totals

    def accounts(rows):
        return [
            Row(r.account.name, [r.amount], link=_ledger_link(r.account.pk, start, end))
            for r in rows
        ]

    rows = [
        Row(_("Revenue"), [None], "section"),
        *accounts(pnl.revenue),
        Row(_("Total revenue"), [t["revenue"]], "total"),
        Row(_("Cost of goods sold"), [None], "section"),
        *accounts(pnl.cost_of_goods),
        Row(_("Total cost of goods sold"), [t["cost_of_goods"]], "total"),
        Row(_("Gross profit"), [t["gross_profit"]], "grand"),
        Row(_("Expenses"), [None], "section"),
        *accounts(pnl.expenses),
        Row(_("Total expenses"), [t["expenses"]], "total"),
        Row(_("Net profit") if t["profit"] >= 0 else _("Net loss"), [t["profit"]], "grand"),
    ]
    table = Table(_("Profit and loss"), _("Account"), [_("Amount")], rows, key="pnl")
    return Report("laba-rugi", _("Profit and loss"), start, end, [table], figures=t)


# -- Posisi Keuangan ---------------------------------------------------------------------


def financial_position(*, shop, start: dt.date, end: dt.date) -> Report:
    pos = statements.financial_position(shop=shop, at=end)
    t = pos.totals

    def accounts(rows):
        return [
            Row(r.account.name, [r.amount], link=_ledger_link(r.account.pk, start, end))
            for r in rows
        ]

    rows = [
        Row(_("Assets"), [None], "section"),
        *accounts(pos.assets),
        Row(_("Total assets"), [t["assets"]], "grand"),
        Row(_("Liabilities"), [None], "section"),
        *accounts(pos.liabilities),
        Row(_("Total liabilities"), [t["liabilities"]], "total"),
        Row(_("Equity"), [None], "section"),
        *accounts(pos.equity),
        Row(_("Retained profit"), [pos.retained], note=_("Every profit made until this day")),
        Row(_("Total equity"), [t["equity"]], "total"),
        Row(_("Total liabilities and equity"), [t["liabilities_and_equity"]], "grand"),
    ]
    table = Table(
        _("Financial position at %(day)s") % {"day": date_format(end, "j F Y")},
        _("Account"),
        [_("Amount")],
        rows,
        key="position",
    )
    report = Report("posisi-keuangan", _("Financial position"), start, end, [table], figures=t)
    if t["assets"] == t["liabilities_and_equity"]:
        report.notes.append(_("Balanced: assets equal liabilities plus equity."))
    return report


# -- Arus Kas ------------------------------------------------------------------------------


def cash_flow(*, shop, start: dt.date, end: dt.date) -> Report:
    flow = statements.cash_flow(shop=shop, date_from=start, date_to=end)
    t = flow.totals

    def moved(items):
        return [
            Row(
                account.name
                if account.kind == Kind.EQUITY
                else _("Change in %(account)s") % {"account": account.name.lower()},
                [amount],
                link=_ledger_link(account.pk, start, end),
            )
            for account, amount in items
        ]

    rows = [
        Row(_("Operating activities"), [None], "section"),
        Row(_("Net profit"), [flow.profit]),
        *moved(flow.operating),
        Row(_("Net cash from operating activities"), [t["operating"]], "total"),
    ]
    if flow.investing:
        rows += [
            Row(_("Investing activities"), [None], "section"),
            *moved(flow.investing),
            Row(_("Net cash from investing activities"), [t["investing"]], "total"),
        ]
    rows += [
        Row(_("Financing activities"), [None], "section"),
        *moved(flow.financing),
        Row(_("Net cash from financing activities"), [t["financing"]], "total"),
        Row(_("Change in money"), [t["net"]], "grand"),
        Row(_("Money at the start"), [t["opening"]]),
        Row(_("Money at the end"), [t["closing"]], "grand"),
    ]
    flows = Table(_("Cash flow"), _("Activity"), [_("Amount")], rows, key="cash-flow")
    money = Table(
        _("Money per account"),
        _("Account"),
        [_("Start"), _("In"), _("Out"), _("End")],
        [
            Row(
                m.account.name,
                [m.opening, m.money_in, m.money_out, m.closing],
                link=_ledger_link(m.account.pk, start, end),
            )
            for m in flow.money
        ]
        + [
            Row(
                _("Total"),
                [
                    t["opening"],
                    sum(m.money_in for m in flow.money),
                    sum(m.money_out for m in flow.money),
                    t["closing"],
                ],
                "total",
            )
        ],
        key="money-accounts",
    )
    report = Report("arus-kas", _("Cash flow"), start, end, [flows, money], figures=t)
    report.notes.append(
        _(
            "Money is cash, bank accounts, e-wallets and marketplace balances. Moving money "
            "between them is neither in nor out of the business."
        )
    )
    return report


# -- Rekap harian --------------------------------------------------------------------------


def daily_recap(*, shop, start: dt.date, end: dt.date) -> Report:
    days, channels = statements.daily_recap(shop=shop, date_from=start, date_to=end)
    names = [sales.channel_label(c) for c in channels]
    totals = {
        "sales": sum(d.sales_total for d in days),
        "revenue": sum(d.revenue for d in days),
        "cost_of_goods": sum(d.cost_of_goods for d in days),
        "gross_profit": sum(d.gross_profit for d in days),
        "expenses": sum(d.expenses for d in days),
        "profit": sum(d.profit for d in days),
    }
    recap = Table(
        _("Day by day"),
        _("Day"),
        [_("Sales"), _("Revenue"), _("COGS"), _("Gross profit"), _("Expenses"), _("Net profit")],
        [
            Row(
                _day(d.day),
                [d.sales_total, d.revenue, d.cost_of_goods, d.gross_profit, d.expenses, d.profit],
            )
            for d in days
        ]
        + [Row(_("Total"), list(totals.values()), "grand")],
        key="recap",
    )
    per_channel = {c: sum(d.sales.get(c, 0) for d in days) for c in channels}
    by_channel = Table(
        _("Sales per channel"),
        _("Day"),
        [*names, _("Total")],
        [
            Row(_day(d.day), [*(d.sales.get(c, 0) for c in channels), d.sales_total])
            for d in days
            if d.sales
        ]
        + [Row(_("Total"), [*per_channel.values(), totals["sales"]], "grand")],
        key="recap-channels",
    )
    report = Report("rekap-harian", _("Daily recap"), start, end, [recap, by_channel])
    report.figures = totals | {"channels": per_channel}
    # the chart: each day's net profit (a day of expenses only goes below the line)
    labels = [_day(d.day) for d in days]
    report.charts.append(
        Chart(
            charts.bars(
                title=_("Profit per day"),
                desc=_("Net profit of each day: revenue less cost of goods and expenses.")
                + " "
                + _("%(total)s in all.") % {"total": format_rupiah(totals["profit"])},
                labels=labels,
                series=[charts.Series(_("Net profit"), [d.profit for d in days])],
            ),
            Table(
                _("Profit per day"),
                _("Day"),
                [_("Revenue"), _("Costs"), _("Net profit")],
                [
                    Row(label, [d.revenue, d.cost_of_goods + d.expenses, d.profit])
                    for label, d in zip(labels, days, strict=True)
                ],
                key="chart-recap",
            ),
        )
    )
    report.notes.append(
        _(
            "Sales are the orders placed that day, on every channel. Revenue counts an order "
            "when it is delivered, so the two differ by the orders still on their way."
        )
    )
    return report


# -- Neraca saldo ----------------------------------------------------------------------------


def trial_balance(*, shop, start: dt.date, end: dt.date) -> Report:
    rows, totals = statements.trial_balance(shop=shop, date_from=start, date_to=end)
    table = Table(
        _("Trial balance"),
        _("Account"),
        [_("Debit"), _("Credit"), _("Balance debit"), _("Balance credit")],
        [
            Row(
                f"{r.account.code} {r.account.name}",
                [r.debit, r.credit, r.closing_debit, r.closing_credit],
                link=_ledger_link(r.account.pk, start, end),
            )
            for r in rows
        ]
        + [
            Row(
                _("Total"),
                [
                    totals["debit"],
                    totals["credit"],
                    totals["closing_debit"],
                    totals["closing_credit"],
                ],
                "grand",
            )
        ],
        key="trial-balance",
    )
    report = Report("neraca-saldo", _("Trial balance"), start, end, [table], figures=totals)
    report.notes.append(
        _("Debit and credit are the period's movements; the balance is at its end.")
    )
    return report


# -- Buku besar ------------------------------------------------------------------------------


def ledger(
    *, shop, start: dt.date, end: dt.date, account_id: int, after: str | None = None, size=None
) -> Report:
    page = statements.ledger_page(
        shop=shop,
        account_id=account_id,
        date_from=start,
        date_to=end,
        after=after,
        size=size or statements.LEDGER_PAGE,
    )
    rows = [Row(_("Opening balance"), [None, None, None, page.opening], "total")]
    for line, balance in page.lines:
        entry = line.entry
        link = ""
        if entry.order_id:
            link = reverse("order_detail", args=[entry.order_id])
        rows.append(
            Row(
                entry.memo or entry.get_source_display(),
                [line.date, line.debit or None, line.credit or None, balance],
                link=link,
                note=f"#{entry.pk} · {entry.get_source_display()}"
                if entry.memo
                else f"#{entry.pk}",
            )
        )
    if page.next_cursor is None:
        rows.append(Row(_("Closing balance"), [None, None, None, page.closing], "grand"))
    table = Table(
        f"{page.account.code} {page.account.name}",
        _("Entry"),
        [_("Date"), _("Debit"), _("Credit"), _("Balance")],
        rows,
        kinds=[TEXT, MONEY, MONEY, MONEY],
        key="ledger",
    )
    report = Report("buku-besar", _("Ledger"), start, end, [table])
    report.figures = {
        "opening": page.period_opening,
        "closing": page.closing,
        "account": page.account,
        "page": page,
    }
    if page.next_cursor:
        report.more = page.next_cursor
    return report


def ledger_all(*, shop, start: dt.date, end: dt.date, account_id: int, limit: int) -> Report:
    """The whole period's ledger for a file (at most ``limit`` lines, said when cut)."""
    report = ledger(shop=shop, start=start, end=end, account_id=account_id, size=limit)
    if report.more:
        report.notes.append(
            _("Only the first %(count)s lines are here: choose a shorter period.")
            % {"count": limit}
        )
    return report


# -- Ringkasan: the charts -----------------------------------------------------------------------


def summary(*, shop, start: dt.date, end: dt.date, by: str | None = None) -> Report:
    by = by if by in statements.BUCKETS else statements.bucket_auto(start, end)
    report = Report("ringkasan", _("Summary"), start, end)
    pnl = statements.profit_and_loss(shop=shop, date_from=start, date_to=end).totals
    flow = statements.cash_flow(shop=shop, date_from=start, date_to=end).totals
    report.figures = {"pnl": pnl, "money": flow["closing"], "by": by}

    # sales per bucket, stacked by channel
    starts, channels, series = statements.sales_by_bucket(
        shop=shop, date_from=start, date_to=end, by=by
    )
    labels = [_bucket_label(max(s, start), by) for s in starts]
    names = [sales.channel_label(c) for c in channels]
    per = [
        charts.Series(n, [series.get(s, {}).get(c, 0) for s in starts])
        for c, n in zip(channels, names, strict=True)
    ]
    total = sum(sum(s.values) for s in per)
    report.charts.append(
        Chart(
            charts.bars(
                title=_("Sales per %(unit)s by channel") % {"unit": BUCKET_NAMES[by]()},
                desc=_("Orders placed, %(total)s in all.") % {"total": format_rupiah(total)},
                labels=labels,
                series=per,
            ),
            Table(
                _("Sales per %(unit)s by channel") % {"unit": BUCKET_NAMES[by]()},
                BUCKET_HEADERS[by](),
                [*names, _("Total")],
                [
                    Row(label, [*(s.values[i] for s in per), sum(s.values[i] for s in per)])
                    for i, label in enumerate(labels)
                    if any(s.values[i] for s in per)
                ]
                + [Row(_("Total"), [*(sum(s.values) for s in per), total], "grand")],
                key="chart-sales",
            ),
        )
    )
    report.figures["channels"] = channels

    # profit per month
    months = statements.profit_by_month(shop=shop, date_from=start, date_to=end)
    month_labels = [_bucket_label(m["month"], "month") for m in months]
    report.charts.append(
        Chart(
            charts.bars(
                title=_("Profit per month"),
                desc=_("Net profit of each month; a loss goes below the line."),
                labels=month_labels,
                series=[charts.Series(_("Net profit"), [m["profit"] for m in months])],
            ),
            Table(
                _("Profit per month"),
                _("Month"),
                [_("Revenue"), _("Costs"), _("Net profit")],
                [
                    Row(label, [m["revenue"], m["cost_of_goods"] + m["expenses"], m["profit"]])
                    for label, m in zip(month_labels, months, strict=True)
                ],
                key="chart-profit",
            ),
        )
    )

    # top products
    top = sales.top_products(shop=shop, date_from=start, date_to=end, limit=8)
    if top:
        report.charts.append(
            Chart(
                charts.hbars(
                    title=_("Top products"),
                    desc=_("The products that brought the most money in the period."),
                    labels=[p["name"] for p in top],
                    values=[p["amount"] for p in top],
                ),
                Table(
                    _("Top products"),
                    _("Product"),
                    [_("Sold"), _("Sales")],
                    [Row(p["name"], [p["quantity"], p["amount"]]) for p in top],
                    kinds=[NUMBER, MONEY],
                    key="chart-products",
                ),
            )
        )

    # money held
    money = statements.money_by_bucket(shop=shop, date_from=start, date_to=end, by=by)
    money_labels = [_bucket_label(max(m["start"], start), by) for m in money]
    report.charts.append(
        Chart(
            charts.line(
                title=_("Money held"),
                desc=_(
                    "Cash, bank, e-wallets and marketplace balances at the end of each %(unit)s."
                )
                % {"unit": BUCKET_NAMES[by]()},
                labels=money_labels,
                values=[m["money"] for m in money],
            ),
            Table(
                _("Money held"),
                BUCKET_HEADERS[by](),
                [_("Money")],
                [Row(label, [m["money"]]) for label, m in zip(money_labels, money, strict=True)],
                key="chart-money",
            ),
        )
    )
    return report


BUCKET_NAMES = {
    "day": lambda: _("day"),
    "week": lambda: _("week"),
    "month": lambda: _("month"),
}
BUCKET_HEADERS = {
    "day": lambda: _("Day"),
    "week": lambda: _("Week of"),
    "month": lambda: _("Month"),
}

# slug -> (the page's title, its builder): the reports a seller picks from
BUILDERS = {
    "ringkasan": (gettext_lazy("Summary"), summary),
    "rekap-harian": (gettext_lazy("Daily recap"), daily_recap),
    "laba-rugi": (gettext_lazy("Profit and loss"), profit_and_loss),
    "arus-kas": (gettext_lazy("Cash flow"), cash_flow),
    "posisi-keuangan": (gettext_lazy("Financial position"), financial_position),
    "neraca-saldo": (gettext_lazy("Trial balance"), trial_balance),
    # SAK EMKM's third statement, beside the first two (merdeka.books.notes)
    "catatan": (gettext_lazy("Notes"), notes.notes),
}

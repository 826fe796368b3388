"""The marketplaces' income and settlement reports: what the platform released for each
order, with its fees, and what the seller withdrew.

* Shopee's income report (*Laporan Penghasilan*, Seller Centre > Keuangan >
  Penghasilan Saya > Laporan Penghasilan): sheet "Income", a few title rows, then one
  row per released order ("No. Pesanan", "Tanggal Dana Dilepaskan", "Total
  Penghasilan", the fees as negative amounts: "Biaya Administrasi", "Biaya Layanan",
  "Biaya Proses Pesanan"...).
* TikTok Shop's settlement export (Keuangan > Laporan / Finances > Statements, sheet
  "Order details"): one row per order or adjustment ("Order/adjustment ID", "Type",
  "Order settled time", "Total settlement amount", "Transaction fee", "TikTok Shop
  commission fee"...).
* Shopee's balance transactions (*Saldo Penjual* > Laporan Transaksi; sheet
  "Transaction Report", the table after about 17 summary rows) and TikTok Shop's
  withdrawals ("Type", "Reference ID", "Success time", "Amount"): each completed
  withdrawal is a transfer of the balance to the bank; the other rows are left to the
  reports above.

Headers are matched by name, never by position. Header lists: tests/data/settlements/.
A report's amounts are read whole before anything is written; a cell that is not an
amount or a date refuses the file, with its row and column.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from merdeka.books.models import SettlementKind
from merdeka.books.orders import rupiah
from merdeka.books.settlements import SettlementRow
from merdeka.imports.formats import tabular
from merdeka.imports.records import Problem


@dataclass(frozen=True)
class Report:
    source: str
    marketplace: str
    kind: str  # "income" or "withdrawals"
    columns: dict[str, tuple[str, ...]]  # field -> header names (first found wins)
    signature: tuple[str, ...]  # fields that must all be there
    fees: tuple[str, ...] = ()  # header names summed as fees
    shipping: tuple[str, ...] = ()  # the first found: shipping passed to the courier
    subsidies: tuple[str, ...] = ()  # summed: borne by the platform
    sheet_hints: tuple[str, ...] = ()


SHOPEE_INCOME = Report(
    source="shopee-income",
    marketplace="shopee",
    kind="income",
    columns={
        "order": ("No. Pesanan",),
        "date": ("Tanggal Dana Dilepaskan",),
        "total": ("Total Penghasilan",),
        "username": ("Username (Pembeli)",),
    },
    signature=("order", "date", "total"),
    fees=(
        "Biaya Komisi AMS",
        "Biaya Administrasi",
        "Biaya Administrasi (termasuk PPN 11%)",
        "Biaya Layanan",
        "Biaya Layanan (termasuk PPN 11%)",
        "Biaya Proses Pesanan",
        "Premi",
        "Biaya Program Hemat Biaya Kirim",
        "Biaya Transaksi",
        "Biaya Kampanye",
        "Bea Masuk, PPN & PPh",
        "Biaya Isi Saldo Otomatis (dari Penghasilan)",
    ),
    shipping=("Ongkir yang Diteruskan oleh Shopee ke Jasa Kirim",),
    subsidies=(
        "Diskon Produk dari Shopee",
        "Gratis Ongkir dari Shopee",
        "Diskon Ongkir Ditanggung Jasa Kirim",
        "Kompensasi",
        "Pengembalian Biaya Kirim",
    ),
    sheet_hints=("Income", "Penghasilan"),
)

TIKTOK_SETTLEMENT = Report(
    source="tiktok-settlement",
    marketplace="tiktok",
    kind="income",
    columns={
        "order": ("Order/adjustment ID",),
        "type": ("Type",),
        "date": ("Order settled time", "Settled time"),
        "total": ("Total settlement amount",),
        "related": ("Related order ID",),
    },
    signature=("order", "date", "total"),
    fees=(
        "Transaction fee",
        "Payment Fee",
        "TikTok Shop commission fee",
        "Platform commission fee",
        "Affiliate Commission",
        "Affiliate partner commission",
        "Affiliate Shop Ads commission",
        "Affiliate Partner shop ads commission",
        "SFP service fee",
        "Shipping Fee Program service fee",
        "Dynamic commission",
        "Bonus cashback service fee",
        "LIVE Specials service fee",
        "Voucher Xtra service fee",
        "Order processing fee",
        "EAMS Program service fee",
        "Brands Crazy Deals/Flash Sale service fee",
        "Mall service fee",
        "Pre-order service fee",
        "PayLater program fee",
        "Campaign resource fee",
        "Platform special service fee",
        "Article 22 Income Tax withheld",
        "Dilayani Tokopedia fee",
        "Dilayani Tokopedia handling fee",
    ),
    shipping=("Shipping costs passed on to the logistics provider", "Actual shipping fee"),
    subsidies=(
        "Shipping cost borne by the platform",
        "Platform shipping fee discount",
        "Shipping cost subsidy",
        "Platform discounts",
        "Platform co-funded voucher discounts",
    ),
    sheet_hints=("Order details",),
)

SHOPEE_WITHDRAWALS = Report(
    source="shopee-withdrawals",
    marketplace="shopee",
    kind="withdrawals",
    columns={
        "date": ("Tanggal Transaksi",),
        "type": ("Tipe Transaksi",),
        "description": ("Deskripsi",),
        "amount": ("Jumlah",),
        "status": ("Status",),
        "after": ("Saldo Akhir",),
    },
    signature=("date", "type", "amount", "after"),
    sheet_hints=("Transaction Report", "Laporan Transaksi"),
)

TIKTOK_WITHDRAWALS = Report(
    source="tiktok-withdrawals",
    marketplace="tiktok",
    kind="withdrawals",
    columns={
        "type": ("Type",),
        "reference": ("Reference ID",),
        "requested": ("Request time",),
        "amount": ("Amount",),
        "status": ("Status",),
        "date": ("Success time",),
    },
    signature=("type", "reference", "date", "amount"),
)

REPORTS = (SHOPEE_INCOME, TIKTOK_SETTLEMENT, SHOPEE_WITHDRAWALS, TIKTOK_WITHDRAWALS)
# the words a withdrawal row and a done one are written with (Indonesian and English)
WITHDRAWAL_TYPES = ("penarikan", "withdraw")
DONE = ("selesai", "berhasil", "sukses", "completed", "successful", "success", "paid")
MAX_SCAN = 30  # Shopee's transaction report has its table after ~17 summary rows


@dataclass
class SettlementParse:
    report: Report
    rows: list[SettlementRow] = field(default_factory=list)
    rows_read: int = 0
    problems: list[Problem] = field(default_factory=list)


def _key(text: str) -> str:
    return tabular._header_key(text)


def _positions(report: Report, header: list[str]) -> tuple[dict[str, int], dict[str, int]]:
    """(field -> column index, amount header -> column index) of this report."""
    where = {_key(cell): index for index, cell in reversed(list(enumerate(header))) if cell}
    fields = {}
    for name, titles in report.columns.items():
        for title in titles:
            if _key(title) in where:
                fields[name] = where[_key(title)]
                break
    amounts = {
        title: where[_key(title)]
        for title in (*report.fees, *report.shipping, *report.subsidies)
        if _key(title) in where
    }
    return fields, amounts


def detect(header: list[str]) -> Report | None:
    """The report whose signature columns the header has (the best fit), or None."""
    best, best_score = None, 0
    for report in REPORTS:
        fields, amounts = _positions(report, header)
        if not set(report.signature) <= set(fields):
            continue
        score = len(fields) + len(amounts)
        if score > best_score:
            best, best_score = report, score
    return best


def _aliases() -> dict[str, str]:
    names = {}
    for report in REPORTS:
        for titles in report.columns.values():
            for title in titles:
                names[title] = title
    return names


def open_report(path: Path, name: str):
    """Open a spreadsheet as a settlement report: (report, table, header_row, header),
    or (None, ...) when it is none of them."""
    hints = tuple(h for report in REPORTS for h in report.sheet_hints)
    table = tabular.open_table(path, name, sheet_hints=hints)
    header_row, _columns, header = tabular.find_header(table, _aliases(), max_scan=MAX_SCAN)
    if header_row is None:
        return None, table, None, []
    return detect(header), table, header_row, header


class _RowError(Exception):
    def __init__(self, message, column):
        super().__init__(message)
        self.message, self.column = message, column


def _money(row: list[str], index: int | None, title: str, locale: str) -> int:
    if index is None or index >= len(row):
        return 0
    try:
        value = tabular.parse_money(row[index], locale)
    except ValueError:
        raise _RowError(_("This is not an amount."), title) from None
    return rupiah(value) if value is not None else 0


def _day(raw: str, title: str) -> dt.date:
    text = (raw or "").strip()
    try:
        moment = tabular.parse_datetime(text)
    except ValueError:
        moment = None
        for fmt in ("%Y/%m/%d", "%d %B %Y", "%d/%m/%y"):
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        raise _RowError(_("This is not a date."), title) from None
    if moment is None:
        raise _RowError(_("The date is missing."), title)
    return moment.date()


def _cell(row: list[str], index: int | None) -> str:
    return row[index].strip() if index is not None and index < len(row) else ""


def parse(report: Report, table, header: list[str]) -> SettlementParse:
    """Read every row of the report after its header."""
    fields, amounts = _positions(report, header)
    titles = {name: header[index] for name, index in fields.items()}
    raw_rows = [(number, row) for number, row in table.rows if any(cell for cell in row)]
    money_cells = [fields.get("total"), fields.get("amount"), *amounts.values()]
    samples = [
        row[i] for _n, row in raw_rows[:200] for i in money_cells if i is not None and i < len(row)
    ]
    locale = tabular.money_locale([s for s in samples if s])
    parsed = SettlementParse(report=report)
    for number, row in raw_rows:
        parsed.rows_read += 1
        try:
            found = (_income if report.kind == "income" else _withdrawal)(
                report, row, fields, titles, amounts, locale
            )
        except _RowError as exc:
            parsed.problems.append(Problem(exc.message, row=number, column=exc.column))
            continue
        if found is not None:
            found.row = number
            parsed.rows.append(found)
    if not parsed.rows and not parsed.problems:
        parsed.problems.append(
            Problem(_("The report has no rows: export a period with released orders."))
        )
    return parsed


def _income(report, row, fields, titles, amounts, locale) -> SettlementRow | None:
    reference = _cell(row, fields.get("order"))
    if not reference or reference.casefold().startswith("total"):
        return None  # a blank or a totals row under the table
    date = _day(_cell(row, fields.get("date")), titles["date"])
    total = _money(row, fields.get("total"), titles["total"], locale)
    kind_text = _cell(row, fields.get("type")).casefold()
    if kind_text and kind_text not in ("order", "pesanan"):
        # an adjustment of TikTok Shop's settlement (a penalty, a compensation...)
        return SettlementRow(
            marketplace=report.marketplace,
            kind=SettlementKind.ADJUSTMENT,
            reference=reference[:80],
            order_number=_cell(row, fields.get("related"))[:80],
            date=date,
            released=total,
            note=_cell(row, fields.get("type"))[:120],
        )

    def summed(names):
        return sum(abs(_money(row, amounts.get(n), n, locale)) for n in names if n in amounts)

    shipping = next((n for n in report.shipping if n in amounts), None)
    return SettlementRow(
        marketplace=report.marketplace,
        kind=SettlementKind.ORDER,
        reference=reference[:80],
        order_number=reference[:80],
        date=date,
        fees=summed(report.fees),
        shipping=summed([shipping]) if shipping else 0,
        subsidies=summed(report.subsidies),
        released=total,
    )


def _withdrawal(report, row, fields, titles, amounts, locale) -> SettlementRow | None:
    kind_text = _cell(row, fields.get("type")).casefold()
    if not any(word in kind_text for word in WITHDRAWAL_TYPES):
        return None  # the balance's other rows: income released, refunds (the reports')
    status = _cell(row, fields.get("status")).casefold()
    if status and not any(word in status for word in DONE):
        return None  # still in progress, or failed: no money moved
    amount = abs(_money(row, fields.get("amount"), titles["amount"], locale))
    if not amount:
        return None
    raw_date = _cell(row, fields.get("date"))
    date = _day(raw_date, titles["date"])
    reference = _cell(row, fields.get("reference"))
    if not reference:  # Shopee's rows have no id: the moment, amount and balance after
        seed = f"{raw_date}|{amount}|{_cell(row, fields.get('after'))}"
        reference = "W" + hashlib.sha256(seed.encode()).hexdigest()[:20]
    return SettlementRow(
        marketplace=report.marketplace,
        kind=SettlementKind.WITHDRAWAL,
        reference=reference[:80],
        date=date,
        released=amount,
        note=_cell(row, fields.get("description"))[:120],
    )

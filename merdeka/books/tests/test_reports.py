"""The reports for any period: on the phone, as PDF and as a spreadsheet, with the same
figures; the cash flow explains the change in money; the ledger pages through an
account's lines with a running balance; the profit is the owners' unless they open it."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse
from PIL import ImageFile
from pypdf import PdfReader

from merdeka.books import documents, services, statements
from merdeka.books.chart import accounts_by_key
from merdeka.books.charts import short_rupiah
from merdeka.books.models import Account, Kind, Source
from merdeka.books.posting import Line, entry_post, today
from merdeka.books.tests.test_views import figure
from merdeka.core.scoping import shop_scope
from merdeka.orders import lifecycle
from merdeka.orders.manual import ManualLine, manual_order_create
from merdeka.orders.services import Buyer

DAY = dt.date(2026, 11, 3)
NOV = {"date_from": "2026-11-01", "date_to": "2026-11-30"}


@pytest.fixture
def acc(ika_shop):
    return accounts_by_key(
        shop=ika_shop,
        keys=[
            "cash",
            "bank",
            "capital",
            "drawings",
            "expense:rent",
            "sales",
            "receivable",
            "payable",
            "marketplace:shopee",
        ],
    )


def post(shop, acc, key, debit, credit, amount, day=DAY):
    return entry_post(
        shop=shop,
        date=day,
        source=Source.MANUAL,
        key=key,
        lines=[Line(acc[debit], debit=amount), Line(acc[credit], credit=amount)],
    )


@pytest.fixture
def november(ika_shop, acc):
    """A month of Bu Ika's books: capital, sales in cash and on credit, rent, a supplier
    not paid yet, money moved to the bank and to Shopee, a drawing."""
    post(ika_shop, acc, "before", "cash", "capital", 1_000_000, day=dt.date(2026, 10, 20))
    post(ika_shop, acc, "capital", "cash", "capital", 2_000_000)
    post(ika_shop, acc, "sale", "cash", "sales", 350_000)
    post(ika_shop, acc, "credit-sale", "receivable", "sales", 125_000, day=DAY.replace(day=10))
    post(ika_shop, acc, "rent", "expense:rent", "cash", 100_000, day=DAY.replace(day=5))
    post(ika_shop, acc, "supplier", "expense:rent", "payable", 40_000, day=DAY.replace(day=6))
    post(ika_shop, acc, "to-bank", "bank", "cash", 500_000, day=DAY.replace(day=7))
    post(ika_shop, acc, "prive", "drawings", "cash", 50_000, day=DAY.replace(day=20))
    post(ika_shop, acc, "december", "cash", "sales", 999_000, day=dt.date(2026, 12, 2))


# -- the figures ----------------------------------------------------------------------


def test_the_cash_flow_explains_the_change_in_money(ika_shop, november):
    flow = statements.cash_flow(
        shop=ika_shop, date_from=DAY.replace(day=1), date_to=DAY.replace(day=30)
    )
    t = flow.totals
    assert t["opening"] == 1_000_000  # October's capital
    assert t["closing"] == 1_000_000 + 2_000_000 + 350_000 - 100_000 - 50_000
    assert t["net"] == t["change"] == 2_200_000
    assert flow.profit == 350_000 + 125_000 - 100_000 - 40_000
    assert {a.key: v for a, v in flow.operating} == {"receivable": -125_000, "payable": 40_000}
    assert {a.key: v for a, v in flow.financing} == {"capital": 2_000_000, "drawings": -50_000}
    assert t["operating"] == 250_000 and t["financing"] == 1_950_000
    moves = {m.account.key: (m.opening, m.money_in, m.money_out, m.closing) for m in flow.money}
    assert moves["bank"] == (0, 500_000, 0, 500_000)  # a transfer moves money, adds none
    assert moves["cash"] == (1_000_000, 2_350_000, 650_000, 2_700_000)


def test_equipment_is_investing_and_a_loan_is_financing(ika_shop, acc):
    with shop_scope(ika_shop):
        oven = Account.objects.create(shop=ika_shop, code="1-500", name="Oven", kind=Kind.ASSET)
        loan = Account.objects.create(
            shop=ika_shop, code="2-500", name="Pinjaman KUR", kind=Kind.LIABILITY
        )
    acc |= {"oven": oven.pk, "loan": loan.pk}
    post(ika_shop, acc, "loan", "bank", "loan", 10_000_000)
    post(ika_shop, acc, "oven", "oven", "bank", 4_500_000)
    post(ika_shop, acc, "repay", "loan", "bank", 500_000, day=DAY.replace(day=25))
    flow = statements.cash_flow(
        shop=ika_shop, date_from=DAY.replace(day=1), date_to=DAY.replace(day=30)
    )
    assert [(a.name, v) for a, v in flow.investing] == [("Oven", -4_500_000)]
    assert [(a.name, v) for a, v in flow.financing] == [("Pinjaman KUR", 9_500_000)]
    assert flow.totals["net"] == flow.totals["change"] == 5_000_000
    page = documents.cash_flow(shop=ika_shop, start=DAY.replace(day=1), end=DAY.replace(day=30))
    labels = [row.label for row in page.tables[0].rows]
    assert "Aktivitas investasi" in labels or "Investing activities" in labels


def test_the_financial_position_balances_and_counts_the_profit_to_date(ika_shop, november):
    pos = statements.financial_position(shop=ika_shop, at=DAY.replace(day=30))
    assert pos.totals["assets"] == pos.totals["liabilities_and_equity"] == 3_325_000
    assert pos.retained == 335_000 and pos.totals["liabilities"] == 40_000


def test_the_trial_balance_agrees_on_both_sides(ika_shop, november):
    rows, totals = statements.trial_balance(
        shop=ika_shop, date_from=DAY.replace(day=1), date_to=DAY.replace(day=30)
    )
    assert totals["debit"] == totals["credit"] == 3_165_000
    assert totals["closing_debit"] == totals["closing_credit"]
    drawings = next(r for r in rows if r.account.key == "drawings")
    assert (drawings.closing_debit, drawings.closing_credit) == (50_000, 0)


def _order(shop, actor, key, price, *, complete=True):
    order, _made = manual_order_create(
        shop=shop,
        actor=actor,
        buyer=Buyer(name="Sari Dewi", phone="0812-7777-8888"),
        lines=[ManualLine(quantity=2, name="Bolu Pandan", unit_price=Decimal(price))],
        shipping_fee=Decimal(0),
        idempotency_key=key,
        delivery_method="pickup",
        payment_method="transfer",
    )
    lifecycle.order_payment_record(shop=shop, order_id=order.pk, method="transfer", actor=actor)
    if complete:
        lifecycle.order_complete(shop=shop, order_id=order.pk, actor=actor)
    return order


def test_the_daily_recap_shows_sales_per_channel_and_the_books_gross_profit(ika_shop, ika):
    _order(ika_shop, ika, "a", 50_000)
    _order(ika_shop, ika, "b", 25_000, complete=False)  # placed, not delivered yet
    day = today(ika_shop)
    report = documents.daily_recap(shop=ika_shop, start=day, end=day)
    assert report.figures["sales"] == 150_000  # both orders, two cakes each
    assert report.figures["channels"] == {"manual": 150_000}
    assert report.figures["revenue"] == 100_000  # the delivered one
    assert report.figures["gross_profit"] == 100_000
    # the day's expenses and net profit, and its chart (an SVG with its table)
    acc = accounts_by_key(shop=ika_shop, keys=["cash", "expense:packaging"])
    services.expense_record(
        shop=ika_shop,
        key="box",
        amount=30_000,
        category_id=acc["expense:packaging"],
        paid_from_id=acc["cash"],
    )
    report = documents.daily_recap(shop=ika_shop, start=day, end=day)
    assert (report.figures["expenses"], report.figures["profit"]) == (30_000, 70_000)
    [chart] = report.charts
    assert chart.svg.startswith("<svg") and "Laba per hari" in chart.svg
    assert [row.values for row in chart.table.rows] == [[100_000, 30_000, 70_000]]
    summary = documents.summary(shop=ika_shop, start=day, end=day)
    products = next(c.table for c in summary.charts if c.table.key == "chart-products")
    assert products.rows[0].label == "Bolu Pandan" and products.rows[0].values == [4, 150_000]


# -- the ledger -------------------------------------------------------------------------


def test_the_ledger_pages_through_lines_with_a_running_balance(ika_shop, acc):
    post(ika_shop, acc, "open", "cash", "capital", 10_000, day=dt.date(2026, 10, 31))
    for n in range(120):
        debit, credit = ("cash", "sales") if n % 3 else ("expense:rent", "cash")
        post(ika_shop, acc, f"l{n}", debit, credit, 1_000 + n, day=DAY + dt.timedelta(days=n % 20))
    end = DAY.replace(day=30)
    pages, after = [], None
    while True:
        page = statements.ledger_page(
            shop=ika_shop,
            account_id=acc["cash"],
            date_from=DAY.replace(day=1),
            date_to=end,
            after=after,
        )
        pages.append(page)
        after = page.next_cursor
        if after is None:
            break
    assert [len(p.lines) for p in pages] == [50, 50, 20]
    assert pages[0].opening == 10_000  # October, from the day totals
    balance = 10_000
    seen = []
    for page in pages:
        assert page.opening == balance  # each page starts where the one before ended
        for line, running in page.lines:
            balance += line.debit - line.credit
            assert running == balance
            seen.append((line.date, line.pk))
    assert seen == sorted(seen) and len(set(seen)) == 120
    assert balance == pages[-1].closing


def test_the_ledger_page_answers_50_lines_and_a_link_to_the_next(ika_client, ika_shop, acc):
    for n in range(55):
        post(ika_shop, acc, f"l{n}", "cash", "sales", 2_000)
    url = reverse("books_ledger", args=[acc["cash"]])
    page = ika_client.get(url, NOV)
    text = page.content.decode()
    assert text.count("Rp2.000") >= 50
    more = re.search(r'href="([^"]+after=[^"]+)"', text).group(1).replace("&amp;", "&")
    rest = ika_client.get(more).content.decode()
    assert "Rp110.000" in rest  # the closing balance on the last page
    assert ika_client.get(reverse("books_ledger", args=[999_999]), NOV).status_code == 404


# -- the pages, the PDF and the spreadsheet ----------------------------------------------


def test_the_profit_and_loss_page_pdf_and_spreadsheet_show_the_same_figures(
    ika_client, ika_shop, november
):
    url = reverse("books_profit_and_loss")
    page = ika_client.get(url, NOV)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Rp475.000" in text and "Rp335.000" in text
    assert " style=" not in text  # the CSP forbids inline styles

    pdf = ika_client.get(url, {**NOV, "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf"
    assert "laba-rugi-2026-11-01-2026-11-30.pdf" in pdf["Content-Disposition"]
    words = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Laba rugi" in words and "Dapur Kue Bu Ika" in words
    assert re.search(r"Laba bersih\s*Rp335\.000", words), words
    assert re.search(r"Total beban\s*Rp140\.000", words), words

    sheet = ika_client.get(url, {**NOV, "format": "xlsx"})
    book = openpyxl.load_workbook(io.BytesIO(b"".join(sheet.streaming_content)))
    rows = {r[0]: r[1] for r in book.worksheets[0].iter_rows(values_only=True)}
    assert rows["Laba bersih"] == 335_000 and rows["Total pendapatan"] == 475_000


@pytest.mark.parametrize(
    "name",
    ["books_report", "books_recap", "books_cash_flow", "books_position", "books_trial_balance"],
)
def test_every_report_answers_as_page_pdf_and_spreadsheet(ika_client, november, name):
    url = reverse(name)
    page = ika_client.get(url, NOV)
    assert page.status_code == 200 and b" style=" not in page.content
    pdf = ika_client.get(url, {**NOV, "format": "pdf"})
    assert pdf.content.startswith(b"%PDF")
    sheet = ika_client.get(url, {**NOV, "format": "xlsx"})
    assert openpyxl.load_workbook(io.BytesIO(b"".join(sheet.streaming_content))).worksheets


def test_the_cash_flow_file_reads_back_the_change_in_money(ika_client, november):
    sheet = ika_client.get(reverse("books_cash_flow"), {**NOV, "format": "xlsx"})
    book = openpyxl.load_workbook(io.BytesIO(b"".join(sheet.streaming_content)))
    rows = {r[0]: r[1] for r in book["Arus kas"].iter_rows(values_only=True)}
    assert rows["Perubahan uang"] == 2_200_000
    assert rows["Uang di akhir periode"] - rows["Uang di awal periode"] == 2_200_000


def test_the_charts_are_svg_with_a_title_and_their_table(ika_client, ika_shop, ika, november):
    _order(ika_shop, ika, "a", 50_000)
    day = today(ika_shop)
    page = ika_client.get(reverse("books_report"), {"date_from": "2026-10-01", "date_to": day})
    text = page.content.decode()
    assert text.count('<svg class="chart') >= 3 and "<title id=" in text
    assert 'data-testid="chart-sales"' in text and 'data-testid="chart-money"' in text
    assert figure(text, "summary-profit").startswith("Rp")
    assert short_rupiah(1_250_000) == "Rp1,25jt" and short_rupiah(-350_000) == "-Rp350rb"


def test_a_bad_period_says_so_and_shows_this_month(ika_client):
    page = ika_client.get(
        reverse("books_profit_and_loss"), {"date_from": "2026-12-01", "date_to": "2026-11-01"}
    )
    assert page.status_code == 200 and "sebelum" in page.content.decode()


# -- who may see them ----------------------------------------------------------------------


REPORTS = [
    "books_report",
    "books_recap",
    "books_profit_and_loss",
    "books_cash_flow",
    "books_position",
    "books_trial_balance",
]


def test_staff_see_no_report_until_an_owner_opens_them(client, ika, rina, ika_shop, acc):
    client.force_login(rina)
    books = client.get(reverse("books_home")).content.decode()
    assert 'data-testid="books-report-link"' not in books
    assert 'data-testid="books-figures"' not in books
    for name in REPORTS:
        assert client.get(reverse(name)).status_code == 403
    assert client.get(reverse("books_ledger", args=[acc["cash"]])).status_code == 403
    assert client.get(reverse("books_profit_and_loss"), {"format": "pdf"}).status_code == 403
    refused = client.post(reverse("books_reports_access"), {"staff_see_reports": "on"})
    assert refused.status_code == 403
    client.force_login(ika)
    assert (
        client.post(reverse("books_reports_access"), {"staff_see_reports": "on"}).status_code == 302
    )
    client.force_login(rina)
    for name in REPORTS:
        assert client.get(reverse(name)).status_code == 200
    books = client.get(reverse("books_home")).content.decode()  # and the way to them
    assert 'data-testid="books-report-link"' in books and 'data-testid="books-figures"' in books
    assert b"reports-access" not in client.get(reverse("books_report")).content  # owners' switch
    client.force_login(ika)
    client.post(reverse("books_reports_access"), {})
    client.force_login(rina)
    assert client.get(reverse("books_profit_and_loss")).status_code == 403


# -- the command ---------------------------------------------------------------------------


def test_the_report_command_writes_the_pdf_and_the_spreadsheet(
    ika_shop, november, tmp_path, capsys
):
    pdf, xlsx = tmp_path / "lr.pdf", tmp_path / "lr.xlsx"
    call_command(
        "books", "report", "--shop", ika_shop.slug, "--from", "2026-11-01", "--to", "2026-11-30",
        "--pdf", str(pdf), "--xlsx", str(xlsx),
    )  # fmt: skip
    words = PdfReader(pdf).pages[0].extract_text()
    assert re.search(r"Laba bersih\s*Rp335\.000", words)
    rows = {
        r[0]: r[1] for r in openpyxl.load_workbook(xlsx).worksheets[0].iter_rows(values_only=True)
    }
    assert rows["Laba bersih"] == 335_000
    assert "profit: 335000" in capsys.readouterr().out


def test_making_a_pdf_leaves_pillow_refusing_truncated_images(ika_client, november):
    # WeasyPrint's import switches Pillow to loading truncated images for the whole
    # process; the photo checks of every upload (products, proofs, receipts) need the
    # opposite, in the same web worker that made a PDF a moment ago
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    pdf = ika_client.get(reverse("books_profit_and_loss"), {**NOV, "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf"
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False

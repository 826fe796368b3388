from django.urls import path

from merdeka.books import (
    cost_views,
    debt_views,
    expense_views,
    pack_views,
    report_views,
    settlement_views,
    sku_views,
    views,
)
from merdeka.books.models import DebtKind

urlpatterns = [
    path("", views.books_home, name="books_home"),
    # the reports (merdeka.books.report_views): pages, PDFs and spreadsheets
    path("laporan/", report_views.books_report, name="books_report"),
    path("laporan/rekap-harian/", report_views.books_recap, name="books_recap"),
    path("laporan/laba-rugi/", report_views.books_profit_and_loss, name="books_profit_and_loss"),
    path("laporan/arus-kas/", report_views.books_cash_flow, name="books_cash_flow"),
    path("laporan/posisi-keuangan/", report_views.books_position, name="books_position"),
    path("laporan/neraca-saldo/", report_views.books_trial_balance, name="books_trial_balance"),
    path("laporan/catatan/", report_views.books_notes, name="books_notes"),
    path("laporan/buku-besar/<int:account_id>/", report_views.books_ledger, name="books_ledger"),
    path("laporan/akses/", report_views.books_reports_access, name="books_reports_access"),
    path("tutup-bulan/", report_views.books_month_close, name="books_month_close"),
    path("buka-bulan/", report_views.books_month_reopen, name="books_month_reopen"),
    path("laba-kotor/", cost_views.books_gross_profit, name="books_gross_profit"),
    # the marketplaces' income reports matched with their orders (merdeka.books.settlements)
    path("marketplace/", settlement_views.books_settlements, name="books_settlements"),
    # imported order lines mapped to the catalog, for their cost of goods
    path("sku/", sku_views.books_skus, name="books_skus"),
    # debts: what customers owe (piutang) and what the shop owes (utang)
    path(
        "piutang/",
        debt_views.debt_list,
        {"kind": DebtKind.RECEIVABLE},
        name="debt_receivables",
    ),
    path("utang/", debt_views.debt_list, {"kind": DebtKind.PAYABLE}, name="debt_payables"),
    path(
        "piutang/baru/",
        debt_views.debt_new,
        {"kind": DebtKind.RECEIVABLE},
        name="debt_receivable_new",
    ),
    path("utang/baru/", debt_views.debt_new, {"kind": DebtKind.PAYABLE}, name="debt_payable_new"),
    path("piutang/pesanan/<int:order_id>/", debt_views.order_debt, name="order_debt"),
    path("utang-piutang/<int:debt_id>/", debt_views.debt_detail, name="debt_detail"),
    path("utang-piutang/<int:debt_id>/bayar/", debt_views.debt_pay, name="debt_pay"),
    path("utang-piutang/<int:debt_id>/ingatkan/", debt_views.debt_remind, name="debt_remind"),
    path("utang-piutang/<int:debt_id>/batalkan/", debt_views.debt_void, name="debt_void"),
]

# expenses: the quick one (from the dashboard), its receipt, the monthly ones, the chart
urlpatterns += [
    path("pengeluaran/", expense_views.expense_list, name="books_expenses"),
    path("pengeluaran/baru/", expense_views.expense_new, name="books_expense_new"),
    path("pengeluaran/<int:entry_id>/", expense_views.expense_detail, name="books_expense_detail"),
    path(
        "pengeluaran/<int:entry_id>/struk/",
        expense_views.expense_receipt,
        name="books_expense_receipt",
    ),
    path(
        "pengeluaran/<int:entry_id>/batalkan/",
        expense_views.expense_cancel,
        name="books_expense_cancel",
    ),
    path(
        "pengeluaran/<int:entry_id>/struk/hapus/",
        expense_views.expense_receipt_delete,
        name="books_expense_receipt_delete",
    ),
    path("rutin/", expense_views.recurring_list, name="books_recurring"),
    path(
        "rutin/<int:recurring_id>/berhenti/",
        expense_views.recurring_stop,
        name="books_recurring_stop",
    ),
    path("akun/", expense_views.chart, name="books_accounts"),
    path("akun/<int:account_id>/", expense_views.account_change, name="books_account_change"),
]

# the lender's evidence pack (merdeka.books.pack_views): the owner's page, and the public
# link, verification page and published keys (no account)
urlpatterns += [
    path("paket-bukti/", pack_views.pack_home, name="books_pack"),
    path("paket-bukti/<int:pack_id>/unduh/", pack_views.pack_download, name="books_pack_download"),
    path("paket-bukti/<int:pack_id>/bagikan/", pack_views.pack_share_new, name="books_pack_share"),
    path(
        "paket-bukti/tautan/<int:share_id>/cabut/",
        pack_views.pack_share_revoke,
        name="books_pack_share_revoke",
    ),
    path("bukti/<str:token>/", pack_views.pack_shared, name="pack_shared"),
    path("bukti/<str:token>/unduh/", pack_views.pack_shared_download, name="pack_shared_download"),
    path("cek-paket/", pack_views.pack_verify, name="pack_verify"),
    path("cek-paket/toko/<slug:slug>/", pack_views.pack_keys, name="pack_keys"),
]

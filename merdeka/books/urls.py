from django.urls import path

from merdeka.books import cost_views, debt_views, views
from merdeka.books.models import DebtKind

urlpatterns = [
    path("", views.books_home, name="books_home"),
    path("laporan/", views.books_report, name="books_report"),
    path("laba-kotor/", cost_views.books_gross_profit, name="books_gross_profit"),
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

from django.urls import path

from merdeka.books import cost_views, expense_views, views

urlpatterns = [
    path("", views.books_home, name="books_home"),
    path("laporan/", views.books_report, name="books_report"),
    path("laba-kotor/", cost_views.books_gross_profit, name="books_gross_profit"),
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
    path("rutin/", expense_views.recurring_list, name="books_recurring"),
    path(
        "rutin/<int:recurring_id>/berhenti/",
        expense_views.recurring_stop,
        name="books_recurring_stop",
    ),
    path("akun/", expense_views.chart, name="books_accounts"),
    path("akun/<int:account_id>/", expense_views.account_change, name="books_account_change"),
]

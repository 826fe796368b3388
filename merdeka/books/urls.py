from django.urls import path

from merdeka.books import cost_views, views

urlpatterns = [
    path("", views.books_home, name="books_home"),
    path("laporan/", views.books_report, name="books_report"),
    path("laba-kotor/", cost_views.books_gross_profit, name="books_gross_profit"),
]

from django.urls import path

from merdeka.books import views

urlpatterns = [
    path("", views.books_home, name="books_home"),
    path("laporan/", views.books_report, name="books_report"),
]

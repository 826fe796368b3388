from django.urls import path

from merdeka.tax import views

urlpatterns = [
    path("usaha/", views.business_profile, name="business_profile"),
    path("usaha/dokumen/", views.business_document_add, name="business_document_add"),
    path("usaha/dokumen/<str:kind>/", views.business_document, name="business_document"),
    path(
        "usaha/dokumen/<str:kind>/hapus/",
        views.business_document_remove,
        name="business_document_remove",
    ),
    path("pajak/", views.tax_home, name="tax_home"),
    path("pajak/bayar/", views.tax_payment_new, name="tax_payment_new"),
]

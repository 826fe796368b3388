from django.urls import path

from merdeka.privacy import rights_views as views

urlpatterns = [
    path("", views.processing_record, name="processing_record"),
    path("pelanggan/<int:customer_id>/", views.customer_rights, name="customer_rights"),
    path("pelanggan/<int:customer_id>/unduh/", views.customer_data_export,
         name="customer_data_export"),
    path("pelanggan/<int:customer_id>/koreksi/", views.customer_correct, name="customer_correct"),
    path("pelanggan/<int:customer_id>/batasi/", views.customer_restrict, name="customer_restrict"),
    path("pelanggan/<int:customer_id>/buka-batasan/", views.customer_restriction_lift,
         name="customer_restriction_lift"),
    path("pelanggan/<int:customer_id>/tarik-persetujuan/", views.customer_consent_withdraw,
         name="customer_consent_withdraw"),
    path("pelanggan/<int:customer_id>/hapus/", views.customer_erase, name="customer_erase"),
]  # fmt: skip

from django.urls import path

from merdeka.privacy import incident_views
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
    # the breach register (UU PDP art. 46)
    path("insiden/", incident_views.incident_list, name="incident_list"),
    path("insiden/baru/", incident_views.incident_new, name="incident_new"),
    path("insiden/<int:incident_id>/", incident_views.incident_detail, name="incident_detail"),
    path("insiden/<int:incident_id>/kirim/", incident_views.incident_send, name="incident_send"),
    path("insiden/<int:incident_id>/unduh/", incident_views.incident_download,
         name="incident_download"),
    path("insiden/<int:incident_id>/surat/", incident_views.incident_authority_notice,
         name="incident_authority_notice"),
    path("insiden/<int:incident_id>/tandai/", incident_views.incident_mark, name="incident_mark"),
]  # fmt: skip

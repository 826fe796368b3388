"""The customer workspace's pages, under /pelanggan/ (the older ones are in merdeka/urls.py)."""

from django.urls import path

from merdeka.customers import views

urlpatterns = [
    path("tinjau/kelompok/<int:group>/", views.review_group, name="review_group"),
    path(
        "tinjau/kelompok/<int:group>/<str:decision>/",
        views.review_group_decide,
        name="review_group_decide",
    ),
    path("ekspor/", views.customer_export, name="customer_export"),
    path("segmen/", views.segment_list, name="segment_list"),
    path("segmen/<int:segment_id>/", views.segment_detail, name="segment_detail"),
    path("segmen/<int:segment_id>/ekspor/", views.segment_export, name="segment_export"),
    path("segmen/<int:segment_id>/hapus/", views.segment_delete, name="segment_delete"),
    path("<int:customer_id>/ubah/", views.customer_edit, name="customer_edit"),
    path("<int:customer_id>/tag/", views.customer_tag_add, name="customer_tag_add"),
    path(
        "<int:customer_id>/tag/<int:tag_id>/hapus/",
        views.customer_tag_remove,
        name="customer_tag_remove",
    ),
    path("<int:customer_id>/catatan/", views.customer_note_add, name="customer_note_add"),
    path("<int:customer_id>/persetujuan/", views.customer_consent, name="customer_consent"),
]

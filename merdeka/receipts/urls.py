from django.urls import path

from merdeka.receipts import views

urlpatterns = [
    path("", views.receipts_home, name="receipts_home"),
    path("proses/", views.receipts_progress, name="receipts_progress"),
    path("antrian/", views.receipts_queue, name="receipts_queue"),
    path("<int:receipt_id>/", views.receipt_detail, name="receipt_detail"),
    path("<int:receipt_id>/foto/", views.receipt_photo, name="receipt_photo"),
    path("<int:receipt_id>/hapus/", views.receipt_delete, name="receipt_delete"),
    path("harga/", views.price_list, name="price_list"),
    path("harga/<slug:key>/", views.price_item, name="price_item"),
]

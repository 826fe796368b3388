from django.urls import path

from merdeka.orders import lifecycle_views, manual_views, views

urlpatterns = [
    path("", views.order_list, name="order_list"),
    path("<int:order_id>/", views.order_detail, name="order_detail"),
    path("baru/", manual_views.manual_order_new, name="order_manual_new"),
    path("ekspor/", views.order_export, name="order_export"),
    path("label/", lifecycle_views.order_labels, name="order_labels"),
    path("kabar/", views.order_news, name="order_news"),
    # the seller's actions (merdeka.orders.lifecycle)
    path("<int:order_id>/langkah/", lifecycle_views.order_step, name="order_step"),
    path("<int:order_id>/bayar/", lifecycle_views.order_pay, name="order_pay"),
    path("<int:order_id>/kirim/", lifecycle_views.order_ship, name="order_ship"),
    path("<int:order_id>/selesai/", lifecycle_views.order_complete, name="order_complete"),
    path("<int:order_id>/batal/", lifecycle_views.order_cancel, name="order_cancel"),
    path("<int:order_id>/retur/", lifecycle_views.order_return, name="order_return"),
    path("<int:order_id>/catatan/", lifecycle_views.order_note, name="order_note"),
    path(
        "<int:order_id>/kabar/<int:event_id>/",
        lifecycle_views.order_notify_whatsapp,
        name="order_notify_whatsapp",
    ),
    path(
        "<int:order_id>/pembayaran/<int:payment_id>/bukti/",
        lifecycle_views.order_payment_proof,
        name="order_payment_proof",
    ),
    path("<int:order_id>/faktur/", lifecycle_views.order_invoice, name="order_invoice"),
    path("<int:order_id>/slip/", lifecycle_views.order_packing_slip, name="order_packing_slip"),
]

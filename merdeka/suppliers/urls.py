from django.urls import path

from merdeka.suppliers import views

urlpatterns = [
    path("", views.supplier_list, name="supplier_list"),
    path("<int:supplier_id>/", views.supplier_detail, name="supplier_detail"),
    path("<int:supplier_id>/pesanan-baru/", views.po_new, name="po_new"),
    path("pesanan/<int:order_id>/", views.po_detail, name="po_detail"),
    path("pesanan/<int:order_id>/whatsapp/", views.po_whatsapp, name="po_whatsapp"),
    path("pesanan/<int:order_id>/pdf/", views.po_pdf, name="po_pdf"),
    path("pesanan/<int:order_id>/terima/", views.po_receive, name="po_receive"),
    path("pesanan/<int:order_id>/tagihan/", views.po_bill, name="po_bill"),
]

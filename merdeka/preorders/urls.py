from django.urls import path

from merdeka.preorders import views

urlpatterns = [
    path("po/", views.batch_list, name="preorder_list"),
    path("po/baru/", views.batch_new, name="preorder_new"),
    path("po/<int:batch_id>/", views.batch_detail, name="preorder_detail"),
    path("po/<int:batch_id>/tutup/", views.batch_close, name="preorder_close"),
    path("po/<int:batch_id>/batalkan/", views.batch_cancel, name="preorder_cancel"),
    path("po/<int:batch_id>/pesan/", views.batch_message, name="preorder_message"),
    path("s/<slug:slug>/po/<str:token>/", views.public_batch, name="storefront_preorder"),
]

from django.urls import path

from merdeka.catalog import views

urlpatterns = [
    path("", views.product_list, name="product_list"),
    path("baru/", views.product_add, name="product_add"),
    path("kategori/", views.categories, name="catalog_categories"),
    path("lokasi/", views.locations, name="catalog_locations"),
    path("<int:product_id>/", views.product_edit, name="product_edit"),
    path("<int:product_id>/stok/", views.product_stock, name="product_stock"),
    path("<int:product_id>/foto/", views.photo_add, name="product_photo_add"),
    path(
        "<int:product_id>/foto/<int:photo_id>/hapus/",
        views.photo_delete,
        name="product_photo_delete",
    ),
]

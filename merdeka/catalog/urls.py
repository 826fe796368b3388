from django.urls import path

from merdeka.catalog import cost_views, views

urlpatterns = [
    path("", views.product_list, name="product_list"),
    path("baru/", views.product_add, name="product_add"),
    path("kategori/", views.categories, name="catalog_categories"),
    path("lokasi/", views.locations, name="catalog_locations"),
    path("<int:product_id>/", views.product_edit, name="product_edit"),
    path("<int:product_id>/stok/", views.product_stock, name="product_stock"),
    path("<int:product_id>/beli-stok/", cost_views.stock_purchase, name="stock_purchase"),
    path(
        "<int:product_id>/nilai-stok-awal/",
        cost_views.stock_opening_value,
        name="stock_opening_value",
    ),
    path("stok-opname/", cost_views.stock_count, name="stock_count"),
    path("<int:product_id>/foto/", views.photo_add, name="product_photo_add"),
    path(
        "<int:product_id>/foto/<int:photo_id>/hapus/",
        views.photo_delete,
        name="product_photo_delete",
    ),
]

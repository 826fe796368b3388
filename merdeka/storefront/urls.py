from django.urls import path, register_converter

from merdeka.storefront import views


class PhotoWidth:
    regex = "320|640"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


register_converter(PhotoWidth, "photo_width")

urlpatterns = [
    path("toko-online/", views.storefront_settings, name="storefront_settings"),
    path("s/<slug:slug>/", views.shop_page, name="storefront_shop"),
    path("s/<slug:slug>/p/<slug:product_slug>/", views.product_page, name="storefront_product"),
    path(
        "s/<slug:slug>/foto/<str:key>-<photo_width:width>.webp",
        views.photo,
        name="storefront_photo",
    ),
    path("s/<slug:slug>/keranjang/", views.cart, name="storefront_cart"),
    path("s/<slug:slug>/keranjang/tambah/", views.cart_add, name="storefront_cart_add"),
    path("s/<slug:slug>/pesan/", views.checkout, name="storefront_checkout"),
    path("s/<slug:slug>/pesan/jumlah/", views.checkout_totals, name="storefront_checkout_totals"),
    path("s/<slug:slug>/wilayah/", views.regions_partial, name="storefront_regions"),
    path("s/<slug:slug>/pesanan/<str:token>/", views.order_confirmation, name="storefront_order"),
    path(
        "s/<slug:slug>/pesanan/<str:token>/qris.png",
        views.order_qris_png,
        name="storefront_order_qris",
    ),
]

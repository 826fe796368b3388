from django.urls import path

from merdeka.orders import manual_views, views

urlpatterns = [
    path("", views.order_list, name="order_list"),
    path("<int:order_id>/", views.order_detail, name="order_detail"),
    path("baru/", manual_views.manual_order_new, name="order_manual_new"),
]

from django.urls import path

from merdeka.groupbuy import views

urlpatterns = [
    # public, under the storefront's address; groups are found by unguessable tokens
    path("s/<slug:slug>/bareng/buka/<int:offer_id>/", views.groupbuy_open, name="groupbuy_open"),
    path(
        "s/<slug:slug>/bareng/kelola/<str:token>/",
        views.groupbuy_coordinator,
        name="groupbuy_coordinator",
    ),
    path("s/<slug:slug>/bareng/<str:token>/", views.groupbuy_public, name="groupbuy_public"),
    path(
        "s/<slug:slug>/bareng/<str:token>/saya/<str:order_token>/",
        views.groupbuy_member,
        name="groupbuy_member",
    ),
    # the seller's dashboard
    path("bareng/", views.groupbuy_list, name="groupbuy_list"),
    path("bareng/penawaran/baru/", views.groupbuy_offer_add, name="groupbuy_offer_add"),
    path("bareng/penawaran/<int:offer_id>/", views.groupbuy_offer_edit, name="groupbuy_offer_edit"),
    path("bareng/buka/", views.groupbuy_seller_open, name="groupbuy_seller_open"),
    path("bareng/<int:group_id>/", views.groupbuy_detail, name="groupbuy_detail"),
]

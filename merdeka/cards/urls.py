from django.urls import path

from merdeka.cards import views

urlpatterns = [
    path("kartu/", views.batch_list, name="card_batches"),
    path("kartu/<int:batch_id>/cetak/", views.card_print, name="card_print"),
    # public: the address a card's QR code carries
    path("daftar/<slug:shop_slug>/<str:token>/", views.signup, name="signup"),
    path("daftar/<slug:shop_slug>/<str:token>/terima-kasih/", views.signup_thanks,
         name="signup_thanks"),
]  # fmt: skip

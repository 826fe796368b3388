from django.apps import AppConfig


class CardsConfig(AppConfig):
    name = "merdeka.cards"
    label = "cards"

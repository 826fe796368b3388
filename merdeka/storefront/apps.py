from django.apps import AppConfig


class StorefrontConfig(AppConfig):
    name = "merdeka.storefront"
    label = "storefront"

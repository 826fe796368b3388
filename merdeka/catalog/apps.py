from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "merdeka.catalog"
    label = "catalog"

from django.apps import AppConfig


class PreordersConfig(AppConfig):
    name = "merdeka.preorders"
    label = "preorders"

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "merdeka.core"
    label = "core"

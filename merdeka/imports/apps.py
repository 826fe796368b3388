from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "merdeka.imports"
    label = "imports"

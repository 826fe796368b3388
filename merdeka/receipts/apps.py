from django.apps import AppConfig


class ReceiptsConfig(AppConfig):
    name = "merdeka.receipts"
    label = "receipts"

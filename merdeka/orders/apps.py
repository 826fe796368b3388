from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "merdeka.orders"
    label = "orders"

from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "merdeka.customers"
    label = "customers"

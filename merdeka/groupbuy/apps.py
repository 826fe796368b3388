from django.apps import AppConfig


class GroupBuyConfig(AppConfig):
    name = "merdeka.groupbuy"
    label = "groupbuy"

from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "merdeka.outreach"
    label = "outreach"

from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "merdeka.privacy"
    label = "privacy"

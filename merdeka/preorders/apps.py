from django.apps import AppConfig


class PreordersConfig(AppConfig):
    name = "merdeka.preorders"
    label = "preorders"

    def ready(self) -> None:
        from merdeka.core import events  # ready(): it imports models
        from merdeka.orders.lifecycle import ORDER_CANCELLED  # ready(): it imports models
        from merdeka.preorders.services import quota_release  # ready(): it imports models

        # exact and atomic with the cancel: the batch's units go back, once
        events.subscribe(ORDER_CANCELLED, name="preorders.quota_release", handler=quota_release)

from django.apps import AppConfig


class PreordersConfig(AppConfig):
    name = "merdeka.preorders"
    label = "preorders"

    def ready(self) -> None:
        from merdeka.core import events
        from merdeka.orders.lifecycle import ORDER_CANCELLED
        from merdeka.preorders.services import quota_release

        # exact and atomic with the cancel: the batch's units go back, once
        events.subscribe(ORDER_CANCELLED, name="preorders.quota_release", handler=quota_release)

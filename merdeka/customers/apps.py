from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "merdeka.customers"
    label = "customers"

    def ready(self) -> None:
        from merdeka.core import events  # ready(): it imports models
        from merdeka.customers.workspace import (  # ready(): it imports models
            FIGURES_EVENTS,
            orders_changed,
        )

        # may lag a moment behind the order: through the outbox, so placing stays fast
        events.subscribe(
            *FIGURES_EVENTS,
            name="customers.figures",
            handler=orders_changed,
            delivery=events.OUTBOX,
        )

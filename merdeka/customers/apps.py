from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "merdeka.customers"
    label = "customers"

    def ready(self) -> None:
        from merdeka.core import events  # ready(): it imports models
        from merdeka.customers.imported_keys import (  # ready(): it imports models
            IMPORTED_KEYS,
            KEYS_IMPORTED,
            imported_keys,
        )
        from merdeka.customers.workspace import (  # ready(): it imports models
            CUSTOMERS_IMPORTED,
            FIGURES_EVENTS,
            IMPORTED_INDEX,
            imported_index,
            orders_changed,
        )

        # may lag a moment behind the order: through the outbox, so placing stays fast
        events.subscribe(
            *FIGURES_EVENTS,
            name="customers.figures",
            handler=orders_changed,
            delivery=events.OUTBOX,
        )
        # an import's new customers get their search tokens after the commit
        events.subscribe(
            CUSTOMERS_IMPORTED,
            name=IMPORTED_INDEX,
            handler=imported_index,
            delivery=events.OUTBOX,
        )
        # an import's match keys are written after its file commits, before its review
        events.subscribe(
            KEYS_IMPORTED,
            name=IMPORTED_KEYS,
            handler=imported_keys,
            delivery=events.OUTBOX,
        )

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "merdeka.catalog"
    label = "catalog"

    def ready(self) -> None:
        from merdeka.catalog.alerts import (  # ready(): it imports models
            low_stock_mail,
            orders_stock_check,
        )
        from merdeka.catalog.services import STOCK_LOW  # ready(): it imports models
        from merdeka.core import events  # ready(): it imports models

        # after an order took stock (or gave it back), its variants are checked against
        # their thresholds: through the outbox, so that the checkout stays fast
        events.subscribe(
            "order.placed",
            "order.cancelled",
            "order.returned",
            name="catalog.low_stock",
            handler=orders_stock_check,
            delivery=events.OUTBOX,
        )
        # the owners hear of low stock by mail, after the change committed
        events.subscribe(
            STOCK_LOW, name="catalog.low_stock_mail", handler=low_stock_mail, delivery=events.OUTBOX
        )

from django.apps import AppConfig


class BooksConfig(AppConfig):
    name = "merdeka.books"
    label = "books"

    def ready(self) -> None:
        from merdeka.books.orders import ORDER_EVENTS, orders_changed
        from merdeka.core import events

        # exact and atomic with the change: an order's postings follow it in its transaction
        events.subscribe(*ORDER_EVENTS, name="books.orders", handler=orders_changed)

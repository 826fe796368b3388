from django.apps import AppConfig


class BooksConfig(AppConfig):
    name = "merdeka.books"
    label = "books"

    def ready(self) -> None:
        from merdeka.books.costs import stock_changed  # ready(): it imports models
        from merdeka.books.orders import ORDER_EVENTS, orders_changed  # ready(): it imports models
        from merdeka.catalog.services import STOCK_VALUED  # ready(): it imports models
        from merdeka.core import events  # ready(): it imports models

        # exact and atomic with the change: an order's postings follow it in its transaction
        events.subscribe(*ORDER_EVENTS, name="books.orders", handler=orders_changed)
        # a purchase, an opening stock value, a count's difference: posted with the move
        events.subscribe(STOCK_VALUED, name="books.stock", handler=stock_changed)

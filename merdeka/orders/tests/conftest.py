"""The storefront fixtures (Bu Ika's shop with a product in stock) for these tests too,
outreach's real SMTP server for the buyer's messages, and the order book of four
channels (test_order_book.py)."""

from merdeka.orders.tests.test_order_book import book
from merdeka.outreach.tests.conftest import smtp
from merdeka.storefront.tests.conftest import (
    _fresh_page_cache,
    english,
    home,
    lapis,
    qris_static,
    storefront,
)

__all__ = [
    "_fresh_page_cache",
    "book",
    "english",
    "home",
    "lapis",
    "qris_static",
    "smtp",
    "storefront",
]

"""The storefront fixtures (Bu Ika's shop with a product in stock) for these tests too,
and outreach's real SMTP server for the owners' mail of low stock."""

from merdeka.outreach.tests.conftest import smtp
from merdeka.storefront.tests.conftest import (
    _fresh_page_cache,
    english,
    home,
    lapis,
    qris_static,
    storefront,
)

__all__ = ["_fresh_page_cache", "english", "home", "lapis", "qris_static", "smtp", "storefront"]

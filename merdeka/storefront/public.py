"""What every public storefront page shares (the shop's own pages, group buys and
pre-orders): finding the storefront by its slug, running in its shop's scope and time
zone, and the context its base template needs.

Public views find the shop by its public slug and run in that shop's scope, whoever
is signed in: a seller looking at another shop's storefront sees only that shop.
"""

from __future__ import annotations

import zoneinfo
from functools import wraps

from django.http import Http404
from django.utils import timezone

from merdeka.core.scoping import shop_scope
from merdeka.storefront import selectors, services


def public_storefront(view):
    """Resolve ``slug`` to a storefront (404 otherwise) and scope the request to its shop."""

    @wraps(view)
    def wrapper(request, slug, *args, **kwargs):
        storefront = selectors.storefront_by_slug(slug=slug)
        if storefront is None:
            raise Http404
        request.storefront = storefront
        shop = storefront.shop
        timezone.activate(zoneinfo.ZoneInfo(shop.time_zone))
        try:
            with shop_scope(shop):
                return view(request, storefront, *args, **kwargs)
        finally:
            timezone.deactivate()

    return wrapper


def cart_count(request, storefront) -> int:
    """How many pieces this visitor has in the shop's cart (the badge)."""
    return sum(services.cart_get(request.session, storefront.shop).values())


def page_context(request, storefront, **extra) -> dict:
    """The context of a public page: the storefront, its shop and the cart badge."""
    return {
        "storefront": storefront,
        "store": storefront.shop,
        "cart_count": cart_count(request, storefront),
        **extra,
    }

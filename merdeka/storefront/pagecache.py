"""The cache of the public product page.

The product page is the same for every visitor but for two things: the CSRF token of
its add-to-cart form and the cart badge. It is cached whole, with markers in their
place that are filled per request, for a few seconds (stock shown on it may be that
old; placing the order is what checks stock) and until the shop's catalog changes.
A visitor without a session (most of a flash sale's crowd) is served from this cache
by ``merdeka.storefront.middleware.CachedProductPageMiddleware`` before the session,
the sign-in and the shop are looked up: no database query at all.
"""

from __future__ import annotations

from collections.abc import Callable
from hashlib import sha256

from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from merdeka.catalog.cache import catalog_version
from merdeka.storefront import public

PAGE_SECONDS = 10
_CSRF_MARK = "merdeka-csrf-mark-6f1c"
_CART_MARK = "<!--merdeka-cart-badge-->"


def page_key(request, *, slug: str, product_slug: str, language: str) -> str:
    """The cache key of a product page; the entry is ``(shop_id, catalog version, html)``.

    Keyed by the public slugs (a slug given up by one shop and taken by another bumps
    both catalogs' versions), the language, and the host: the page names its own
    absolute address (Open Graph)."""
    where = sha256(f"{request.scheme}://{request.get_host()}".encode()).hexdigest()[:12]
    return f"storefront:page:{slug}:{product_slug}:{language}:{where}"


def cached_page(key: str) -> str | None:
    """The cached page under ``key`` if its shop's catalog has not changed since."""
    entry = cache.get(key)
    if entry is None:
        return None
    shop_id, version, html = entry
    return html if version == catalog_version(shop_id=shop_id) else None


def fill_page(request, html: str, *, cart_count: int, token: str | None = None) -> HttpResponse:
    """The cached page with this visitor's CSRF token and cart badge in place."""
    badge = (
        render_to_string("storefront/cart_badge.html", {"cart_count": cart_count})
        if cart_count
        else ""
    )
    html = html.replace(_CSRF_MARK, token or get_token(request)).replace(_CART_MARK, badge)
    return HttpResponse(html)


def page_marks() -> dict:
    """Context that renders the per-visitor parts as markers for ``fill_page``."""
    return {"csrf_token": _CSRF_MARK, "cart_badge": mark_safe(_CART_MARK)}  # noqa: S308


def page_cached(
    request, storefront, product_slug: str, render: Callable[..., HttpResponse]
) -> HttpResponse:
    """The product page from the cache, or rendered by ``render(marked=...)`` and cached.

    A visitor with messages waiting (they are shown once, on this page) gets it
    rendered for them alone; an answer other than 200 is never cached."""
    has_messages = request.session.get("_messages") if request.COOKIES else None
    key = page_key(
        request, slug=storefront.slug, product_slug=product_slug, language=get_language()
    )
    if not has_messages:
        html = cached_page(key)
        if html is not None:
            return fill_page(request, html, cart_count=public.cart_count(request, storefront))
    # read before rendering: a change committed meanwhile must not be cached as current
    version = catalog_version(shop_id=storefront.shop_id)
    response = render(marked=not has_messages)
    if has_messages or response.status_code != 200:
        return response
    html = response.content.decode()
    cache.set(key, (storefront.shop_id, version, html), PAGE_SECONDS)
    return fill_page(request, html, cart_count=public.cart_count(request, storefront))

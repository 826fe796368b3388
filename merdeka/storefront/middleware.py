"""Serve the cached product page to a visitor without a session, before the rest.

A flash sale's crowd is mostly people who followed a link: no session cookie, nothing
in a cart, not signed in. For them the product page is the cached page with a fresh
CSRF token and no cart badge, and looking up the session, the person, their shop and
the storefront by its slug (a database connection and a query per request on SQLite)
changes nothing in it. This middleware sits right after WhiteNoise and answers such a
request from the cache through every later middleware that does not need the session
(locale, common, CSRF, X-Frame-Options, the Content Security Policy...), so the
response carries the same headers as one from the view. Anything else (a session
cookie, another page, a cache miss, a changed catalog) goes the usual way, and the
view fills the cache.
"""

from __future__ import annotations

import os
import re

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.middleware import csrf
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.module_loading import import_string
from django.utils.translation import get_language_from_request

from merdeka.storefront import pagecache

# What a visitor without a session does not need: each reads or writes the session,
# or acts on sign-in (the shop of a signed-in member, login throttling).
SESSION_BOUND = frozenset(
    {
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "merdeka.core.middleware.ShopMiddleware",
        "axes.middleware.AxesMiddleware",
    }
)
_SLUG = "[-a-zA-Z0-9_]+"  # Django's <slug:...> converter


def _page_pattern() -> re.Pattern:
    """The product page's address as a regular expression, from the URLconf itself
    (matching it is a tenth of the cost of ``resolve`` on every request)."""
    sample = reverse("storefront_product", args=["slug-6f1c", "product-6f1c"])
    pattern = re.escape(sample)
    pattern = pattern.replace(re.escape("slug-6f1c"), f"(?P<slug>{_SLUG})", 1)
    pattern = pattern.replace(re.escape("product-6f1c"), f"(?P<product_slug>{_SLUG})", 1)
    return re.compile(f"^{pattern}$")


def _random_strings(count: int, length: int) -> list[str]:
    """``count`` strings of CSRF characters, uniformly drawn from the OS's randomness
    (what ``get_random_string`` gives, from one read instead of one per character)."""
    chars = csrf.CSRF_ALLOWED_CHARS
    limit = 256 - 256 % len(chars)  # bytes at or above are dropped: no bias
    picked: list[str] = []
    while len(picked) < count * length:
        picked.extend(chars[b % len(chars)] for b in os.urandom(count * length * 2) if b < limit)
    text = "".join(picked)
    return [text[i * length : (i + 1) * length] for i in range(count)]


def csrf_token(request) -> str:
    """``django.middleware.csrf.get_token`` with cheaper randomness: the visitor's
    secret (a new one, set as their cookie by CsrfViewMiddleware, when they have none)
    masked with a fresh mask, in Django's own format (``_unmask_cipher_token``)."""
    secret, mask = _random_strings(2, csrf.CSRF_SECRET_LENGTH)
    if "CSRF_COOKIE" in request.META:
        secret = request.META["CSRF_COOKIE"]
    else:
        request.META["CSRF_COOKIE"] = secret
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    chars = csrf.CSRF_ALLOWED_CHARS
    pairs = zip((chars.index(x) for x in secret), (chars.index(x) for x in mask), strict=True)
    return mask + "".join(chars[(x + y) % len(chars)] for x, y in pairs)


class CachedProductPageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        name = f"{__name__}.{type(self).__name__}"
        later = settings.MIDDLEWARE[settings.MIDDLEWARE.index(name) + 1 :]
        self._pattern = None
        handler = self._from_cache
        for path in reversed(later):
            if path not in SESSION_BOUND:
                handler = import_string(path)(handler)
        self._serve = handler

    def __call__(self, request):
        html = self._cached(request)
        if html is None:
            return self.get_response(request)
        request.merdeka_cached_page = html
        return self._serve(request)

    def _cached(self, request) -> str | None:
        if request.method != "GET" or settings.SESSION_COOKIE_NAME in request.COOKIES:
            return None
        if self._pattern is None:
            self._pattern = _page_pattern()
        match = self._pattern.match(request.path_info)
        if match is None:
            return None
        try:
            key = pagecache.page_key(
                request,
                slug=match["slug"],
                product_slug=match["product_slug"],
                # what LocaleMiddleware activates for this request (no i18n_patterns)
                language=get_language_from_request(request),
            )
        except DisallowedHost:  # the usual way answers it (400)
            return None
        return pagecache.cached_page(key)

    @staticmethod
    def _from_cache(request):
        response = pagecache.fill_page(
            request, request.merdeka_cached_page, cart_count=0, token=csrf_token(request)
        )
        patch_vary_headers(response, ("Cookie",))  # as the session would have
        return response

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

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.urls import Resolver404, resolve
from django.utils.cache import patch_vary_headers
from django.utils.module_loading import import_string
from django.utils.translation import get_language_from_request

from merdeka.storefront import views

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
_PREFIX = "/s/"


class CachedProductPageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        name = f"{__name__}.{type(self).__name__}"
        later = settings.MIDDLEWARE[settings.MIDDLEWARE.index(name) + 1 :]
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

    @staticmethod
    def _cached(request) -> str | None:
        if (
            request.method != "GET"
            or not request.path_info.startswith(_PREFIX)
            or settings.SESSION_COOKIE_NAME in request.COOKIES
        ):
            return None
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return None
        if match.url_name != "storefront_product":
            return None
        try:
            key = views.page_key(
                request,
                slug=match.kwargs["slug"],
                product_slug=match.kwargs["product_slug"],
                # what LocaleMiddleware activates for this request (no i18n_patterns)
                language=get_language_from_request(request),
            )
        except DisallowedHost:  # the usual way answers it (400)
            return None
        return views.cached_page(key)

    @staticmethod
    def _from_cache(request):
        response = views.fill_page(request, request.merdeka_cached_page, cart_count=0)
        patch_vary_headers(response, ("Cookie",))  # as the session would have
        return response

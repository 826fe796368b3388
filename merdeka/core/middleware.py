from __future__ import annotations

import zoneinfo

from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from merdeka.core import selectors, twofactor
from merdeka.core.scoping import shop_scope

SESSION_SHOP_KEY = "merdeka_shop_id"
_PASSWORD_FREE_PATHS = (
    "/akun/",
    "/keluar/",
    "/static/",
    "/i18n/",
    "/.well-known/",
    "/kebijakan-keamanan/",
)


class ShopMiddleware:
    """Resolve the signed-in person's current shop and scope the request to it.

    The shop comes from the session and is re-checked against the person's
    memberships on every request, so removing someone takes effect at once.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.shop = None
        request.membership = None
        request.memberships = []
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)

        memberships = selectors.user_memberships(user=user)
        request.memberships = memberships
        # the second step of signing in before anything else (merdeka.core.twofactor)
        elsewhere = twofactor.gate(request, user=user, memberships=memberships)
        if elsewhere is not None:
            return redirect(elsewhere)
        wanted = request.session.get(SESSION_SHOP_KEY)
        membership = next((m for m in memberships if m.shop_id == wanted), None)
        if membership is None and memberships:
            membership = memberships[0]
            request.session[SESSION_SHOP_KEY] = membership.shop_id
        if membership is None:
            return self.get_response(request)

        if user.must_change_password and not request.path.startswith(_PASSWORD_FREE_PATHS):
            return redirect(reverse("password_change"))

        request.membership = membership
        request.shop = membership.shop
        timezone.activate(zoneinfo.ZoneInfo(request.shop.time_zone))
        try:
            with shop_scope(request.shop):
                return self.get_response(request)
        finally:
            timezone.deactivate()

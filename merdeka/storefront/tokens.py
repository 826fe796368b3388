"""One-time tokens of the public forms that place something (checkout, opening and
joining a group buy).

The page hands out a token with the form; the form is taken only with a token this
session was given, and the token doubles as the idempotency key of what it places, so
a double tap or a retry finds the first order instead of making a second one.
"""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.utils.translation import gettext as _

TOKENS_SESSION_KEY = "merdeka_checkout_tokens"
KEPT = 10  # a buyer may have this many forms open in tabs


def token_issue(request) -> str:
    """A fresh token for a form, remembered in the session (the last ``KEPT``)."""
    token = secrets.token_urlsafe(24)
    tokens = list(request.session.get(TOKENS_SESSION_KEY) or [])[-(KEPT - 1) :]
    request.session[TOKENS_SESSION_KEY] = [*tokens, token]
    return token


def token_known(request, token: str) -> bool:
    """Whether this session handed out the form's token (the last ten are kept)."""
    return token in (request.session.get(TOKENS_SESSION_KEY) or [])


def form_renewed(request, form_class, **kwargs):
    """The form again with what the buyer typed, under a fresh token, saying that theirs
    had expired (nothing is placed)."""
    data = request.POST.copy()
    data["token"] = token_issue(request)
    messages.error(request, _("The form had expired. Check it and send it again."))
    return form_class(data, **kwargs)

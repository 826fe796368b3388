"""The server's half of the one confirmation pattern (templates/core/_confirm.html):
an action that cannot be undone runs only when its form says it was confirmed."""

from __future__ import annotations

from django.contrib import messages
from django.utils.translation import gettext as _

FIELD = "confirmed"


def confirmed(request) -> bool:
    """Did this POST come from the confirmation's second tap?"""
    return request.POST.get(FIELD) == "yes"


def refuse_unconfirmed(request) -> None:
    """Tell the seller nothing happened, and why (the view redirects back)."""
    messages.error(request, _("Nothing was done: confirm it with the second button first."))

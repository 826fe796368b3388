"""What the management commands share: finding the shop a seller named."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from merdeka.core.models import Shop


def no_shop(slug: str) -> CommandError:
    """The error for a short name no shop has, saying where the names are."""
    return CommandError(
        _("No shop with the short name %(shop)s. `merdeka shop list` shows the shops.")
        % {"shop": repr(slug)}
    )


def shop_named(slug: str) -> Shop:
    """The shop with this short name (slug), or the command's error."""
    shop = Shop.objects.filter(slug=slug).first()
    if shop is None:
        raise no_shop(slug)
    return shop

"""How things are shown to a seller: one date format, channel names as sellers say
them, names that are not cut at a title, signed changes. See docs/ui-style.md.

Templates reach these through the ``merdeka`` template tags (``shop_date``,
``shop_time``, ``channel_label``, ``short_name``, ``signed``); services and views
import them from here.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from merdeka.core.phone import HONORIFICS
from merdeka.orders.models import Channel

# "4 Mei 2026" and "4 Mei 2026 15.05 WIB" (the zone label is the shop's)
DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H.i"


def format_date(value) -> str:
    """A day as the app shows it everywhere: ``4 Mei 2026``. A time is first put in the
    current (the shop's) time zone, so a late-evening order is not shown a day off."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    elif not isinstance(value, date):
        return str(value)
    return date_format(value, DATE_FORMAT)


def format_datetime(value, zone_label: str | None = None) -> str:
    """``4 Mei 2026 15.05 WIB``: in the current time zone, with its label."""
    if value is None:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    label = zone_label or (local.tzname() if isinstance(local, datetime) else "") or ""
    return f"{date_format(local, DATETIME_FORMAT)} {label}".strip()


# Where an order, a customer or an identity came from, as a seller says it. The order
# channels' own names (orders.models.Channel) come first; the rest are the sources that
# imports, the storefront and the sign-up page write into identities.
SOURCE_LABELS = {
    "contacts": _("Contacts file"),
    "signup": _("Parcel card sign-up"),
    "manual": _("Added by hand"),
    "checkout": _("Own storefront"),
    "merdeka-export": _("Merdeka export"),
    "mapped": _("Spreadsheet"),
    "import": _("Import"),
    # the marketplaces' money reports (merdeka.imports.formats.settlements)
    "shopee-income": _("Shopee income report"),
    "tiktok-settlement": _("TikTok Shop settlement report"),
    "shopee-withdrawals": _("Shopee balance transactions"),
    "tiktok-withdrawals": _("TikTok Shop withdrawals"),
}


def channel_label(code: str | None) -> str:
    """``tiktok`` -> ``TikTok Shop``, ``storefront`` -> ``Toko online sendiri``; an
    unknown code is shown as it is rather than hidden."""
    if not code:
        return ""
    if code in Channel.values:
        return str(Channel(code).label)
    label = SOURCE_LABELS.get(code)
    return str(label) if label is not None else code


def short_name(full_name: str | None) -> str:
    """How a person is named in a sentence: the first name, with the title that comes
    before it (``Bu Ika Rahmawati`` -> ``Bu Ika``, ``Siti Nurhaliza`` -> ``Siti``).

    Cutting at the first space made "Dibuka oleh Bu." of a coordinator called Bu Ika.
    """
    words = (full_name or "").split()
    kept = []
    for word in words:
        kept.append(word)
        if word.casefold().strip(".") not in HONORIFICS:
            break
    return " ".join(kept)


def signed(value) -> str:
    """A change with its sign: ``+2``, ``0``, and a loss with a real minus sign (U+2212)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return str(value)
    if number > 0:
        return f"+{number}"
    if number < 0:
        return f"\u2212{-number}"
    return "0"


_NAMED_PO = re.compile(r"^(?:po|pre[\s-]?order)\b", re.IGNORECASE)


def preorder_title(title: str | None) -> str:
    """A pre-order's name in a sentence with "PO" exactly once: sellers name them
    "PO Bolu Lebaran" already, and "PO %(title)s" made "PO PO Bolu Lebaran"."""
    title = (title or "").strip()
    if _NAMED_PO.match(title):
        return title
    return f"PO {title}" if title else "PO"

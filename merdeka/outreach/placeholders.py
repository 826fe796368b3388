"""Placeholders in a seller's message: ``Halo {nama}, {produk_terakhir} ready lagi!``.

The text is parsed explicitly: every ``{word}`` must be one of ``PLACEHOLDERS`` and
is replaced by a plain value. Nothing in the text can reach an attribute, an index or
a format spec (no ``str.format`` on user text), and values are inserted once, so a
customer named ``{toko}`` stays ``{toko}``.

Values are people's text put into the shop's sentence. Bidirectional control
characters are removed from them (a name ending in U+202E RIGHT-TO-LEFT OVERRIDE would
show the rest of the message backwards, in the preview, the ``wa.me`` link and the
message itself), whether or not they were stored before input was cleaned; a value
with right-to-left letters (an Arabic name) is wrapped in an isolate, so it cannot
reorder the words around it either (``merdeka.core.text.isolate``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from merdeka.core.phone import HONORIFICS
from merdeka.core.text import clean_text, isolate

PLACEHOLDERS = {
    "nama": _("the customer's name"),
    "nama_depan": _("the customer's first name"),
    "produk_terakhir": _("the product they bought last"),
    "toko": _("your shop's name"),
    "kota": _("the customer's city"),
    "tautan_berhenti": _("the link to stop receiving messages (added at the end if missing)"),
}
UNSUBSCRIBE = "tautan_berhenti"

_TOKEN = re.compile(r"\{([^{}\n]{0,60})\}")
_TEMPLATE_PARAM = re.compile(r"\{\{\s*(\d{1,2})\s*\}\}")


def placeholders_used(text: str) -> list[str]:
    return [match.group(1).strip() for match in _TOKEN.finditer(text or "")]


def template_check(text: str) -> None:
    """Raise a ValidationError (in the seller's language) for unknown placeholders."""
    unknown = [name for name in dict.fromkeys(placeholders_used(text)) if name not in PLACEHOLDERS]
    if unknown:
        known = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
        raise ValidationError(
            _("Unknown placeholder: %(unknown)s. You can use: %(known)s."),
            code="unknown_placeholder",
            params={"unknown": ", ".join("{" + name + "}" for name in unknown), "known": known},
        )


def render(text: str, values: dict[str, str]) -> str:
    """Replace each known ``{name}`` by its value; the text was checked before."""

    def replace(match: re.Match) -> str:
        name = match.group(1).strip()
        if name not in PLACEHOLDERS:
            return match.group(0)
        return values.get(name, "")

    return _TOKEN.sub(replace, text or "")


def first_name(name: str | None) -> str:
    words = [w for w in (name or "").split() if w.casefold().strip(".") not in HONORIFICS]
    return words[0] if words else ""


@dataclass
class Recipient:
    """What the placeholders of one customer stand for."""

    name: str
    city: str
    last_product: str


def placeholder_values(*, shop, recipient: Recipient, unsubscribe_url: str) -> dict[str, str]:
    from django.utils.translation import gettext, override

    with override("id"):  # the message is for the customer, in Indonesian
        fallback_name = gettext("Kak")
        fallback_product = gettext("our products")
    name = " ".join(clean_text(recipient.name or "").split())
    return {
        "nama": isolate(name) or fallback_name,
        "nama_depan": isolate(first_name(name)) or fallback_name,
        "produk_terakhir": isolate(recipient.last_product or "") or fallback_product,
        "toko": isolate(shop.name),
        "kota": isolate(recipient.city or ""),
        "tautan_berhenti": unsubscribe_url,
    }


def template_param_numbers(body: str) -> list[int]:
    return sorted({int(n) for n in _TEMPLATE_PARAM.findall(body or "")})


def template_fill(body: str, params: list[str]) -> str:
    """A Meta template's text with ``{{n}}`` replaced by the n-th parameter."""

    def replace(match: re.Match) -> str:
        index = int(match.group(1)) - 1
        return params[index] if 0 <= index < len(params) else match.group(0)

    return _TEMPLATE_PARAM.sub(replace, body or "")

"""Text typed or imported by people, made safe to store and to embed.

Bidirectional control characters (the embeddings and overrides U+202A-U+202E, the
isolates U+2066-U+2069, the marks U+200E/U+200F and the Arabic letter mark U+061C)
change the order in which everything after them is shown. In a name they are never
meant (a customer called "Siti\u202e" would turn the rest of a campaign message
around), so they are removed where text comes in: ``clean_text`` for the services
and importers, ``merdeka.core.forms.CleanCharField`` for the forms.

Where a value is put into a sentence of the shop's own (a campaign's placeholders),
``isolate`` wraps it in FIRST STRONG ISOLATE ... POP DIRECTIONAL ISOLATE when it
holds right-to-left letters (an Arabic or Hebrew name), so that the value is laid out
on its own and the shop's words around it keep their order. Text with no such letter
is left as it is: the isolates are invisible but not free (some SMS and email
clients show them as boxes).
"""

from __future__ import annotations

import unicodedata

BIDI_CONTROLS = (
    "\u061c"  # ARABIC LETTER MARK
    "\u200e\u200f"  # LEFT-TO-RIGHT MARK, RIGHT-TO-LEFT MARK
    "\u202a\u202b\u202c\u202d\u202e"  # LRE, RLE, PDF, LRO, RLO
    "\u2066\u2067\u2068\u2069"  # LRI, RLI, FSI, PDI
)
_REMOVE = dict.fromkeys(map(ord, BIDI_CONTROLS))
FSI, PDI = "\u2068", "\u2069"


def clean_text(value: str) -> str:
    """``value`` without bidirectional control characters (ASCII text is returned as
    it is, without a copy)."""
    if not value or value.isascii():
        return value
    return value.translate(_REMOVE)


def has_rtl(value: str) -> bool:
    """Whether ``value`` holds a strong right-to-left character (Arabic, Hebrew...)."""
    if not value or value.isascii():
        return False
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in value)


def isolate(value: str) -> str:
    """``value`` cleaned, and isolated from the text around it if it is right-to-left."""
    value = clean_text(value)
    return f"{FSI}{value}{PDI}" if has_rtl(value) else value

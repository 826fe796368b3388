"""QR codes as inline SVG (segno): sharp at any print size, no image files, no JS."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import segno
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

_SVG = re.compile(r'^<svg [^>]*viewBox="([^"]+)"[^>]*>(.*)</svg>\s*$', re.S)


def qr_svg(url: str, *, title: str = "") -> SafeString:
    """An ``<svg>`` of the QR code for ``url``, to be placed inline in a page.

    Error correction M (a card in a parcel gets creased); segno raises it further when
    the code has room. The SVG has no fixed size: the page's CSS sizes it.
    """
    code = segno.make(url, error="m", micro=False)
    out = io.BytesIO()
    code.save(
        out,
        kind="svg",
        scale=4,
        border=2,
        dark="#000",
        light="#fff",
        xmldecl=False,
        svgns=True,
        svgclass="qr",
        lineclass=None,
        omitsize=True,
        title=title or None,
    )
    # segno escapes the title; the rest is its own markup
    return mark_safe(out.getvalue().decode("utf-8"))  # noqa: S308


@dataclass(frozen=True)
class SharedQR:
    """One QR code drawn once per page (``definition``) and shown on many cards
    (``use``): a sheet of a thousand cards stays a light page."""

    definition: SafeString
    use: SafeString


def qr_shared(url: str, *, symbol_id: str, label: str) -> SharedQR:
    match = _SVG.match(qr_svg(url))
    if match is None:  # segno changed its output: fall back to the full drawing
        full = qr_svg(url, title=label)
        return SharedQR(definition=mark_safe(""), use=full)
    view_box, inner = match.groups()
    definition = format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="qr-defs" width="0" height="0" '
        'aria-hidden="true"><symbol id="{}" viewBox="{}">{}</symbol></svg>',
        symbol_id,
        view_box,
        mark_safe(inner),  # noqa: S308 - segno's own markup
    )
    use = format_html(
        '<svg class="qr" viewBox="{}" role="img" aria-label="{}"><use href="#{}"/></svg>',
        view_box,
        label,
        symbol_id,
    )
    return SharedQR(definition=definition, use=use)

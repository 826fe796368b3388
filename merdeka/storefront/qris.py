"""The seller's QRIS: check a pasted static payload, make the dynamic one per order.

Built on qriskit (pinned; EMVCo TLV, CRC-16/CCITT-FALSE, stable issue codes): we only
map its issue codes to Indonesian messages and decide the rules of a storefront. The
dynamic payload changes tag 01 to 12 (dynamic), puts the amount in tag 54 and the
order number in tag 62 (01 bill number and 05 reference label), and recomputes the
CRC. The QR image is an SVG made with segno (and a PNG the buyer can save).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

import qriskit
import segno
from django.utils.translation import gettext as _
from qriskit import convert

from merdeka.catalog.photos import open_checked

_MESSAGES = {
    "crc.missing": lambda: _("The QRIS code has no checksum (it ends too early)."),
    "crc.mismatch": lambda: _(
        "The QRIS checksum does not match: a character was changed or lost while copying."
    ),
    "crc.not_last": lambda: _("The QRIS code has text after its checksum."),
    "pfi.invalid": lambda: _("This is not a QRIS code (it must start with 000201)."),
    "currency.invalid": lambda: _("This QR code is not for payments in rupiah."),
    "country.invalid": lambda: _("This QR code is not an Indonesian QRIS."),
    "merchant_account.missing": lambda: _("The QRIS code has no merchant account."),
    "template.malformed": lambda: _("Part of the QRIS code is damaged."),
    "tag.duplicate": lambda: _("Part of the QRIS code appears twice."),
    "tag.required": lambda: _("The QRIS code misses a required part (name, city or currency)."),
    "poi.invalid": lambda: _("The QRIS code is damaged (unknown kind)."),
}


class QrisError(ValueError):
    """A QRIS that cannot be used; the message is for the seller, in their language."""


@dataclass(frozen=True)
class StaticQris:
    payload: str
    merchant_name: str
    merchant_city: str
    nmid: str


def _clean(text: str) -> str:
    # pasted payloads come wrapped over lines; spaces inside (a merchant name) are data
    return "".join(text.strip().splitlines())


def static_parse(text: str) -> StaticQris:
    """Check a pasted QRIS: structure, CRC, QRIS rules, and that it is a static one."""
    payload = _clean(text or "")
    if not payload:
        raise QrisError(_("Paste the text of your QRIS code."))
    if not payload.startswith("000201"):
        raise QrisError(_("This is not a QRIS code (it must start with 000201)."))
    try:
        parsed = qriskit.parse(payload)
    except qriskit.QRISParseError:
        raise QrisError(_("The QRIS code is cut off or damaged. Copy it again, whole.")) from None
    errors = [i for i in qriskit.validate(parsed) if i.severity == "error"]
    # a bank's merchant name can be longer than EMVCo's 25 characters: tolerated
    errors = [i for i in errors if not (i.code == "tag.length" and i.path in ("59", "60"))]
    if errors:
        first = errors[0]
        message = _MESSAGES.get(first.code)
        raise QrisError(
            message() if message else _("The QRIS code is not valid.") + f" ({first.code})"
        )
    if parsed.get("01") == "12" or parsed.get("54") is not None:
        raise QrisError(
            _("This QRIS is for one payment (it has an amount). Paste your shop's static QRIS.")
        )
    nmid = ""
    for account in parsed.merchant_accounts:
        if account.is_national and account.merchant_id:
            nmid = account.merchant_id
    return StaticQris(
        payload=payload,
        merchant_name=parsed.get("59") or "",
        merchant_city=parsed.get("60") or "",
        nmid=nmid,
    )


def static_from_image(upload) -> StaticQris:
    """Read the shop's QRIS from a photo or screenshot of the sticker (zxing-cpp)."""
    image = open_checked(upload)  # size, pixel-count and format checks first
    try:
        found = qriskit.scan(image)
    except qriskit.QRISScanError as exc:
        messages = {
            "no_qr": _("No QR code found in the picture. Use a sharp, bright photo of the QRIS."),
            "no_qris": _("The QR code in the picture is not a QRIS."),
            "multiple_qris": _("The picture has more than one QRIS. Crop it to one."),
        }
        raise QrisError(
            messages.get(exc.reason, _("The picture could not be read. Try another one."))
        ) from None
    return static_parse(found.dumps())


def dynamic_payload(static_payload: str, *, amount: Decimal | int, reference: str) -> str:
    """The payload a buyer scans: this amount, this order number, a fresh CRC."""
    parsed = qriskit.parse(_clean(static_payload))
    amount = Decimal(amount)
    if amount <= 0:
        raise QrisError(_("A QRIS payment needs an amount above zero."))
    dynamic = convert.to_dynamic(parsed, amount, reference=reference[:25])
    dynamic = convert.with_tag(dynamic, "62.01", reference[:25])
    return dynamic.dumps()


def amount_of(payload: str) -> Decimal | None:
    value = qriskit.parse(_clean(payload)).get("54")
    return Decimal(value) if value else None


def png(payload: str) -> bytes:
    """The QR image as a PNG, for the buyer's gallery: banking apps scan a saved picture
    ("scan from gallery"), and galleries show PNG, not SVG. Big enough to scan."""
    buffer = io.BytesIO()
    segno.make_qr(payload, error="m", boost_error=False).save(
        buffer, kind="png", scale=10, border=4
    )
    return buffer.getvalue()


def svg(payload: str) -> str:
    """The QR image as an SVG document (scales on any screen; no inline script or style)."""
    buffer = io.BytesIO()
    segno.make_qr(payload, error="m", boost_error=False).save(
        buffer, kind="svg", scale=8, border=4, xmldecl=False, omitsize=True, title="QRIS"
    )
    return buffer.getvalue().decode("utf-8")

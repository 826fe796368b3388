"""Payment proof photos: a screenshot of a transfer or a photo of a receipt.

They show the buyer's name and account, so they are personal data: the upload is
checked like a product photo (``merdeka.catalog.photos.open_checked``: JPEG, PNG or
WebP only, byte and pixel limits, a structure check), its pixels alone are re-encoded
as WebP (EXIF, GPS position, comments and ICC profiles are dropped) at most 1600 pixels
a side, and the result is stored *encrypted in the database* on the ``Payment`` row
(``EncryptedTextField``, base64). So it rotates with the shop's key, goes with a
crypto-shredded shop, is cleared when the customer is erased, and is only ever served
by an authenticated view to the shop's own team — there is no file and no URL for it.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

from django.http import HttpResponse
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from merdeka.catalog import photos
from merdeka.core.services import ServiceError

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 1600
QUALITY = 80


@dataclass(frozen=True)
class Encoded:
    base64: str
    width: int
    height: int


def encode(upload) -> Encoded:
    """The cleaned photo, ready to store; ``ServiceError`` (Indonesian) for a bad file."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise ServiceError(_("The proof photo is larger than 5 MB. Send a smaller one."))
    image = photos.open_checked(upload)
    image = ImageOps.exif_transpose(image)
    if image.mode != "RGB":
        image = image.convert("RGB")
    clean = Image.new("RGB", image.size)
    clean.paste(image)  # pixels only: nothing of the original file's metadata comes along
    clean.thumbnail((MAX_SIDE, MAX_SIDE), Image.LANCZOS)
    out = io.BytesIO()
    clean.save(out, format="WEBP", quality=QUALITY, method=4)
    return Encoded(
        base64=base64.b64encode(out.getvalue()).decode("ascii"),
        width=clean.width,
        height=clean.height,
    )


def decode(value: str) -> bytes:
    return base64.b64decode(value.encode("ascii"), validate=True)


def photo_response(data: bytes, *, filename: str = "") -> HttpResponse:
    """A stored photo (WebP) sent to the shop's own team: shown inline, never cached on
    the way or in the browser, never sniffed as anything else. Every view that serves a
    proof or a receipt answers with this."""
    response = HttpResponse(data, content_type="image/webp")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = f'inline; filename="{filename}"' if filename else "inline"
    return response

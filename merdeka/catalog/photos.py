"""Product photos: checked, stripped of metadata, resized, stored under the data dir.

An upload is opened lazily to read its header first: anything that is not a JPEG,
PNG or WebP, is larger than the byte or pixel limits (decompression bombs), or does
not decode is refused with a clear message. What is stored is a fresh WebP encoding
of the pixels only (EXIF, GPS position and comments are gone), at a few widths, under
``DATA_DIR/media/catalog/<shop id>/`` with a random name. Product photos are public:
they are not encrypted.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from merdeka.core.services import ServiceError

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 50 MP phone photo is ~50M; 40M keeps decoding under ~160 MB
MIN_SIDE = 64
FORMATS = {"JPEG", "PNG", "WEBP", "MPO"}
OPEN_FORMATS = ("JPEG", "PNG", "WEBP")
WIDTHS = (320, 640)
QUALITY = 78


@dataclass(frozen=True)
class Stored:
    key: str
    width: int
    height: int
    widths: list[int]


def directory(shop_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "catalog" / str(int(shop_id))


def path_for(shop_id: int, key: str, width: int) -> Path:
    return directory(shop_id) / f"{key}-{int(width)}.webp"


def open_checked(upload) -> Image.Image:
    """The decoded image, after the byte, format, pixel and structure checks."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise ServiceError(_("The photo is larger than 10 MB. Send a smaller one."))
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # only these decoders ever see the bytes (never EPS, PSD, ... plugins)
            image = Image.open(upload, formats=OPEN_FORMATS)
            if image.format not in FORMATS:
                raise ServiceError(_("Send a photo as JPEG, PNG or WebP."))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ServiceError(_("The photo has too many pixels (at most 40 megapixels)."))
            if min(width, height) < MIN_SIDE:
                raise ServiceError(_("The photo is too small (at least 64 pixels a side)."))
            image.verify()  # structure check; the image must be opened again to decode
            upload.seek(0)
            image = Image.open(upload, formats=OPEN_FORMATS)
            image.load()
    except ServiceError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ServiceError(_("The photo has too many pixels (at most 40 megapixels).")) from None
    except UnidentifiedImageError:
        raise ServiceError(_("Send a photo as JPEG, PNG or WebP.")) from None
    except (OSError, SyntaxError, ValueError):
        raise ServiceError(_("This file is not a photo Merdeka can read.")) from None
    return image


def _write_atomic(image: Image.Image, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=dest.parent, prefix=".up-", suffix=".webp")
    try:
        with os.fdopen(fd, "wb") as out:
            image.save(out, format="WEBP", quality=QUALITY, method=4)
        os.chmod(name, 0o644)
        os.replace(name, dest)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def store(*, shop_id: int, upload) -> Stored:
    image = open_checked(upload)
    image = ImageOps.exif_transpose(image)  # keep the orientation the phone meant
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    clean = Image.new(image.mode, image.size)
    clean.paste(image)  # pixels only: no EXIF, ICC, XMP or comments come along
    key = secrets.token_hex(16)
    widths = []
    for width in WIDTHS:
        target = min(width, clean.width)  # a slot is never wider than the photo itself
        height = max(1, round(clean.height * target / clean.width))
        resized = clean if target == clean.width else clean.resize((target, height), Image.LANCZOS)
        _write_atomic(resized, path_for(shop_id, key, width))
        widths.append(width)
        if target == clean.width:
            break  # the whole photo fits: no wider slot needed
    return Stored(key=key, width=clean.width, height=clean.height, widths=widths)


def remove(*, shop_id: int, key: str, widths) -> None:
    for width in widths:
        path_for(shop_id, key, width).unlink(missing_ok=True)

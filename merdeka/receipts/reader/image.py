"""From the uploaded bytes to a straight, even, well-sized grey image of the receipt.

Steps, each cheap next to the OCR itself: decode (Pillow, JPEG decoded at a reduced size when the
photo is huge), turn by the EXIF orientation, refuse what is not a photo of anything readable (too
dark, too blurred), crop to the paper when it stands out from the table, bring the paper to a width
where thermal print is ~25 px tall, flatten the light (divide by a blurred background) and stretch
the contrast, and straighten it: the skew (±7°) that maximises the variance of the rows' ink
profile.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import cv2
import numpy as np
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

# Paper brought to this width before OCR: a 32-42 character thermal line gets 17-23 px per
# character, the size the recognition model reads best (measured on bench/receipts_gen.py).
PAPER_WIDTH = 760
# Photos larger than this (pixels) are decoded reduced; beyond MAX_PIXELS they are refused.
DECODE_PIXELS = 3_000_000
MAX_PIXELS = 200_000_000
MAX_SKEW = 7.0


class UnreadableImage(ValueError):
    """The bytes are not a photo the reader can read; the message is for the user."""


@dataclass(frozen=True)
class Prepared:
    image: np.ndarray  # grey, uint8, straightened
    width: int  # of the photo as decoded (after EXIF rotation), before any scaling
    height: int
    skew: float  # degrees turned to straighten it


def decode(data: bytes) -> Image.Image:
    """The photo, turned upright by its EXIF orientation and in RGB; huge ones decoded smaller."""
    if not data:
        raise UnreadableImage(_("The file is empty."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise UnreadableImage(_("The photo is too large to read."))
            if image.format == "JPEG" and width * height > DECODE_PIXELS:
                scale = (DECODE_PIXELS / (width * height)) ** 0.5
                image.draft("RGB", (int(width * scale), int(height * scale)))
            image.load()
    except UnreadableImage:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Warning) as error:
        raise UnreadableImage(_("This file is not a photo we can read.")) from error
    except Image.DecompressionBombError as error:
        raise UnreadableImage(_("The photo is too large to read.")) from error
    image = ImageOps.exif_transpose(image)
    if image.mode != "RGB":
        image = image.convert("RGB")
    if image.width * image.height > DECODE_PIXELS:  # PNG and others: no draft mode
        scale = (DECODE_PIXELS / (image.width * image.height)) ** 0.5
        size = (max(1, int(image.width * scale)), max(1, int(image.height * scale)))
        image = image.resize(size, Image.Resampling.BILINEAR)
    return image


def check_quality(grey: np.ndarray) -> None:
    """Refuse photos nobody could read: too small, too dark, washed out or badly blurred."""
    height, width = grey.shape
    if min(width, height) < 120:
        raise UnreadableImage(_("The photo is too small: take it closer to the receipt."))
    if float(grey.mean()) < 45 and float(np.percentile(grey, 99)) < 110:
        raise UnreadableImage(_("The photo is too dark: take it again in better light."))
    if float(np.percentile(grey, 99)) - float(np.percentile(grey, 1)) < 25:
        raise UnreadableImage(_("The photo shows almost nothing: take it again."))
    small = grey if width <= 800 else cv2.resize(grey, (800, round(height * 800 / width)))
    sharpness = cv2.Laplacian(small, cv2.CV_64F).var()
    if sharpness < 12:
        raise UnreadableImage(_("The photo is too blurred: hold the phone still and retake it."))


def paper_box(grey: np.ndarray) -> tuple[int, int, int, int] | None:
    """The bright paper's bounding box (x0, y0, x1, y1) when it stands out from the table."""
    height, width = grey.shape
    blurred = cv2.GaussianBlur(grey, (0, 0), max(2.0, width / 150))
    _threshold, mask = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8))
    contours, _hierarchy = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    largest = max(contours, key=cv2.contourArea)
    x, y, w, h = cv2.boundingRect(largest)
    if w * h < 0.2 * width * height or (w > 0.97 * width and h > 0.97 * height):
        return None
    pad = max(4, w // 40)
    return max(0, x - pad), max(0, y - pad), min(width, x + w + pad), min(height, y + h + pad)


def flatten_light(grey: np.ndarray) -> np.ndarray:
    """Divide by the background (a wide closing) so shadows and gradients go; stretch contrast."""
    height, width = grey.shape
    size = max(15, (min(height, width) // 25) | 1)
    background = cv2.morphologyEx(grey, cv2.MORPH_CLOSE, np.ones((size, size), np.uint8))
    background = cv2.GaussianBlur(background, (0, 0), size / 2)
    even = cv2.divide(grey, np.maximum(background, 1), scale=255)
    low, high = np.percentile(even, (1, 99.5))
    if high - low < 10:
        return even
    stretched = (even.astype(np.float32) - low) * (255.0 / (high - low))
    return stretched.clip(0, 255).astype(np.uint8)


def estimate_skew(grey: np.ndarray) -> float:
    """The angle (degrees, counter-clockwise positive as cv2) that makes the text rows level."""
    height, width = grey.shape
    scale = min(1.0, 500 / width)
    small = cv2.resize(grey, (round(width * scale), round(height * scale)))
    ink = cv2.adaptiveThreshold(
        small, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 15, 12
    ).astype(np.float32)
    h, w = ink.shape
    centre = (w / 2, h / 2)

    def score(angle: float) -> float:
        turned = cv2.warpAffine(ink, cv2.getRotationMatrix2D(centre, angle, 1.0), (w, h))
        profile = turned.sum(axis=1)
        return float(np.var(np.diff(profile)))

    best = max(np.arange(-MAX_SKEW - 1, MAX_SKEW + 1.01, 1.0), key=score)
    fine = np.arange(best - 0.9, best + 0.91, 0.15)
    return float(max(fine, key=score))


def rotate(grey: np.ndarray, angle: float) -> np.ndarray:
    height, width = grey.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w, new_h = int(height * sin + width * cos), int(height * cos + width * sin)
    matrix[0, 2] += new_w / 2 - width / 2
    matrix[1, 2] += new_h / 2 - height / 2
    return cv2.warpAffine(grey, matrix, (new_w, new_h), flags=cv2.INTER_CUBIC, borderValue=255)


def prepare(data: bytes) -> Prepared:
    """Decode, check and straighten a photo for the OCR; raises UnreadableImage."""
    photo = decode(data)
    grey = np.asarray(photo.convert("L"))
    check_quality(grey)
    box = paper_box(grey)
    paper = grey[box[1] : box[3], box[0] : box[2]] if box else grey
    scale = PAPER_WIDTH / paper.shape[1]
    if abs(scale - 1) > 0.05:
        interpolation = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
        size = (PAPER_WIDTH, round(paper.shape[0] * scale))
        paper = cv2.resize(paper, size, interpolation=interpolation)
    even = flatten_light(paper)
    skew = estimate_skew(even)
    if abs(skew) >= 0.3:
        even = rotate(even, skew)
    return Prepared(image=even, width=photo.width, height=photo.height, skew=skew)

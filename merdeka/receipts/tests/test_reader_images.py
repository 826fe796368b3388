"""The receipt reader end to end on photos from bench/receipts_gen.py, and on bad photos.

The photos in data/ (four hard: ≤ 450 px wide, tilted, JPEG quality 50) come with their truth. Each
photo is read once per test session (the OCR takes about a second of CPU a photo).
"""

from __future__ import annotations

import functools
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from merdeka.receipts.reader import UnreadableImage, receipt_read
from merdeka.receipts.reader.image import DECODE_PIXELS, prepare

DATA = Path(__file__).parent / "data"
PHOTOS = sorted(DATA.glob("*.jpg"))


@functools.cache
def read(path: Path):
    return receipt_read(path.read_bytes())


def squash(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def truth_of(path: Path) -> dict:
    return json.loads(path.with_suffix(".json").read_text())


def jpeg(image: Image.Image, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", **options)
    return out.getvalue()


def test_the_test_photos_are_small():
    assert len(PHOTOS) == 8
    assert all(path.stat().st_size <= 60 * 1024 for path in PHOTOS)


@pytest.mark.parametrize("path", PHOTOS, ids=lambda path: path.stem)
def test_generated_receipt_is_read_or_flagged(path):
    truth, reading = truth_of(path), read(path)
    # never a wrong total that would be booked without a look
    assert reading.total == truth["total"] or reading.needs_review
    if not reading.needs_review:
        got = [(squash(i.name), str(i.qty), i.unit_price, i.total) for i in reading.items]
        want = [(squash(i["name"]), i["qty"], i["unit_price"], i["total"]) for i in truth["items"]]
        assert got == want
        assert str(reading.date) == truth["date"]
        assert reading.payment == truth["payment"]


def test_most_generated_receipts_are_read_exactly():
    exact = [path.stem for path in PHOTOS if read(path).total == truth_of(path)["total"]]
    assert len(exact) >= 7, exact
    unflagged = [path.stem for path in PHOTOS if not read(path).needs_review]
    assert len(unflagged) >= 6, unflagged


def test_reading_reports_the_photo_size():
    path = PHOTOS[0]
    with Image.open(path) as image:
        size = image.size
    assert (read(path).width, read(path).height) == size


def test_not_an_image():
    with pytest.raises(UnreadableImage, match=r"bukan foto|not a photo"):
        receipt_read(b"%PDF-1.4 this is not a photo")
    with pytest.raises(UnreadableImage):
        receipt_read(b"")
    with pytest.raises(UnreadableImage):
        receipt_read(jpeg(Image.new("RGB", (800, 600)))[:200])  # cut short


def test_huge_image_is_downscaled_before_reading():
    path = next(p for p in PHOTOS if "hard" not in p.stem)
    with Image.open(path) as image:
        big = image.resize((image.width * 6, image.height * 6), Image.Resampling.BICUBIC)
    data = jpeg(big, quality=85)
    prepared = prepare(data)
    assert prepared.width * prepared.height <= DECODE_PIXELS * 1.1
    reading = receipt_read(data)
    assert reading.total == truth_of(path)["total"] or reading.needs_review


def test_too_many_pixels_is_refused_without_decoding():
    header = Image.new("L", (20000, 12000))  # 240 MP, written as a tiny PNG
    out = io.BytesIO()
    header.save(out, "PNG")
    with pytest.raises(UnreadableImage):
        receipt_read(out.getvalue())


def test_dark_photo():
    rng = np.random.default_rng(1)
    dark = Image.fromarray(rng.integers(0, 30, (900, 600), dtype=np.uint8)).convert("RGB")
    with pytest.raises(UnreadableImage, match=r"gelap|dark"):
        receipt_read(jpeg(dark))


def test_blurred_photo():
    path = next(p for p in PHOTOS if "hard" not in p.stem)
    with Image.open(path) as image:
        blurred = image.filter(ImageFilter.GaussianBlur(12))
    with pytest.raises(UnreadableImage, match=r"buram|blurred"):
        receipt_read(jpeg(blurred))


def test_photo_turned_by_its_exif_orientation():
    path = next(p for p in PHOTOS if "hard" in p.stem)
    with Image.open(path) as image:
        turned = image.rotate(90, expand=True)  # as the sensor saw it
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    reading = receipt_read(jpeg(turned, exif=exif.tobytes(), quality=95))
    assert reading.total == truth_of(path)["total"]


def test_not_a_receipt():
    picture = Image.new("RGB", (700, 500), (200, 220, 240))
    draw = ImageDraw.Draw(picture)
    draw.ellipse((100, 100, 400, 400), fill=(240, 180, 60))
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 40)
    draw.text((60, 420), "Selamat pagi semua", fill=(20, 20, 20), font=font)
    with pytest.raises(UnreadableImage, match=r"struk|receipt"):
        receipt_read(jpeg(picture))

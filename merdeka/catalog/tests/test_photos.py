from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from merdeka.catalog import photos
from merdeka.catalog.models import ProductPhoto
from merdeka.catalog.photo_services import photo_add, photo_delete
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError

pytestmark = pytest.mark.usefixtures("english")


def jpeg_upload(width=1200, height=900, name="kue.jpg") -> SimpleUploadedFile:
    """A phone-like JPEG: GPS position in EXIF and an orientation tag."""
    image = Image.new("RGB", (width, height), (200, 120, 40))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90°: the stored photo must come out upright
    exif[0x8825] = {1: "S", 2: (6.0, 54.0, 0.0)}  # GPS position
    exif[0x010F] = "HP Murah"
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif, quality=90)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def png_bomb() -> SimpleUploadedFile:
    """A tiny PNG whose header claims 30,000 x 30,000 pixels (900 megapixels)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 30000, 30000, 8, 2, 0, 0, 0)
    data = (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 100))
    )
    return SimpleUploadedFile("bomb.png", data + chunk(b"IEND", b""), content_type="image/png")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_a_photo_is_stored_upright_in_two_widths_without_exif(ika_shop, lapis, media):
    product, _ = lapis
    photo = photo_add(shop=ika_shop, product=product, upload=jpeg_upload())
    assert photo.widths == [320, 640]
    assert (photo.width, photo.height) == (900, 1200)  # turned by its orientation tag
    for width in photo.widths:
        path = photos.path_for(ika_shop.pk, photo.key, width)
        stored = Image.open(path)
        assert stored.format == "WEBP" and stored.width == width
        assert not stored.getexif() and "exif" not in stored.info
        assert b"HP Murah" not in path.read_bytes()


def test_a_small_photo_is_not_blown_up(ika_shop, lapis, media):
    product, _ = lapis
    photo = photo_add(shop=ika_shop, product=product, upload=jpeg_upload(300, 200))
    assert photo.widths == [320]
    assert Image.open(photos.path_for(ika_shop.pk, photo.key, 320)).size == (200, 300)  # upright


@pytest.mark.parametrize(
    ("_case", "upload", "message"),
    [
        ("not_an_image", SimpleUploadedFile("x.jpg", b"<script>alert(1)</script>"), "JPEG, PNG"),
        ("truncated_jpeg", None, "not a photo"),
        ("decompression_bomb", png_bomb(), "too many pixels"),
        ("gif", None, "JPEG, PNG or WebP"),
        ("tiny", None, "too small"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_stored(
    ika_shop, lapis, media, _case, upload, message
):
    if _case == "gif":
        buffer = io.BytesIO()
        Image.new("RGB", (100, 100)).save(buffer, format="GIF")
        upload = SimpleUploadedFile("a.gif", buffer.getvalue())
    if _case == "tiny":
        upload = jpeg_upload(20, 20)
    if _case == "truncated_jpeg":
        whole = jpeg_upload().read()
        upload = SimpleUploadedFile("cut.jpg", whole[: len(whole) // 3])
    product, _ = lapis
    with pytest.raises(ServiceError, match=message):
        photo_add(shop=ika_shop, product=product, upload=upload)
    with shop_scope(ika_shop):
        assert ProductPhoto.objects.count() == 0
    assert not list(media.rglob("*.webp"))


def test_a_file_over_the_size_limit_is_refused(ika_shop, lapis, media):
    product, _ = lapis
    upload = jpeg_upload()
    upload.size = photos.MAX_BYTES + 1
    with pytest.raises(ServiceError, match="10 MB"):
        photo_add(shop=ika_shop, product=product, upload=upload)


def test_deleting_a_photo_removes_its_files(
    ika_shop, lapis, media, django_capture_on_commit_callbacks
):
    product, _ = lapis
    photo = photo_add(shop=ika_shop, product=product, upload=jpeg_upload())
    with django_capture_on_commit_callbacks(execute=True):
        photo_delete(shop=ika_shop, photo=photo)
    assert not list(media.rglob("*.webp"))

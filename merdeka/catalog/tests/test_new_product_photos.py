"""Photos on the add-product form itself: a new product comes with its photos in one
go, all or nothing."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from merdeka.catalog import photos
from merdeka.catalog.models import Product, ProductPhoto, Variant
from merdeka.catalog.services import VariantInput, product_save
from merdeka.catalog.tests.test_catalog import variant_rows
from merdeka.catalog.tests.test_photos import jpeg_upload
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def png_upload(name="kue.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 800), (250, 220, 180)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def gif_upload(name="kue-joget.gif") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (200, 200)).save(buffer, format="GIF")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/gif")


def new_product(photos_sent, **overrides):
    data = {"name": "Kue Sus", "description": "", "category": "", "is_published": "on"}
    data.update(variant_rows([{"flavour": "Cokelat", "price": "35000", "sku": "SUS-C"}]))
    data.update(overrides)
    data["photos"] = photos_sent
    return data


def nothing_written(shop, media):
    with shop_scope(shop):
        assert Product.objects.count() == 0
        assert Variant.objects.count() == 0
        assert ProductPhoto.objects.count() == 0
    assert not [path for path in media.rglob("*") if path.is_file()]


def test_a_new_product_comes_with_its_photos_in_one_go(ika_client, ika_shop, media):
    form = ika_client.get(reverse("product_add")).content.decode()
    assert 'enctype="multipart/form-data"' in form
    assert 'type="file" name="photos"' in form and "multiple" in form

    response = ika_client.post(reverse("product_add"), new_product([jpeg_upload(), png_upload()]))
    assert response.status_code == 302
    with shop_scope(ika_shop):
        product = Product.objects.get()
        first, second = product.photos.order_by("position")
    assert response["Location"] == reverse("product_stock", args=[product.pk])
    assert (first.position, second.position) == (0, 1)
    assert (first.width, first.height) == (900, 1200)  # the JPEG, turned upright
    for photo in (first, second):
        for width in photo.widths:
            stored = Image.open(photos.path_for(ika_shop.pk, photo.key, width))
            assert stored.format == "WEBP" and not stored.getexif()  # re-encoded, no EXIF


def test_one_bad_photo_refuses_the_whole_form_and_writes_nothing(ika_client, ika_shop, media):
    response = ika_client.post(reverse("product_add"), new_product([jpeg_upload(), gif_upload()]))
    assert response.status_code == 200
    errors = " ".join(response.context["form"].non_field_errors())
    assert errors == (
        "Tidak ada yang disimpan: foto “kue-joget.gif” tidak bisa dipakai. "
        "Kirim foto berformat JPEG, PNG atau WebP."
    )
    # the name and the variants are still filled in; the photos must be chosen again
    body = response.content.decode()
    assert 'value="Kue Sus"' in body and 'value="35000"' in body
    assert "Pilih fotonya lagi" in " ".join(response.context["form"].errors["photos"])
    nothing_written(ika_shop, media)


def test_a_photo_too_large_or_not_a_picture_is_named_too(ika_shop, media, english):
    fields = {"name": "Kue Sus", "description": "", "category_id": None, "is_published": True}
    rows = [VariantInput(pk=None, size="", flavour="", sku="", price=1, weight_grams=0)]
    big = png_upload("besar.png")
    big.size = photos.MAX_BYTES + 1
    broken = SimpleUploadedFile("bukan-foto.jpg", b"%PDF-1.4 not a photo")
    for upload, problem in ((big, "10 MB"), (broken, "JPEG, PNG or WebP")):
        with pytest.raises(ServiceError) as refused:
            product_save(shop=ika_shop, variants=rows, photos=[png_upload(), upload], **fields)
        assert str(refused.value).startswith(f"Nothing was saved: the photo “{upload.name}”")
        assert problem in str(refused.value)
    nothing_written(ika_shop, media)


def test_a_refusal_after_the_photos_were_read_removes_their_files(
    ika_client, ika_shop, media, lapis
):
    with shop_scope(ika_shop):
        Variant.objects.filter(pk=lapis[1].pk).update(sku="SUS-C")  # the SKU is taken
        before = Product.objects.count()
    response = ika_client.post(reverse("product_add"), new_product([jpeg_upload()]))
    assert response.status_code == 200
    assert "SUS-C" in " ".join(response.context["form"].non_field_errors())
    with shop_scope(ika_shop):
        assert Product.objects.count() == before
        assert ProductPhoto.objects.count() == 0
    assert not list(media.rglob("*.webp"))


def test_more_than_eight_photos_are_refused(ika_client, ika_shop, media):
    response = ika_client.post(
        reverse("product_add"), new_product([png_upload(f"{i}.png") for i in range(9)])
    )
    assert response.status_code == 200
    assert "8" in " ".join(response.context["form"].errors["photos"])
    nothing_written(ika_shop, media)


def test_photos_added_to_a_saved_product_keep_to_eight_and_follow_the_ones_it_has(
    ika_shop, media, lapis, english
):
    product, variant = lapis
    rows = [
        VariantInput(
            pk=variant.pk, size="", flavour="", sku="", price=variant.price, weight_grams=0
        )
    ]
    fields = {"name": product.name, "description": "", "category_id": None, "is_published": True}
    product_save(shop=ika_shop, product=product, variants=rows, photos=[png_upload()], **fields)
    product_save(shop=ika_shop, product=product, variants=rows, photos=[png_upload()], **fields)
    with shop_scope(ika_shop):
        assert list(product.photos.values_list("position", flat=True)) == [0, 1]
    with pytest.raises(ServiceError, match="at most 8"):
        product_save(
            shop=ika_shop, product=product, variants=rows, photos=[png_upload()] * 7, **fields
        )


def test_a_saved_products_form_keeps_its_own_photo_section(ika_client, lapis):
    product, _variant = lapis
    body = ika_client.get(reverse("product_edit", args=[product.pk])).content.decode()
    assert 'name="photos"' not in body
    assert reverse("product_photo_add", args=[product.pk]) in body

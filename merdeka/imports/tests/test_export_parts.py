"""The parts of the export beside customers and orders (merdeka.imports.parts): the web's
zip restores them with the photos in their folder, and an export whose photos or stock
ledger were tampered with is refused whole."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import override_settings

from merdeka.catalog import photos as photos_store
from merdeka.catalog import services as catalog
from merdeka.catalog.models import Product, ProductPhoto, StockLevel
from merdeka.core import services as core_services
from merdeka.core.scoping import shop_scope
from merdeka.imports import export_jobs
from merdeka.imports.models import ExportJob, ImportFile
from merdeka.imports.tests.test_export_roundtrip_whole_shop import photo_upload


def a_catalog(shop):
    product = catalog.product_save(
        shop=shop,
        name="Kastengel",
        description="Keju edam",
        category_id=None,
        is_published=True,
        variants=[catalog.VariantInput(None, "250 gr", "", "KST-250", Decimal(70000), 300)],
        photos=[photo_upload("gold")],
    )
    with shop_scope(shop):
        variant = product.variants.get()
    location = catalog.location_default(shop=shop)
    catalog.stock_adjust(shop=shop, variant=variant, location=location, on_hand=7)
    catalog.stock_adjust(shop=shop, variant=variant, location=location, change=-2)


def levels(shop):
    with shop_scope(shop):
        return list(
            StockLevel.objects.filter(shop=shop).values_list("variant__sku", "on_hand", "reserved")
        )


def test_the_web_exports_zip_brings_the_catalog_with_its_photos_and_stock(
    ika, ika_shop, tmp_path, django_capture_on_commit_callbacks
):
    a_catalog(ika_shop)
    with django_capture_on_commit_callbacks(execute=True):
        export_jobs.export_job_start(shop=ika_shop, actor=ika)
    with shop_scope(ika_shop):
        job = ExportJob.objects.get()
    assert job.state == "done"
    archive = tmp_path / "merdeka-export.zip"
    archive.write_bytes(b"".join(export_jobs.export_job_chunks(job, actor=ika)))

    with override_settings(MEDIA_ROOT=tmp_path / "elsewhere"):
        fresh = core_services.shop_create(name="Toko Pindahan", owner=ika, slug="toko-pindahan")
        call_command("import", str(archive), "--shop", fresh.slug, "--json")
        with shop_scope(fresh):
            photo = ProductPhoto.objects.get(shop=fresh)
        restored = photos_store.path_for(fresh.pk, photo.key, 320)
        assert restored.is_file() and str(tmp_path / "elsewhere") in str(restored)
    with shop_scope(ika_shop):
        original = ProductPhoto.objects.get(shop=ika_shop)
    assert (
        restored.read_bytes() == photos_store.path_for(ika_shop.pk, original.key, 320).read_bytes()
    )
    assert levels(fresh) == levels(ika_shop) == [("KST-250", 5, 0)]


@pytest.fixture(autouse=True)
def own_media(settings, tmp_path):
    """Photos of this test only: a leftover file is this test's."""
    settings.MEDIA_ROOT = tmp_path / "media"


def rewrite(path, change):
    rows = [json.loads(line) for line in path.open()]
    change(rows)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def refused(shop, folder):
    with pytest.raises(SystemExit):
        call_command("import", str(folder), "--shop", shop.slug, "--json")
    with shop_scope(shop):
        assert ImportFile.objects.filter(shop=shop).latest("pk").state == "rejected"
        assert not Product.objects.filter(shop=shop).exists()  # nothing partial
    folder = photos_store.directory(shop.pk)  # and no photo file left behind
    assert not folder.exists() or not list(folder.iterdir())


@pytest.mark.parametrize("name", ["../../../etc/passwd", "photos/../manifest.json", "x.webp"])
def test_a_photo_named_outside_the_photos_folder_is_refused(ika, ika_shop, tmp_path, name):
    a_catalog(ika_shop)
    out = tmp_path / "export"
    call_command("export", "--shop", ika_shop.slug, "--out", str(out))

    def elsewhere(rows):
        rows[0]["photos"][0]["files"]["320"] = name

    rewrite(out / "products.jsonl", elsewhere)
    fresh = core_services.shop_create(name="Toko Pindahan", owner=ika, slug="toko-pindahan")
    refused(fresh, out)


def test_a_photo_that_is_not_a_webp_image_is_refused(ika, ika_shop, tmp_path):
    a_catalog(ika_shop)
    out = tmp_path / "export"
    call_command("export", "--shop", ika_shop.slug, "--out", str(out))
    [photo] = sorted((out / "photos").iterdir())[:1]
    photo.write_bytes(b"<svg onload=alert(1)></svg>")
    fresh = core_services.shop_create(name="Toko Pindahan", owner=ika, slug="toko-pindahan")
    refused(fresh, out)


def test_a_stock_ledger_that_does_not_explain_the_stock_is_refused(ika, ika_shop, tmp_path):
    a_catalog(ika_shop)
    out = tmp_path / "export"
    call_command("export", "--shop", ika_shop.slug, "--out", str(out))

    def more(rows):
        rows[-1]["on_hand_after"] += 100

    rewrite(out / "stock_moves.jsonl", more)
    fresh = core_services.shop_create(name="Toko Pindahan", owner=ika, slug="toko-pindahan")
    refused(fresh, out)

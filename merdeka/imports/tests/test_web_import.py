from __future__ import annotations

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Customer
from merdeka.customers.services import customer_create
from merdeka.imports.exporting import export_shop
from merdeka.imports.models import ImportFile
from merdeka.imports.pipeline import upload_path


def export_zip(shop, tmp_path) -> bytes:
    customer_create(shop=shop, name="Kanari Impor", phone="+6281377770000", city="Kota Bogor")
    export_shop(shop=shop, out=tmp_path / "ex")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in (tmp_path / "ex").iterdir():
            archive.write(path, path.name)
    return buffer.getvalue()


def test_a_seller_uploads_files_and_reads_the_report(
    client, ika, ika_shop, citra, citra_shop, tmp_path, django_capture_on_commit_callbacks
):
    data = export_zip(citra_shop, tmp_path)
    client.force_login(ika)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("import_home"),
            {"files": [SimpleUploadedFile("pindahan.zip", data)]},
        )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Diimpor" in page and 'data-testid="customers-new">' in page
    with shop_scope(ika_shop):
        assert Customer.objects.get().name == "Kanari Impor"
        record = ImportFile.objects.get()
    assert record.state == "imported" and record.source == "merdeka-export"
    assert not upload_path(record).exists()  # the sealed upload is gone once imported


def test_an_unknown_file_is_rejected_with_a_clear_message_and_nothing_saved(
    ika_client, ika_shop, django_capture_on_commit_callbacks
):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
    with django_capture_on_commit_callbacks(execute=True):
        response = ika_client.post(
            reverse("import_home"), {"files": [SimpleUploadedFile("pesanan.xlsx", png)]}
        )
    page = ika_client.get(response["Location"]).content.decode()
    assert "bukan spreadsheet" in page
    assert "Tidak ada data dari file ini yang disimpan" in page
    with shop_scope(ika_shop):
        assert Customer.objects.count() == 0


def test_uploads_wait_on_disk_only_encrypted(ika_client, ika_shop, citra_shop, tmp_path, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    data = export_zip(citra_shop, tmp_path)
    assert b"Kanari Impor" in data
    ika_client.post(reverse("import_home"), {"files": [SimpleUploadedFile("a.zip", data)]})
    with shop_scope(ika_shop):
        record = ImportFile.objects.get()
    sealed = upload_path(record).read_bytes()
    assert len(sealed) > len(data) // 2
    assert b"Kanari" not in sealed and b"manifest" not in sealed


def test_an_oversized_upload_is_stopped(ika_client, ika_shop, settings):
    settings.MERDEKA_IMPORT_MAX_BYTES = 1024
    response = ika_client.post(
        reverse("import_home"), {"files": [SimpleUploadedFile("besar.csv", b"x" * 5000)]}
    )
    assert response.status_code == 400
    assert "lebih besar dari" in response.content.decode()
    with shop_scope(ika_shop):
        assert ImportFile.objects.count() == 0


def test_an_empty_upload_form_is_explained(ika_client):
    response = ika_client.post(reverse("import_home"), {})
    assert response.status_code == 400
    assert "Pilih minimal satu file" in response.content.decode()

# ruff: noqa: F811 - pytest fixtures imported from test_mapping are used as arguments
"""Looking after remembered mappings and uploads that wait for one."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from merdeka.imports import mapping
from merdeka.imports.models import ColumnMapping, ImportRun
from merdeka.imports.pipeline import upload_path
from merdeka.imports.tests.test_mapping import (
    BUKALAPAK_COLUMNS,
    BUKALAPAK_DEC,
    BUKALAPAK_JAN,
    form_data,
    map_file,
    only_file,
    own_uploads,  # noqa: F401 - fixtures shared with test_mapping
    upload,  # noqa: F401
)
from merdeka.privacy.models import AuditEvent


def test_the_import_page_lists_remembered_columns_and_forgetting_one_asks_again(
    ika_client, ika_shop, upload, in_shop, django_capture_on_commit_callbacks
):
    record = only_file(upload(ika_client, BUKALAPAK_DEC))
    map_file(
        ika_client,
        record,
        form_data(BUKALAPAK_DEC, BUKALAPAK_COLUMNS),
        django_capture_on_commit_callbacks,
    )
    page = ika_client.get(reverse("import_home")).content.decode()
    assert "Kolom yang diingat" in page and "ID Transaksi" in page
    with in_shop(ika_shop):
        saved = ColumnMapping.objects.get()
    url = reverse("import_mapping_delete", args=[saved.pk])
    assert ika_client.get(url).status_code == 405
    assert ika_client.post(url).status_code == 302
    with in_shop(ika_shop):
        assert ColumnMapping.objects.count() == 0
        assert AuditEvent.objects.filter(action="import.mapping_deleted").count() == 1
    # the next file with the same columns waits for its mapping again
    assert only_file(upload(ika_client, BUKALAPAK_JAN)).state == "mapping"


def test_forgetting_another_shops_mapping_is_not_found(ika_shop, citra_client, in_shop):
    with in_shop(ika_shop):
        saved = ColumnMapping.objects.create(
            shop=ika_shop, signature="x", kind="orders", channel=""
        )
    assert citra_client.post(reverse("import_mapping_delete", args=[saved.pk])).status_code == 404
    with in_shop(ika_shop):
        assert ColumnMapping.objects.count() == 1


def test_uploads_waiting_too_long_for_their_columns_are_deleted(
    ika_client, ika_shop, upload, in_shop, django_capture_on_commit_callbacks
):
    old = only_file(upload(ika_client, BUKALAPAK_DEC))
    fresh = only_file(upload(ika_client, BUKALAPAK_JAN))
    ImportRun.unscoped.filter(pk=old.run_id).update(
        created_at=timezone.now() - dt.timedelta(days=mapping.WAITING_UPLOAD_DAYS + 1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert mapping.waiting_uploads_expire() == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.state == "rejected" and not upload_path(old).exists()
    assert fresh.state == "mapping" and upload_path(fresh).exists()
    assert "14 hari" in old.report["problems"][0]["message"]
    with in_shop(ika_shop):
        assert AuditEvent.objects.filter(action="import.mapping_expired").count() == 1
    assert mapping.waiting_uploads_expire() == 0

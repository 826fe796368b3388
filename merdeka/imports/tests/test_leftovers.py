"""What a web or task worker killed mid-way leaves is cleaned up by the scheduler: a run
whose task was never queued is queued again, and files nobody will read again (an
upload's temporary file, a sealed upload never committed, a plaintext working copy) are
deleted once stale. The kill tests (test_kill.py, bench/kill_imports.py) find these
cases with real processes; here each is set up exactly."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from merdeka.core import schedule
from merdeka.core.scoping import shop_scope
from merdeka.imports.models import ImportFile, ImportRun
from merdeka.imports.pipeline import upload_path
from merdeka.orders.models import Order
from merdeka.privacy.files import WORK_PREFIX

SHOPEE = (
    "Order ID;Order Status;Order Creation Date;Product Name;Quantity;Deal Price;"
    "Username (Buyer);Receiver Name;Phone Number;City;Province\n"
    "2506010000001K;Completed;2025-06-01 10:00;Nastar Keju;1;85,000;pembeli1;"
    "Rahmi Yuliani;6281234500001;Kota Garut;Jawa Barat\n"
)


def _tick(hours: float) -> dict:
    return schedule.tick(now=timezone.now() + timedelta(hours=hours))


def _age(path: Path, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


def test_a_run_whose_task_was_lost_is_queued_again_and_imported(
    ika_client, ika_shop, settings, django_capture_on_commit_callbacks
):
    # the web worker stored the upload, then died before it queued the task
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    ika_client.post(
        reverse("import_home"),
        {"files": [SimpleUploadedFile("Order.all.20250601_20250630.csv", SHOPEE.encode())]},
    )
    with shop_scope(ika_shop):
        run = ImportRun.objects.get()
    assert run.state == "queued"

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    _tick(hours=0.01)  # not yet: its task may just be waiting for a busy worker
    run.refresh_from_db()
    assert run.state == "queued"
    with django_capture_on_commit_callbacks(execute=True):
        _tick(hours=0.05)  # three minutes on

    run.refresh_from_db()
    with shop_scope(ika_shop):
        record = ImportFile.objects.get()
        assert Order.objects.count() == 1
    assert (run.state, record.state) == ("done", "imported")
    assert not upload_path(record).exists()
    page = ika_client.get(reverse("import_run", args=[run.pk])).content.decode()
    assert "Diimpor" in page


def test_files_a_dead_worker_left_are_deleted_once_stale_and_waiting_ones_kept(
    ika_client, ika_shop, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    ika_client.post(
        reverse("import_home"),
        {"files": [SimpleUploadedFile("Order.all.20250601_20250630.csv", SHOPEE.encode())]},
    )
    with shop_scope(ika_shop):
        waiting = ImportFile.objects.get()  # queued: its sealed upload must stay
        rejected = ImportFile.objects.create(
            shop=ika_shop, run=waiting.run, name="x.csv", sha256="", state="rejected"
        )
    folder = upload_path(waiting).parent
    never_committed = folder / f"{rejected.pk + 1000}.sealed"  # its row rolled back
    copy_of_rejected = folder / f"{WORK_PREFIX}{rejected.pk}-abc.csv"  # plaintext
    copy_of_waiting = folder / f"{WORK_PREFIX}{waiting.pk}-abc.csv"  # not running: dead
    temp = Path(settings.FILE_UPLOAD_TEMP_DIR)
    half_upload = temp / "tmpabc.upload.csv"
    fresh_upload = temp / "tmpdef.upload.csv"  # still arriving
    for path in (never_committed, copy_of_rejected, copy_of_waiting, half_upload, fresh_upload):
        path.write_bytes(b"Siti Nurhaliza;081234567890\n")
    for path in (never_committed, copy_of_rejected, copy_of_waiting, half_upload):
        _age(path, hours=2)
    _age(upload_path(waiting), hours=2)

    _tick(hours=0)

    assert upload_path(waiting).exists()
    assert fresh_upload.exists()
    for path in (never_committed, copy_of_rejected, copy_of_waiting, half_upload):
        assert not path.exists(), path
    fresh_upload.unlink()


def test_failing_a_run_deletes_the_plaintext_copy_its_dead_worker_left(
    ika_shop, django_capture_on_commit_callbacks
):
    with shop_scope(ika_shop):
        run = ImportRun.objects.create(
            shop=ika_shop, state="running", worker="elsewhere:1",
            heartbeat_at=timezone.now() - timedelta(minutes=5),
        )  # fmt: skip
        record = ImportFile.objects.create(
            shop=ika_shop, run=run, name="Chat.txt", sha256="", state="running"
        )
    sealed = upload_path(record)
    sealed.parent.mkdir(parents=True, exist_ok=True)
    sealed.write_bytes(b"sealed")
    copy = sealed.parent / f"{WORK_PREFIX}{record.pk}-x1y2.txt"
    copy.write_bytes(b"12/05/25 10.00 - Siti: pesan 2 nastar")

    with django_capture_on_commit_callbacks(execute=True):
        _tick(hours=0.05)

    run.refresh_from_db()
    assert run.state == "failed"
    assert not sealed.exists() and not copy.exists()

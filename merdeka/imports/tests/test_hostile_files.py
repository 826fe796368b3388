"""Hostile files and dying workers, at the boundaries a seller meets: the ``merdeka
import`` command run as a person runs it, and the upload page with its task.

Each bad file is refused in Bahasa Indonesia with nothing of it written; no run stays
"running" once its worker is gone.
"""

from __future__ import annotations

import io
import json
import os
import signal
import struct
import subprocess
import sys
import time
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from merdeka.core import schedule
from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Customer
from merdeka.imports.models import ImportFile, ImportRun
from merdeka.imports.pipeline import upload_path
from merdeka.imports.tests.test_crash import ORDERS, shopee_csv
from merdeka.orders.models import Order

ROOT = Path(__file__).resolve().parents[3]
DATA = Path(__file__).parent / "data"
CHAT = DATA / "whatsapp" / "Chat WhatsApp dengan Siti Nurhaliza.txt"
CHAT_ZIP_NAME = "Chat WhatsApp dengan Siti Nurhaliza.zip"
DAMAGED = "File zip ini rusak atau tidak lengkap"


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return (
        f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


def _env() -> dict:
    return {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "MERDEKA_DATA_DIR": str(settings.DATA_DIR),
        "MERDEKA_MASTER_KEY_FILE": str(settings.MERDEKA_MASTER_KEY_FILE),
        "MERDEKA_TESTING": "1",
    }


def merdeka(*args, **kwargs) -> subprocess.CompletedProcess:
    """``merdeka ARGS`` in its own process, as a seller runs it."""
    return subprocess.run(
        [sys.executable, "-m", "merdeka.cli", *map(str, args)],
        env=_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )


def chat_zip(*, claimed_size: int | None = None, cut: bool = False) -> bytes:
    """A phone's chat export zip; ``claimed_size`` rewrites what its headers say the chat
    unpacks to, ``cut`` keeps only its first half (a download that broke off)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(CHAT.name, CHAT.read_bytes() * 20)
    data = bytearray(buffer.getvalue())
    if claimed_size is not None:
        struct.pack_into("<I", data, 22, claimed_size)  # the local header
        central = data.find(b"PK\x01\x02")
        struct.pack_into("<I", data, central + 24, claimed_size)  # the central directory
    if cut:
        data = data[: len(data) // 2]
    return bytes(data)


DAMAGED_ZIPS = {
    "understated": {"claimed_size": 1000},
    "truncated": {"cut": True},
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", DAMAGED_ZIPS)
def test_the_command_refuses_a_damaged_chat_zip_and_closes_its_run(ika_shop, tmp_path, kind):
    path = tmp_path / CHAT_ZIP_NAME
    path.write_bytes(chat_zip(**DAMAGED_ZIPS[kind]))

    done = merdeka("import", path, "--shop", ika_shop.slug, "--json")

    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    report = json.loads(done.stdout)["files"][0]
    assert report["state"] == "rejected"
    message = report["problems"][0]["message"]
    assert DAMAGED in message and "bukan teks" not in message
    with shop_scope(ika_shop):
        assert ImportRun.objects.get().state == "done"
        assert ImportFile.objects.get().state == "rejected"
        assert Customer.objects.count() == 0


def test_an_uploaded_damaged_zip_is_refused_on_the_page_and_its_upload_deleted(
    ika_client, ika_shop, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = ika_client.post(
            reverse("import_home"),
            {"files": [SimpleUploadedFile(CHAT_ZIP_NAME, chat_zip(claimed_size=1000))]},
        )
    page = ika_client.get(response["Location"]).content.decode()
    assert DAMAGED in page
    assert "Berjalan" not in page and "aria-busy" not in page
    with shop_scope(ika_shop):
        run = ImportRun.objects.get()
        record = ImportFile.objects.get()
        assert Customer.objects.count() == 0
    assert (run.state, record.state) == ("done", "rejected")
    assert not upload_path(record).exists()


# -- a worker that dies -------------------------------------------------------------------


def _wait_for_a_running_file(shop, proc, *, timeout=60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with shop_scope(shop):
            if ImportFile.objects.filter(state="running").exists():
                return
        assert proc.poll() is None, "the import ended before it could be stopped"
        assert time.monotonic() < deadline, "the import never started"
        time.sleep(0.01)


def _sweep(minutes: float) -> None:
    """The scheduler's tick, ``minutes`` from now."""
    schedule.tick(now=timezone.now() + timedelta(minutes=minutes))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_killed_command_leaves_a_failed_run_that_says_what_to_do(client, ika, ika_shop, tmp_path):
    path = tmp_path / "Order.all.20250501_20250531.csv"
    shopee_csv(path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "merdeka.cli", "import", str(path), "--shop", ika_shop.slug],
        env=_env(),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_for_a_running_file(ika_shop, proc)
    # stopped, not dead: however stale its heartbeat, a live worker is left alone
    proc.send_signal(signal.SIGSTOP)
    try:
        _sweep(minutes=3)
        with shop_scope(ika_shop):
            assert ImportRun.objects.get().state == "running"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    _sweep(minutes=1)  # dead, but its heartbeat is still fresh
    with shop_scope(ika_shop):
        assert ImportRun.objects.get().state == "running"
    _sweep(minutes=3)

    with shop_scope(ika_shop):
        run = ImportRun.objects.get()
        record = ImportFile.objects.get()
        assert Order.objects.count() == 0 and Customer.objects.count() == 0
    assert (run.state, run.failure, record.state) == ("failed", "worker_lost", "rejected")
    client.force_login(ika)
    page = client.get(reverse("import_run", args=[run.pk])).content.decode()
    assert 'data-testid="run-failed"' in page and "aria-busy" not in page
    assert "Impor ini berhenti sebelum selesai" in page
    assert "unggah lagi" in page  # what to do next
    home = client.get(reverse("import_home")).content.decode()
    assert "Gagal" in home

    again = merdeka("import", path, "--shop", ika_shop.slug)  # running it again finishes it
    assert again.returncode == 0, again.stdout + again.stderr
    with shop_scope(ika_shop):
        assert Order.objects.count() == ORDERS


@pytest.mark.django_db(transaction=True)
def test_an_upload_whose_task_worker_dies_is_failed_and_its_upload_deleted(
    ika_client, ika_shop, tmp_path, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    path = tmp_path / "Order.all.20250501_20250531.csv"
    shopee_csv(path)
    response = ika_client.post(
        reverse("import_home"),
        {"files": [SimpleUploadedFile(path.name, path.read_bytes())]},
    )
    with shop_scope(ika_shop):
        run = ImportRun.objects.get()
        record = ImportFile.objects.get()
    assert upload_path(record).exists()

    # the task worker takes the run, and dies in the middle of it
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "merdeka.cli", "shell", "-c",
            "from merdeka.imports.tasks import process_import_run as task; "
            f"task.call(run_id={run.pk})",
        ],
        env=_env(), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    _wait_for_a_running_file(ika_shop, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    _sweep(minutes=3)

    run.refresh_from_db()
    record.refresh_from_db()
    assert (run.state, run.failure, record.state) == ("failed", "worker_lost", "rejected")
    assert not upload_path(record).exists()
    with shop_scope(ika_shop):
        assert Order.objects.count() == 0 and Customer.objects.count() == 0
    page = ika_client.get(response["Location"]).content.decode()
    assert "Impor ini berhenti sebelum selesai" in page and "aria-busy" not in page
    assert "Impor berhenti sebelum file ini selesai" in page  # the file's own line


# -- a file too wide ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("shape", ["first line", "after a title row", "quoted cells"])
def test_a_csv_with_a_million_columns_is_refused_with_a_clear_message(ika_shop, tmp_path, shape):
    path = tmp_path / "pelanggan.csv"
    title_row = shape != "first line"
    with open(path, "w", encoding="utf-8") as handle:
        if title_row:  # the wide row is not the first
            handle.write("Catatan pelanggan 2025\n")
        if shape == "quoted cells":  # a quoted cell: the rows must be parsed to count
            handle.write('"Nama, lengkap",')
        handle.write(",".join(f"k{i}" for i in range(1_000_000)) + "\n")
        handle.write("Siti,0812345678\n")
    assert path.stat().st_size > 6_000_000

    done = merdeka("import", path, "--shop", ika_shop.slug, "--json")

    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)["files"][0]
    assert report["state"] == "rejected"
    problem = report["problems"][0]
    assert "lebih dari 2.000 kolom" in problem["message"]
    assert problem["row"] == (2 if title_row else 1)
    with shop_scope(ika_shop):
        assert Customer.objects.count() == 0


def test_a_wide_spreadsheet_within_the_limit_waits_for_its_columns(
    ika_client, ika_shop, django_capture_on_commit_callbacks
):
    header = ",".join(f"Kolom {i}" for i in range(2000))
    row = ",".join(["0812345678", "2025-05-01 10:00", "Siti"] + ["x"] * 1997)
    with django_capture_on_commit_callbacks(execute=True):
        ika_client.post(
            reverse("import_home"),
            {"files": [SimpleUploadedFile("catatan.csv", f"{header}\n{row}\n".encode())]},
        )
    with shop_scope(ika_shop):
        record = ImportFile.objects.get()
    assert record.state == "mapping"  # its header was found, among the 2,000 columns


# -- messages in the seller's language --------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_oversized_cell_is_explained_in_indonesian_only(ika_shop, tmp_path):
    path = tmp_path / "pesanan.csv"
    path.write_text('Nama,Catatan\nSiti,"' + "a" * (11 * 2**20) + "\n", encoding="utf-8")

    done = merdeka("import", path, "--shop", ika_shop.slug, "--json")

    assert done.returncode == 1, done.stderr
    problem = json.loads(done.stdout)["files"][0]["problems"][0]
    assert problem["row"] == 2
    assert "sel yang lebih panjang dari 10 MB" in problem["message"]
    for english in ("field", "limit", "larger", "Error"):
        assert english not in problem["message"]

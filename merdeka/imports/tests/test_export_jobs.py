"""'Download everything' on the web: written in the background with its progress on the
page, sealed at rest until it is fetched, swept after a day or when its worker died."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from merdeka.core.scoping import shop_scope
from merdeka.customers.services import customer_create
from merdeka.imports import export_jobs
from merdeka.imports.models import ExportJob
from merdeka.privacy.models import AuditEvent


def test_the_seller_asks_sees_progress_and_downloads_the_zip(
    ika_client, ika_shop, django_capture_on_commit_callbacks
):
    customer_create(shop=ika_shop, name="Kanari Ekspor", phone="+6281377771234")
    with django_capture_on_commit_callbacks(execute=True):
        response = ika_client.post(reverse("shop_export"))
    assert response.status_code == 302
    page = ika_client.get(response["Location"]).content.decode()
    assert 'data-testid="export-ready"' in page and "Unduh" in page
    with shop_scope(ika_shop):
        job = ExportJob.objects.get()
    assert job.state == "done" and job.part == "csv" and job.size > 0
    # sealed at rest: the file in the data directory holds no phone number nor a zip
    sealed = export_jobs.job_path(job).read_bytes()
    assert b"81377771234" not in sealed and not sealed.startswith(b"PK")
    download = ika_client.get(reverse("shop_export_download", args=[job.token]))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    customers = [json.loads(line) for line in archive.read("customers.jsonl").splitlines()]
    assert [c["phone"] for c in customers] == ["+6281377771234"]
    assert json.loads(archive.read("manifest.json"))["counts"]["customers"] == 1
    with shop_scope(ika_shop):
        actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"export.requested", "export.created", "export.downloaded"} <= actions


def test_asking_twice_while_it_runs_gives_the_same_export(ika, ika_shop):
    first = export_jobs.export_job_start(shop=ika_shop, actor=ika)
    again = export_jobs.export_job_start(shop=ika_shop, actor=ika)
    assert again.pk == first.pk
    with shop_scope(ika_shop):
        assert ExportJob.objects.count() == 1


def test_the_page_shows_the_step_and_how_far_it_is(ika_client, ika_shop):
    job = ExportJob.unscoped.create(
        shop=ika_shop, token="a" * 32, state="running", part="orders", done=1200, total=5000
    )
    page = ika_client.get(reverse("shop_export_job", args=[job.token])).content.decode()
    assert 'data-testid="export-step"' in page
    assert "2 dari 6" in page and "1.200 / 5.000" in page
    assert 'hx-trigger="every 2s"' in page
    ExportJob.unscoped.filter(pk=job.pk).update(part="catalog", done=3, total=10)
    page = ika_client.get(reverse("shop_export_job", args=[job.token])).content.decode()
    assert "4 dari 6" in page and "produk, stok, dan foto" in page
    ExportJob.unscoped.filter(pk=job.pk).update(part="shop")
    page = ika_client.get(reverse("shop_export_job", args=[job.token])).content.decode()
    assert "5 dari 6" in page and "beli bareng" in page
    # not ready: no download
    assert ika_client.get(reverse("shop_export_download", args=[job.token])).status_code == 404


def test_a_dead_worker_and_an_old_export_are_swept(ika, ika_shop):
    job = export_jobs.export_job_start(shop=ika_shop, actor=ika)
    export_jobs.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    path = export_jobs.job_path(job)
    assert path.exists()
    stuck = ExportJob.unscoped.create(
        shop=ika_shop,
        token="b" * 32,
        state="running",
        heartbeat_at=timezone.now() - timedelta(minutes=5),
    )
    assert export_jobs.export_jobs_sweep() == 1
    stuck.refresh_from_db()
    assert stuck.state == "failed" and stuck.error
    assert path.exists()  # a fresh export stays for its download
    assert export_jobs.export_jobs_sweep(now=timezone.now() + timedelta(hours=25)) == 1
    job.refresh_from_db()
    assert job.state == "expired" and not path.exists()


def test_an_export_that_fails_says_so_and_leaves_no_file(ika, ika_shop, monkeypatch):
    job = export_jobs.export_job_start(shop=ika_shop, actor=ika)

    def broken(**kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(export_jobs, "export_shop", broken)
    export_jobs.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == "failed" and job.error
    assert not export_jobs.job_path(job).exists()


def test_another_shops_export_is_not_found(client, citra, citra_shop, ika_shop):
    job = ExportJob.unscoped.create(shop=ika_shop, token="c" * 32, state="done")
    client.force_login(citra)
    assert client.get(reverse("shop_export_job", args=[job.token])).status_code == 404
    assert client.get(reverse("shop_export_download", args=[job.token])).status_code == 404


def test_parts_told_side_by_side_keep_their_own_counts(ika, ika_shop, monkeypatch):
    """The customers (a second process) and the orders are written at the same time:
    their batches come in turns, and neither count starts again at the other's."""
    job = export_jobs.export_job_start(shop=ika_shop, actor=ika)
    seen = []

    def side_by_side(*, progress, **kwargs):
        for what, step, total in [
            ("orders", 2000, 6000),
            ("customers", 2000, 3000),
            ("orders", 2000, 6000),
            ("customers", 1000, 3000),
            ("orders", 2000, 6000),
        ]:
            progress(what, step, total)
            seen.append(ExportJob.unscoped.values_list("part", "done", "total").get(pk=job.pk))
        raise OSError("stop here")

    monkeypatch.setattr(export_jobs, "export_shop", side_by_side)
    export_jobs.export_job_run(job_id=job.pk)
    assert seen[0] == ("orders", 2000, 6000)  # a part shows as it starts
    assert seen[1] == ("customers", 2000, 3000)
    assert seen[3] == ("customers", 3000, 3000)  # and as it ends, its own count
    assert seen[4] == ("orders", 6000, 6000)

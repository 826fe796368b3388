"""The import's page says when the import is usable and when it is complete (issue 20)."""

from __future__ import annotations

from django.urls import reverse

from merdeka.books.tests.test_orders import shopee
from merdeka.core import events
from merdeka.imports import pipeline


def _imported_run(shop, tmp_path):
    """A run whose file is committed and whose books wait (no drain ran: the test's
    transaction never commits)."""
    path = tmp_path / "Order.all.20250501_20250531.csv"
    shopee(path, "Completed")
    run = pipeline.run_create(shop=shop)
    assert pipeline.import_path(shop=shop, run=run, path=path).state == "imported"
    pipeline.run_finish(run)
    return run


def test_the_page_says_what_is_still_being_completed_then_that_it_is_complete(
    ika_client, ika_shop, tmp_path
):
    run = _imported_run(ika_shop, tmp_path)
    url = reverse("import_run", kwargs={"run_id": run.pk})
    page = ika_client.get(url).content.decode()
    assert 'data-testid="deferred-waiting"' in page
    assert "Pesanan dan pelanggan sudah masuk" in page
    assert "nomor HP lengkap sudah bisa dicari" in page
    assert "pencarian lewat nama atau sebagian nomor sedang dilengkapi (2 tersisa)" in page
    assert 'hx-trigger="every 2s"' in page  # it keeps asking until complete
    assert 'data-testid="deferred-complete"' not in page
    events.outbox_drain()
    page = ika_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'data-testid="deferred-waiting"' not in page
    assert "Impor sudah lengkap" in page and "sebagian nomornya" in page
    assert "hx-trigger" not in page  # complete: the page stops asking


def test_a_run_that_brought_nothing_new_says_nothing_of_completing(ika_client, ika_shop, tmp_path):
    _imported_run(ika_shop, tmp_path)
    events.outbox_drain()
    again = _imported_run_again(ika_shop, tmp_path)
    page = ika_client.get(reverse("import_run", kwargs={"run_id": again.pk})).content.decode()
    assert "deferred-waiting" not in page and "deferred-complete" not in page


def _imported_run_again(shop, tmp_path):
    run = pipeline.run_create(shop=shop)
    path = tmp_path / "Order.all.20250501_20250531.csv"
    assert pipeline.import_path(shop=shop, run=run, path=path).state == "duplicate"
    pipeline.run_finish(run)
    return run

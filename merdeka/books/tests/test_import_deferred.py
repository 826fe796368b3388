"""An import's orders post after its file commits (issue 20): through the outbox, on
their own days, exact whatever comes first (a later file, the seller's change)."""

from __future__ import annotations

import datetime as dt
from functools import partial

from django.core.management import call_command
from django.db import transaction

from merdeka.books.models import JournalEntry
from merdeka.books.orders import IMPORT_POSTINGS, order_postings_sync
from merdeka.books.tests.test_orders import by_key, shopee
from merdeka.core import events
from merdeka.core.models import EventOutbox
from merdeka.core.scoping import shop_scope
from merdeka.core.tasks import drain_outbox
from merdeka.imports import pipeline
from merdeka.imports.deferred import deferred_finish, deferred_waiting
from merdeka.orders.models import Order

POSTED = {"marketplace:shopee": 85000, "sales": 85000}


def _import(shop, path, expect="imported"):
    """One file as the web upload imports it: committed, its deferred steps waiting
    (the test's transaction never commits, so no drain task runs)."""
    run = pipeline.run_create(shop=shop)
    report = pipeline.import_path(shop=shop, run=run, path=path)
    assert report.state == expect, report.problems
    return report


def _entries(shop):
    with shop_scope(shop):
        return list(JournalEntry.objects.order_by("id").values_list("date", "key"))


def test_the_file_commits_without_its_postings_and_the_drain_posts_them_on_the_orders_day(
    ika_shop, tmp_path
):
    path = tmp_path / "Order.all.20250501_20250531.csv"
    shopee(path, "Completed")
    _import(ika_shop, path)
    # usable: the order is there; complete: not yet
    with shop_scope(ika_shop):
        assert Order.objects.filter(shop=ika_shop).count() == 1
    assert _entries(ika_shop) == []
    # the order's postings, the buyer's name and her match keys
    assert deferred_waiting(shop=ika_shop) == 3
    assert events.outbox_drain() >= 1
    assert deferred_waiting(shop=ika_shop) == 0
    assert by_key(ika_shop) == POSTED
    [(day, _key)] = _entries(ika_shop)
    assert day == dt.date(2025, 5, 1)  # the order's own day, as when it posted inline
    with shop_scope(ika_shop):
        ids = list(Order.objects.values_list("pk", flat=True))
    assert order_postings_sync(shop=ika_shop, order_ids=ids) == 0  # nothing twice
    _import(ika_shop, path, expect="duplicate")  # the same file again: nothing waits
    assert deferred_waiting(shop=ika_shop) == 0


def test_a_later_file_is_exact_before_or_after_the_drain(ika_shop, tmp_path):
    first = tmp_path / "Order.all.20250501_20250531.csv"
    shopee(first, "Completed")
    later = tmp_path / "Order.all.20250501_20250602.csv"
    shopee(later, "Cancelled")
    _import(ika_shop, first)
    _import(ika_shop, later)  # its order.synced waits behind the import's event
    assert deferred_waiting(shop=ika_shop) == 4  # and the buyer's name and keys
    deferred_finish(shop=ika_shop)
    assert by_key(ika_shop) == {}
    assert _entries(ika_shop) == []  # never posted: it was cancelled when it posted


def test_a_later_file_after_the_drain_reverses_on_the_orders_day(ika_shop, tmp_path):
    first = tmp_path / "Order.all.20250501_20250531.csv"
    shopee(first, "Completed")
    later = tmp_path / "Order.all.20250501_20250602.csv"
    shopee(later, "Cancelled")
    _import(ika_shop, first)
    deferred_finish(shop=ika_shop)
    assert by_key(ika_shop) == POSTED
    _import(ika_shop, later)
    deferred_finish(shop=ika_shop)
    assert by_key(ika_shop) == {}
    assert [day for day, _key in _entries(ika_shop)] == [dt.date(2025, 5, 1)] * 2


def test_a_sellers_change_first_delivers_what_waits_so_the_import_posts_on_its_day(
    ika_shop, tmp_path
):
    path = tmp_path / "Order.all.20250501_20250531.csv"
    shopee(path, "Completed")
    _import(ika_shop, path)
    with shop_scope(ika_shop):
        order_id = Order.objects.get().pk
    # an inline event of the order (as the lifecycle says a change of it) before the
    # drain: the import's posting comes first, on the order's day, not on today's
    with transaction.atomic():
        events.emit("order.paid", shop_id=ika_shop.pk, order_id=order_id)
    assert not EventOutbox.unscoped.filter(subscriber=IMPORT_POSTINGS).exists()
    assert [day for day, _key in _entries(ika_shop)] == [dt.date(2025, 5, 1)]
    assert by_key(ika_shop) == POSTED
    assert events.outbox_drain() == 0 or by_key(ika_shop) == POSTED


def test_a_file_that_rolls_back_leaves_nothing_waiting(ika_shop, tmp_path):
    path = tmp_path / "Order.all.20250501_20250531.csv"
    shopee(path, "Completed")

    class Stop(Exception):
        pass

    try:
        with transaction.atomic():
            _import(ika_shop, path)
            assert deferred_waiting(shop=ika_shop) == 3
            raise Stop
    except Stop:
        pass
    assert deferred_waiting(shop=ika_shop) == 0
    assert _entries(ika_shop) == []


def test_the_command_returns_with_the_import_complete(ika_shop, tmp_path, capsys):
    path = tmp_path / "Order.all.20250501_20250531.csv"
    shopee(path, "Completed")
    call_command("import", str(path), "--shop", ika_shop.slug)
    assert deferred_waiting(shop=ika_shop) == 0
    assert not EventOutbox.unscoped.filter(shop_id=ika_shop.pk).exists()
    assert by_key(ika_shop) == POSTED
    capsys.readouterr()


def test_the_outbox_task_goes_on_while_rows_are_due(ika_shop, tmp_path, monkeypatch):
    first = tmp_path / "Order.all.20250501_20250531.csv"
    shopee(first, "Completed")
    later = tmp_path / "Order.all.20250501_20250602.csv"
    shopee(later, "Cancelled")
    _import(ika_shop, first)
    _import(ika_shop, later)
    drain = events.outbox_drain
    monkeypatch.setattr(events, "outbox_drain", partial(drain, limit=1))  # a row a batch
    drain_outbox.call()  # queues itself again (run at once in tests) until none is due
    assert deferred_waiting(shop=ika_shop) == 0
    assert by_key(ika_shop) == {}

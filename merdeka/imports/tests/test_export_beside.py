"""``merdeka export`` with its second process (merdeka.imports.export_beside): the same
files as written in one process, and nothing left of a second process that failed.

The rows are committed here (a transactional test): the second process has its own
connection and sees only committed rows."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection, transaction

from merdeka.core.models import Shop
from merdeka.core.scoping import shop_scope
from merdeka.imports import exporting
from merdeka.imports.export_beside import BESIDE, FOLDER, Beside
from merdeka.imports.exporting import export_shop
from merdeka.imports.tests.test_export_roundtrip import seed
from merdeka.imports.tests.test_export_stream import seed_orders
from merdeka.orders.models import Order

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("split", [False, True])
def test_a_second_process_writes_the_files_one_process_writes(
    ika_shop, tmp_path, monkeypatch, split
):
    with transaction.atomic():
        seed(ika_shop)
    if split:  # the second process writes the last orders too (half of them here)
        with transaction.atomic():
            seed_orders(ika_shop, 5)
        monkeypatch.setattr(exporting, "SPLIT_LEAST", 1)
        monkeypatch.setattr(exporting, "CUSTOMER_COST", 0)
        monkeypatch.setattr(exporting, "ENTRY_COST", 0)
        with shop_scope(ika_shop):
            total = Order.objects.filter(shop=ika_shop).count()
            assert total >= 2 and exporting.orders_split(ika_shop, total) is not None
    heard: dict[str, list[tuple[int, int]]] = {}
    beside = export_shop(
        shop=ika_shop,
        out=tmp_path / "beside",
        progress=lambda what, step, total: heard.setdefault(what, []).append((step, total)),
    )
    assert "beside" in beside.timings  # the customers and the journal: the other process
    assert sum(step for step, _total in heard["orders"]) == beside.orders
    assert len(heard["orders"]) == (2 if split else 1)  # a batch from each process
    with transaction.atomic():  # inside a transaction: all in this process
        alone = export_shop(shop=ika_shop, out=tmp_path / "alone")
    assert "beside" not in alone.timings
    assert (beside.customers, beside.orders, beside.journal_entries) == (
        alone.customers,
        alone.orders,
        alone.journal_entries,
    )
    assert beside.customers > 0 and beside.orders > 0
    names = sorted(p.name for p in (tmp_path / "alone").iterdir())
    assert sorted(p.name for p in (tmp_path / "beside").iterdir()) == names
    assert FOLDER not in names
    for name in names:
        if name in ("manifest.json", "merdeka-export.xlsx", "photos"):
            continue
        assert (tmp_path / "beside" / name).read_bytes() == (
            tmp_path / "alone" / name
        ).read_bytes(), name
    manifests = [
        json.loads((tmp_path / side / "manifest.json").read_text()) for side in ("beside", "alone")
    ]
    for manifest in manifests:
        manifest.pop("exported_at")
    assert manifests[0] == manifests[1]


def test_a_second_process_that_fails_leaves_nothing(ika_shop, tmp_path):
    out = tmp_path / "export"
    out.mkdir()
    missing = Shop(pk=ika_shop.pk + 1000)  # no such shop: the second process stops
    beside = Beside.start(shop=missing, out=out, connection=connection, settings=settings)
    with pytest.raises(RuntimeError):
        beside.finish()
    assert list(out.iterdir()) == []
    assert not any((out / name).exists() for name in BESIDE)


def test_the_second_process_tells_its_progress_as_it_writes(ika_shop, tmp_path):
    with transaction.atomic():
        seed(ika_shop)
    heard: dict[str, list[tuple[int, int]]] = {}
    report = export_shop(
        shop=ika_shop,
        out=tmp_path / "export",
        progress=lambda what, step, total: heard.setdefault(what, []).append((step, total)),
    )
    assert "beside" in report.timings
    assert heard["customers"] == [(report.customers, report.customers)]
    assert heard["journal"] == [(report.journal_entries, report.journal_entries)]
    # customers.csv (the second process), orders.csv, the workbook: one step each
    assert heard["csv"] == [(1, 3)] * 3


def test_its_progress_is_heard_while_it_runs(tmp_path):
    """A batch the second process has written reaches the export's progress at the next
    batch of this one's, not when the second process ends."""
    script = (
        "import json, sys\n"
        "print('a warning of a library', flush=True)\n"
        "print(42, flush=True)\n"
        "print(json.dumps({'progress': ['customers', 2000, 70000]}), flush=True)\n"
        "sys.stdin.read()\n"  # runs on until told to stop
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    folder = tmp_path / FOLDER
    folder.mkdir()
    beside = Beside(process, folder, tmp_path)
    heard = []
    told = beside.relaying(lambda *said: heard.append(said))
    deadline = time.monotonic() + 60
    while ("customers", 2000, 70000) not in heard and time.monotonic() < deadline:
        told("orders", 2000, 10000)
        time.sleep(0.05)
    at = heard.index(("customers", 2000, 70000))
    assert heard[at + 1] == ("orders", 2000, 10000)  # relayed before this one's own
    assert process.poll() is None  # still running
    beside.stop()
    assert process.poll() is not None and not folder.exists()

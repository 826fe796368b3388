"""``merdeka export`` with its second process (merdeka.imports.export_beside): the same
files as written in one process, and nothing left of a second process that failed.

The rows are committed here (a transactional test): the second process has its own
connection and sees only committed rows."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.db import connection, transaction

from merdeka.core.models import Shop
from merdeka.imports.export_beside import BESIDE, FOLDER, Beside
from merdeka.imports.exporting import export_shop
from merdeka.imports.tests.test_export_roundtrip import seed

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_second_process_writes_the_files_one_process_writes(ika_shop, tmp_path):
    with transaction.atomic():
        seed(ika_shop)
    beside = export_shop(shop=ika_shop, out=tmp_path / "beside")
    assert "beside" in beside.timings  # the customers and the journal: the other process
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

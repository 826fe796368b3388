"""A fast sample of the standing fuzz campaign (bench/fuzz_imports.py runs 10,000):
hostile variants of every sample file through ``merdeka import`` and the upload page
leave no crash, no stuck run, no partial write and no file behind."""

from __future__ import annotations

import tempfile

import pytest
from django.db import connection

from merdeka.core.services import shop_create
from merdeka.imports.tests import fuzzing

SEED = 20261206
COUNT = 80
# SQLite and PostgreSQL each take their own 80 variants: twice the damage seen for the
# time of one sample (the campaign itself runs 10,000 on either).


@pytest.mark.django_db(transaction=True)
def test_hostile_variants_of_every_sample_are_imported_or_refused_cleanly(
    ika, ika_shop, tmp_path, monkeypatch
):
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))  # files left behind show here

    def shop_factory(n):
        return ika_shop if n == 0 else shop_create(name=f"Toko Uji {n}", owner=ika)

    campaign = fuzzing.Campaign(
        owner=ika, shop_factory=shop_factory, workdir=tmp_path / "in", shop_every=75
    )
    first = COUNT if connection.vendor == "postgresql" else 0
    tally = campaign.run(seed=SEED, indexes=range(first, first + COUNT))

    assert tally.files == COUNT
    assert [f.as_dict() for f in tally.findings] == []
    assert tally.counts() == {"crash": 0, "stuck": 0, "partial_write": 0, "left_behind": 0}
    # the sample reaches every outcome: imported, refused, waiting for its columns
    assert {"imported", "rejected", "mapping"} <= set(tally.by_state)
    assert tally.by_boundary == {"cli": COUNT // 2, "web": COUNT // 2}


def test_the_mutants_are_seeded_and_cover_every_sample_and_every_kind_of_damage():
    pool = fuzzing.samples()
    first = [fuzzing.mutate(SEED, i, pool) for i in range(400)]
    again = [fuzzing.mutate(SEED, i, pool) for i in range(400)]
    assert [m.data for m in first] == [m.data for m in again]
    assert {m.sample for m in first[: len(pool)]} == {
        str(p.relative_to(fuzzing.DATA)) for p in pool
    }
    kinds = {step.split(":")[0].split("(")[0] for m in first for step in m.steps}
    assert {"bytes", "zip_lie", "zip_entry", "table", "xlsx", "lines", "name"} <= kinds
    steps = {step for m in first for step in m.steps}
    assert any(s.startswith("bytes:encoding:utf-16") for s in steps)
    assert any(s.startswith("zip_lie:") and ("understate" in s or "1000" in s) for s in steps)

"""SIGKILL of the web worker taking an upload and of the task worker importing it, at
seeded moments, leaves no stuck run, no partial write and no file behind once the
scheduler's sweep has run. A few points here; bench/kill_imports.py runs fifty and more."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.db import connection

from merdeka.imports.tests import killing

POINTS = 2  # of each kind


def _env() -> dict:
    db = connection.settings_dict
    url = (
        f"sqlite:///{db['NAME']}"
        if connection.vendor == "sqlite"
        else f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    return {
        **os.environ,
        "DATABASE_URL": url,
        "MERDEKA_DATA_DIR": str(settings.DATA_DIR),
        "MERDEKA_MASTER_KEY_FILE": str(settings.MERDEKA_MASTER_KEY_FILE),
        "MERDEKA_TESTING": "1",
        "MERDEKA_TEST_DB_TASKS": "1",  # the web queues, the task worker takes
    }


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_killing_the_web_and_task_workers_leaves_nothing_stuck_partial_or_on_disk(tmp_path):
    bench = killing.Bench(env=_env(), workdir=tmp_path, orders=800, seed=20261206)
    try:
        bench.calibrate()
        outcomes = [bench.kill_web(i) for i in range(POINTS)]
        outcomes += [bench.kill_task(POINTS + i) for i in range(POINTS)]
    finally:
        bench.close()
    assert [(o.where, o.stage, o.problems) for o in outcomes if o.problems] == []

"""Killing a real import at random moments never leaves a file half-written."""

from __future__ import annotations

import csv
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from merdeka.core.scoping import shop_scope
from merdeka.core.services import shop_create
from merdeka.customers.models import Customer
from merdeka.imports.models import ImportFile
from merdeka.orders.models import Order

ROOT = Path(__file__).resolve().parents[3]
ORDERS = 6000


def shopee_csv(path: Path) -> None:
    rng = random.Random(11)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(
            ["Order ID", "Order Status", "Order Creation Date", "Product Name", "Quantity",
             "Deal Price", "Username (Buyer)", "Receiver Name", "Phone Number", "City",
             "Province"]
        )  # fmt: skip
        for i in range(ORDERS):
            buyer = rng.randint(1, 600)
            writer.writerow(
                [f"25050{i:06d}X", "Completed", f"2025-05-{1 + i % 28:02d} 10:{i % 60:02d}",
                 "Nastar Keju", rng.randint(1, 4), "85,000", f"pembeli{buyer}",
                 f"Pembeli Nomor {buyer}", f"62812{buyer:08d}", "Kota Bandung", "Jawa Barat"]
            )  # fmt: skip


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _files_started(shop) -> int:
    with shop_scope(shop):
        return ImportFile.objects.count()


def _run_until_started(command, env, shop, before: int) -> tuple[subprocess.Popen, float]:
    """Start an import and return once its file is being imported (and when that was)."""
    proc = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while _files_started(shop) == before and proc.poll() is None:
        assert time.monotonic() < deadline, "the import never started"
        time.sleep(0.01)
    return proc, time.monotonic()


def _settled() -> None:
    """Wait until the database has finished what a killed import sent before it died.

    On PostgreSQL the server goes on with a killed client's last statements (a COPY,
    even its COMMIT) until it notices the client is gone: counted at once, the orders
    could be read before that commit and the customers after it. Once no other session
    on this database is inside a transaction, the file is there whole or not at all.
    (SQLite has no server: the dead process's lock is gone with it.)"""
    if connection.vendor != "postgresql":
        return
    deadline = time.monotonic() + 30
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state <> 'idle'"
            )
            if cursor.fetchone()[0] == 0:
                return
            assert time.monotonic() < deadline, "a killed import's session never ended"
            time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_killing_an_import_at_random_points_leaves_all_or_nothing(
    ika, ika_shop, citra_shop, tmp_path
):
    path = tmp_path / "Order.all.20250501_20250531.csv"
    shopee_csv(path)
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "MERDEKA_DATA_DIR": str(settings.DATA_DIR),
        "MERDEKA_MASTER_KEY_FILE": str(settings.MERDEKA_MASTER_KEY_FILE),
        "MERDEKA_TESTING": "1",
    }

    def command(shop):
        return [sys.executable, "-m", "merdeka.cli", "import", str(path), "--shop", shop.slug]

    # How long does the file take once it has started? Measured on another shop, so the
    # kills below land anywhere in the real work: hashing, parsing, writing, committing.
    proc, started = _run_until_started(command(citra_shop), env, citra_shop, 0)
    assert proc.wait() == 0
    window = time.monotonic() - started

    rng = random.Random(20261124)
    interrupted = []
    for attempt in range(12):
        shop = ika_shop if attempt == 0 else shop_create(name=f"Toko {attempt}", owner=ika)
        proc, _started = _run_until_started(command(shop), env, shop, 0)
        time.sleep(rng.uniform(0, window))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        _settled()
        with shop_scope(shop):
            orders = Order.objects.count()
            assert orders in (0, ORDERS), orders  # never a part of the file
            if orders == 0:
                assert Customer.objects.count() == 0
                interrupted.append(shop)
            else:
                window *= 0.7  # that one finished first (a busy machine): aim earlier
        if len(interrupted) == 3:
            break
    assert len(interrupted) >= 2, "the kills should land while a file is being imported"
    ika_shop = interrupted[0]
    finished = subprocess.run(command(ika_shop), env=env, cwd=ROOT, capture_output=True, text=True)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    with shop_scope(ika_shop):
        assert Order.objects.count() == ORDERS
        assert Customer.objects.filter(merged_into__isnull=True).count() == len(
            set(Order.objects.values_list("customer_id", flat=True))
        )

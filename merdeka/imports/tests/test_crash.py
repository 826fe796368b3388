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
from merdeka.customers.models import Customer
from merdeka.imports.models import ImportFile
from merdeka.orders.models import Order

ROOT = Path(__file__).resolve().parents[3]
ORDERS = 1500


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


@pytest.mark.django_db(transaction=True)
def test_killing_an_import_at_random_points_leaves_all_or_nothing(ika_shop, tmp_path):
    path = tmp_path / "Order.all.20250501_20250531.csv"
    shopee_csv(path)
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "MERDEKA_DATA_DIR": str(settings.DATA_DIR),
        "MERDEKA_MASTER_KEY_FILE": str(settings.MERDEKA_MASTER_KEY_FILE),
        "MERDEKA_TESTING": "1",
    }
    command = [sys.executable, "-m", "merdeka.cli", "import", str(path), "--shop", ika_shop.slug]
    rng = random.Random(20261124)
    interrupted = 0
    for _ in range(3):
        proc = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(1.0, 2.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        with shop_scope(ika_shop):
            orders = Order.objects.count()
            assert orders in (0, ORDERS), orders  # never a part of the file
            if orders == 0:
                assert Customer.objects.count() == 0
            interrupted += ImportFile.objects.filter(state="running").count() > interrupted
    assert interrupted >= 2, "the kills should land while a file is being imported"
    finished = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    with shop_scope(ika_shop):
        assert Order.objects.count() == ORDERS
        assert Customer.objects.filter(merged_into__isnull=True).count() == len(
            set(Order.objects.values_list("customer_id", flat=True))
        )

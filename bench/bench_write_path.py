"""The import writer's orders and lines, written again and again in one process with each
step of the write path on or off, to tell the steps apart on a busy machine (issue 20).

    .venv/bin/python bench/bench_write_path.py [--orders 27000] [--lines 42000] [--rounds 5]

Rows shaped as the writer makes them (a random city blind index, times over a year in
WIB, decimals) into a fresh SQLite database, each round in a transaction rolled back at
its end (schema changes too: an index made or dropped for a mode goes with it). Modes,
taken in turn each round, the least CPU of the rounds printed:

* ``before``: rows adapted by ``bulk.insert``, per-row triggers, the order city index;
* ``adapted``: rows made as stored (``bulk.stored_as``, ``adapted=True``);
* ``set_wise``: and their sales days marked set-wise (``sales_days.marked_set_wise``);
* ``now``: and no order city index (orders migration 0010): today's writer;
* ``lean``: and none of the orders' key_version, ordered_at, import_file indexes either
  (what ``bench_engine_floor.py --lean`` drops), which queries read: a bound, not a plan.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
from contextlib import nullcontext
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

CITY = 'CREATE INDEX "orders_order_city_index_5b2e74b6" ON "orders_order" ("city_index")'
LEAN = [
    'DROP INDEX "orders_order_key_version_53aa34d6"',
    'DROP INDEX "orders_order_ordered_at_6ce09183"',
    'DROP INDEX "orders_order_import_file_id_f14d8077"',
]
MODES = {  # adapted rows, set-wise marks, schema statements first
    "before": (False, False, [CITY]),
    "adapted": (True, False, [CITY]),
    "set_wise": (True, True, [CITY]),
    "now": (True, True, []),
    "lean": (True, True, LEAN),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=27_000)
    parser.add_argument("--lines", type=int, default=42_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    import bench_import

    bench_import.setup_django(tempfile.mkdtemp(prefix="merdeka-bench-"))
    # Django's modules after its setup
    from django.db import connection, transaction
    from django.utils import timezone

    from merdeka.core import bulk, services
    from merdeka.core.models import Shop, User
    from merdeka.imports.writer import LINE_COLUMNS, ORDER_COLUMNS
    from merdeka.orders import sales_days
    from merdeka.orders.models import Order, OrderLine

    owner = User.objects.create_user("path")
    services.shop_create(name="Path", owner=owner, slug="path")
    shop_id = Shop.objects.get().pk
    rng = random.Random(2026)
    start = dt.datetime(2025, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    times = [start + dt.timedelta(seconds=rng.randrange(365 * 86400)) for _ in range(args.orders)]
    cities = [f"{rng.getrandbits(128):032x}" for _ in range(args.orders)]

    def once(adapted: bool, set_wise: bool, schema: list[str]) -> float:
        with transaction.atomic():
            with connection.cursor() as cursor:
                for statement in schema:
                    cursor.execute(statement)
            began = time.process_time()
            ids = bulk.reserve_ids(Order, args.orders)
            (stored,) = bulk.stored_as(Order, "ordered_at") if adapted else (lambda v: v,)
            now = stored(timezone.now())
            orders = [
                (pk, shop_id, bulk.new_uid(), 1, "tiktok", f"E{pk}", None, "paid", "Selesai",
                 stored(at), stored(None), Decimal(125000), Decimal(0), Decimal(0), "x", city,
                 "", "", "Jawa Barat", "", None, now, now)
                for pk, at, city in zip(ids, times, cities, strict=True)
            ]  # fmt: skip
            lines = [
                (shop_id, ids[k % args.orders], k // args.orders, "SKU", "Nastar", "", 1,
                 Decimal(62500), Decimal(62500))
                for k in range(args.lines)
            ]  # fmt: skip
            marking = sales_days.marked_set_wise(shop_id=shop_id) if set_wise else nullcontext()
            with marking:
                bulk.insert(Order, ORDER_COLUMNS, orders, shop_id=shop_id, adapted=adapted)
                bulk.insert(OrderLine, LINE_COLUMNS, lines, shop_id=shop_id, adapted=adapted)
            spent = time.process_time() - began
            transaction.set_rollback(True)
        return spent

    best = dict.fromkeys(MODES, float("inf"))
    before = os.getloadavg()
    for _ in range(args.rounds):
        for mode, how in MODES.items():
            best[mode] = min(best[mode], once(*how))
    print(
        json.dumps(
            {
                "orders": args.orders,
                "lines": args.lines,
                "rounds": args.rounds,
                "cpu_seconds": {mode: round(s, 3) for mode, s in best.items()},
                "cpu_us_per_line": {
                    mode: round(s / args.lines * 1e6, 1) for mode, s in best.items()
                },
                "load_before": before,
                "load_after": os.getloadavg(),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()

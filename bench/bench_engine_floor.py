"""The floor of a set-based import: what the rows of a year of TikTok orders cost to
make and write at the least, with nothing the real engine decides (issue 20).

    .venv/bin/python bench/bench_engine_floor.py [--lines 100000] [--people 30000] [--lean]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/bench_engine_floor.py

Not an importer: it is the lower bound any engine writing today's schema pays, to weigh
the ≥ 50,000 lines/s target against. On the TikTok CSV exports of ``bench_import.py``'s
generated year (cached under ``bench/.data/``), in one process, into a fresh database:

* read the used columns with Polars, normalise phones (a regular expression only),
  usernames and times as columns;
* blind indexes: one HMAC per distinct username and phone;
* resolve: a union-find over integer claim ids (each order links its username and its
  phone), new customers only, no lookup of existing identities, no gifts, no review;
* seal: **one** AES-GCM blob per order and per customer (today: five columns sealed
  apart for each), one per identity;
* write with ``bulk.insert`` (the writer's own path: rows made as the backend stores
  them, ``bulk.stored_as``; the orders' sales days marked set-wise,
  ``sales_days.marked_set_wise``) the customers, identities, orders and lines, in one
  transaction.

``--lean`` first drops what the orders' and lines' tables carry beyond the lookups an
import needs (the sales-day triggers and four single-column indexes), to show what the
schema costs (SQLite only). The CPU seconds of each stage are printed (the machine may
be shared: the load average is printed too).

On PostgreSQL (``DATABASE_URL``; the bench database is flushed first) the rows go in by
``COPY`` and the server's backend does the inserting: its CPU seconds per stage are read
from ``/proc`` (the server runs on this machine) and printed beside the client's, and
the floor is their sum.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import sys
import tempfile
import time
import uuid
from contextlib import nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

COLUMNS = {
    "Order ID": "oid",
    "Order Status": "status",
    "Seller SKU": "sku",
    "Product Name": "name",
    "Variation": "variant",
    "Quantity": "qty",
    "SKU Unit Original Price": "price",
    "SKU Subtotal After Discount": "subtotal",
    "Order Amount": "total",
    "Created Time": "created",
    "Buyer Username": "user",
    "Recipient": "recipient",
    "Phone #": "phone",
    "Province": "province",
    "Regency and City": "city",
    "Detail Address": "street",
}
LEAN_DROPS = (
    "DROP TRIGGER orders_sales_order_in",
    "DROP TRIGGER orders_sales_line_in",
    'DROP INDEX "orders_order_key_version_53aa34d6"',
    'DROP INDEX "orders_order_ordered_at_6ce09183"',
    'DROP INDEX "orders_order_import_file_id_f14d8077"',
    'DROP INDEX IF EXISTS "orders_order_city_index_5b2e74b6"',  # gone since orders 0010
)


def _server_cpu(pid: int | None) -> float:
    """CPU seconds of the PostgreSQL backend ``pid`` so far (0 without one)."""
    if pid is None:
        return 0.0
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Clock:
    """CPU seconds per stage: this process's, and the database server's backend's."""

    def __init__(self, server_pid: int | None = None):
        self.stages: dict[str, float] = {}
        self.server: dict[str, float] = {}
        self._pid = server_pid
        self._at = time.process_time()
        self._server_at = _server_cpu(server_pid)

    def lap(self, name: str) -> None:
        now, server = time.process_time(), _server_cpu(self._pid)
        self.stages[name] = self.stages.get(name, 0.0) + now - self._at
        self.server[name] = self.server.get(name, 0.0) + server - self._server_at
        self._at, self._server_at = now, server


def union_find(pairs, n: int) -> list[int]:
    parent = list(range(n))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for x, y in pairs:
        rx, ry = find(x), find(y)
        if rx != ry:
            parent[max(rx, ry)] = min(rx, ry)
    return [find(x) for x in range(n)]


def run(files: list[Path], *, lean: bool) -> dict:
    import polars as pl
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from django.db import connection, transaction
    from django.utils import timezone

    from merdeka.core import bulk
    from merdeka.core.models import Shop
    from merdeka.customers.models import Customer, Identity
    from merdeka.imports.writer import LINE_COLUMNS, ORDER_COLUMNS
    from merdeka.orders import sales_days
    from merdeka.orders.models import Order, OrderLine

    shop_id = Shop.objects.get().pk
    server_pid = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (server_pid,) = cursor.fetchone()
    clock = Clock(server_pid)
    frame = pl.concat(
        pl.read_csv(f, columns=list(COLUMNS), infer_schema=False, skip_rows_after_header=1)
        for f in files
    ).rename(COLUMNS)
    clock.lap("read")
    digits = pl.col("phone").str.replace_all(r"[^0-9]", "")
    frame = frame.with_columns(
        pl.when(pl.col("phone").str.contains(r"\*"))
        .then(None)
        .otherwise(pl.concat_str(pl.lit("+62"), digits.str.replace(r"^(62|0)", "")))
        .alias("e164"),
        pl.col("user").str.to_lowercase().str.strip_chars().alias("user"),
        pl.col("created").str.strptime(pl.Datetime("us", "UTC"), "%d/%m/%Y %H:%M:%S"),
        pl.col("qty").cast(pl.Int64),
        pl.col("price").cast(pl.Int64),
        pl.col("subtotal").cast(pl.Int64),
        pl.col("total").cast(pl.Int64),
    )
    orders = frame.unique("oid", keep="first", maintain_order=True)
    clock.lap("normalise")

    key = secrets.token_bytes(32)
    users, phones = orders["user"].to_list(), orders["e164"].to_list()
    index: dict[str, str] = {}
    for text in [f"username|tiktok|{u}" for u in users] + [f"phone||{p}" for p in phones if p]:
        if text not in index:
            index[text] = hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:32]
    clock.lap("blind indexes")

    claim: dict[str, int] = {}
    ends = []
    for u, p in zip(users, phones, strict=True):
        a = claim.setdefault("u" + u, len(claim))
        ends.append((a, claim.setdefault("p" + p, len(claim)) if p else a))
    roots = union_find(ends, len(claim))
    component = {}
    customer_of = [component.setdefault(roots[a], len(component)) for a, _ in ends]
    clock.lap("resolve")

    aead = AESGCM(secrets.token_bytes(32))
    # rows made as the backend stores them, as the writer makes them (bulk.stored_as)
    (stored_time,) = bulk.stored_as(Order, "ordered_at")
    now = stored_time(timezone.now())

    def seal(values, uid: str) -> str:
        plain = json.dumps(values, ensure_ascii=False).encode()
        return aead.encrypt(os.urandom(12), plain, uid.encode()).hex()

    recipients, streets = orders["recipient"].to_list(), orders["street"].to_list()
    cities, provinces = orders["city"].to_list(), orders["province"].to_list()
    times = [stored_time(t) for t in orders["created"].to_list()]
    totals = orders["total"].to_list()
    order_ids, statuses = orders["oid"].to_list(), orders["status"].to_list()
    with transaction.atomic():
        customer_ids = bulk.reserve_ids(Customer, len(component))
        customers, identities, seen = [], [], set()
        first = {}
        for i, c in enumerate(customer_of):
            if c not in first:
                first[c] = i
                uid = uuid.uuid4().hex
                customers.append(
                    (customer_ids[c], shop_id, uid, 1,
                     seal([recipients[i], phones[i], streets[i], cities[i]], uid),
                     provinces[i], index.get(f"phone||{phones[i]}"), now)
                )  # fmt: skip
        clock.lap("seal customers")
        for i, c in enumerate(customer_of):
            for kind, channel, value, text in (
                ("username", "tiktok", users[i], f"username|tiktok|{users[i]}"),
                ("phone", "", phones[i], f"phone||{phones[i]}"),
            ):
                if value is None or text in seen:
                    continue
                seen.add(text)
                uid = uuid.uuid4().hex
                identities.append(
                    (shop_id, uid, 1, customer_ids[c], kind, channel, seal(value, uid),
                     index[text], "tiktok", times[i], times[i], now)
                )  # fmt: skip
        clock.lap("seal identities")
        ids = bulk.reserve_ids(Order, len(order_ids))
        rows = []
        for i, order_id in enumerate(ids):
            uid = uuid.uuid4().hex
            blob = seal([users[i], recipients[i], phones[i], streets[i], cities[i]], uid)
            rows.append(
                (order_id, shop_id, uid, 1, "tiktok", order_ids[i], customer_ids[customer_of[i]],
                 "paid", statuses[i], times[i], None, totals[i], 0, 0, blob, None, "", "", "",
                 "", None, now, now)
            )  # fmt: skip
        clock.lap("seal orders")
        id_of = dict(zip(order_ids, ids, strict=True))
        lines = [
            (shop_id, id_of[o], 0, sku or "", name or "", variant or "", qty, price, subtotal)
            for o, sku, name, variant, qty, price, subtotal in frame.select(
                "oid", "sku", "name", "variant", "qty", "price", "subtotal"
            ).iter_rows()
        ]
        clock.lap("line rows")
        bulk.insert(
            Customer,
            ("id", "shop", "uid", "key_version", "name", "province", "phone_index", "created_at"),
            customers,
            shop_id=shop_id,
            adapted=True,
        )
        clock.lap("insert customers")
        bulk.insert(
            Identity,
            ("shop", "uid", "key_version", "customer", "kind", "channel", "value",
             "value_index", "source", "first_seen_at", "last_seen_at", "created_at"),
            identities,
            shop_id=shop_id,
            adapted=True,
        )  # fmt: skip
        clock.lap("insert identities")
        # as the writer does (lean: no triggers, no marks)
        marking = nullcontext() if lean else sales_days.marked_set_wise(shop_id=shop_id)
        with marking:
            bulk.insert(Order, ORDER_COLUMNS, rows, shop_id=shop_id, adapted=True)
            clock.lap("insert orders")
            bulk.insert(OrderLine, LINE_COLUMNS, lines, shop_id=shop_id, adapted=True)
        clock.lap("insert lines")
    clock.lap("commit")
    client = sum(clock.stages.values())
    server = sum(clock.server.values())
    total = client + server
    return {
        "database": connection.vendor,
        "lines": frame.height,
        "orders": len(rows),
        "customers": len(customers),
        "identities": len(identities),
        "cpu_seconds": {name: round(s, 3) for name, s in clock.stages.items()},
        "server_cpu_seconds": {name: round(s, 3) for name, s in clock.server.items()},
        "client_cpu_seconds_total": round(client, 3),
        "server_cpu_seconds_total": round(server, 3),
        "cpu_seconds_total": round(total, 3),
        "cpu_us_per_line": round(total / frame.height * 1e6, 1),
        "lines_per_cpu_second": round(frame.height / total),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=30_000)
    parser.add_argument("--lean", action="store_true")
    args = parser.parse_args()
    import bench_import

    folder = bench_import.dataset(args.lines, args.people)
    data_dir = tempfile.mkdtemp(prefix="merdeka-bench-")
    bench_import.setup_django(data_dir)
    from django.core.management import call_command
    from django.db import connection

    from merdeka.core import services
    from merdeka.core.models import User

    if connection.vendor == "postgresql":  # a clean slate in the bench database
        call_command("flush", interactive=False, verbosity=0)

    owner = User.objects.create_user("floor")
    services.shop_create(name="Floor", owner=owner, slug="floor")
    if args.lean:
        if connection.vendor != "sqlite":
            raise SystemExit("--lean drops SQLite's triggers and indexes: SQLite only")
        database = sqlite3.connect(Path(data_dir) / "merdeka.sqlite3")
        for statement in LEAN_DROPS:
            database.execute(statement)
        database.commit()
        database.close()
    before = os.getloadavg()
    figures = run(sorted((folder / "tiktok").glob("*.csv")), lean=args.lean)
    figures.update(lean=args.lean, load_before=before, load_after=os.getloadavg())
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()

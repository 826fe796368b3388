"""Storefront under a flash sale: the cached product page and racing order placement.

    .venv/bin/python bench/bench_storefront.py [--seconds 10] [--buyers 400] [--stock 150]
        [--processes 4] [--database-url postgres://...]

1. Product page: a gunicorn server (sync workers, as `merdeka run` starts it) on
   127.0.0.1 serves one product page; client threads with keep-alive fetch it for
   ``--seconds`` and report requests/s (the client runs on the same 2 cores, so this is
   a floor, not a ceiling).
2. Order placement: ``--processes`` processes place ``--buyers`` orders of one unit
   through ``order_place`` for a product with ``--stock`` units, every buyer tapping
   twice with one idempotency key. Reports orders/s and checks: nothing oversold, one
   order per key, every order told to a buyer exists whole.

Everything happens in a fresh data directory (and, with --database-url, a fresh
PostgreSQL database that is dropped afterwards). Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _setup_django(data_dir: str, database_url: str | None) -> None:
    os.environ["MERDEKA_DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "merdeka.settings"
    os.environ["MERDEKA_ALLOWED_HOSTS"] = "127.0.0.1"
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    import django

    django.setup()


def _prepare(data_dir: str, database_url: str | None, stock: int) -> dict:
    _setup_django(data_dir, database_url)
    from django.core.management import call_command

    from merdeka.catalog import services as catalog
    from merdeka.core import services
    from merdeka.core.scoping import shop_scope
    from merdeka.storefront.models import StorefrontSettings
    from merdeka.storefront.services import storefront_ensure

    call_command("migrate", verbosity=0)
    owner, _ = services.user_create(username="ika", password="kue-lapis-legit-2026")
    shop = services.shop_create(name="Dapur Kue Bu Ika", owner=owner, slug="dapur-ika")
    front = storefront_ensure(shop=shop)
    with shop_scope(shop):
        StorefrontSettings.objects.filter(pk=front.pk).update(whatsapp="+6281311112222")
    products = []
    for i, name in enumerate(["Kue Lapis Legit", "Nastar Keju", "Kastengel", "Putri Salju"]):
        product = catalog.product_save(
            shop=shop,
            name=name,
            description="Kue rumahan, dipanggang pagi ini. " * 5,
            category_id=None,
            is_published=True,
            variants=[
                catalog.VariantInput(
                    pk=None,
                    size=s,
                    flavour="",
                    sku=f"SKU-{i}-{s}",
                    price=Decimal(50000 + 5000 * j),
                    weight_grams=500,
                )
                for j, s in enumerate(["Kecil", "Besar"])
            ],
        )
        products.append(product)
    location = catalog.location_default(shop=shop)
    with shop_scope(shop):
        hot = products[0].variants.first()
    catalog.stock_adjust(shop=shop, variant=hot, location=location, on_hand=stock)
    return {"shop_id": shop.pk, "variant_id": hot.pk, "product_slug": products[0].slug}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_page(data_dir: str, database_url: str | None, slug: str, seconds: float) -> dict:
    port = _free_port()
    env = {**os.environ, "MERDEKA_DATA_DIR": data_dir, "MERDEKA_ALLOWED_HOSTS": "127.0.0.1"}
    if database_url:
        env["DATABASE_URL"] = database_url
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "merdeka.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "3",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    path = f"/s/dapur-ika/p/{slug}/"
    try:
        for _ in range(100):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", path)
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        counts, failures, sizes = [0], [0], []
        lock = threading.Lock()
        stop = time.monotonic() + seconds

        def client() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            done = bad = 0
            while time.monotonic() < stop:
                conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
                response = conn.getresponse()
                body = response.read()
                if response.status == 200:
                    done += 1
                    if not sizes:
                        sizes.append(len(body))
                else:
                    bad += 1
            with lock:
                counts[0] += done
                failures[0] += bad

        started = time.monotonic()
        threads = [threading.Thread(target=client) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        return {"requests": counts[0], "non_200": failures[0], "seconds": round(elapsed, 2),
                "requests_per_s": round(counts[0] / elapsed), "html_bytes": sizes[0]}  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=10)


def _buyers(args) -> None:
    data_dir, database_url, shop_id, variant_id, indexes, start_at, queue = args
    _setup_django(data_dir, database_url)
    from django.db import connection

    from merdeka.core.models import Shop
    from merdeka.core.services import ServiceError
    from merdeka.orders.services import Buyer, LineRequest, order_place

    shop = Shop.objects.get(pk=shop_id)
    while time.time() < start_at:
        time.sleep(0.001)
    results = []
    for index in indexes:
        for _tap in range(2):
            try:
                order, created = order_place(
                    shop=shop,
                    lines=[LineRequest(variant_id, 1)],
                    buyer=Buyer(name=f"Pembeli {index}", phone=f"0812{60000000 + index:08d}"),
                    idempotency_key=f"bench-{index}",
                    delivery_method="pickup",
                    payment_method="qris",
                )
                results.append((index, "ok", order.pk, created))
            except ServiceError:
                results.append((index, "short", None, False))
    connection.close()
    queue.put(results)


def bench_orders(data_dir, database_url, info, buyers: int, processes: int) -> dict:
    _setup_django(data_dir, database_url)
    from merdeka.catalog.models import StockLevel
    from merdeka.core.scoping import shop_scope
    from merdeka.orders.models import Order, OrderLine

    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    start_at = time.time() + 3
    chunks = [list(range(i, buyers, processes)) for i in range(processes)]
    workers = [
        ctx.Process(
            target=_buyers,
            args=(
                (
                    data_dir,
                    database_url,
                    info["shop_id"],
                    info["variant_id"],
                    chunk,
                    start_at,
                    queue,
                ),
            ),
        )
        for chunk in chunks
    ]
    for worker in workers:
        worker.start()
    results = [row for _ in workers for row in queue.get(timeout=600)]
    finished = time.time()
    for worker in workers:
        worker.join()
    elapsed = finished - start_at
    with shop_scope(info["shop_id"]):
        level = StockLevel.objects.get(variant_id=info["variant_id"])
        orders = list(Order.objects.all())
        line_total = sum(OrderLine.objects.values_list("quantity", flat=True))
    told = {}
    for index, state, order_id, _created in results:
        if state == "ok":
            told.setdefault(index, set()).add(order_id)
    return {
        "requests": len(results),
        "seconds": round(elapsed, 2),
        "placements_per_s": round(len(results) / elapsed),
        "orders_created": len(orders),
        "stock": level.on_hand,
        "reserved": level.reserved,
        "oversold": max(0, level.reserved - level.on_hand),
        "keys_with_two_orders": sum(1 for ids in told.values() if len(ids) > 1),
        "orders_told_but_missing": len(
            {i for ids in told.values() for i in ids} - {o.pk for o in orders}
        ),
        "lines_quantity": line_total,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--buyers", type=int, default=400)
    parser.add_argument("--stock", type=int, default=150)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--database-url", default=None)
    options = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="merdeka-bench-sf-")
    database_url = options.database_url
    admin_url = None
    if database_url:  # a fresh database of our own, dropped at the end
        import psycopg

        name = f"bench_storefront_{os.getpid()}"
        admin_url = database_url
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        database_url = database_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        info = _prepare(data_dir, database_url, options.stock)
        page = bench_page(data_dir, database_url, info["product_slug"], options.seconds)
        orders = bench_orders(data_dir, database_url, info, options.buyers, options.processes)
    finally:
        if admin_url:
            from django.db import connections

            connections.close_all()
            import psycopg

            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(
        json.dumps(
            {
                "database": "postgresql" if admin_url else "sqlite",
                "product_page": page,
                "order_placement": orders,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()

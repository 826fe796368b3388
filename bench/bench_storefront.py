"""Storefront under a flash sale: the cached product page and racing order placement.

    .venv/bin/python bench/bench_storefront.py [--seconds 10] [--buyers 400] [--stock 150]
        [--processes 4] [--database-url postgres://...] [--client wrk|python|both]

1. Product page: gunicorn started exactly as `merdeka run` starts it
   (``merdeka.core.server``; ``--workers``/``--worker-class``/``--threads``/``--keepalive``
   override it) on 127.0.0.1 serves one product page to visitors without a session;
   ``wrk`` (``make bench-tools``; Python threads with ``--client python`` or without wrk)
   fetches it for ``--seconds`` over ``--connections`` keep-alive connections. Reports
   requests/s, the server's CPU seconds and requests per server CPU-second (steadier than
   requests/s on a shared machine), the client's CPU, the load average, and the page
   weight (HTML, stylesheets and scripts as served, photos aside).
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
import shutil
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


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def _tree_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) so far of ``pid`` and its live children: the server's
    work, a figure that moves far less than requests/s on a shared machine."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:  # fields[1] is the ppid
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _fetch(port: int, path: str, encoding: str = "gzip") -> tuple[int, bytes, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={"Accept-Encoding": encoding})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body, {k.lower(): v for k, v in response.getheaders()}


def page_weight(port: int, path: str) -> dict:
    """What a phone downloads for the page, photos aside: the HTML and every stylesheet
    and script it links, each as the server sends it (brotli or gzip where offered)."""
    import re

    status, html, headers = _fetch(port, path, "br, gzip")
    assert status == 200, status
    html_encoding = headers.get("content-encoding", "plain")
    if html_encoding == "gzip":
        import gzip

        text = gzip.decompress(html)
    else:
        text = html
    parts = {"html": len(html)}
    for asset in re.findall(rb'<(?:link[^>]+rel="stylesheet"[^>]*|script[^>]*)>', text):
        found = re.search(rb'(?:href|src)="([^"]+)"', asset)
        if found:
            url = found.group(1).decode()
            status, body, headers = _fetch(port, url, "br, gzip")
            assert status == 200, (url, status)
            parts[url.rsplit("/", 1)[-1] + f" ({headers.get('content-encoding', 'plain')})"] = len(
                body
            )
    return {"bytes": parts, "total_bytes": sum(parts.values()), "html_encoding": html_encoding}


def _wrk(port: int, path: str, seconds: float, connections: int) -> dict | None:
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    out = subprocess.run(
        [wrk, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "-H",
         "Accept-Encoding: gzip", f"http://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, check=True, timeout=seconds + 60,
    ).stdout  # fmt: skip
    import re

    total = int(re.search(r"(\d+) requests in ([\d.]+)(m?s)", out).group(1))
    took = re.search(r"requests in ([\d.]+)(m?s)", out)
    elapsed = float(took.group(1)) / (1000 if took.group(2) == "ms" else 1)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "client": f"wrk, 1 thread, {connections} connections",
        "requests": total,
        "non_200": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1) if errors else "none",
        "seconds": round(elapsed, 2),
        "requests_per_s": round(total / elapsed),
        "latency": re.search(r"Latency\s+(\S+)", out).group(1),
    }


def _threads(port: int, path: str, seconds: float, connections: int) -> dict:
    counts, failures = [0], [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        done = bad = 0
        while time.monotonic() < stop:
            conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                done += 1
            else:
                bad += 1
        with lock:
            counts[0] += done
            failures[0] += bad

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return {"client": f"Python http.client, {connections} threads", "requests": counts[0],
            "non_200": failures[0], "seconds": round(elapsed, 2),
            "requests_per_s": round(counts[0] / elapsed)}  # fmt: skip


def bench_page(data_dir: str, database_url: str | None, slug: str, options) -> dict:
    from merdeka.core.server import web_command, web_settings

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
    web = {**web_settings()}  # what `merdeka run` starts, unless told otherwise
    for name in ("workers", "worker_class", "threads", "keepalive"):
        if getattr(options, name, None) is not None:
            web[name] = getattr(options, name)
    server = subprocess.Popen(  # exactly what `merdeka run` starts, access log included
        web_command(bind=f"127.0.0.1:{port}", **web),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    path = f"/s/dapur-ika/p/{slug}/"
    try:
        for _ in range(100):
            try:
                if _fetch(port, path)[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        result = {"server": web, "weight": page_weight(port, path)}
        clients = []

        def measure(run) -> dict | None:
            import resource

            server_before = _tree_cpu_seconds(server.pid)
            own = resource.getrusage(resource.RUSAGE_SELF)
            kids = resource.getrusage(resource.RUSAGE_CHILDREN)
            measured = run(port, path, options.seconds, options.connections)
            if measured is None:
                return None
            server_cpu = _tree_cpu_seconds(server.pid) - server_before
            own_after = resource.getrusage(resource.RUSAGE_SELF)
            kids_after = resource.getrusage(resource.RUSAGE_CHILDREN)
            client_cpu = sum(
                after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
                for before, after in ((own, own_after), (kids, kids_after))
            )
            return measured | {
                "server_cpu_s": round(server_cpu, 2),
                "requests_per_server_cpu_s": round(measured["requests"] / server_cpu)
                if server_cpu
                else None,
                "client_cpu_s": round(client_cpu, 2),
                "loadavg": _loadavg(),
            }

        if options.client in ("wrk", "both"):
            measured = measure(_wrk)
            if measured is None:
                print("wrk is not installed (apt-get install wrk): using Python threads",
                      file=sys.stderr)  # fmt: skip
            else:
                clients.append(measured)
        if options.client in ("python", "both") or not clients:
            clients.append(measure(_threads))
        result["runs"] = clients
        return result
    finally:
        server.terminate()
        server.wait(timeout=10)


def _buyers(args) -> None:
    data_dir, database_url, shop_id, variant_id, indexes, ready, queue = args
    _setup_django(data_dir, database_url)
    from django.db import connection

    from merdeka.core.models import Shop
    from merdeka.core.services import ServiceError
    from merdeka.orders.services import Buyer, LineRequest, order_place

    shop = Shop.objects.get(pk=shop_id)
    ready.wait(timeout=120)  # every process set up (start-up is not timed), then go
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
    ready = ctx.Barrier(processes + 1)
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
                    ready,
                    queue,
                ),
            ),
        )
        for chunk in chunks
    ]
    for worker in workers:
        worker.start()
    ready.wait(timeout=120)
    start_at = time.time()
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
    parser.add_argument(
        "--client",
        choices=["wrk", "python", "both"],
        default="wrk",
        help="load generator for the page (wrk falls back to python if absent)",
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers")
    parser.add_argument("--worker-class", default=None, help="gunicorn worker class")
    parser.add_argument("--threads", type=int, default=None, help="threads (gthread)")
    parser.add_argument("--keepalive", type=int, default=None, help="keep-alive seconds")
    parser.add_argument("--skip-orders", action="store_true")
    parser.add_argument("--skip-page", action="store_true")
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
        load_before = _loadavg()
        page = None
        if not options.skip_page:
            page = bench_page(data_dir, database_url, info["product_slug"], options)
        orders = None
        if not options.skip_orders:
            orders = bench_orders(data_dir, database_url, info, options.buyers, options.processes)
            orders["processes"] = options.processes
            orders["loadavg"] = _loadavg()
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
                "cpus": os.cpu_count(),
                "loadavg_at_start": load_before,
                "product_page": page,
                "order_placement": orders,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()

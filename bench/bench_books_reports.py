"""The books' pages with a big journal: p50/p95 of every report page over HTTP.

    .venv/bin/python bench/bench_books_reports.py [--lines 3000000] [--rounds 20]
    .venv/bin/python bench/bench_books_reports.py --database-url postgres://postgres@127.0.0.1:5432/bench_books_reports

Builds once (reused afterwards; ``--rebuild`` starts again) a shop whose journal holds
``--lines`` lines over the last 13 months: marketplace and own-channel sales (the
seller balance or the bank against sales and shipping income, most with their cost of
goods), each of an order of its own with one to three lines of twenty products (made
set-wise), expenses, payouts from the marketplaces to the bank. They go through the books' own set-based writer
(``entries_write``: the same entries, lines and day totals as the live path), in
batches. SQLite keeps the database in ``bench/.data/books-reports-<lines>/``.

Then it serves the app as ``merdeka run`` does (gunicorn, ``merdeka.core.server``),
signs in as the owner over HTTP and, one client, warm (one untimed round first), times
``--rounds`` rounds of:

* every page of ``merdeka/books/urls.py`` as it is at the time of the run (new report
  pages are picked up by themselves), for the last 12 months (``date_from`` /
  ``date_to``); a page that takes an account is asked for the busiest account (its
  ledger), and a paged page for its first and its last page (as its links say);
* the home page (the dashboard);
* the statements as PDF (``format=pdf``; target 1 s).

A page that does not answer 200 to a GET (an action that takes a POST) is listed as
skipped. Prints p50/p95 in milliseconds per URL, the web server's CPU per request
(which moves far less than wall time on a shared machine) and the target (p95 ≤ 150 ms).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time
from html import unescape
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SLUG = "toko-buku-besar"
PASSWORD = "bench-password-2026"
TARGET_MS = 150
PDF_TARGET_MS = 1000
PDFS = ("books_profit_and_loss", "books_position", "books_cash_flow", "books_trial_balance")
BATCH = 50_000  # entries per transaction while building


def setup(args) -> Path:
    folder = ROOT / "bench" / ".data" / f"books-reports-{args.lines}"
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "merdeka.settings"
    os.environ["MERDEKA_DATA_DIR"] = str(folder)
    os.environ["MERDEKA_ALLOWED_HOSTS"] = "127.0.0.1"
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
        create_database(args.database_url)
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return folder


def create_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0].replace("postgres://", "postgresql://", 1) + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def journal_lines(shop) -> int:
    from merdeka.books.models import JournalLine
    from merdeka.core.scoping import shop_scope

    with shop_scope(shop):
        return JournalLine.objects.filter(shop=shop).count()


def build(args) -> tuple[object, dict]:
    """The shop with its journal: found, or written now."""
    from django.core.management import call_command
    from django.db import transaction

    from merdeka.books.chart import DEFAULTS, MARKETPLACES, accounts_by_key, marketplace_key
    from merdeka.books.models import Source
    from merdeka.books.posting import Line, Posting, entries_write, today
    from merdeka.core import bulk, services
    from merdeka.core.models import Shop

    shop = Shop.objects.filter(slug=SLUG).first()
    if shop is not None and not args.rebuild and journal_lines(shop) >= args.lines:
        return shop, {"build_seconds": None}
    call_command("flush", interactive=False, verbosity=0)
    owner, _ = services.user_create(username="bench", password=PASSWORD)
    shop = services.shop_create(name="Toko Buku Besar", owner=owner, slug=SLUG)
    markets = ["shopee", "tiktok", "tokopedia", "lazada"]
    acc = accounts_by_key(
        shop=shop, keys=[*DEFAULTS, *(marketplace_key(m) for m in markets if m in MARKETPLACES)]
    )
    expenses = [k for k in DEFAULTS if k.startswith("expense:")]
    rng = random.Random(2026)
    end = today(shop)
    days = [end - dt.timedelta(days=n) for n in range(395, -1, -1)]
    print(f"writing {args.lines:,} journal lines once (reused by later runs) …", flush=True)
    started = time.perf_counter()
    written = seq = 0
    orders: list[tuple] = []
    with bulk.tuned_for_bulk():
        while written < args.lines:
            postings = []
            while len(postings) < BATCH and written < args.lines:
                seq += 1
                day = rng.choice(days)
                kind = rng.random()
                total = rng.randrange(15, 400) * 1000
                order_id = None
                if kind < 0.85:  # a sale: on a marketplace, or the shop's own
                    fee = rng.choice((0, 0, 9000, 12000, 15000))
                    channel = rng.choice(markets) if kind < 0.7 else rng.choice(OWN)
                    where = (
                        acc[marketplace_key(channel)]
                        if kind < 0.7
                        else acc[rng.choice(("bank", "cash", "ewallet"))]
                    )
                    lines = [Line(where, debit=total + fee), Line(acc["sales"], credit=total)]
                    if fee:
                        lines.append(Line(acc["shipping_income"], credit=fee))
                    if kind >= 0.35:  # goods with a known cost (bought, valued)
                        cost = total * rng.randrange(40, 70) // 100
                        lines += [
                            Line(acc["cost_of_goods"], debit=cost),
                            Line(acc["inventory"], credit=cost),
                        ]
                    order_id = len(orders) + 1  # made below, with its lines
                    orders.append((order_id, channel, day, total, fee))
                    source = Source.ORDER
                elif kind < 0.95:
                    lines = [
                        Line(acc[rng.choice(expenses)], debit=total // 4),
                        Line(acc[rng.choice(("cash", "bank"))], credit=total // 4),
                    ]
                    source = Source.EXPENSE
                else:
                    lines = [
                        Line(acc["bank"], debit=total * 5),
                        Line(acc[marketplace_key(rng.choice(markets))], credit=total * 5),
                    ]
                    source = Source.TRANSFER
                written += len(lines)
                postings.append(
                    Posting(date=day, source=source, key=f"b:{seq}", lines=lines, order_id=order_id)
                )
            with transaction.atomic():
                ids = orders_made(shop, orders, rng)
                for posting in postings:
                    if posting.order_id is not None:
                        posting.order_id = ids[posting.order_id - 1]
                entries_write(shop=shop, postings=postings)
            orders = []
            print(f"  {written:,} lines", flush=True)
    bulk.analyze(*_books_models())
    return shop, {"build_seconds": round(time.perf_counter() - started, 1)}


OWN = ["storefront", "whatsapp", "manual"]
# what the shop sells (not from the catalog: sold without a known cost per line, the
# way imported marketplace lines are until mapped to a variant)
GOODS = [
    ("Nastar Keju Premium", 85000), ("Kastengel Edam", 90000), ("Putri Salju", 55000),
    ("Rendang Daging 500 gr", 125000), ("Sambal Cumi", 45000), ("Keripik Tempe", 15000),
    ("Bolu Pandan", 65000), ("Lapis Legit", 180000), ("Kue Sagu Keju", 60000),
    ("Abon Sapi", 70000), ("Dodol Garut", 35000), ("Rempeyek Kacang", 25000),
    ("Lidah Kucing", 50000), ("Kue Semprit", 45000), ("Sus Kering", 40000),
    ("Bawang Goreng", 30000), ("Kacang Bawang", 28000), ("Emping Melinjo", 42000),
    ("Kerupuk Udang", 38000), ("Madu Mangsi", 75000),
]  # fmt: skip


def orders_made(shop, orders: list[tuple], rng) -> list[int]:
    """The orders of a batch's sales, completed, each with one to three lines that add
    up to its sales (plain inserts); their ids in the batch's order."""
    from decimal import Decimal

    from merdeka.core import bulk
    from merdeka.orders.models import Order, OrderLine

    ids = bulk.reserve_ids(Order, len(orders))
    zone = dt.timezone(dt.timedelta(hours=7))
    rows, lines = [], []
    for new, (_seq, channel, day, total, fee) in zip(ids, orders, strict=True):
        at = dt.datetime.combine(day, dt.time(12), zone)
        rows.append(
            (new, shop.pk, channel, f"B{new}", "completed", at, at,
             Decimal(total + fee), Decimal(fee), Decimal(total))
        )  # fmt: skip
        picked = rng.sample(GOODS, rng.choice((1, 1, 1, 2, 2, 3)))
        weights = [price for _name, price in picked]
        left = total
        for position, (name, price) in enumerate(picked):
            part = left if position == len(picked) - 1 else total * price // sum(weights)
            left -= part
            lines.append((shop.pk, new, position, name, 1, Decimal(part), Decimal(part)))
    bulk.insert(
        Order,
        ("id", "shop", "channel", "external_id", "status", "ordered_at", "paid_at",
         "total", "shipping_fee", "subtotal"),
        rows,
        shop_id=shop.pk,
    )  # fmt: skip
    bulk.insert(
        OrderLine,
        ("shop", "order", "position", "name", "quantity", "unit_price", "total"),
        lines,
        shop_id=shop.pk,
    )
    return ids


def _books_models():
    from merdeka.books.models import AccountDay, JournalEntry, JournalLine, ProfitDay
    from merdeka.orders.models import Order, OrderLine

    return JournalEntry, JournalLine, AccountDay, ProfitDay, Order, OrderLine


def busiest_account(shop) -> int:
    from django.db.models import Count

    from merdeka.books.models import JournalLine
    from merdeka.core.scoping import shop_scope

    with shop_scope(shop):
        return (
            JournalLine.objects.filter(shop=shop)
            .values("account_id")
            .annotate(n=Count("id"))
            .order_by("-n")
            .values_list("account_id", flat=True)
            .first()
        )


def report_urls(shop, period: dict[str, str]) -> list[tuple[str, str]]:
    """(label, URL) of every page in the books' URLconf now, plus the home page."""
    from django.urls import URLPattern, reverse

    from merdeka.books import urls

    account = busiest_account(shop)
    found = [("home", "/")]
    for pattern in urls.urlpatterns:
        if not isinstance(pattern, URLPattern) or not pattern.name:
            continue
        kwargs = {
            name: (account if converter.__class__.__name__ == "IntConverter" else str(account))
            for name, converter in pattern.pattern.converters.items()
        }
        path = reverse(pattern.name, kwargs=kwargs)
        found.append((pattern.name, f"{path}?{urlencode(period)}"))
        if pattern.name in PDFS:  # the statement as the PDF she downloads
            found.append((f"{pattern.name} PDF", f"{path}?{urlencode(period | {'format': 'pdf'})}"))
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Client:
    """One browser: a kept-alive connection and its cookies."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, url: str, body: dict | None = None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{url}"
            headers["Origin"] = f"http://127.0.0.1:{self.port}"
        try:
            self.conn.request(method, url, body=data, headers=headers)
            response = self.conn.getresponse()
        except (http.client.HTTPException, OSError):  # the server closed a kept-alive one
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.conn.request(method, url, body=data, headers=headers)
            response = self.conn.getresponse()
        content = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, content, response.getheader("Location")

    def login(self, username: str, password: str) -> None:
        status, page, _ = self.request("GET", "/masuk/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or token is None:
            raise SystemExit(f"no sign-in form ({status})")
        form = {"csrfmiddlewaretoken": token.group(1).decode(), "username": username}
        status, _, _where = self.request("POST", "/masuk/", form | {"password": password})
        if status != 302:
            raise SystemExit(f"sign-in refused ({status})")


def last_page(url: str, html: bytes) -> str | None:
    """The URL of the page's last page, when it links pages (``page=N``)."""
    path = urlsplit(url).path
    numbers = []
    for link in re.findall(rb'href="([^"]*[?&](?:amp;)?page=\d+[^"]*)"', html):
        link = unescape(link.decode())
        if urlsplit(link).path in ("", path):
            found = re.search(r"[?&]page=(\d+)", link)
            numbers.append((int(found.group(1)), link))
    if not numbers:
        return None
    number, link = max(numbers)
    if number <= 1:
        return None
    query = urlsplit(link).query
    return f"{path}?{query}"


def server_pids(pid: int) -> list[int]:
    """The server and its workers (gunicorn's children)."""
    found = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) of these processes so far: the server's own work for a
    page, which moves far less than its wall time on a shared machine."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def measure(folder: Path, args, urls: list[tuple[str, str]]) -> tuple[dict, dict]:
    from merdeka.core.server import web_command, web_settings

    port = _free_port()
    env = {**os.environ, "MERDEKA_DATA_DIR": str(folder), "MERDEKA_ALLOWED_HOSTS": "127.0.0.1"}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    server = subprocess.Popen(
        web_command(bind=f"127.0.0.1:{port}", access_log=False, **web_settings()),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        client = Client(port)
        client.login("bench", PASSWORD)
        pages, skipped = [], {}
        for label, url in urls:  # the warm-up round; it also finds the last pages
            status, html, _ = client.request("GET", url)
            if status != 200:
                skipped[label] = status
                continue
            pages.append((label, url))
            deep = last_page(url, html)
            if deep:
                pages.append((f"{label} (last page)", deep))
                client.request("GET", deep)
        timings: dict[str, list[float]] = {label: [] for label, _ in pages}
        cpu: dict[str, float] = dict.fromkeys(timings, 0.0)
        sizes: dict[str, int] = {}
        pids = server_pids(server.pid)
        for _round in range(args.rounds):
            for label, url in pages:
                before = cpu_seconds(pids)
                started = time.perf_counter()
                status, html, _ = client.request("GET", url)
                timings[label].append(time.perf_counter() - started)
                cpu[label] += cpu_seconds(pids) - before
                sizes[label] = len(html)
                if status != 200:
                    raise SystemExit(f"{label}: {status} on round {_round}")
        return {
            label: {
                "url": url,
                "p50_ms": round(percentiles(timings[label])[0], 1),
                "p95_ms": round(percentiles(timings[label])[1], 1),
                "kib": round(sizes[label] / 1024, 1),
                # the web server's CPU per request (ticks of 10 ms: a mean over rounds)
                "server_cpu_ms": round(cpu[label] / args.rounds * 1000, 1),
            }
            for label, url in pages
        }, skipped
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a loaded machine: the figures still count
            server.kill()
            server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=3_000_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    folder = setup(args)

    from django.db import connection

    from merdeka.books.posting import today

    shop, figures = build(args)
    end = today(shop)
    start = (end.replace(day=1) - dt.timedelta(days=335)).replace(day=1)  # 12 months
    period = {"date_from": start.isoformat(), "date_to": end.isoformat()}
    urls = report_urls(shop, period)
    pages, skipped = measure(folder, args, urls)
    figures |= {
        "database": connection.vendor,
        "load_average": " ".join(f"{n:.1f}" for n in os.getloadavg()),
        "journal_lines": journal_lines(shop),
        "period": f"{start} to {end}",
        "rounds": args.rounds,
        "pages": pages,
        "skipped": skipped,
    }
    if args.json:
        print(json.dumps(figures))
        return
    print(f"{connection.vendor}: {figures['journal_lines']:,} journal lines, {figures['period']}, "
          f"{args.rounds} rounds, one client, warm, load average {figures['load_average']}")  # fmt: skip
    print(f"| page | p50 ms | p95 ms | server CPU ms | KiB | p95 ≤ {TARGET_MS} ms |")
    print("|---|---|---|---|---|---|")
    for label, row in pages.items():
        ok = (
            "yes" if row["p95_ms"] <= (PDF_TARGET_MS if "PDF" in label else TARGET_MS) else "**no**"
        )
        print(
            f"| {label} `{row['url']}` | {row['p50_ms']} | {row['p95_ms']} | {row['server_cpu_ms']} "
            f"| {row['kib']} | {ok} |"
        )
    for label, status in skipped.items():
        print(f"| {label} | skipped: {status} on GET | | | | |")


if __name__ == "__main__":
    main()

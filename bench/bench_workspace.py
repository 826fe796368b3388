"""The customer workspace at a million customers: list, segment count, search, RFM.

    .venv/bin/python bench/bench_workspace.py [--customers 1000000] [--orders 3000000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_workspace .venv/bin/python bench/...

Builds one shop straight into the database, set-wise (no import files: this measures the
workspace, ``bench_import.py`` measures imports):

* customers with Indonesian names (common ones repeat), a mobile number, city and
  province; name and phone sealed by the real ``crypto.Sealer`` (AES-GCM per value) and
  the phone's real blind index; one phone identity each, sealed too;
* orders (on average 3 per customer, 1 to ~20, skewed) over two years on Shopee,
  TikTok, Tokopedia, Lazada and WhatsApp, 5 % cancelled or returned, with the real width
  of an order row: its ``personal`` column holds the recipient's name, phone and street
  sealed, of real size (one per customer reused on their orders; nothing here reads it);
  no order lines (the workspace never reads them);
* then the workspace's own functions, timed: ``customer_stats_refresh`` (whole shop),
  ``search.reindex_shop`` (decrypts every name and phone, writes the tokens),
  ``rfm_refresh`` and ``name_ranks_refresh``.

Then it measures, through the whole Django stack (``django.test.Client``: middleware,
session, shop scope, template), p50/p95 of: the list page with a filter (six kinds), a
saved segment's count (the segments page, with every RFM group's count too, and the
segment opened), a name search and a phone search (sealed search words, as the page
sends them). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

CHANNELS = (
    ["shopee"] * 45 + ["tiktok"] * 25 + ["tokopedia"] * 10 + ["whatsapp"] * 15 + ["lazada"] * 5
)
STATUSES = ["completed"] * 88 + ["shipped"] * 4 + ["paid"] * 3 + ["cancelled"] * 4 + ["returned"]
PRICES = [15000, 25000, 35000, 45000, 55000, 60000, 65000, 70000, 85000, 90000, 125000, 180000]


def setup_django(data_dir: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "merdeka.settings")
    os.environ["MERDEKA_DATA_DIR"] = str(data_dir)
    os.environ["MERDEKA_ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)


def timed(label: str, figures: dict):
    class Timer:
        def __enter__(self):
            self.started = time.perf_counter()
            self.cpu = time.process_time()
            print(f"{label} …", flush=True)

        def __exit__(self, *exc):
            figures[label] = time.perf_counter() - self.started
            cpu = time.process_time() - self.cpu
            figures.setdefault("_cpu", {})[label] = cpu
            print(f"  {label}: {figures[label]:.1f} s (CPU {cpu:.1f} s)", flush=True)

    return Timer()


def weighted_names(rng):
    import dataset

    given = dataset.GIVEN
    family = dataset.FAMILY
    # Zipf-like: the first names of each list are much more common
    gw = [1 / (i + 1) ** 0.8 for i in range(len(given))]
    fw = [1 / (i + 1) ** 0.6 for i in range(len(family))]
    return given, gw, family, fw


def build(shop, customers: int, orders: int, seed: int, figures: dict) -> list[tuple]:
    """Customers, identities and orders, inserted set-wise; returns (name, phone) samples."""
    import dataset
    from django.db import transaction

    from merdeka.core import bulk
    from merdeka.customers.models import Customer, Identity
    from merdeka.orders.models import Order
    from merdeka.privacy import crypto

    rng = random.Random(seed)
    given, gw, family, fw = weighted_names(rng)
    now = datetime(2026, 11, 30, tzinfo=UTC)
    sealer = crypto.Sealer(shop_id=shop.pk, label=Customer._meta.label_lower)
    id_sealer = crypto.Sealer(shop_id=shop.pk, label=Identity._meta.label_lower)
    phone_index = Customer._meta.get_field("phone_index").indexer(shop.pk)
    identity_index = crypto.blind_indexer(shop_id=shop.pk, purpose="identity")
    samples = []
    national_numbers = rng.sample(range(10_000_000, 99_999_999), customers)

    with timed("insert customers and identities", figures), transaction.atomic():
        ids = bulk.reserve_ids(Customer, customers)
        crows, irows = [], []
        for n, customer_id in enumerate(ids):
            name = rng.choices(given, gw)[0]
            if rng.random() < 0.25:
                name += " " + rng.choices(given, gw)[0]
            if rng.random() < 0.85:
                name += " " + rng.choices(family, fw)[0]
            national = rng.choice(dataset.MOBILE_PREFIXES) + str(national_numbers[n])
            phone = "+62" + national
            city, province = rng.choice(dataset.CITIES)
            uid = bulk.new_uid()
            row = bulk.dashed(uid)
            created = now - timedelta(days=rng.randrange(0, 1100), seconds=rng.randrange(86400))
            crows.append((customer_id, shop.pk, uid, sealer.version,
                          sealer.seal(name, column="name", row=row),
                          sealer.seal(phone, column="phone", row=row),
                          city, province, phone_index(phone), created))  # fmt: skip
            iuid = bulk.new_uid()
            irows.append((shop.pk, iuid, id_sealer.version, customer_id, "phone", "",
                          id_sealer.seal(phone, column="value", row=bulk.dashed(iuid)),
                          identity_index(f"phone||{phone}"), "shopee", created, created,
                          created))  # fmt: skip
            if n % 997 == 0:
                samples.append((name, national))
        bulk.insert(
            Customer,
            ("id", "shop", "uid", "key_version", "name", "phone", "city", "province",
             "phone_index", "created_at"),
            crows,
            shop_id=shop.pk,
        )  # fmt: skip
        del crows
        bulk.insert(
            Identity,
            ("shop", "uid", "key_version", "customer", "kind", "channel", "value",
             "value_index", "source", "first_seen_at", "last_seen_at", "created_at"),
            irows,
            shop_id=shop.pk,
        )  # fmt: skip
        del irows

    order_sealer = crypto.Sealer(shop_id=shop.pk, label=Order._meta.label_lower)
    personal = Order._meta.get_field("personal")
    blobs = [
        (
            personal.sealed(
                order_sealer,
                row=bulk.dashed(bulk.new_uid()),
                recipient_name="Siti Nurhaliza Rahmawati",
                recipient_phone="+6281234567890",
                street="Jl. Melati Raya No. 12 RT 03/RW 05",
            ),
        )
        for _ in range(512)
    ]
    # orders per customer: 1 + a skewed draw, scaled to the wanted total
    mean_extra = max(orders / customers - 1, 0.0)
    counts = [1 + int(rng.expovariate(1 / mean_extra)) if mean_extra else 1 for _ in ids]
    scale = orders / sum(counts)
    with timed("insert orders", figures), transaction.atomic():
        order_ids = iter(bulk.reserve_ids(Order, int(sum(counts) * scale) + customers))
        rows = []
        written = 0
        for customer_id, count in zip(ids, counts, strict=True):
            count = max(1, round(count * scale))
            blob = blobs[customer_id % len(blobs)]
            for _ in range(count):
                if written >= orders:
                    break
                order_id = next(order_ids)
                channel = rng.choice(CHANNELS)
                status = rng.choice(STATUSES)
                at = now - timedelta(days=rng.randrange(0, 730), seconds=rng.randrange(86400))
                total = rng.choice(PRICES) * rng.choice((1, 1, 1, 2, 2, 3))
                rows.append((order_id, shop.pk, bulk.new_uid(), order_sealer.version, channel,
                             f"{channel[:2].upper()}{order_id}", customer_id, status, status,
                             at, total, 10000, *blob, at, at))  # fmt: skip
                written += 1
            if len(rows) >= 50_000:
                _insert_orders(rows, shop.pk)
                rows = []
        _insert_orders(rows, shop.pk)
    figures["orders"] = written
    return samples


def _insert_orders(rows, shop_id: int):
    from merdeka.core import bulk
    from merdeka.orders.models import Order

    bulk.insert(
        Order,
        ("id", "shop", "uid", "key_version", "channel", "external_id", "customer", "status",
         "status_raw", "ordered_at", "total", "shipping_fee", "personal", "created_at",
         "updated_at"),
        rows,
        shop_id=shop_id,
    )  # fmt: skip


def workspace(shop, figures: dict) -> None:
    from django.db import connection

    from merdeka.core.scoping import shop_scope
    from merdeka.customers import search, stats

    with shop_scope(shop):
        with timed("customer_stats_refresh (whole shop)", figures):
            stats.customer_stats_refresh(shop=shop)
        with timed("search.reindex_shop (tokens)", figures):
            figures["tokens"] = search.reindex_shop(shop=shop)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        with timed("rfm_refresh", figures):
            figures["groups"] = stats.rfm_refresh(shop=shop)
        with timed("rfm_refresh, again (nothing changed)", figures):
            stats.rfm_refresh(shop=shop)
        with timed("name_ranks_refresh", figures):
            stats.name_ranks_refresh(shop=shop)


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def measure(shop, owner, samples, rounds: int, seed: int) -> dict[str, list[float]]:
    from django.test import Client
    from django.urls import reverse

    from merdeka.core.scoping import shop_scope
    from merdeka.customers import services
    from merdeka.customers.views import seal_query

    rng = random.Random(seed + 1)
    client = Client()
    client.force_login(owner)
    with shop_scope(shop):
        segment = services.segment_create(
            shop=shop,
            actor=owner,
            name="Jawa Barat, 2+ pesanan",
            filters={"province": "Jawa Barat", "orders_min": "2"},
        )
    timings: dict[str, list[float]] = {}

    def get(label, url, params=None):
        started = time.perf_counter()
        response = client.get(url, params or {})
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, (label, response.status_code)
        timings.setdefault(label, []).append(elapsed)
        return response

    filters = [
        ("list: province", {"province": "Jawa Barat"}),
        ("list: channel", {"channel": "tiktok"}),
        ("list: 5+ orders", {"orders_min": "5"}),
        ("list: RFM group", {"rfm": "loyal"}),
        ("list: spend >= Rp1 jt, by spend", {"spend_min": "1000000", "sort": "spend"}),
        ("list: city, by name", {"city": "Kota Bandung", "sort": "name"}),
        ("list: last order in Nov 2026", {"last_from": "2026-11-01", "last_to": "2026-11-30"}),
    ]
    listing = reverse("customer_list")
    for _ in range(2):  # warm up
        get("warm-up", listing)
        get("warm-up", listing, filters[0][1])
    for _ in range(rounds):
        for label, params in filters:
            get(label, listing, params)
        get("segment: segments page (its count + RFM counts)", reverse("segment_list"))
        get("segment: opened (count + first page)", reverse("segment_detail", args=[segment.pk]))
        name, national = rng.choice(samples)
        words = name.split()
        query = words[0][: rng.randint(3, 5)]
        if len(words) > 1 and rng.random() < 0.5:
            query += " " + words[-1][: rng.randint(3, 6)]
        get("search: name", listing, {"s": seal_query(shop, query)})
        name, national = rng.choice(samples)
        phone = rng.choice(
            [f"0{national[:3]}-{national[3:7]}-{national[7:]}", f"+62 {national}",
             f"0{national[:3]}-{national[3:7]}", national[-4:]]
        )  # fmt: skip
        response = get("search: phone", listing, {"s": seal_query(shop, phone)})
        if len(phone) > 5:
            assert name.split()[0] in response.content.decode(), (phone, name)
    timings.pop("warm-up", None)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=3_000_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the shop a previous run built (same --customers, SQLite): time RFM from "
        "scratch and measure the pages again",
    )
    args = parser.parse_args()

    data_dir = ROOT / "bench" / ".data" / f"workspace-{args.customers}"
    if args.reuse:
        return rerun(data_dir, args)
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        import psycopg

        url = os.environ["DATABASE_URL"]
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    setup_django(data_dir)

    from django.db import connection

    from merdeka.core import services

    figures: dict = {}
    owner, _ = services.user_create(username="bench", password="bench-password-2026")
    shop = services.shop_create(name="Toko Sejuta Pelanggan", owner=owner, slug="sejuta")
    started = time.perf_counter()
    samples = build(shop, args.customers, args.orders, args.seed, figures)
    workspace(shop, figures)
    figures["build total"] = time.perf_counter() - started
    if connection.vendor == "postgresql":
        # what autovacuum does to freshly loaded tables soon after: the visibility map
        # that index-only counts need
        label = "VACUUM ANALYZE (autovacuum's work, not in the total)"
        with timed(label, figures), connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    timings = measure(shop, owner, samples, args.rounds, args.seed)

    report(args, figures, timings)


def report(args, figures, timings) -> None:
    from django.db import connection

    vendor = connection.vendor
    version = (
        connection.cursor().connection.info.server_version
        if vendor == "postgresql"
        else __import__("sqlite3").sqlite_version
    )
    print()
    print(f"## {vendor} {version}: {args.customers:,} customers, {figures['orders']:,} orders, "
          f"{figures['tokens']:,} search tokens")  # fmt: skip
    print()
    print("| build step | wall s | CPU s of this process |")
    print("|---|---|---|")
    cpu = figures.get("_cpu", {})
    for key, value in figures.items():
        if isinstance(value, float):
            spent = f"{cpu[key]:.1f}" if key in cpu else ""
            print(f"| {key} | {value:.1f} | {spent} |")
    print()
    print(f"| over HTTP ({args.rounds} rounds) | p50 ms | p95 ms | n |")
    print("|---|---|---|---|")
    groups: dict[str, list[float]] = {}
    for label, values in timings.items():
        p50, p95 = percentiles(values)
        print(f"| {label} | {p50:.0f} | {p95:.0f} | {len(values)} |")
        groups.setdefault(label.split(":")[0], []).extend(values)
    for label, values in groups.items():
        p50, p95 = percentiles(values)
        print(f"| **{label}, all** | {p50:.0f} | **{p95:.0f}** | {len(values)} |")
    print()
    print("RFM groups:", figures["groups"])


def rerun(data_dir: Path, args) -> None:
    """RFM from scratch on the shop an earlier run built, then the pages again."""
    setup_django(data_dir)
    from merdeka.core.models import Shop, User
    from merdeka.core.scoping import shop_scope
    from merdeka.customers import search, stats
    from merdeka.customers.models import CustomerStats, SearchToken, Segment

    shop = Shop.objects.get(slug="sejuta")
    owner = User.objects.get(username="bench")
    figures: dict = {}
    with shop_scope(shop):
        CustomerStats.objects.filter(shop=shop).update(
            rfm_recency=None, rfm_frequency=None, rfm_monetary=None, rfm_group=""
        )
        Segment.objects.filter(shop=shop).delete()
        with timed("rfm_refresh (every customer scored anew)", figures):
            figures["groups"] = stats.rfm_refresh(shop=shop)
        with timed("rfm_refresh, again (nothing changed)", figures):
            stats.rfm_refresh(shop=shop)
        figures["orders"] = shop_orders(shop)
        figures["tokens"] = SearchToken.objects.filter(shop=shop).count()
    with shop_scope(shop):
        samples = [
            (name, phone[3:])
            for _pk, name, phone in search.customer_fields(
                shop=shop, customer_ids=range(1, args.customers + 1, 997)
            )
            if phone
        ]
    timings = measure(shop, owner, samples, args.rounds, args.seed)
    report(args, figures, timings)


def shop_orders(shop) -> int:
    from merdeka.orders.models import Order

    return Order.objects.filter(shop=shop).count()


if __name__ == "__main__":
    main()

"""The set-based writer stores exactly what the ORM would, on SQLite and PostgreSQL."""

from __future__ import annotations

import gc
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from merdeka.core import bulk
from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Customer
from merdeka.orders.models import Order, OrderLine
from merdeka.privacy import crypto


def test_reserved_ids_are_never_handed_out_again(ika_shop):
    with transaction.atomic(), shop_scope(ika_shop):
        first = bulk.reserve_ids(Customer, 5)
        second = bulk.reserve_ids(Customer, 3)
        assert len(set(first) | set(second)) == 8
        orm = Customer(shop=ika_shop, name="Lewat ORM")
        orm.save()
        assert orm.pk > max(first + second)


def test_fields_left_out_get_the_defaults_the_orm_would_give(ika_shop):
    with transaction.atomic(), shop_scope(ika_shop):
        [order_id] = bulk.reserve_ids(Order, 1)
        when = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
        bulk.insert(
            Order,
            ("id", "shop", "channel", "external_id", "ordered_at"),
            [(order_id, ika_shop.pk, "manual", "M-1", when)],
            shop_id=ika_shop.pk,
        )
        order = Order.objects.get(pk=order_id)
        assert order.status == "new" and order.province == "" and order.total is None
        assert order.city is None  # sealed: nothing, not an empty string
        assert order.uid is not None and order.created_at is not None


@pytest.mark.django_db(transaction=True)
def test_reserving_ids_outside_a_transaction_is_refused(ika_shop):
    with pytest.raises(RuntimeError):
        bulk.reserve_ids(Customer, 1)


def test_bulk_rows_read_back_through_the_orm_unchanged(ika_shop):
    when = datetime(2026, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)
    with transaction.atomic(), shop_scope(ika_shop):
        [customer_id] = bulk.reserve_ids(Customer, 1)
        sealer = crypto.Sealer(shop_id=ika_shop.pk, label=Customer._meta.label_lower)
        uid = bulk.new_uid()
        row = bulk.dashed(uid)
        bulk.insert(
            Customer,
            ("id", "shop", "uid", "key_version", "name", "phone", "province", "created_at"),
            [
                (
                    customer_id,
                    ika_shop.pk,
                    uid,
                    sealer.version,
                    sealer.seal("Siti Nurhaliza", column="name", row=row),
                    sealer.seal("+6281234567890", column="phone", row=row),
                    "Jawa Barat",
                    when,
                )
            ],
            shop_id=ika_shop.pk,
        )
        [order_id] = bulk.reserve_ids(Order, 1)
        bulk.insert(
            Order,
            ("id", "shop", "uid", "channel", "external_id", "customer", "ordered_at", "total"),
            [(order_id, ika_shop.pk, bulk.new_uid(), "shopee", "250501ABC", customer_id, when,
              Decimal("125000.50"))],
            shop_id=ika_shop.pk,
        )  # fmt: skip
        bulk.insert(
            OrderLine,
            ("shop", "order", "name", "quantity", "unit_price", "total"),
            [(ika_shop.pk, order_id, "Nastar", 2, Decimal("62500.25"), Decimal("125000.50"))],
            shop_id=ika_shop.pk,
        )
        customer = Customer.objects.get(pk=customer_id)
        assert str(customer.uid) == row
        assert (customer.name, customer.phone, customer.province) == (
            "Siti Nurhaliza",
            "+6281234567890",
            "Jawa Barat",
        )
        assert customer.created_at == when
        order = Order.objects.get(pk=order_id)
        assert (order.customer_id, order.ordered_at, order.total) == (
            customer_id,
            when,
            Decimal("125000.50"),
        )
        assert order.lines.get().unit_price == Decimal("62500.25")
        # the customer is found by the ORM's own blind-index lookups once indexed
        customer.save()
        assert Customer.objects.filter(phone_index=customer.phone_index).count() == 1


def test_a_bulk_sealed_value_is_bound_to_its_row(ika_shop):
    sealer = crypto.Sealer(shop_id=ika_shop.pk, label=Customer._meta.label_lower)
    row = bulk.dashed(bulk.new_uid())
    token = sealer.seal("Rahasia", column="name", row=row)
    label = Customer._meta.label_lower
    assert crypto.decrypt(token, shop_id=ika_shop.pk, label=label, column="name", row=row)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(
            token, shop_id=ika_shop.pk, label=label, column="name", row=bulk.dashed(bulk.new_uid())
        )
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token, shop_id=ika_shop.pk, label=label, column="phone", row=row)


def test_bulk_uids_are_version_4_uuids():
    import uuid

    for _ in range(200):
        value = uuid.UUID(bulk.new_uid())
        assert value.version == 4 and value.variant == uuid.RFC_4122


def test_the_blind_indexer_agrees_with_blind_index(ika_shop):
    index = crypto.blind_indexer(shop_id=ika_shop.pk, purpose="x")
    assert index("+6281234567890") == crypto.blind_index(
        "+6281234567890", shop_id=ika_shop.pk, purpose="x"
    )
    assert index("a") != index("b")


def test_json_columns_round_trip_on_every_backend(ika_shop):
    from merdeka.customers.models import Merge

    with transaction.atomic(), shop_scope(ika_shop):
        a = Customer(shop=ika_shop, name="A")
        a.save()
        b = Customer(shop=ika_shop, name="B")
        b.save()
        bulk.insert(
            Merge,
            ("shop", "survivor", "absorbed", "reason", "moved_identities", "moved_orders"),
            [(ika_shop.pk, a.pk, b.pk, "phone", [20365, 7], [])],
            shop_id=ika_shop.pk,
        )
        merge = Merge.objects.get()
        assert (merge.moved_identities, merge.moved_orders, merge.moved_keys) == (
            [20365, 7],
            [],
            [],
        )


def test_rows_a_unique_constraint_refuses_are_skipped_when_asked(ika_shop):
    from merdeka.customers.models import MatchSuggestion

    with transaction.atomic(), shop_scope(ika_shop):
        a, b, c = (Customer(shop=ika_shop, name=n) for n in "ABC")
        for customer in (a, b, c):
            customer.save()
        MatchSuggestion.objects.create(shop=ika_shop, customer_a=a, customer_b=b, score=0.9)
        columns = ("shop", "customer_a", "customer_b", "score", "evidence")
        rows = [(ika_shop.pk, a.pk, b.pk, 0.5, []), (ika_shop.pk, a.pk, c.pk, 0.7, [{"x": 1}])]
        bulk.insert(MatchSuggestion, columns, rows, shop_id=ika_shop.pk, ignore_conflicts=True)
        found = MatchSuggestion.objects.order_by("customer_b_id")
        assert [(s.customer_b_id, s.score, s.evidence) for s in found] == [
            (b.pk, 0.9, []),  # the pair already there stays as it was
            (c.pk, 0.7, [{"x": 1}]),
        ]
        assert found[1].state == "pending" and found[1].created_at is not None


@pytest.mark.parametrize(
    "when",
    [
        datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC),
        datetime(2026, 3, 4, 23, 59, 59, 999999, tzinfo=ZoneInfo("Asia/Jakarta")),
        datetime(2024, 2, 29, 0, 0, tzinfo=ZoneInfo("Asia/Jayapura")),
    ],
)
def test_datetimes_are_stored_as_djangos_sqlite_backend_stores_them(when):
    from django.utils import timezone

    # Django's SQLite adapter: naive in the connection's zone (UTC), as text
    assert bulk._sqlite_datetime(when) == str(timezone.make_naive(when, UTC))
    assert bulk._sqlite_datetime(None) is None


def test_the_collector_is_paused_for_a_batch_and_put_back_as_it_was():
    assert gc.isenabled()
    with bulk.collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), bulk.collector_paused():
        raise ValueError  # a batch that fails: the collector is on again all the same
    assert gc.isenabled()
    gc.disable()
    try:
        with bulk.collector_paused():
            pass
        assert not gc.isenabled()  # off before: left off
    finally:
        gc.enable()


@pytest.mark.django_db
def test_a_bulk_import_gets_its_page_cache_and_gives_it_back():
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("a SQLite connection's page cache")

    def cache_kib():
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            return cursor.fetchone()[0]

    before = cache_kib()
    with bulk.tuned_for_bulk():
        # negative: a size in KiB. Bounded: the import's peak memory is its budget's
        # (both processes of the 1M bench, bench/RESULTS.md)
        assert cache_kib() == -bulk.BULK_CACHE_KIB
        assert bulk.BULK_CACHE_KIB <= 32 * 1024
    assert cache_kib() == before


def test_rows_made_as_stored_read_back_as_the_orm_wrote_them(ika_shop):
    """Rows made with ``stored_as`` and inserted ``adapted=True`` hold what the ORM
    would have stored: aware times of any zone, a missing time, uids, decimals."""
    wib = datetime(2026, 3, 4, 23, 59, 59, 999999, tzinfo=ZoneInfo("Asia/Jakarta"))
    uid = bulk.new_uid()
    time, stored_uid, note = bulk.stored_as(Order, "ordered_at", "uid", "channel")
    with transaction.atomic(), shop_scope(ika_shop):
        [order_id] = bulk.reserve_ids(Order, 1)
        bulk.insert(
            Order,
            ("id", "shop", "uid", "channel", "external_id", "ordered_at", "paid_at", "total"),
            [(order_id, ika_shop.pk, stored_uid(uid), note("shopee"), "A1", time(wib),
              time(None), Decimal("125000.50"))],
            shop_id=ika_shop.pk,
            adapted=True,
        )  # fmt: skip
        order = Order.objects.get(pk=order_id)
        assert (order.ordered_at, order.paid_at, order.total) == (wib, None, Decimal("125000.50"))
        assert str(order.uid) == bulk.dashed(uid) and order.channel == "shopee"
        # and as the ORM would have: the same row written by the model reads the same
        twin = Order.objects.create(
            shop=ika_shop, channel="shopee", external_id="A2", ordered_at=wib, total=order.total
        )
        assert Order.objects.filter(ordered_at=wib).count() == 2 and twin.ordered_at == wib


def test_a_row_given_as_adapted_with_a_python_value_is_refused(ika_shop):
    from django.db import connection

    with transaction.atomic(), shop_scope(ika_shop):
        [order_id] = bulk.reserve_ids(Order, 1)
        row = (order_id, ika_shop.pk, "shopee", "A1", datetime(2026, 3, 4, tzinfo=UTC))
        columns = ("id", "shop", "channel", "external_id", "ordered_at")
        if connection.vendor == "sqlite":  # a datetime SQLite would store as Python says
            with pytest.raises(bulk.NotAdapted):
                bulk.insert(Order, columns, [row], shop_id=ika_shop.pk, adapted=True)
        else:  # PostgreSQL's driver adapts times itself: nothing to refuse
            bulk.insert(Order, columns, [row], shop_id=ika_shop.pk, adapted=True)
            assert Order.objects.get(pk=order_id).ordered_at == row[-1]


def test_ids_are_read_as_ranges_where_they_have_no_gap_and_as_lists_elsewhere():
    chunk = bulk.LOOKUP_CHUNK
    # runs without a gap, cut into chunks, are one range again (duplicates and order aside)
    run = list(range(10, 10 + 3 * chunk))
    assert bulk.id_parts([*reversed(run), run[0]]) == [(10, 10 + 3 * chunk - 1)]
    # a chunk with a gap is a list; the ranges around it stay apart
    gappy = [*range(1, chunk), 5 * chunk]  # one chunk's worth, with a gap before its last
    after = list(range(5 * chunk + 1, 7 * chunk + 1))
    parts = bulk.id_parts([*gappy, *after])
    assert parts == [(None, gappy), (5 * chunk + 1, 7 * chunk)]
    # every id exactly once, whatever the parts
    covered = [
        i for first, last in parts for i in (last if first is None else range(first, last + 1))
    ]
    assert covered == sorted({*gappy, *after})
    assert bulk.id_parts([]) == []

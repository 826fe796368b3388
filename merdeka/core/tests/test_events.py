"""Domain events: inline subscribers share the change's transaction; outbox subscribers
get every event exactly once, even when the process dies between commit and delivery
or in the middle of a delivery."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.db import connection, transaction

from merdeka.core import events
from merdeka.core.models import EventOutbox
from merdeka.core.scoping import shop_scope
from merdeka.customers.models import CustomerStats
from merdeka.orders.manual import ManualLine, manual_order_create
from merdeka.orders.services import Buyer
from merdeka.privacy.models import AuditEvent

ROOT = Path(__file__).resolve().parents[3]


def counting(events_):
    """A subscriber whose work is not idempotent: one audit row per delivery."""
    from merdeka.privacy.audit import audit_record

    for event in events_:
        audit_record(action="test.delivered", shop=event.shop_id, detail={"event": event.id})


def deliveries(shop) -> int:
    with shop_scope(shop):
        return AuditEvent.objects.filter(action="test.delivered").count()


@pytest.fixture
def counted():
    events.subscribe(
        "test.happened", name="test.counting", handler=counting, delivery=events.OUTBOX
    )
    yield
    events._subscribers.pop("test.counting", None)


@pytest.mark.django_db(transaction=True)
def test_emitting_outside_a_transaction_is_refused(ika_shop):
    with pytest.raises(RuntimeError, match="inside the transaction"):
        events.emit("test.happened", shop_id=ika_shop.pk)


def test_an_inline_subscriber_rolls_back_with_the_change(ika_shop):
    seen = []
    events.subscribe("test.inline", name="test.inline", handler=seen.extend)
    try:
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            events.emit("test.inline", shop_id=ika_shop.pk, n=1)
            assert len(seen) == 1  # at once, inside the change's transaction
            1 / 0  # noqa: B018
    finally:
        events._subscribers.pop("test.inline", None)
    assert seen[0].data == {"n": 1}


def test_an_outbox_event_is_delivered_once_however_often_the_drain_runs(ika_shop, counted):
    with transaction.atomic():
        event = events.emit("test.happened", shop_id=ika_shop.pk)
    assert EventOutbox.unscoped.filter(event_id=event.id).count() == 1
    assert events.outbox_drain() == 1
    assert events.outbox_drain() == 0
    assert deliveries(ika_shop) == 1
    assert not EventOutbox.unscoped.exists()


def test_what_waits_counts_the_orders_and_customers_events_name_without_reading_them(
    ika_shop, citra_shop, counted
):
    with transaction.atomic():
        events.emit("test.happened", shop_id=ika_shop.pk, order_ids=list(range(1, 2501)))
        events.emit("test.happened", shop_id=ika_shop.pk, customer_ids=[7, 8, 9])
        events.emit("test.happened", shop_id=ika_shop.pk, note="one thing")
        events.emit("test.happened", shop_id=ika_shop.pk, order_ids=[])
        events.emit("test.happened", shop_id=citra_shop.pk, order_ids=[1, 2])
    assert sorted(EventOutbox.unscoped.values_list("items", flat=True)) == [1, 1, 2, 3, 2500]
    waiting = events.outbox_waiting(shop_id=ika_shop.pk, subscribers=["test.counting"])
    assert waiting == 2500 + 3 + 1 + 1  # another shop's events are not counted
    assert events.outbox_waiting(shop_id=ika_shop.pk, subscribers=["test.other"]) == 0

    # rows written before the column existed are counted once, from their ids
    EventOutbox.unscoped.update(items=1)
    migration = importlib.import_module("merdeka.core.migrations.0006_outbox_items")
    migration.count_waiting(django_apps, None)
    assert events.outbox_waiting(shop_id=ika_shop.pk, subscribers=["test.counting"]) == 2505
    assert events.outbox_drain() == 5
    assert events.outbox_waiting(shop_id=ika_shop.pk, subscribers=["test.counting"]) == 0


def test_a_failing_subscriber_keeps_its_events_for_later(ika_shop):
    calls = []

    def flaky(batch):
        calls.append(len(batch))
        if len(calls) == 1:
            counting(batch)  # written, then rolled back with the failure
            raise RuntimeError("the mail server is down")
        counting(batch)

    events.subscribe("test.happened", name="test.flaky", handler=flaky, delivery=events.OUTBOX)
    try:
        with transaction.atomic():
            events.emit("test.happened", shop_id=ika_shop.pk)
        assert events.outbox_drain() == 0
        row = EventOutbox.unscoped.get()
        assert row.attempts == 1 and "mail server" in row.last_error
        assert deliveries(ika_shop) == 0
        assert events.outbox_drain() == 0  # it waits before trying again
        assert events.outbox_drain(now=row.not_before) == 1
    finally:
        events._subscribers.pop("test.flaky", None)
    assert deliveries(ika_shop) == 1


def test_the_scheduler_queues_a_drain_when_events_wait(
    ika_shop, counted, django_capture_on_commit_callbacks
):
    from merdeka.core import schedule

    with transaction.atomic():
        events.emit("test.happened", shop_id=ika_shop.pk)  # its own drain never came
    assert "merdeka.core.events.outbox_due" in schedule.PERIODIC
    with django_capture_on_commit_callbacks(execute=True):
        schedule.tick()  # the immediate task backend drains at once
    assert deliveries(ika_shop) == 1


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return (
        f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


def _run(script: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "MERDEKA_DATA_DIR": str(settings.DATA_DIR),
        "MERDEKA_MASTER_KEY_FILE": str(settings.MERDEKA_MASTER_KEY_FILE),
        "MERDEKA_TESTING": "1",
        "DJANGO_SETTINGS_MODULE": "merdeka.settings",
    }
    prelude = textwrap.dedent(
        """
        import os, signal
        import django
        django.setup()
        from merdeka.core import events
        from merdeka.core.tests.test_events import counting
        events.subscribe("test.happened", name="test.counting", handler=counting,
                         delivery=events.OUTBOX)
        def die(*args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    return subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(script)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.django_db(transaction=True)
def test_a_kill_between_commit_and_delivery_loses_nothing_and_doubles_nothing(
    ika, ika_shop, counted
):
    placed = _run(
        f"""
        from decimal import Decimal
        from django.db import transaction
        from merdeka.core.models import Shop, User
        from merdeka.orders.manual import ManualLine, manual_order_create
        from merdeka.orders.services import Buyer
        events._enqueue_drain = die  # the process dies right after the commit
        shop = Shop.objects.get(pk={ika_shop.pk})
        with transaction.atomic():
            events.emit("test.happened", shop_id=shop.pk)
        """
    )
    assert placed.returncode == -9, placed.stderr
    assert EventOutbox.unscoped.filter(subscriber="test.counting").count() == 1
    assert deliveries(ika_shop) == 0
    # the next worker dies in the middle of the delivery: its work rolls back
    dying = _run(
        """
        def dies_while_delivering(batch):
            counting(batch)
            die()
        events.subscribe("test.happened", name="test.counting",
                         handler=dies_while_delivering, delivery=events.OUTBOX)
        events.outbox_drain()
        """
    )
    assert dying.returncode == -9, dying.stderr
    assert deliveries(ika_shop) == 0
    assert EventOutbox.unscoped.filter(subscriber="test.counting").count() == 1
    # a healthy worker delivers it, once
    healthy = _run("print(events.outbox_drain()); print(events.outbox_drain())")
    assert healthy.returncode == 0, healthy.stderr
    assert healthy.stdout.split() == ["1", "0"]
    assert deliveries(ika_shop) == 1
    assert not EventOutbox.unscoped.exists()


@pytest.mark.django_db(transaction=True)
def test_a_buyer_placed_before_a_crash_gets_her_figures_from_the_next_drain(ika, ika_shop):
    placed = _run(
        f"""
        from decimal import Decimal
        from merdeka.core.models import Shop, User
        from merdeka.orders.manual import ManualLine, manual_order_create
        from merdeka.orders.services import Buyer
        events._enqueue_drain = die
        manual_order_create(
            shop=Shop.objects.get(pk={ika_shop.pk}), actor=User.objects.get(pk={ika.pk}),
            buyer=Buyer(name="Sari Dewi", phone="0812-7777-8888"),
            lines=[ManualLine(quantity=2, name="Bolu Pandan", unit_price=Decimal(45000))],
            idempotency_key="after-crash", delivery_method="pickup", payment_method="transfer",
        )
        """
    )
    assert placed.returncode == -9, placed.stderr
    with shop_scope(ika_shop):
        figures = CustomerStats.objects.get()
        assert (figures.order_count, figures.total_spend) == (0, 0)  # not yet
    # one row for each outbox subscriber of order.placed (the figures among them)
    outbox = [s for s in events.subscribers_of("order.placed") if s.delivery == events.OUTBOX]
    assert "customers.figures" in {s.name for s in outbox}
    assert events.outbox_drain() == len(outbox)
    with shop_scope(ika_shop):
        figures = CustomerStats.objects.get()
    assert (figures.order_count, figures.total_spend) == (1, Decimal(90000))
    # the same order placed again (a retried request) posts nothing new
    manual_order_create(
        shop=ika_shop,
        actor=ika,
        buyer=Buyer(name="Sari Dewi", phone="0812-7777-8888"),
        lines=[ManualLine(quantity=2, name="Bolu Pandan", unit_price=Decimal(45000))],
        idempotency_key="after-crash",
        delivery_method="pickup",
        payment_method="transfer",
    )
    assert not EventOutbox.unscoped.exists()


def test_a_delivery_hands_a_subscriber_a_bounded_number_of_items(ika_shop, monkeypatch):
    batches = []
    events.subscribe(
        "test.sized",
        name="test.sizes",
        handler=lambda got: batches.append([e.data["items"] for e in got]),
        delivery=events.OUTBOX,
    )
    monkeypatch.setattr(events, "DELIVERY_ITEMS", 100)
    try:
        with transaction.atomic():
            for items in (60, 30, 20, 250, 5, 5):
                events.emit("test.sized", shop_id=ika_shop.pk, items=items)
        assert events.outbox_drain() == 2  # 60 + 30; with the 20 it would be past 100
        assert events.outbox_drain() == 1  # the 20: the 250 would take it past
        assert events.outbox_drain() == 1  # a row bigger than the bound goes alone
        assert events.outbox_drain() == 2
        assert events.outbox_drain() == 0
    finally:
        events._subscribers.pop("test.sizes", None)
    assert batches == [[60, 30], [20], [250], [5, 5]]  # each event once, oldest first
    assert not EventOutbox.unscoped.exists()

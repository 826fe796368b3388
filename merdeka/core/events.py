"""Domain events: one owner changes a thing and says so; other domains react in plain code.

The owner of a change (``merdeka.orders.lifecycle`` for orders) calls ``emit`` inside
the transaction that makes the change. Subscribers are registered with ``subscribe``
from their app's ``ready()`` (a registry, not Django signals), and are delivered in
one of two ways, chosen by the subscriber:

* **inline** - the handler runs at once, in the same transaction as the change. Use it
  for work that must be exact and atomic with the change (a group buy's count, a
  pre-order's quota, the books): the change and the reaction commit or roll back
  together.
* **outbox** - a row per (subscriber, event) is written into ``EventOutbox`` in the
  same transaction, and ``outbox_drain`` (a task queued after commit, and the
  scheduler's periodic sweep for anything a dead worker left) hands pending rows to the
  handler and deletes them *in the handler's own transaction*. A crash between the
  commit and the delivery loses nothing (the row is still there) and a crash during
  the delivery doubles nothing (the handler's writes and the row's deletion commit or
  roll back together). Use it for work that may lag a little (the customer list's
  figures) so that the change itself stays fast.

Handlers take a list of events (a drain hands over a batch; inline gets one) and must
not assume they are the only subscriber. An event carries ids, never personal data.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial

from django.db import connection, transaction
from django.db.models import F, Sum
from django.utils import timezone

from merdeka.core.models import EventOutbox
from merdeka.core.tasks import drain_outbox

log = logging.getLogger(__name__)

INLINE = "inline"
OUTBOX = "outbox"
DRAIN_BATCH = 500
# the most orders or customers one delivery hands a subscriber (``_bounded``)
DELIVERY_ITEMS = 50_000
# a failing handler is retried later, after a pause that grows with each failure
RETRY_BASE = dt.timedelta(seconds=30)
RETRY_MAX = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Event:
    """Something that happened to a domain object, said by its owner."""

    kind: str  # "order.placed", "order.cancelled", ...
    shop_id: int
    data: dict  # ids and plain facts, JSON-able; no personal data
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    at: dt.datetime = field(default_factory=timezone.now)


@dataclass(frozen=True)
class Subscriber:
    name: str  # unique and stable: outbox rows are keyed by it
    kinds: frozenset[str]
    handler: Callable[[list[Event]], None]
    delivery: str


_subscribers: dict[str, Subscriber] = {}


def subscribe(
    *kinds: str, name: str, handler: Callable[[list[Event]], None], delivery: str = INLINE
) -> None:
    """Register ``handler`` for events of ``kinds`` (``"order.*"`` matches a family).
    Registering the same name again replaces it (apps' ``ready()`` may run twice)."""
    if delivery not in (INLINE, OUTBOX):
        raise ValueError(f"unknown delivery {delivery!r}")
    _subscribers[name] = Subscriber(name, frozenset(kinds), handler, delivery)


def subscribers_of(kind: str) -> list[Subscriber]:
    family = kind.split(".", 1)[0] + ".*"
    return [s for s in _subscribers.values() if kind in s.kinds or family in s.kinds]


def emit(kind: str, *, shop_id: int, **data) -> Event:
    """Say that ``kind`` happened; call it inside the transaction of the change."""
    event = Event(kind=kind, shop_id=shop_id, data=data)
    emit_events([event])
    return event


def emit_events(events: Iterable[Event]) -> None:
    """Emit several events at once (a set-wise change): one outbox insert for all."""
    events = list(events)
    if not events:
        return
    if not connection.in_atomic_block:
        raise RuntimeError("emit() belongs inside the transaction of the change it reports")
    rows = []
    for event in events:
        for subscriber in subscribers_of(event.kind):
            if subscriber.delivery == INLINE:
                subscriber.handler([event])
            else:
                rows.append(
                    EventOutbox(
                        shop_id=event.shop_id,
                        subscriber=subscriber.name,
                        event_id=event.id,
                        kind=event.kind,
                        data=event.data,
                        items=event_items(event.data),
                        happened_at=event.at,
                    )
                )
    if rows:
        EventOutbox.unscoped.bulk_create(rows, batch_size=500)
        transaction.on_commit(_enqueue_drain)


def _enqueue_drain() -> None:
    drain_outbox.enqueue()


def outbox_drain(*, limit: int = DRAIN_BATCH, now=None, shop_id: int | None = None) -> int:
    """Deliver pending outbox rows, oldest first; returns how many were delivered.

    Each subscriber's batch is delivered in one transaction that also deletes its rows,
    so a row is handled exactly once. A failing handler leaves its rows for later.
    ``shop_id``: only that shop's rows (``merdeka import`` finishing its own work)."""
    now = now or timezone.now()
    delivered = 0
    due = EventOutbox.unscoped.filter(not_before__lte=now)
    if shop_id is not None:
        due = due.filter(shop_id=shop_id)
    pending = list(due.order_by("id").values_list("subscriber", flat=True).distinct()[:100])
    for name in dict.fromkeys(pending):
        subscriber = _subscribers.get(name)
        if subscriber is None:
            log.error("outbox rows of an unknown subscriber %s are kept", name)
            continue
        delivered += _deliver(subscriber, limit=limit, now=now, shop_id=shop_id)
    return delivered


def _bounded(rows: list) -> list:
    """The oldest rows whose items (the orders or customers they name) add up to at
    most ``DELIVERY_ITEMS``, at least one: a delivery's memory is bounded by what it
    handles, not by how many rows wait. An import's events name a batch of up to
    20,000 orders or customers each; handed all at once, a year's worth (30 batches of
    a 1M-line import) went to one call of the books' postings and of the search tokens.
    The rows left wait for the next delivery (a drain loops while rows are due)."""
    total = 0
    for taken, row in enumerate(rows):
        total += row.items
        if total > DELIVERY_ITEMS and taken:
            return rows[:taken]
    return rows


def _events_of(rows) -> list[Event]:
    return [
        Event(
            kind=row.kind, shop_id=row.shop_id, data=row.data, id=row.event_id, at=row.happened_at
        )
        for row in rows
    ]


def _deliver(subscriber: Subscriber, *, limit: int, now, shop_id: int | None = None) -> int:
    try:
        with transaction.atomic():
            claim = EventOutbox.unscoped.filter(subscriber=subscriber.name, not_before__lte=now)
            if shop_id is not None:
                claim = claim.filter(shop_id=shop_id)
            if connection.features.has_select_for_update_skip_locked:
                claim = claim.select_for_update(skip_locked=True)
            rows = _bounded(list(claim.order_by("id")[:limit]))
            if not rows:
                return 0
            subscriber.handler(_events_of(rows))
            deleted, _ = EventOutbox.unscoped.filter(pk__in=[row.pk for row in rows]).delete()
            if deleted != len(rows):  # another drainer took some meanwhile: not ours
                raise _Raced
            return len(rows)
    except _Raced:
        return 0
    except Exception as exc:
        log.exception("outbox subscriber %s failed; its events are kept", subscriber.name)
        _postpone(subscriber.name, now, repr(exc)[:500])
        return 0


class _Raced(Exception):
    pass


def outbox_deliver_now(name: str, *, shop_id: int, limit: int | None = None) -> int:
    """Deliver at once, in the caller's transaction, what waits in the shop's outbox for
    subscriber ``name`` (retries postponed included); returns how many rows. For an
    inline change that must come after them (an imported order's postings before its
    payment's). Waits for a drainer that holds them (they are gone when it commits). A
    failing handler leaves them waiting and the caller goes on (logged). ``limit``: the
    oldest rows only (call again while it returns some: large rows, read a few at once)."""
    subscriber = _subscribers.get(name)
    if subscriber is None:
        return 0
    waiting = EventOutbox.unscoped.filter(shop_id=shop_id, subscriber=name)
    if not waiting.exists():
        return 0
    try:
        with transaction.atomic():
            if connection.features.has_select_for_update:
                waiting = waiting.select_for_update()
            rows = list(waiting.order_by("id")[:limit])
            if not rows:
                return 0
            subscriber.handler(_events_of(rows))
            EventOutbox.unscoped.filter(pk__in=[row.pk for row in rows]).delete()
            return len(rows)
    except Exception:
        log.exception("outbox subscriber %s failed when delivered at once; kept", name)
        return 0


def event_items(data) -> int:
    """How many things an event names: the orders or customers of a batch
    (``order_ids``, ``customer_ids``, or their count as ``items``), or one."""
    if not isinstance(data, dict):
        return 1
    ids = data.get("order_ids") or data.get("customer_ids")
    if ids:
        return len(ids)
    items = data.get("items")
    return items if isinstance(items, int) and items > 0 else 1


def outbox_waiting(*, shop_id: int, subscribers: Iterable[str]) -> int:
    """How much waits in the shop's outbox for these subscribers: each order or
    customer an event names, or one per other event (``event_items``, kept on the row
    when it is written: the import page asks every few seconds, and an import of a year
    leaves hundreds of thousands of ids waiting, which are not read back to count them)."""
    rows = EventOutbox.unscoped.filter(shop_id=shop_id, subscriber__in=list(subscribers))
    return rows.aggregate(waiting=Sum("items"))["waiting"] or 0


def _postpone(name: str, now, error: str) -> None:
    with transaction.atomic():
        rows = EventOutbox.unscoped.filter(subscriber=name, not_before__lte=now)
        attempts = max(rows.values_list("attempts", flat=True), default=0) + 1
        pause = min(RETRY_BASE * 2 ** (attempts - 1), RETRY_MAX)
        rows.update(attempts=F("attempts") + 1, last_error=error, not_before=now + pause)


def outbox_due_now(*, now=None) -> bool:
    """Are rows waiting whose time has come?"""
    return EventOutbox.unscoped.filter(not_before__lte=now or timezone.now()).exists()


def outbox_due(*, now=None) -> int:
    """Periodic: queue a drain when rows are waiting (a worker died before it ran)."""
    now = now or timezone.now()
    waiting = EventOutbox.unscoped.filter(not_before__lte=now).exists()
    if waiting:
        transaction.on_commit(partial(_enqueue_drain))
    return int(waiting)

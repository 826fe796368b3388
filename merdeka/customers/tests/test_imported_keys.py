"""An import's match keys are written after its files commit (customers/imported_keys.py,
issue 20): the same rows, and the same review queue, as when each file's transaction
wrote them, whenever they are delivered and whatever was merged meanwhile.

The oracle is the resolver's inline writer (``Resolver._write_keys``), which the
storefront's, cards' and group buys' resolvers use: an import's resolver is made to use
it here only (``_inline_keys``), for the comparison."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import pytest
from django.db import transaction

from bench import dataset
from merdeka.core import events
from merdeka.core.models import EventOutbox
from merdeka.core.scoping import shop_scope
from merdeka.customers import services
from merdeka.customers.imported_keys import IMPORTED_KEYS, imported_keys, pack, unpack
from merdeka.customers.models import (
    Customer,
    Identity,
    IdentityKind,
    MatchKey,
    MatchSuggestion,
    Merge,
)
from merdeka.customers.resolution import Keys, Resolver, customer_merge
from merdeka.imports import pipeline, sources
from merdeka.imports.deferred import deferred_waiting
from merdeka.imports.writer import order_buyer
from merdeka.orders.models import Order
from merdeka.privacy.rights import customer_erase

DATA = Path(__file__).resolve().parents[2] / "imports" / "tests" / "data"


def _samples() -> list[Path]:
    """The sample exports, chats and address books that import as they are."""
    found = []
    for folder in ("marketplaces", "other", "whatsapp", "contacts"):
        found += [
            p
            for p in sorted((DATA / folder).iterdir())
            if p.suffix != ".py" and not p.name.endswith("_headers.txt")
        ]
    return found


@pytest.fixture(scope="module")
def year(tmp_path_factory) -> list[Path]:
    """A small generated year on three channels (bench/dataset.py): buyers who come back
    on another channel, so that later files merge customers earlier ones made."""
    out = tmp_path_factory.mktemp("year")
    dataset.generate(out, lines=1500, count=400)
    return [p for sub in ("shopee", "tiktok", "whatsapp") for p in sorted((out / sub).iterdir())]


def _signature(shop) -> dict[int, frozenset]:
    """Each customer as the blind indexes of its identities: the same in both runs of
    a comparison, whatever the ids."""
    found: dict[int, set] = {}
    for customer_id, index in Identity.objects.filter(shop=shop).values_list(
        "customer_id", "value_index"
    ):
        found.setdefault(customer_id, set()).add(index)
    return {pk: frozenset(v) for pk, v in found.items()}


def _state(shop) -> dict:
    """The match keys (with duplicates), what each merge moved, and the review queue."""
    with shop_scope(shop):
        sig = _signature(shop)
        index_of = dict(Identity.objects.filter(shop=shop).values_list("pk", "value_index"))
        keys = Counter(
            (sig.get(c, frozenset({f"gone:{c}"})), kind, key)
            for c, kind, key in MatchKey.objects.filter(shop=shop).values_list(
                "customer_id", "kind", "key"
            )
        )
        by_pk = {
            pk: (kind, key)
            for pk, kind, key in MatchKey.objects.filter(shop=shop).values_list("pk", "kind", "key")
        }
        merges = sorted(
            (
                reason,
                tuple(sorted(index_of.get(i, "") for i in identities)),
                tuple(sorted(by_pk.get(pk, ("", "")) for pk in moved)),
                undone is None,
            )
            for reason, identities, moved, undone in Merge.objects.filter(shop=shop).values_list(
                "reason", "moved_identities", "moved_keys", "undone_at"
            )
        )
        queue = sorted(
            (
                tuple(sorted((sig.get(a, frozenset()), sig.get(b, frozenset())), key=sorted)),
                state,
                round(score, 6),
                repr(evidence),
            )
            for a, b, state, score, evidence in MatchSuggestion.objects.filter(
                shop=shop
            ).values_list("customer_a_id", "customer_b_id", "state", "score", "evidence")
        )
        live = Customer.objects.filter(shop=shop, merged_into__isnull=True).count()
    return {"keys": keys, "merges": merges, "queue": queue, "customers": live}


def _run(shop, paths, *, deliver_each=False, between=None) -> tuple[dict, int]:
    """One run over ``paths`` as the web upload's task runs it: each file committed,
    then the review pass. ``deliver_each``: the outbox task delivers after every file
    (else the review pass does); ``between(shop)`` acts between the files and it."""
    run = pipeline.run_create(shop=shop)
    for path in paths:
        pipeline.import_path(shop=shop, run=run, path=path)
        if deliver_each:
            events.outbox_drain(shop_id=shop.pk)
    if between is not None:
        between(shop)
    pipeline.run_finish(run)
    with shop_scope(shop):
        waiting = EventOutbox.unscoped.filter(shop_id=shop.pk, subscriber=IMPORTED_KEYS).count()
    assert waiting == 0
    return _state(shop), run.review_waiting


class _InlineKeys(Resolver):
    """An import's resolver that writes its match keys in the file's transaction
    (``_write_keys``, as a resolver without an import does): the oracle."""

    made = 0

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.keys_later = False
        _InlineKeys.made += 1


def _compare(shop, paths, monkeypatch, *, between=None):
    """The same run three times, rolled back after each: keys in the files'
    transactions (the inline writer), after them delivered by the review pass, and
    after each file by the outbox task. Returns the first run's state."""
    results = []
    _InlineKeys.made = 0
    for inline, each in ((True, False), (False, False), (False, True)):
        with monkeypatch.context() as patch, transaction.atomic():
            if inline:
                patch.setattr(pipeline, "Resolver", _InlineKeys)
            results.append(_run(shop, paths, deliver_each=each, between=between))
            transaction.set_rollback(True)
    inline, at_review, after_each = results
    assert _InlineKeys.made > 0  # the oracle's run went through the inline writer
    assert at_review == inline
    assert after_each == inline
    return inline[0]


@pytest.mark.slow
def test_the_sample_files_end_with_the_keys_and_the_review_queue_of_the_inline_writer(
    ika_shop, monkeypatch
):
    state = _compare(ika_shop, _samples(), monkeypatch)
    assert sum(state["keys"].values()) > 50


@pytest.mark.slow
def test_a_generated_year_ends_with_the_keys_and_the_review_queue_of_the_inline_writer(
    ika_shop, monkeypatch, year
):
    state = _compare(ika_shop, year, monkeypatch)
    # the year merges customers across files, and those merges moved keys
    assert any(moved for _r, _i, moved, _live in state["merges"])
    assert state["queue"]
    assert max(state["keys"].values()) >= 1


def _computed_keys(shop, paths) -> tuple[dict[int, set], dict[int, set]]:
    """The match keys each customer should hold after these order exports, computed
    directly from the files: every order's buyer (``writer.order_buyer``) hashed by the
    matching's own ``Keys``, at the customer the order is now at. Returns the keys of the
    orders that are surely the customer's own, and those of all its orders: a gift's
    (its phone not the customer's) are not the customer's evidence (``Resolver``)."""
    keys = Keys(shop.pk)
    with shop_scope(shop):
        customer_of = {
            (channel, external): customer
            for channel, external, customer in Order.objects.filter(shop=shop).values_list(
                "channel", "external_id", "customer_id"
            )
        }
        held = defaultdict(set)
        for customer, index in Identity.objects.filter(shop=shop).values_list(
            "customer_id", "value_index"
        ):
            held[customer].add(index)
    own, every = defaultdict(set), defaultdict(set)
    for path in paths:
        seen = set()
        for order in sources.parse_file(path, path.name).preview["orders"]:
            if (order.channel, order.external_id) in seen:
                continue  # the first of an order the file holds twice counts
            seen.add((order.channel, order.external_id))
            customer = customer_of[(order.channel, order.external_id)]
            buyer = keys.prepare(order_buyer(order))
            every[customer] |= buyer.keys
            phones = {i for c, i in buyer.indexed if c.kind == IdentityKind.PHONE}
            if phones <= held[customer]:
                own[customer] |= buyer.keys
    return own, every


@pytest.mark.slow
def test_the_delivered_keys_are_the_ones_computed_from_the_files(ika_shop, year):
    """Independently of any writer: what the delivery wrote is each order's keys as the
    matching module computes them, at the customer the order ended at."""
    paths = [p for p in _samples() if p.parent.name == "marketplaces"]
    paths += [p for p in year if p.parent.name != "whatsapp"]
    run = pipeline.run_create(shop=ika_shop)
    for path in paths:
        pipeline.import_path(shop=ika_shop, run=run, path=path)
    with shop_scope(ika_shop):
        assert not MatchKey.objects.filter(shop=ika_shop).exists()  # all of them waiting
    events.outbox_drain(shop_id=ika_shop.pk)
    assert _waiting(ika_shop) == []
    with shop_scope(ika_shop):
        written = defaultdict(set)
        for customer, kind, key in MatchKey.objects.filter(shop=ika_shop).values_list(
            "customer_id", "kind", "key"
        ):
            written[customer].add((kind, key))
    own, every = _computed_keys(ika_shop, paths)
    assert sum(len(k) for k in written.values()) > 1000
    assert set(written) == {c for c, k in every.items() if k}
    for customer, found in written.items():
        assert own[customer] <= found <= every[customer], customer
    assert written == own  # and exactly those of the orders that were no gifts
    assert any(own[c] != every[c] for c in every)  # the files hold gifts (shopee_gift_first)
    with shop_scope(ika_shop):
        assert Merge.objects.filter(shop=ika_shop).exists()  # later files merged customers


def _first_with_keys(shop, count=2) -> list[int]:
    with shop_scope(shop):
        ids = list(
            Customer.objects.filter(shop=shop, merged_into__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    return ids[:count]


def _merge_two(shop):
    """The seller merges two customers while the files' keys still wait."""
    survivor, absorbed = _first_with_keys(shop)
    with shop_scope(shop):
        customer_merge(
            shop=shop,
            survivor=Customer.objects.get(pk=survivor),
            absorbed=Customer.objects.get(pk=absorbed),
            reason=Merge.Reason.REVIEWED,
        )


def _merge_and_undo(shop):
    _merge_two(shop)
    with shop_scope(shop):
        merge = Merge.objects.filter(shop=shop, reason=Merge.Reason.REVIEWED).get()
    # the keys arrive while it holds, then the seller undoes it: they go back with the rest
    events.outbox_drain(shop_id=shop.pk)
    services.merge_undo(shop=shop, actor=None, merge_id=merge.pk)


@pytest.mark.slow
@pytest.mark.parametrize("between", [_merge_two, _merge_and_undo])
def test_a_merge_before_the_keys_arrive_is_as_if_they_had_come_first(
    ika_shop, monkeypatch, year, between
):
    _compare(ika_shop, year[:3], monkeypatch, between=between)


def test_the_keys_of_a_customer_merged_meanwhile_go_to_her_survivor(ika_shop, year):
    run = pipeline.run_create(shop=ika_shop)
    pipeline.import_path(shop=ika_shop, run=run, path=year[0])
    survivor, absorbed = _first_with_keys(ika_shop)
    with shop_scope(ika_shop):
        assert not MatchKey.objects.filter(shop=ika_shop).exists()  # usable, keys waiting
        waiting = [unpack(data["keys"]) for data in _waiting(ika_shop)]
        theirs = set().union(*(w.get(absorbed, set()) for w in waiting))
        assert theirs
    _merge_two(ika_shop)
    events.outbox_drain(shop_id=ika_shop.pk)
    with shop_scope(ika_shop):
        assert not MatchKey.objects.filter(shop=ika_shop, customer_id=absorbed).exists()
        at_survivor = set(
            MatchKey.objects.filter(shop=ika_shop, customer_id=survivor).values_list("kind", "key")
        )
        assert theirs <= at_survivor
        merge = Merge.objects.get(shop=ika_shop, absorbed_id=absorbed)
        moved = set(MatchKey.objects.filter(pk__in=merge.moved_keys).values_list("kind", "key"))
        assert moved == theirs  # undoing the merge gives them back
    services.merge_undo(shop=ika_shop, actor=None, merge_id=merge.pk)
    with shop_scope(ika_shop):
        assert (
            set(MatchKey.objects.filter(customer_id=absorbed).values_list("kind", "key")) == theirs
        )


def _waiting(shop) -> list[dict]:
    return list(
        EventOutbox.unscoped.filter(shop_id=shop.pk, subscriber=IMPORTED_KEYS)
        .order_by("pk")
        .values_list("data", flat=True)
    )


def test_delivering_twice_adds_nothing(ika_shop, year):
    run = pipeline.run_create(shop=ika_shop)
    for path in year[:2]:
        pipeline.import_path(shop=ika_shop, run=run, path=path)
    rows = list(EventOutbox.unscoped.filter(shop_id=ika_shop.pk, subscriber=IMPORTED_KEYS))
    assert rows
    batch = [events.Event(kind=r.kind, shop_id=r.shop_id, data=r.data, id=r.event_id) for r in rows]
    with transaction.atomic():
        imported_keys(batch)
    with shop_scope(ika_shop):
        first = sorted(MatchKey.objects.values_list("customer_id", "kind", "key"))
        assert first
        moved = sorted(Merge.objects.values_list("pk", "moved_keys"))
    with transaction.atomic():
        imported_keys(batch)
    events.outbox_drain(shop_id=ika_shop.pk)  # and once more, as the outbox task would
    with shop_scope(ika_shop):
        assert sorted(MatchKey.objects.values_list("customer_id", "kind", "key")) == first
        assert sorted(Merge.objects.values_list("pk", "moved_keys")) == moved


def test_a_file_that_rolls_back_leaves_no_keys_waiting(ika_shop, year):
    class Stop(Exception):
        pass

    run = pipeline.run_create(shop=ika_shop)
    try:
        with transaction.atomic():
            pipeline.import_path(shop=ika_shop, run=run, path=year[0])
            assert _waiting(ika_shop)
            assert deferred_waiting(shop=ika_shop) > 0
            raise Stop
    except Stop:
        pass
    assert _waiting(ika_shop) == []
    assert deferred_waiting(shop=ika_shop) == 0
    with shop_scope(ika_shop):
        assert not MatchKey.objects.filter(shop=ika_shop).exists()


def test_an_erased_customer_leaves_no_keys_waiting_nor_written(ika_shop, year):
    run = pipeline.run_create(shop=ika_shop)
    pipeline.import_path(shop=ika_shop, run=run, path=year[0])
    gone, kept = _first_with_keys(ika_shop)
    customer_erase(shop=ika_shop, customer_id=gone)
    # her keys were written before she went, and went with her: none waits in the outbox
    assert _waiting(ika_shop) == []
    pipeline.run_finish(run)
    with shop_scope(ika_shop):
        assert not MatchKey.objects.filter(shop=ika_shop, customer_id=gone).exists()
        assert MatchKey.objects.filter(shop=ika_shop, customer_id=kept).exists()
    assert _waiting(ika_shop) == []


def test_a_customer_gone_before_the_keys_arrive_gets_none(ika_shop, year):
    run = pipeline.run_create(shop=ika_shop)
    pipeline.import_path(shop=ika_shop, run=run, path=year[0])
    gone, kept = _first_with_keys(ika_shop)
    with shop_scope(ika_shop):
        Customer.objects.filter(shop=ika_shop, pk=gone).delete()
    pipeline.run_finish(run)
    with shop_scope(ika_shop):
        assert not MatchKey.objects.filter(shop=ika_shop, customer_id=gone).exists()
        assert MatchKey.objects.filter(shop=ika_shop, customer_id=kept).exists()
    assert _waiting(ika_shop) == []


def test_the_review_pass_sees_every_key_and_the_page_waits_for_them(ika_shop, year):
    run = pipeline.run_create(shop=ika_shop)
    pipeline.import_path(shop=ika_shop, run=run, path=year[0])
    waiting = _waiting(ika_shop)
    # counted per customer, as the page says how much is left
    customers = sum(len(unpack(data["keys"])) for data in waiting)
    assert deferred_waiting(shop=ika_shop) >= customers > 0
    pipeline.run_finish(run)
    assert _waiting(ika_shop) == []


def test_a_batch_of_keys_packs_and_unpacks_whole():
    wanted = {
        7: {("nm", "0123456789abcdef"), ("nw", "fedcba9876543210"), ("pn", "00000000000000ff")},
        123456789: {("ad", "aaaaaaaaaaaaaaaa")},
        8: set(),
    }
    packed = pack(wanted)
    assert unpack(packed) == {c: k for c, k in wanted.items() if k}
    assert unpack(pack({})) == {}
    # about 19 characters a key and the customer's id, not a JSON list per key
    assert len(packed) < 19 * 4 + 3 * 12

"""An import's match keys, written after its file commits (issue 20).

The review pass (``matching.suggest_matches``, at the end of an import run) is the only
reader of an import's ``MatchKey`` rows that comes before the run ends; resolution
itself joins customers through identities. So an import's resolver
(``resolution.Resolver`` with an ``import_file``) does not write them in the file's
transaction: each ``resolve_many`` batch emits one ``customers.keys_imported`` event
carrying the batch's keyed hashes (kind, key, customer id: what ``MatchKey`` stores,
never plaintext), delivered after the commit by the outbox subscriber
``IMPORTED_KEYS`` (``imported_keys``), and at the latest by ``run_finish`` before the
review pass (``events.outbox_deliver_now``).

The delivery writes exactly the rows the inline writer (``Resolver._write_keys``, the
one of a resolver without an import) would have written at the batch's time, as if they
had been written then and moved since with their customer:

* a customer merged meanwhile: its keys go to its survivor, and each merge on the way
  records them among the keys it moved (``Merge.moved_keys``), so that undoing it gives
  them back; a customer deleted or erased meanwhile gets none;
* a key is written unless the customer had it at the batch's time: its own rows, those
  it handed to its survivor, but not those a merge gave it after the batch (the event
  carries ``mark``, the shop's last merge when the batch was written). Delivered twice,
  the second delivery finds every key there and writes nothing.

Concurrency (PostgreSQL): an import's file holds a shared advisory lock on the shop's
keys from its first statement until it commits, the delivery an exclusive one before
it touches a row, so a delivery never runs beside a file whose merges would move rows
it is writing, and neither waits for the other while holding a row. SQLite runs one
writer at a time.
"""

from __future__ import annotations

from collections import defaultdict

from merdeka.core import bulk
from merdeka.core.scoping import shop_scope
from merdeka.customers.models import MatchKey, Merge
from merdeka.customers.selectors import match_key_rows, match_keys_by_pk, merged_into
from merdeka.customers.stats import advisory_lock

# an import's batch of match keys, and the subscriber that writes them
KEYS_IMPORTED = "customers.keys_imported"
IMPORTED_KEYS = "customers.match_keys"

_LOCK = 0x4D4B4559  # "MKEY": the advisory lock space of a shop's imported match keys
_KEY = 18  # a packed key: its kind (2 characters) and its hash (16 hex digits)


def pack(wanted: dict[int, set[tuple[str, str]]]) -> str:
    """A batch's keys as one string, ``id:kkhhhhhhhhhhhhhhhh…;id:…`` (customer id, then
    each key as its two-letter kind and 16 hex digits): ~19.4 bytes a key in the outbox
    row, 1.7 MB for a batch of 20,000 orders (18,765 customers, 87,703 keys), 56 % of
    the same triples as JSON lists (bench/RESULTS.md, 2026-12-07)."""
    return ";".join(
        f"{customer_id}:{''.join(kind + key for kind, key in sorted(keys))}"
        for customer_id, keys in sorted(wanted.items())
        if keys
    )


def unpack(packed: str) -> dict[int, set[tuple[str, str]]]:
    wanted: dict[int, set[tuple[str, str]]] = {}
    for part in packed.split(";") if packed else ():
        customer, _sep, keys = part.partition(":")
        wanted[int(customer)] = {
            (keys[i : i + 2], keys[i + 2 : i + _KEY]) for i in range(0, len(keys), _KEY)
        }
    return wanted


def merge_mark(shop_id: int) -> int:
    """The shop's last merge so far (0 for none): what an event's keys were weighed
    against when its batch was written."""
    last = Merge.objects.filter(shop_id=shop_id).order_by("-pk").values_list("pk", flat=True)
    return last.first() or 0


def keys_lock(shop_id: int, *, shared: bool) -> None:
    """Hold, until the transaction ends, the shop's lock on imported match keys: shared
    by an import's file, exclusive for their delivery. PostgreSQL only (SQLite writes
    one transaction at a time)."""
    advisory_lock(_LOCK, shop_id, shared=shared)


def imported_keys(events) -> None:
    """Outbox subscriber of ``customers.keys_imported``: write each batch's match keys
    (see the module's docstring), per shop, events in the order they happened."""
    by_shop: dict[int, list] = defaultdict(list)
    for event in events:
        by_shop[event.shop_id].append(event)
    for shop_id, batches in by_shop.items():
        with shop_scope(shop_id):
            keys_lock(shop_id, shared=False)
            marks = [event.data.get("mark", 0) for event in batches]
            known = _Known(shop_id, min(marks))
            # one batch at a time, each seeing what the ones before wrote: a year of
            # orders is a hundred batches, its keys millions of rows. What does not
            # change while the delivery holds the lock (who was merged into whom, the
            # merges' rows) is read once for all of them (``_Known``)
            for mark, event in zip(marks, batches, strict=True):
                _deliver(shop_id, mark, _keys_of(event.data["keys"]), known)
            known.save()


def _keys_of(packed: str) -> dict[int, set[str]]:
    """``unpack`` with each key as one string, its kind and its hash (``kkhhhh…``, the
    18 characters it is packed as): half the slicing, no tuple a key, and a string
    keeps its hash (a batch's keys go through several sets)."""
    wanted: dict[int, set[str]] = {}
    for part in packed.split(";") if packed else ():
        customer, _sep, keys = part.partition(":")
        wanted[int(customer)] = {keys[i : i + _KEY] for i in range(0, len(keys), _KEY)}
    return wanted


class _Known:
    """What a delivery reads once for all its batches, and keeps up to date itself: the
    merges since its first batch (locked: an undo waits, and one done before is seen)
    and their moved keys, the older merges its customers went through, who was merged
    into whom (``merged_into``), and the keys of the rows those merges moved. Nothing of
    it changes meanwhile but by the delivery: a file waits for its lock, and so does
    an undo for the merges' rows."""

    def __init__(self, shop_id: int, since: int):
        self.shop_id = shop_id
        self.recent = [
            (pk, survivor, absorbed, list(moved or ()))
            for pk, survivor, absorbed, moved in Merge.objects.select_for_update()
            .filter(shop_id=shop_id, pk__gt=since, undone_at__isnull=True)
            .order_by("pk")
            .values_list("pk", "survivor_id", "absorbed_id", "moved_keys")
        ]
        # absorbed customer -> (its merge, the merge's moved keys, kept current here)
        self.link = {absorbed: (pk, moved) for pk, _s, absorbed, moved in self.recent}
        self.parent: dict[int, int | None] = {}
        self.asked: set[int] = set()  # customers whose merged_into was read (or gone)
        self.looked: set[int] = set()  # customers whose older merge was looked for
        self.key_of: dict[int, str] = {}  # a moved row's id -> its key (they never change)
        self.changed: set[int] = set()  # merges whose moved keys grew

    def chains(self, targets: list[int]) -> dict[int, list[int]]:
        """Each target's chain (``_chain``), the merged_into links read once."""
        frontier = {t for t in targets if t not in self.asked}
        while frontier:
            self.asked |= frontier
            self.parent.update(merged_into(shop_id=self.shop_id, customer_ids=sorted(frontier)))
            frontier = {p for p in self.parent.values() if p is not None and p not in self.asked}
        return {t: _chain(self.parent, t) for t in targets}

    def link_older(self, customers: set[int]) -> None:
        """The merges (before the first batch) that absorbed these customers."""
        older = sorted(c for c in customers if c not in self.link and c not in self.looked)
        if not older:
            return
        self.looked.update(older)
        rows = Merge.objects.filter(
            shop_id=self.shop_id, absorbed_id__in=older, undone_at__isnull=True
        ).order_by("pk")
        for pk, absorbed, moved in rows.values_list("pk", "absorbed_id", "moved_keys"):
            self.link[absorbed] = (pk, list(moved or ()))

    def keys_by_pk(self, ids: set[int]) -> dict[int, str]:
        wanted = sorted(pk for pk in ids if pk not in self.key_of)
        for pk, kind, key in match_keys_by_pk(shop_id=self.shop_id, ids=wanted):
            self.key_of[pk] = kind + key
        return self.key_of

    def save(self) -> None:
        """Each merge whose moved keys grew, written once."""
        moved_of = dict(self.link.values())
        bulk.update(
            Merge,
            ("moved_keys",),
            [(moved_of[pk], pk) for pk in sorted(self.changed)],
            shop_id=self.shop_id,
        )


def _deliver(shop_id: int, mark: int, wanted: dict[int, set[str]], known: _Known) -> None:
    """Write one batch's keys (``mark``: the shop's last merge when it was written)."""
    targets = sorted(wanted)
    if not targets:
        return
    recent, link = known.recent, known.link
    chains = known.chains(targets)  # t, ..., its survivor; [] if gone
    # merged before the first batch (another transaction's, as it was read)
    known.link_older({c for chain in chains.values() for c in chain[:-1]})
    # each target's rows: its own, and those it handed on when it was merged
    own: dict[int, dict[int, str]] = defaultdict(dict)
    for pk, customer_id, kind, key in _rows_of(shop_id, targets):
        own[customer_id][pk] = kind + key
    handed = {t: link[t][1] for t in targets if len(chains[t]) > 1 and t in link}
    if handed:
        by_pk = known.keys_by_pk({pk for pks in handed.values() for pk in pks})
        for t, pks in handed.items():
            own[t].update((pk, by_pk[pk]) for pk in pks if pk in by_pk)
    # rows merges gave a target after a batch: not the target's at that batch's time
    given: dict[int, list[tuple[int, list[int]]]] = defaultdict(list)
    for pk, survivor, _a, moved in recent:
        given[survivor].append((pk, moved))
    handed_on: dict[int, list[int]] = defaultdict(list)  # merge -> rows written here

    plain: list[tuple[str, int]] = []  # (kind and key, customer) of a live target
    merged: list[tuple[str, int, int]] = []  # (kind and key, survivor, stand-in id)
    made = 0
    for t, keys in wanted.items():
        chain = chains[t]
        if not chain:
            continue  # deleted or erased meanwhile
        mine = own.get(t)
        if mine:
            later = {
                row
                for pk, rows in given.get(t, ())
                if pk > mark
                for row in (*rows, *handed_on.get(pk, ()))
            }
            new = keys.difference([kk for pk, kk in mine.items() if pk not in later])
        else:
            new = keys
        if len(chain) == 1:
            # live: its rows are its own alone, and no other target of the batch reads
            # them (each target comes once, and reads only its own)
            plain.extend((kk, t) for kk in new)
            continue
        for kk in new:
            made -= 1  # a stand-in id until written
            # held, in effect, by the target and by each customer it went into, as if
            # written first and moved by each merge on the way (a customer it went into
            # may be a target of this batch too, still to come)
            for node in chain:
                own[node][made] = kk
            for node in chain[:-1]:
                if node in link:
                    handed_on[link[node][0]].append(made)
            merged.append((kk, chain[-1], made))
    # in the order of the lookup index (shop, kind, key), as the inline writer does
    plain.sort()
    bulk.insert(
        MatchKey,
        ("shop", "customer", "kind", "key"),
        [(shop_id, c, kk[:2], kk[2:]) for kk, c in plain],
        shop_id=shop_id,
    )
    if not merged:
        return
    merged.sort()
    ids = bulk.reserve_ids(MatchKey, len(merged))
    bulk.insert(
        MatchKey,
        ("id", "shop", "customer", "kind", "key"),
        [(pk, shop_id, s, kk[:2], kk[2:]) for pk, (kk, s, _) in zip(ids, merged, strict=True)],
        shop_id=shop_id,
    )
    # every merge on a target's way to its survivor records these rows among those it
    # moved, as it would have moved them written first: undoing it gives them back
    real = {}
    for pk, (kk, _s, stand_in) in zip(ids, merged, strict=True):
        real[stand_in] = pk
        known.key_of[pk] = kk
    moved_of = dict(link.values())
    for merge_pk, stand_ins in handed_on.items():
        moved_of[merge_pk].extend(sorted(real[i] for i in stand_ins))
        known.changed.add(merge_pk)


def _chain(parent: dict[int, int | None], target: int) -> list[int]:
    """The target, each customer it was merged into, and its survivor last; empty when
    one of them is gone (deleted, erased)."""
    chain = [target]
    while True:
        node = chain[-1]
        if node not in parent or len(chain) > len(parent):  # gone, or a loop
            return []
        up = parent[node]
        if up is None:
            return chain
        chain.append(up)


def _rows_of(shop_id: int, customer_ids: list[int]):
    """(id, customer id, kind, key) of the match keys these customers hold."""
    return match_key_rows(shop_id=shop_id, customer_ids=customer_ids)

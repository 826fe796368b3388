"""Keeping the customer workspace (search tokens, list numbers, RFM) in step with writes.

Called from the places that write customers and orders: the import resolver (set-wise,
``customers_resolving``), the end of an import run (``import_run_finished``), the
customer services (one customer at a time), and the order lifecycle's events
(``orders_changed``, an outbox subscriber: every order placed, paid, repriced or
cancelled in any channel moves its buyer's figures). Everything here is bulk and in
SQL; no signals.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager
from functools import partial

from django.db import transaction
from django.db.models import Q

from merdeka.core import bulk
from merdeka.core.events import Event, emit_events
from merdeka.core.models import Shop
from merdeka.core.scoping import shop_scope
from merdeka.customers import search, stats
from merdeka.customers.models import Customer
from merdeka.customers.tasks import refresh_workspace
from merdeka.orders.models import Order


@contextmanager
def customers_resolving(
    *,
    shop,
    new: dict[int, dict],
    phones: Iterable[tuple[int, str]],
    merged: Iterable[tuple[int, int]],
    gaps: dict[int, dict],
    tokens_later: bool = False,
):
    """Wraps the resolver's gap filling; afterwards writes the batch's search tokens.

    ``new``: the customers the batch created, id -> their fields (plaintext in memory,
    so nothing is decrypted for them); ``phones``: (customer id, E.164) of every new
    phone identity; ``merged``: (survivor, absorbed) pairs; ``gaps``: existing
    customer id -> the values the block is about to give them where they lack one.
    Only customers whose name or phone changes are read back and re-tokenised.
    ``tokens_later`` (an import): the tokens of the new customers, and those the
    batch's existing customers gain (a name or number they lacked, a new phone
    identity, what a merge brought the survivor), after the commit (``IMPORTED_INDEX``,
    an outbox subscriber): a dozen rows per number and a few per name are most of what
    an import would write for a customer. An import only ever adds to a customer's
    name and numbers (gaps are filled, never overwritten), so the subscriber adds the
    tokens she lacks and none goes stale meanwhile. Until they are there, the whole
    number finds her through her phone identity (``search.phone_owners``), as soon as
    the file commits; a part of the number or the name, once the import is complete.
    """
    candidates = [pk for pk, values in gaps.items() if values.get("name") or values.get("phone")]
    # later, every candidate is handed on: the subscriber adds only what is missing
    filled = candidates if tokens_later else _lacking_name_or_phone(shop, candidates)
    yield
    phones_of: dict[int, list[str]] = {}
    for customer_id, phone in phones:
        phones_of.setdefault(customer_id, []).append(phone)
    merged = list(merged)
    absorbed = {a for _, a in merged}
    changed = set(filled) | {s for s, _ in merged}
    changed |= {pk for pk in phones_of if pk not in new}
    changed -= absorbed
    if absorbed:
        search.forget_customers(shop=shop, customer_ids=absorbed)
        stats.customer_stats_refresh(shop=shop, customer_ids=absorbed)
    if tokens_later:
        later = sorted(set(new) | changed)
        if later:
            data = {"customer_ids": later}
            emit_events([Event(kind=CUSTOMERS_IMPORTED, shop_id=shop.pk, data=data)])
    else:
        known = {
            pk: (values.get("name"), [values.get("phone"), *phones_of.get(pk, ())])
            for pk, values in new.items()
        }
        search.index_customers(shop=shop, known=known, customer_ids=sorted(changed), new=True)
    if new:
        stats.stats_rows_create(
            shop=shop,
            rows=((pk, v.get("city"), v.get("province")) for pk, v in new.items()),
        )


# an import's new customers and those it gave a name or a number (ids only), for their
# search tokens after the commit
CUSTOMERS_IMPORTED = "customers.imported"
# the subscriber's name, as the outbox rows waiting for it carry it (it once wrote the
# names' tokens only)
IMPORTED_INDEX = "customers.search_names"


def imported_index(events) -> None:
    """Outbox subscriber of ``customers.imported``: the new customers become searchable
    by name and by any part of their numbers, and known ones by the name or numbers the
    import gave them (``search.imported_tokens_add``: what they lack, so a retry adds
    nothing)."""
    by_shop: dict[int, set[int]] = {}
    for event in events:
        by_shop.setdefault(event.shop_id, set()).update(event.data["customer_ids"])
    for shop_id, ids in by_shop.items():
        shop = Shop.objects.get(pk=shop_id)
        # a large page cache (SQLite) while a run's tokens go in: a few rows per
        # customer land all over the shop's token index, which the default 2 MiB cache
        # holds a sliver of (every insert re-read an index page, and dirty pages spilled)
        with shop_scope(shop), bulk.tuned_for_bulk():
            search.imported_tokens_add(shop=shop, customer_ids=ids)


def _lacking_name_or_phone(shop, ids: list[int]) -> list[int]:
    found: list[int] = []
    for part in bulk.chunks(ids):
        found.extend(
            Customer.objects.filter(shop=shop, pk__in=part)
            .filter(Q(name__isnull=True) | Q(phone__isnull=True))
            .values_list("pk", flat=True)
        )
    return found


def import_run_finished(*, shop, customer_ids: Iterable[int], since=None) -> None:
    """After an import run: the numbers of every customer it touched (and of those whose
    orders it updated in place), then RFM and name order in the background."""
    ids = set(customer_ids)
    if since is not None:
        ids.update(
            Order.objects.filter(shop=shop, updated_at__gte=since, created_at__lt=since)
            .exclude(customer_id=None)
            .values_list("customer_id", flat=True)
            .distinct()
        )
    if ids:
        live = Customer.objects.filter(shop=shop, merged_into__isnull=True).count()
        # a run that touched most of the shop (a first import, a year of exports): one
        # whole-shop pass instead of hundreds of passes over chunks of ids (at a million
        # lines, ~400 s in chunks of 400 ids)
        whole = 2 * len(ids) >= live
        stats.customer_stats_refresh(shop=shop, customer_ids=None if whole else ids)
    schedule_refresh(shop=shop)


def schedule_refresh(*, shop) -> None:
    """RFM groups and name order for the whole shop, in the background after commit."""
    transaction.on_commit(partial(refresh_workspace.enqueue, shop_id=shop.pk))


def customer_changed(*, shop, customer) -> None:
    """One customer written through a form: tokens, numbers and place in the name order
    now (the shop's RFM groups do not change: orders did not)."""
    search.index_customers(shop=shop, customer_ids=[customer.pk])
    stats.customer_stats_refresh(shop=shop, customer_ids=[customer.pk])
    if not stats.name_rank_place(shop=shop, customer_id=customer.pk, name=customer.name):
        schedule_refresh(shop=shop)


def customers_restored(*, shop, customer_ids: Iterable[int]) -> None:
    """Customers written back from a Merdeka export: searchable and counted like any other
    (their numbers once their orders are in)."""
    ids = sorted(set(customer_ids))
    if ids:
        search.index_customers(shop=shop, customer_ids=ids, new=True)
        stats.customer_stats_refresh(shop=shop, customer_ids=ids)


def customers_regrouped(*, shop, customer_ids: Iterable[int], figures: bool = True) -> None:
    """After a merge or an undo: who is live, their numbers and tokens (``figures``
    False: the tokens only, for a caller that refreshes the numbers itself, such as the
    end of an import run)."""
    ids = list(dict.fromkeys(customer_ids))
    live = list(
        Customer.objects.filter(shop=shop, pk__in=ids, merged_into__isnull=True).values_list(
            "pk", flat=True
        )
    )
    search.forget_customers(shop=shop, customer_ids=[pk for pk in ids if pk not in live])
    search.index_customers(shop=shop, customer_ids=live)
    if figures:
        stats.customer_stats_refresh(shop=shop, customer_ids=ids)
        schedule_refresh(shop=shop)


def customers_absorbed(
    *, shop, merges: list[tuple[int, int]], phones: dict[int, set[str]], figures: bool = True
) -> None:
    """After merges that leave every survivor's own name and number as they were (an
    import's strong merges): the absorbed lose their tokens and each survivor gains
    those of the numbers it took over (``phones``: absorbed id -> its phone identities,
    read before the merge), instead of reading back and decrypting every survivor
    (``customers_regrouped``). ``figures`` as there."""
    search.forget_customers(shop=shop, customer_ids=[absorbed for _, absorbed in merges])
    gained: dict[int, set[str]] = {}
    for survivor, absorbed in merges:
        if phones.get(absorbed):
            gained.setdefault(survivor, set()).update(phones[absorbed])
    search.tokens_add(shop=shop, phones=gained)
    if figures:
        ids = list(dict.fromkeys(c for pair in merges for c in pair))
        stats.customer_stats_refresh(shop=shop, customer_ids=ids)
        schedule_refresh(shop=shop)


# the order lifecycle's events that move a buyer's figures (orders, spend, first and
# last order). ``order.synced`` is not among them: an import refreshes every customer
# its run touched in one set-wise pass at its end (``import_run_finished``).
FIGURES_EVENTS = (
    "order.placed",
    "order.paid",
    "order.status_changed",
    "order.shipped",
    "order.completed",
    "order.cancelled",
    "order.returned",
    "order.repriced",
)


def orders_changed(events) -> None:
    """Outbox subscriber of the order lifecycle: the figures of every buyer whose
    orders changed (and of whom they were merged into since), set-wise per shop."""
    by_shop: dict[int, set[int]] = {}
    for event in events:
        customer_id = event.data.get("customer_id")
        if customer_id is not None:
            by_shop.setdefault(event.shop_id, set()).add(customer_id)
    for shop_id, ids in by_shop.items():
        with shop_scope(shop_id):
            survivors = Customer.objects.filter(
                shop_id=shop_id, pk__in=ids, merged_into__isnull=False
            ).values_list("merged_into_id", flat=True)
            stats.customer_stats_refresh(shop=shop_id, customer_ids=sorted(ids | set(survivors)))

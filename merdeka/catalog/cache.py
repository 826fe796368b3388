"""The version of a shop's public catalog, for caches of its storefront pages.

Every change a buyer should see at once (a product, its variants or photos, a stock
count set by the seller, the storefront settings) calls ``catalog_changed``; cached
pages are keyed by the version and so are rebuilt. With a per-process cache each worker
keeps its own version, so another worker's copy is at most ``PAGE_SECONDS`` old.
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.db import transaction


def _key(shop_id: int) -> str:
    return f"storefront:version:{int(shop_id)}"


def catalog_version(*, shop_id: int) -> int:
    return cache.get_or_set(_key(shop_id), 1, None)


def catalog_changed(*, shop_id: int) -> None:
    """Bump the version once the current transaction commits (never before: a page
    rendered from the old rows in between would be cached under the new version)."""
    transaction.on_commit(lambda: _bump(shop_id))


def _bump(shop_id: int) -> None:
    key = _key(shop_id)
    try:
        cache.incr(key)
    except ValueError:  # not cached yet, or evicted: a value never used before
        cache.set(key, time.time_ns(), None)

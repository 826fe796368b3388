"""An import's deferred steps: what the seller does not need before the list is usable.

A file's transaction writes its orders, customers, identities and blind indexes: when it
commits, the customer list, the phone search and the order book show them (the import is
**usable**). Some work follows through the outbox (``merdeka.core.events``), delivered
by the outbox task after the commit: the books' postings of the imported orders
(``merdeka.books.orders.IMPORT_POSTINGS``), the search tokens of the new customers'
names and numbers (``merdeka.customers.workspace.IMPORTED_INDEX``; a whole number finds
them at once through their phone identities), and the match keys of the customers the
files saw (``merdeka.customers.imported_keys.IMPORTED_KEYS``), which the run's review
pass delivers first if the outbox task has not (``runs.run_finish``). When nothing waits
for these subscribers, the import is **complete**. Their rows are written in the file's
transaction and deleted in the delivery's: a file that rolls back leaves none, a crash
after its commit leaves them waiting (the scheduler's sweep delivers them), and a
delivery that dies posts nothing twice. See docs/decisions/import-deferred-steps.md.
"""

from __future__ import annotations

from collections.abc import Callable

from merdeka.books.orders import IMPORT_POSTINGS
from merdeka.core import events
from merdeka.customers.imported_keys import IMPORTED_KEYS
from merdeka.customers.workspace import IMPORTED_INDEX

# the outbox subscribers whose work makes an import complete
DEFERRED = (IMPORT_POSTINGS, IMPORTED_INDEX, IMPORTED_KEYS)


def deferred_waiting(*, shop) -> int:
    """How many orders (or other things) still wait for a deferred step in ``shop``."""
    return events.outbox_waiting(shop_id=shop.pk, subscribers=DEFERRED)


def deferred_finish(*, shop, progress: Callable[[int], None] | None = None) -> int:
    """Deliver, in this process, everything waiting in the shop's outbox (the deferred
    steps and any other subscriber's rows): ``merdeka import`` returns with the import
    complete. ``progress`` is told how much is left before each batch. Stops when a
    batch delivers nothing (a failing subscriber's rows wait for their retry)."""
    delivered = 0
    while True:
        if progress is not None:
            progress(deferred_waiting(shop=shop))
        done = events.outbox_drain(shop_id=shop.pk)
        if not done:
            return delivered
        delivered += done

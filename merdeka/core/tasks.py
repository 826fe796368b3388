from __future__ import annotations

from django_tasks import task


@task()
def drain_outbox() -> int:
    """Deliver the events waiting in the outbox (see ``merdeka.core.events``); queued
    again while more is due (an import's thousands of events: its deferred work is done
    at once, not a batch a minute by the scheduler's sweep)."""
    from merdeka.core import events  # events imports this module to queue the task

    delivered = events.outbox_drain()
    if delivered and events.outbox_due_now():
        drain_outbox.enqueue()
    return delivered

from __future__ import annotations

from django_tasks import task


@task()
def drain_outbox() -> int:
    """Deliver the events waiting in the outbox (see ``merdeka.core.events``)."""
    from merdeka.core import events  # events imports this module to queue the task

    return events.outbox_drain()

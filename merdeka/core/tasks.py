from __future__ import annotations

from django_tasks import task


@task()
def drain_outbox() -> int:
    """Deliver the events waiting in the outbox (see ``merdeka.core.events``)."""
    from merdeka.core import events  # events queues this task: tasks import services lazily

    return events.outbox_drain()

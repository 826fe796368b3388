from __future__ import annotations

from django_tasks import task

from merdeka.core import events


@task()
def drain_outbox() -> int:
    """Deliver the events waiting in the outbox (see ``merdeka.core.events``)."""
    return events.outbox_drain()

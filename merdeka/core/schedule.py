"""Periodic work: each entry is a function that queues what is due and remembers in the
database when it last did, so it is safe to call often and from several processes.

``merdeka scheduler`` (which ``merdeka run`` starts beside the web server and the task
worker) calls ``tick()`` every minute; a deployment without ``merdeka run`` can call
``merdeka scheduler --once`` from cron instead. The work itself runs in the task worker.
"""

from __future__ import annotations

import logging

from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

PERIODIC = (
    # domain events a dead worker left in the outbox (merdeka.core.events)
    "merdeka.core.events.outbox_due",
    "merdeka.privacy.retention.retention_enqueue_due",
    # import runs whose worker died (no heartbeat for two minutes) are failed, their
    # unfinished uploads deleted
    "merdeka.imports.runs.runs_sweep_dead",
    # web exports: a day after they were written, or when their worker died, deleted
    "merdeka.imports.export_jobs.export_jobs_sweep",
    # files a dead web or task worker left: upload temporaries, sealed uploads never
    # committed, plaintext working copies
    "merdeka.imports.runs.uploads_sweep_stray",
    # sealed uploads nobody mapped are deleted after WAITING_UPLOAD_DAYS
    "merdeka.imports.mapping.waiting_uploads_expire",
    # campaign messages whose retry time came while no worker was there to send them
    "merdeka.outreach.services.deliveries_send_due",
    # group buys whose deadline passed: the final price to every member
    "merdeka.groupbuy.services.groups_close_due",
    # pre-order batches whose closing time has come stop taking orders
    "merdeka.preorders.services.preorders_close_due",
    # monthly expenses (rent, wages) on their day, missed months caught up, never twice
    "merdeka.books.recurring.recurring_expenses_due",
    # last month's PPh Final: the owners are emailed once, days before its due date
    "merdeka.tax.reminders.tax_reminders_due",
    # the journal chain's head at each month's end, kept and mailed to the owners once
    "merdeka.books.chain_mail.month_heads_due",
)


def tick(*, now=None) -> dict[str, object]:
    """Run every periodic entry once; a failing entry does not stop the others."""
    results: dict[str, object] = {}
    for path in PERIODIC:
        try:
            results[path] = import_string(path)(now=now)
        except Exception:  # logged, and tried again at the next tick
            log.exception("periodic entry %s failed", path)
            results[path] = None
    return results

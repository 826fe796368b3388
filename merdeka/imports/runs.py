"""The life of an import run: created, worked on, finished, or failed.

Whoever works on a run (the ``merdeka import`` command, the task worker) does it inside
``run_working``: the run records the worker (``host:pid``) and a heartbeat that a
thread renews every ``HEARTBEAT_SECONDS``. A run that stops on an error or an
interruption is failed on the spot (``run_fail``). A worker that dies cannot say so:
the scheduler's ``runs_sweep_dead`` fails every run whose heartbeat is older than
``DEAD_AFTER`` and whose worker is not alive on this machine. Failing a run rejects its
unfinished files, deletes their sealed uploads and refreshes the figures of the
customers its finished files touched. Each file is written in one transaction, so a
file that did not finish left nothing behind.

This module knows runs and files, not how a file is read (``pipeline``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from datetime import timedelta
from functools import partial
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from merdeka.core import bulk, events
from merdeka.core.scoping import scopes_disabled, shop_scope
from merdeka.customers.accounts import accounts_weigh
from merdeka.customers.imported_keys import IMPORTED_KEYS
from merdeka.customers.matching import suggest_matches
from merdeka.customers.review import review_queue_arrange
from merdeka.customers.workspace import import_run_finished
from merdeka.imports.mapping import upload_path
from merdeka.imports.models import ImportFile, ImportRun
from merdeka.imports.records import Severity
from merdeka.imports.selectors import files_customers
from merdeka.imports.tasks import process_import_run
from merdeka.privacy.audit import audit_record
from merdeka.privacy.files import WORK_PREFIX

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 30
DEAD_AFTER = timedelta(minutes=2)
# a file a process left is deleted once untouched this long (an upload arriving is written)
STRAY_AFTER = timedelta(hours=1)
UNFINISHED = (ImportFile.State.QUEUED, ImportFile.State.RUNNING)
KEYS_AT_ONCE = 10  # batches of match keys delivered in one transaction by run_finish


def worker_id() -> str:
    """This process, as a run records it: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def worker_alive_here(worker: str) -> bool:
    """Is ``worker`` a process that is alive on this machine? False for another
    machine's worker (its heartbeat alone tells) and for a process that is gone."""
    host, _sep, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's
        return True
    return True


def run_create(*, shop, actor=None) -> ImportRun:
    with shop_scope(shop):
        return ImportRun.objects.create(shop=shop, created_by=actor)


# -- working on a run ---------------------------------------------------------------------


class Heartbeat(threading.Thread):
    """Renews the heartbeat of a running run (or export job: ``model``) in its own
    connection until stopped. A beat refused (SQLite busy with the work's own
    transaction) is simply tried again."""

    def __init__(self, run_id: int, model=ImportRun):
        super().__init__(name=f"{model._meta.model_name}-{run_id}-heartbeat", daemon=True)
        self.run_id = run_id
        self.model = model
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(HEARTBEAT_SECONDS):
                try:
                    self.model.unscoped.filter(pk=self.run_id, state="running").update(
                        heartbeat_at=timezone.now()
                    )
                except DatabaseError:
                    log.info("the heartbeat of %s waits for the database", self.name)
        finally:
            connections.close_all()  # this thread's own connections

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=HEARTBEAT_SECONDS)


@contextlib.contextmanager
def run_working(run: ImportRun):
    """Work on ``run`` in this process: mark it running with this worker and a
    heartbeat, keep the heartbeat going, and fail the run if the work raises."""
    now = timezone.now()
    run.state = ImportRun.State.RUNNING
    run.worker = worker_id()
    run.heartbeat_at = now
    ImportRun.unscoped.filter(pk=run.pk).update(
        state=run.state, worker=run.worker, heartbeat_at=now
    )
    heartbeat = Heartbeat(run.pk)
    heartbeat.start()
    try:
        yield run
    except BaseException as exc:
        failure = (
            ImportRun.Failure.INTERRUPTED
            if isinstance(exc, KeyboardInterrupt | SystemExit)
            else ImportRun.Failure.ERROR
        )
        if failure == ImportRun.Failure.ERROR:
            log.exception("import run %s stopped on an error", run.pk)
        heartbeat.stop()
        try:
            run_fail(run=run, failure=failure)
        except Exception:  # the database itself is gone: the scheduler's sweep does it later
            log.exception("import run %s could not be marked failed", run.pk)
        raise
    finally:
        heartbeat.stop()


# -- finishing -----------------------------------------------------------------------------


def run_touched_customers(run: ImportRun) -> set[int]:
    """Every customer the run's files added to or told something about."""
    files = run.files.filter(state=ImportFile.State.IMPORTED).values_list("pk", flat=True)
    return files_customers(shop_id=run.shop_id, file_ids=sorted(files))


def _updates_since(run: ImportRun):
    """When the run began, if any of its files changed orders in place (else None)."""
    reports = run.files.filter(state=ImportFile.State.IMPORTED).values_list("report", flat=True)
    return run.created_at if any((r or {}).get("orders_updated") for r in reports) else None


def run_finish(run: ImportRun) -> None:
    """Close the run: look for likely duplicates among its customers, once for all files.

    One pass at the end instead of one per file: a year of monthly exports shares its
    buyers, and each pass reads the shop's match keys whole. The files' match keys
    follow their commits (``imported_keys``): what still waits of them in the shop is
    written first, in its own transaction, so that the pass sees every key.
    """
    with shop_scope(run.shop_id), bulk.tuned_for_bulk():
        # a few batches a transaction: each row holds a batch's keys (1.7 MB at 20,000 orders)
        while events.outbox_deliver_now(IMPORTED_KEYS, shop_id=run.shop_id, limit=KEYS_AT_ONCE):
            pass
        if events.outbox_waiting(shop_id=run.shop_id, subscribers=[IMPORTED_KEYS]):
            # its handler failed (logged): they follow on its retry, and the import's
            # page does not say complete until then; this pass goes without them
            log.error("import run %s is reviewed before all its match keys are in", run.pk)
    with shop_scope(run.shop_id), bulk.tuned_for_bulk(), transaction.atomic():
        touched = run_touched_customers(run)
        # an account's own numbers, weighed over all its orders now that they are in:
        # one whose first order was a gift leaves the recipient it was joined to
        touched |= accounts_weigh(shop=run.shop, customer_ids=touched, figures=False)
        merged: dict = {}  # what strong evidence merged: its numbers come next, with the rest
        found = (
            suggest_matches(shop=run.shop, customer_ids=touched, outcome=merged, figures=False)
            if touched
            else 0
        )
        touched |= merged.get("customers", set())
        import_run_finished(shop=run.shop, customer_ids=touched, since=_updates_since(run))
        if found:  # weighed by the figures just refreshed, and grouped
            review_queue_arrange(shop=run.shop)
        run.review_waiting += found
        run.state = ImportRun.State.DONE
        run.finished_at = timezone.now()
        run.save(update_fields=["state", "finished_at", "review_waiting"])


def _unfinished_message(failure: str) -> str:
    if failure == ImportRun.Failure.INTERRUPTED:
        return _(
            "The import was interrupted before this file was finished; nothing from it was "
            "saved. Import it again."
        )
    return _(
        "The import stopped before this file was finished; nothing from it was saved. "
        "Upload it again."
    )


def run_fail(*, run: ImportRun, failure: str, stale_before=None) -> bool:
    """Fail a run that cannot finish: its unfinished files are rejected (nothing of them
    was written: each file lands in one transaction) and their sealed uploads deleted;
    the customers its finished files touched get their figures. With ``stale_before``,
    only if the run's heartbeat is still older than that. Returns whether it failed."""
    now = timezone.now()
    with shop_scope(run.shop_id), transaction.atomic():
        locked = ImportRun.objects.select_for_update().get(shop_id=run.shop_id, pk=run.pk)
        if locked.state not in (ImportRun.State.QUEUED, ImportRun.State.RUNNING):
            return False
        if stale_before is not None and (locked.heartbeat_at or locked.created_at) >= stale_before:
            return False  # it beat meanwhile
        files = list(locked.files.select_for_update().filter(state__in=UNFINISHED).order_by("pk"))
        problem = {
            "message": str(_unfinished_message(failure)),
            "row": None,
            "column": None,
            "severity": Severity.ERROR.value,
            "code": "run_failed",
        }
        for record in files:
            report = dict(record.report or {})
            report.pop("name", None)
            report["state"] = ImportFile.State.REJECTED.value
            report["problems"] = [problem]
            record.report = report
            record.state = ImportFile.State.REJECTED
            record.finished_at = now
            record.save(update_fields=["report", "state", "finished_at"])
            transaction.on_commit(partial(_uploads_delete, record))
        locked.state = ImportRun.State.FAILED
        locked.failure = failure
        locked.finished_at = now
        locked.save(update_fields=["state", "failure", "finished_at"])
        audit_record(
            action="import.failed",
            shop=locked.shop_id,
            target=locked,
            detail={"failure": str(failure), "files_rejected": len(files)},
        )
    run.state, run.failure, run.finished_at = locked.state, locked.failure, now
    try:  # what the finished files brought counts in the customer list all the same
        with shop_scope(run.shop_id), bulk.tuned_for_bulk(), transaction.atomic():
            touched = run_touched_customers(locked)
            if touched:
                import_run_finished(
                    shop=locked.shop, customer_ids=touched, since=_updates_since(locked)
                )
    except Exception:  # the sweep's next tick must not stop on it; the figures heal later
        log.exception("the figures of failed import run %s were not refreshed", run.pk)
    return True


def _uploads_delete(record: ImportFile) -> None:
    """A file's sealed upload and any plaintext working copy a dead worker left of it."""
    sealed = upload_path(record)
    sealed.unlink(missing_ok=True)
    for copy in sealed.parent.glob(f"{WORK_PREFIX}{record.pk}-*"):
        copy.unlink(missing_ok=True)


# -- the scheduler's sweep --------------------------------------------------------------------


def runs_sweep_dead(*, now=None, dead_after: timedelta = DEAD_AFTER) -> int:
    """Fail every run whose worker died: running with a heartbeat older than
    ``dead_after`` (or stuck from before heartbeats, with a file left running) and no
    live worker process on this machine. Returns how many were failed."""
    cutoff = (now or timezone.now()) - dead_after
    with scopes_disabled():
        stale = list(
            ImportRun.objects.filter(
                Q(state=ImportRun.State.RUNNING, heartbeat_at__lt=cutoff)
                | Q(
                    state__in=(ImportRun.State.QUEUED, ImportRun.State.RUNNING),
                    heartbeat_at=None,
                    created_at__lt=cutoff,
                    files__state=ImportFile.State.RUNNING,
                )
            ).distinct()
        )
    failed = 0
    for run in stale:
        if run.worker and worker_alive_here(run.worker):
            continue  # alive and busy (SQLite holds its beats while it writes)
        failed += run_fail(run=run, failure=ImportRun.Failure.WORKER_LOST, stale_before=cutoff)
    _runs_requeue_lost(cutoff)
    return failed


def _runs_requeue_lost(cutoff) -> int:
    """Queue again every run whose task was lost: its upload committed, but the web worker
    died before it queued the task (the task is queued after the commit). Such a run is
    still queued, never taken, with no task waiting for it; its sealed uploads are whole."""
    with scopes_disabled():
        waiting = list(
            ImportRun.objects.filter(
                state=ImportRun.State.QUEUED, heartbeat_at=None, created_at__lt=cutoff
            )
            .exclude(files__state=ImportFile.State.RUNNING)
            .values_list("pk", flat=True)
            .distinct()
        )
    queued = 0
    for run_id in waiting:
        if not _task_waiting(run_id):
            process_import_run.enqueue(run_id=run_id)
            queued += 1
    return queued


def _task_waiting(run_id: int) -> bool:
    """Does the task queue hold a task (waiting or running) for this run? Only a queue in
    the database can tell; for any other one a lost run is queued again."""
    backend = process_import_run.get_backend()
    if type(backend).__module__.split(".")[0] != "django_tasks_db":
        return False
    return (
        DBTaskResult.objects.filter(
            task_path=process_import_run.module_path,
            args_kwargs__kwargs__run_id=run_id,
        )
        .filter(Q(status=TaskResultStatus.READY) | Q(status=TaskResultStatus.RUNNING))
        .exists()
    )


def uploads_sweep_stray(*, now=None, stale_after: timedelta = STRAY_AFTER) -> int:
    """Delete the files a dead process left: an upload's temporary file (the web worker
    died while it arrived), a sealed upload whose file was never committed (it died while
    storing it) or is no longer waiting to be imported, and a plaintext working copy whose
    file no worker is reading. Only files untouched for ``stale_after``: an upload still
    arriving keeps writing its file. Returns how many were deleted."""
    cutoff = ((now or timezone.now()) - stale_after).timestamp()
    candidates = []
    temp = Path(settings.FILE_UPLOAD_TEMP_DIR)
    if temp.is_dir():
        candidates += [(p, None) for p in temp.iterdir() if p.is_file()]
    uploads = Path(settings.DATA_DIR) / "uploads"
    if uploads.is_dir():
        for path in uploads.glob("*/*"):
            name = path.name
            if name.startswith(WORK_PREFIX):
                number = name[len(WORK_PREFIX) :].split("-", 1)[0]
            else:
                number = name.removesuffix(".sealed") if name.endswith(".sealed") else ""
            candidates.append((path, int(number) if number.isdigit() else 0))
    candidates = [(p, n) for p, n in candidates if _mtime(p) < cutoff]
    ids = {n for _p, n in candidates if n}
    with scopes_disabled():
        states = dict(ImportFile.objects.filter(pk__in=ids).values_list("pk", "state"))
    deleted = 0
    for path, number in candidates:
        state = states.get(number)
        if number is not None:
            if path.name.startswith(WORK_PREFIX):
                keep = state == ImportFile.State.RUNNING  # being read
            else:
                keep = state in (*UNFINISHED, ImportFile.State.MAPPING)  # waiting
            if keep:
                continue
        path.unlink(missing_ok=True)
        deleted += 1
    if deleted:
        log.warning("deleted %s files a dead import or upload left", deleted)
    return deleted


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return float("inf")

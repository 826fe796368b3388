"""One import run: detect each file's source, parse it, and write it all or nothing.

A file is parsed completely before anything is written. If the parser refuses the
file, or reports any error, nothing is written and the report says what and where.
Otherwise the whole file is written in one transaction: a crash at any point leaves
the shop as it was before the file, and running the import again finishes it.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from merdeka.core import bulk, memory
from merdeka.core.phone import text_caches_clear
from merdeka.core.scoping import shop_scope
from merdeka.customers.resolution import Resolver
from merdeka.imports import ahead, mapping, sources
from merdeka.imports.mapping import upload_path
from merdeka.imports.models import ImportFile, ImportRun
from merdeka.imports.records import Problem, RejectedFile, Severity
from merdeka.imports.runs import (  # noqa: F401 - the run's life, named here as before
    run_create,
    run_finish,
    run_touched_customers,
    run_working,
)
from merdeka.imports.tasks import process_import_run
from merdeka.privacy import crypto
from merdeka.privacy.audit import audit_record
from merdeka.privacy.files import seal_stream, unsealed_copy

log = logging.getLogger(__name__)


@dataclass
class FileReport:
    name: str
    state: str
    source: str = ""
    rows_read: int = 0
    orders_new: int = 0
    orders_updated: int = 0
    orders_unchanged: int = 0
    lines_new: int = 0
    customers_new: int = 0
    customers_merged: int = 0
    identities_new: int = 0  # numbers, emails, usernames new to known customers
    contacts: int = 0
    participants: int = 0
    settlements_new: int = 0  # rows of an income or settlement report
    settlements_known: int = 0
    problems: list[dict] = field(default_factory=list)
    mapping: dict = field(default_factory=dict)  # the column mapping used, or awaited


def _problem_dict(problem: Problem) -> dict:
    return {
        "message": str(problem.message),
        "row": problem.row,
        "column": problem.column,
        "severity": str(problem.severity),
        "code": getattr(problem, "code", None),
    }


def _files(path: Path) -> list[Path]:
    """A file, or every file of a directory (an unpacked Merdeka export)."""
    return sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]


def file_size(path: Path) -> int:
    return sum(p.stat().st_size for p in _files(path))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    for part in _files(path):
        digest.update(part.name.encode() + b"\0")
        with open(part, "rb") as handle:
            for block in iter(lambda handle=handle: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def import_path(
    *,
    shop,
    run: ImportRun,
    path: Path,
    name: str | None = None,
    actor=None,
    progress=None,
    parse=None,
) -> FileReport:
    """Import one file from disk into ``shop`` as part of ``run``."""
    path = Path(path)
    name = name or path.name
    with shop_scope(shop):
        record = ImportFile.objects.create(
            shop=shop, run=run, name=name[:255], size=file_size(path), sha256=""
        )
        return _import(
            shop=shop, record=record, path=path, actor=actor, progress=progress, parse=parse
        )


def import_paths(*, shop, run: ImportRun, paths, actor=None, on_start=None) -> list[FileReport]:
    """Import files in order, each all or nothing, reading the next file in a worker
    process while this one is written: parsing and writing take about as long, and a
    small server has two cores. Results are the same as importing one by one."""
    with bulk.tuned_for_bulk():
        return _import_paths(shop=shop, run=run, paths=paths, actor=actor, on_start=on_start)


def _import_paths(*, shop, run: ImportRun, paths, actor, on_start) -> list[FileReport]:
    paths = [Path(p) for p in paths]
    workers = settings.MERDEKA_IMPORT_PARSE_AHEAD
    if len(paths) < 2 or workers < 1:
        reports = []
        for path in paths:
            if on_start:
                on_start(path)
            reports.append(import_path(shop=shop, run=run, path=path, actor=actor))
        return reports

    limit = settings.MERDEKA_IMPORT_MAX_BYTES
    # the worker may prepare orders (seal them, make their keyed hashes) when it
    # opens this database and holds the same keys; ahead.parse_ahead checks both
    from django.db import connection

    database = connection.settings_dict["NAME"]
    try:
        check = crypto.key_check(shop.pk)
    except Exception:  # no usable key: nothing is prepared ahead
        check = ""

    def submit(pool, path):
        if not path.is_file() or path.stat().st_size > limit:
            return None  # refused (or read whole) in this process, as usual
        try:
            return pool.submit(ahead.parse_ahead, str(path), path.name, shop.pk, database, check)
        except BrokenProcessPool:  # the worker died (killed, out of memory): read here
            return None

    reports = []
    # nothing of the process was kept from the cycle collector before (gc.freeze is the
    # process's): the run may keep each file's objects from it (_parsed_ahead)
    own = gc.get_freeze_count() == 0
    context = multiprocessing.get_context("spawn")
    # One worker for the run: a fresh one per file set Django up again each time (about
    # a CPU-second a file). It hands back what each file took (ahead._give_back), so it
    # does not idle at the high-water mark of the biggest sheet it has read.
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        queued = [submit(pool, path) for path in paths[: workers + 1]]
        for i, path in enumerate(paths):
            if i + workers + 1 < len(paths):
                queued.append(submit(pool, paths[i + workers + 1]))
            if on_start:
                on_start(path)
            future, queued[i] = queued[i], None  # hold no file longer than its import
            parse = None if future is None else partial(_parsed_ahead, future, freeze=own)
            try:
                reports.append(import_path(shop=shop, run=run, path=path, actor=actor, parse=parse))
            finally:
                if own:
                    gc.unfreeze()  # the file _parsed_ahead loaded is written: see there
                # the run's memory is bounded by a file, not by the run: what the file's
                # texts cached goes (their results do not change), and the heap the file
                # freed goes back to the system while the worker reads the next one
                text_caches_clear()
                memory.heap_trim()
    return reports


def _parsed_ahead(future, path, name, *, freeze=False):
    """Stands in for ``sources.parse_file`` with what the worker found; when the worker
    died before it was done (killed, out of memory), the file is read here."""
    try:
        kind, value = future.result()
    except BrokenProcessPool:
        log.warning("the read-ahead worker died: %s is read by the writer", name)
        return sources.parse_file(path, name)
    if kind == "parsed":
        # A month of orders is tens of thousands of objects at once: the cycle collector
        # would walk them (and the process) several times over while they are made, and
        # again in its next passes (gen-0 and gen-1 walked every one of them once the
        # collector was on again: ~7 % of the writer's CPU on the bench's 100k lines).
        # They live until the file is written and hold no cycle, so they (with what the
        # process already holds) are kept out of its passes until then (``freeze``:
        # gc.freeze); the run takes them back after the file (_import_paths:
        # gc.unfreeze), to the oldest generation, where a full pass finds any cycle left.
        with bulk.collector_paused():
            parsed = pickle.loads(value)  # noqa: S301 - our own worker's output, over a pipe
            if freeze:
                gc.freeze()
        return parsed
    cls, problem = value
    exc = cls(problem.message, row=problem.row, column=problem.column)
    exc.problem = problem
    raise exc


def _finish(record: ImportFile, report: FileReport, state: str) -> FileReport:
    report.state = state
    record.state = state
    record.source = report.source
    record.rows_read = report.rows_read
    stored = asdict(report)
    del stored["name"]  # a chat's file name names a person: the record keeps it sealed only
    record.report = stored
    record.finished_at = timezone.now()
    record.save()
    return report


def _shown_date(record: ImportFile) -> str:
    moment = record.finished_at or record.started_at or timezone.now()
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M")


def _import(
    *,
    shop,
    record: ImportFile,
    path: Path,
    actor,
    progress,
    wait_for_mapping: bool = False,
    parse=None,
) -> FileReport:
    report = FileReport(name=record.name or "", state="running")
    record.state = ImportFile.State.RUNNING
    record.started_at = timezone.now()
    record.save(update_fields=["state", "started_at"])

    limit = settings.MERDEKA_IMPORT_MAX_BYTES
    if record.size > limit:
        report.problems.append(
            _problem_dict(
                Problem(
                    _(
                        "The file is %(size)s MB; the limit is %(limit)s MB. Export a shorter "
                        "period and import the parts one by one."
                    )
                    % {"size": record.size // 2**20, "limit": limit // 2**20}
                )
            )
        )
        return _finish(record, report, ImportFile.State.REJECTED)
    record.sha256 = file_sha256(path)
    record.save(update_fields=["sha256"])
    earlier = (
        ImportFile.objects.filter(shop=shop, sha256=record.sha256, state=ImportFile.State.IMPORTED)
        .exclude(pk=record.pk)
        .first()
    )
    if earlier is not None:
        report.source = earlier.source
        report.problems.append(
            _problem_dict(
                Problem(
                    _("This same file was already imported on %(date)s; nothing was added twice.")
                    % {"date": _shown_date(earlier)},
                    severity=Severity.WARNING,
                )
            )
        )
        return _finish(record, report, ImportFile.State.DUPLICATE)

    try:
        parsed = mapping.parse_file(
            shop=shop,
            path=path,
            name=record.name or "",
            uploaded_at=record.run.created_at,
            can_wait=wait_for_mapping,
            parse=parse,
        )
    except mapping.NeedsMapping as exc:
        # An unknown spreadsheet: an uploaded one waits (sealed) for the seller to map it.
        report.problems.append(_problem_dict(exc.problem))
        report.mapping = {"signature": exc.signature}
        if wait_for_mapping:
            return _finish(record, report, ImportFile.State.MAPPING)
        audit_record(action="import.rejected", shop=shop, actor=actor, target=record)
        return _finish(record, report, ImportFile.State.REJECTED)
    except RejectedFile as exc:
        report.problems.append(_problem_dict(exc.problem))
        audit_record(action="import.rejected", shop=shop, actor=actor, target=record)
        return _finish(record, report, ImportFile.State.REJECTED)
    except Exception:
        # Reading a file only reads it: whatever breaks here is the file's content meeting
        # a case no parser foresaw. The file is refused; the run goes on with the next.
        log.exception("import file %s could not be read", record.pk)
        report.problems.append(
            _problem_dict(
                Problem(
                    _(
                        "Merdeka could not read this file (an unexpected error, written to the "
                        "server's log). Check that it is the file you meant, or export it again."
                    )
                )
            )
        )
        audit_record(action="import.rejected", shop=shop, actor=actor, target=record)
        return _finish(record, report, ImportFile.State.REJECTED)

    report.source = parsed.source
    report.mapping = parsed.preview.get("mapping", {})
    report.rows_read = parsed.rows_read
    report.problems.extend(_problem_dict(p) for p in parsed.problems)
    if any(p.severity == Severity.ERROR for p in parsed.problems):
        audit_record(action="import.rejected", shop=shop, actor=actor, target=record)
        return _finish(record, report, ImportFile.State.REJECTED)

    try:
        return _write(shop=shop, record=record, parsed=parsed, report=report, actor=actor,
                      progress=progress)  # fmt: skip
    except RejectedFile as exc:  # the writer found the file cannot go into this shop
        report.problems.append(_problem_dict(exc.problem))
        audit_record(action="import.rejected", shop=shop, actor=actor, target=record)
        return _finish(record, report, ImportFile.State.REJECTED)


def _write(*, shop, record, parsed, report, actor, progress) -> FileReport:
    with transaction.atomic():
        resolver = Resolver(shop=shop, source=parsed.channel, import_file=record)
        counts = parsed.write(shop=shop, resolver=resolver, import_file=record)
        for attr in (
            "orders_new",
            "orders_updated",
            "orders_unchanged",
            "lines_new",
            "contacts",
            "participants",
            "settlements_new",
            "settlements_known",
        ):
            setattr(report, attr, getattr(counts, attr))
        report.customers_new = resolver.outcome.customers_new
        report.customers_merged = resolver.outcome.customers_merged
        report.identities_new = resolver.outcome.identities_new
        if progress:
            progress(report.rows_read)
        _finish(record, report, ImportFile.State.IMPORTED)
        audit_record(
            action="import.finished",
            shop=shop,
            actor=actor,
            target=record,
            detail={"source": parsed.source, "orders_new": report.orders_new},
        )
    return report


def uploads_receive(*, shop, actor, files, request=None) -> ImportRun:
    """Store uploaded files sealed with the shop's key and queue them for import."""
    with transaction.atomic(), shop_scope(shop):
        run = ImportRun.objects.create(shop=shop, created_by=actor)
        for upload in files:
            record = ImportFile.objects.create(
                shop=shop, run=run, name=upload.name[:255], size=upload.size, sha256=""
            )
            seal_stream(
                upload.chunks(), upload_path(record), shop_id=shop.pk, file_id=str(record.pk)
            )
        audit_record(
            action="import.uploaded",
            shop=shop,
            actor=actor,
            target=run,
            request=request,
            detail={"files": len(files)},
        )
        transaction.on_commit(partial(process_import_run.enqueue, run_id=run.pk))
    return run


def _process_upload(*, shop, run: ImportRun, record: ImportFile) -> None:
    """Import one sealed upload; keep it (sealed) only while it waits for a column mapping."""
    sealed = upload_path(record)
    if not sealed.exists():
        _finish(record, FileReport(name=record.name or "", state=""), ImportFile.State.REJECTED)
        return
    suffix = Path(record.name or "").suffix.lower()[:10]
    with unsealed_copy(sealed, shop_id=shop.pk, file_id=str(record.pk), suffix=suffix) as p:
        _import(
            shop=shop,
            record=record,
            path=p,
            actor=run.created_by,
            progress=None,
            wait_for_mapping=True,
        )
    if record.state != ImportFile.State.MAPPING:
        sealed.unlink(missing_ok=True)


def run_process(*, run_id: int) -> None:
    """Import every queued file of an uploaded run (the background task's body)."""
    run = ImportRun.unscoped.select_related("shop", "created_by").get(pk=run_id)
    shop = run.shop
    if run.state not in (ImportRun.State.QUEUED, ImportRun.State.RUNNING):
        return  # failed meanwhile (its worker was given up for dead), or already done
    with shop_scope(shop), run_working(run), bulk.tuned_for_bulk():
        for record in run.files.filter(state__in=["queued", "running"]).order_by("pk"):
            _process_upload(shop=shop, run=run, record=record)
        run_finish(run)


def file_process(*, file_id: int) -> None:
    """Import one file queued again after its columns were mapped (a task's body). The
    file is claimed first, so it is imported once even if its run is still busy."""
    record = ImportFile.unscoped.select_related("run__shop", "run__created_by").get(pk=file_id)
    run = record.run
    with shop_scope(run.shop):
        queued = ImportFile.objects.filter(pk=record.pk, state=ImportFile.State.QUEUED)
        if not queued.update(state=ImportFile.State.RUNNING):
            return
    with shop_scope(run.shop), run_working(run):
        _process_upload(shop=run.shop, run=run, record=record)
        if not run.files.filter(state__in=["queued", "running"]).exists():
            run_finish(run)

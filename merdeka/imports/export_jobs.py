""" "Download everything" on the web: the export written in the background with its
progress on the page.

The same ``export_shop`` as ``merdeka export`` writes the files (a batch at a time, so
memory stays flat); the task worker zips them and seals the zip with the shop's data key
into the data directory, where it waits for its download for ``KEEP`` and is then deleted
by the scheduler (``export_jobs_sweep``), as is the job of a worker that died.
"""

from __future__ import annotations

import logging
import secrets
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from functools import partial
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from merdeka.core.scoping import scopes_disabled, shop_scope
from merdeka.imports.exporting import export_shop
from merdeka.imports.models import ExportJob
from merdeka.imports.runs import Heartbeat
from merdeka.imports.tasks import run_export_job
from merdeka.privacy.audit import audit_record
from merdeka.privacy.files import seal_stream, unseal_chunks

log = logging.getLogger(__name__)

KEEP = timedelta(hours=24)
DEAD_AFTER = timedelta(minutes=2)
PARTS = ("customers", "orders", "journal", "catalog", "shop", "csv")
BEAT = timedelta(seconds=5)  # at most one progress write per part every few seconds


def job_path(job: ExportJob) -> Path:
    return Path(settings.DATA_DIR) / "exports" / str(job.shop_id) / f"{job.token}.sealed"


def export_job_start(*, shop, actor=None, request=None) -> ExportJob:
    """The shop's export job that is waiting or running, or a new one queued for the task
    worker (asking twice does not write the shop twice)."""
    with shop_scope(shop):
        busy = ExportJob.objects.filter(
            shop=shop, state__in=[ExportJob.State.QUEUED, ExportJob.State.RUNNING]
        ).first()
        if busy is not None:
            return busy
        job = ExportJob.objects.create(
            shop=shop, requested_by=actor, token=secrets.token_hex(16), heartbeat_at=timezone.now()
        )
    audit_record(action="export.requested", shop=shop, actor=actor, request=request, target=job)
    transaction.on_commit(partial(run_export_job.enqueue, job_id=job.pk))
    return job


def export_job_run(*, job_id: int) -> None:
    """Write the export of the job's shop (the task worker's side)."""
    with scopes_disabled():
        job = ExportJob.objects.select_related("shop", "requested_by").get(pk=job_id)
    if job.state != ExportJob.State.QUEUED:
        return  # done, failed or taken by another worker already
    shop = job.shop
    with shop_scope(shop):
        claimed = ExportJob.objects.filter(pk=job.pk, state=ExportJob.State.QUEUED).update(
            state=ExportJob.State.RUNNING, heartbeat_at=timezone.now()
        )
        if not claimed:
            return
        done: dict[str, int] = {}
        written = [timezone.now()]

        def progress(what: str, step: int, total: int) -> None:
            # parts run side by side (the customers and the journal in a second
            # process while the orders are written): each keeps its own count, and the
            # page shows the part heard last: when it starts, when it ends, and at
            # most once a beat in between
            now = timezone.now()
            started = what not in done
            done[what] = done.get(what, 0) + step
            if started or now - written[0] >= BEAT or done[what] >= total:
                job.part, written[0] = what, now
                ExportJob.objects.filter(pk=job.pk).update(
                    part=what, done=done[what], total=total, heartbeat_at=now
                )

        target = job_path(job)
        heartbeat = Heartbeat(job.pk, model=ExportJob)
        heartbeat.start()
        try:
            with tempfile.TemporaryDirectory(prefix="merdeka-export-") as work:
                report = export_shop(
                    shop=shop, out=Path(work) / "export", actor=job.requested_by, progress=progress
                )
                archive_path = Path(work) / "export.zip"
                with zipfile.ZipFile(archive_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                    for path in sorted(report.directory.rglob("*")):
                        if path.is_file():  # the photos in their folder too
                            zf.write(path, path.relative_to(report.directory).as_posix())
                with open(archive_path, "rb") as handle:
                    size = seal_stream(
                        iter(partial(handle.read, 1024 * 1024), b""),
                        target,
                        shop_id=shop.pk,
                        file_id=f"export:{job.token}",
                    )
        except Exception:
            log.exception("export job %s failed", job.pk)
            target.unlink(missing_ok=True)
            ExportJob.objects.filter(pk=job.pk).update(
                state=ExportJob.State.FAILED,
                error=_("The export stopped on an unexpected error. Please try again."),
                finished_at=timezone.now(),
            )
            return
        finally:
            heartbeat.stop()
        ExportJob.objects.filter(pk=job.pk).update(
            state=ExportJob.State.DONE, size=size, finished_at=timezone.now()
        )


def export_job_chunks(job: ExportJob, *, actor=None, request=None) -> Iterator[bytes]:
    """The zip of a finished job, decrypted as it streams to the browser (audited)."""
    audit_record(
        action="export.downloaded", shop=job.shop, actor=actor, request=request, target=job
    )
    return unseal_chunks(job_path(job), shop_id=job.shop_id, file_id=f"export:{job.token}")


def export_jobs_sweep(*, now=None) -> int:
    """Delete exports older than KEEP and fail the jobs whose worker stopped beating."""
    now = now or timezone.now()
    swept = 0
    with scopes_disabled():
        dead = ExportJob.objects.filter(
            state__in=[ExportJob.State.QUEUED, ExportJob.State.RUNNING],
            heartbeat_at__lt=now - DEAD_AFTER,
        )
        for job in dead:
            job_path(job).unlink(missing_ok=True)
            swept += ExportJob.objects.filter(pk=job.pk, state=job.state).update(
                state=ExportJob.State.FAILED,
                error=_("The export stopped: its worker died. Please try again."),
                finished_at=now,
            )
        for job in ExportJob.objects.filter(state=ExportJob.State.DONE, finished_at__lt=now - KEEP):
            job_path(job).unlink(missing_ok=True)
            swept += ExportJob.objects.filter(pk=job.pk).update(state=ExportJob.State.EXPIRED)
    return swept

from __future__ import annotations

from django import forms
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from merdeka.core.decorators import shop_member
from merdeka.core.scoping import shop_scope
from merdeka.imports import export_jobs, mapping, pipeline
from merdeka.imports.deferred import deferred_waiting
from merdeka.imports.models import ExportJob, ImportFile, ImportRun
from merdeka.imports.selectors import file_brought_something, run_brought_nothing

ACCEPT = ".xlsx,.xls,.ods,.csv,.tsv,.txt,.zip,.vcf,.jsonl,.json"
MAX_FILES = 20


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class UploadForm(forms.Form):
    files = forms.FileField(
        label=gettext_lazy("Files"),
        widget=MultipleFileInput(attrs={"multiple": True, "accept": ACCEPT}),
        help_text=gettext_lazy(
            "Shopee, TikTok Shop, Tokopedia or Lazada order exports, WhatsApp chat exports "
            "(.txt or .zip), contacts (.vcf or Google CSV), or any other spreadsheet. Several "
            "at once is fine."
        ),
    )


def _runs(shop):
    with shop_scope(shop):
        return list(ImportRun.objects.filter(shop=shop).prefetch_related("files")[:10])


@shop_member
@csrf_protect
def import_home(request):
    error = None
    if request.method == "POST":
        # Reading the files triggers the upload handler, which stops oversized uploads.
        try:
            files = request.FILES.getlist("files")
        except RequestDataTooBig:  # pragma: no cover - only for non-file request bodies
            files = []
        if getattr(request, "upload_too_large", False):
            error = _(
                "The upload is larger than %(limit)s MB. Export a shorter period and "
                "upload the parts one by one."
            ) % {"limit": pipeline.settings.MERDEKA_IMPORT_MAX_BYTES // 2**20}
        elif not files:
            error = _("Choose at least one file.")
        elif len(files) > MAX_FILES:
            error = _("At most %(count)s files at once.") % {"count": MAX_FILES}
        else:
            run = pipeline.uploads_receive(
                shop=request.shop, actor=request.user, files=files, request=request
            )
            return redirect("import_run", run_id=run.pk)
    context = {
        "form": UploadForm(),
        "error": error,
        "runs": _runs(request.shop),
        "mappings": mapping.mappings_saved(shop=request.shop),
    }
    return render(request, "imports/home.html", context, status=400 if error else 200)


@shop_member
def import_run(request, run_id: int):
    with shop_scope(request.shop):
        try:
            run = ImportRun.objects.prefetch_related("files").get(shop=request.shop, pk=run_id)
        except ImportRun.DoesNotExist:
            raise Http404 from None
    files = list(run.files.all())
    busy = run.state in ("queued", "running")
    for record in files:
        record.nothing_new = record.state == ImportFile.State.IMPORTED and not (
            file_brought_something(record.report)
        )
    nothing_new = not busy and run_brought_nothing(
        states_and_reports=[(f.state, f.report) for f in files],
        review_waiting=run.review_waiting,
    )
    # usable once its files are in; complete when its deferred steps are done too
    # (merdeka.imports.deferred): the page keeps asking until then
    waiting = 0 if busy else deferred_waiting(shop=request.shop)
    imported = any(f.state == ImportFile.State.IMPORTED for f in files)
    template = "imports/run.html#run-status" if request.htmx else "imports/run.html"
    context = {
        "run": run,
        "files": files,
        "busy": busy,
        "nothing_new": nothing_new,
        "waiting": waiting,
        "complete": imported and not (busy or waiting or nothing_new) and run.state == "done",
    }
    return render(request, template, context)


@shop_member(export=True)
@require_POST
def shop_export(request):
    """Everything about the shop in one zip: what ``merdeka export`` writes and ``merdeka
    import`` reads back (the seller can leave). Written in the background; the next page
    shows how far it is and offers the download."""
    job = export_jobs.export_job_start(shop=request.shop, actor=request.user, request=request)
    return redirect("shop_export_job", token=job.token)


def _export_job(request, token: str) -> ExportJob:
    with shop_scope(request.shop):
        job = ExportJob.objects.filter(shop=request.shop, token=token).first()
    if job is None:
        raise Http404
    return job


@shop_member(export=True)
def shop_export_job(request, token: str):
    job = _export_job(request, token)
    busy = job.state in (ExportJob.State.QUEUED, ExportJob.State.RUNNING)
    step = export_jobs.PARTS.index(job.part) + 1 if job.part in export_jobs.PARTS else 0
    context = {"job": job, "busy": busy, "step": step, "steps": len(export_jobs.PARTS)}
    template = (
        "imports/export_job.html#export-status" if request.htmx else "imports/export_job.html"
    )
    return render(request, template, context)


@shop_member(export=True)
def shop_export_download(request, token: str):
    job = _export_job(request, token)
    if job.state != ExportJob.State.DONE:
        raise Http404
    stamp = timezone.localtime(job.finished_at).strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(
        export_jobs.export_job_chunks(job, actor=request.user, request=request),
        content_type="application/zip",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="merdeka-{request.shop.slug}-{stamp}.zip"'
    )
    response["Cache-Control"] = "no-store, private"
    return response

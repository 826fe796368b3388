from __future__ import annotations

from django import forms
from django.core.exceptions import RequestDataTooBig
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST

from merdeka.core.decorators import shop_member
from merdeka.core.scoping import shop_scope
from merdeka.imports import mapping, pipeline
from merdeka.imports.exporting import export_zip
from merdeka.imports.models import ImportFile, ImportRun
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
    template = "imports/run.html#run-status" if request.htmx else "imports/run.html"
    context = {"run": run, "files": files, "busy": busy, "nothing_new": nothing_new}
    return render(request, template, context)


@shop_member(export=True)
@require_POST
def shop_export(request):
    """Everything about the shop's customers and orders in one zip: what ``merdeka
    export`` writes and ``merdeka import`` reads back (the seller can leave)."""
    from django.utils import timezone

    handle = export_zip(shop=request.shop, actor=request.user, request=request)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"merdeka-{request.shop.slug}-{stamp}.zip",
        content_type="application/zip",
    )
    response["Cache-Control"] = "no-store, private"
    return response

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from merdeka.core.scoping import ShopOwnedModel
from merdeka.privacy.fields import EncryptedModel, EncryptedTextField


class ImportRun(ShopOwnedModel):
    """One upload (web) or one ``merdeka import`` call: one or several files."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    created_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Failure(models.TextChoices):
        WORKER_LOST = "worker_lost", _("The import stopped: its worker died")
        ERROR = "error", _("The import stopped on an unexpected error")
        INTERRUPTED = "interrupted", _("The import was interrupted")

    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    review_waiting = models.PositiveIntegerField(default=0)  # likely duplicates found
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Who works on the run ("host:pid") and when it last said it was alive: a run whose
    # heartbeat stops is failed by the scheduler (imports/liveness.py).
    worker = models.CharField(max_length=100, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    failure = models.CharField(max_length=20, choices=Failure.choices, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class ImportFile(ShopOwnedModel, EncryptedModel):
    """One file of a run, its outcome and its report. The file itself is not kept, except
    sealed while it waits for the seller to map its columns (state ``mapping``).

    The file's name is sealed like other personal data: a chat export is named after the
    person ("Chat WhatsApp dengan Siti Nurhaliza.txt"). The report holds counts and
    problems, never the name."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        IMPORTED = "imported", _("Imported")
        REJECTED = "rejected", _("Rejected")
        DUPLICATE = "duplicate", _("Already imported")
        MAPPING = "mapping", _("Waiting for its columns to be mapped")

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="files")
    name = EncryptedTextField(null=True, blank=True)
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, db_index=True)
    source = models.CharField(max_length=30, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    rows_read = models.PositiveIntegerField(default=0)
    progress = models.PositiveIntegerField(default=0)  # rows handled so far
    report = models.JSONField(default=dict)  # counts and problems (no personal data)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    @property
    def display_name(self) -> str:
        """The file's name for the seller (decrypted), or a neutral one once erased."""
        return self.name or _("File %(number)s (name erased)") % {"number": self.pk}


class ColumnMapping(ShopOwnedModel):
    """Which column of a seller's own spreadsheet holds what, remembered by its header.

    ``signature`` is the SHA-256 of the file's normalised column names
    (formats/mapped.py); ``columns`` maps Merdeka's fields to column names as the file
    writes them. Column names only: no cell value is ever stored here.
    """

    class Kind(models.TextChoices):
        ORDERS = "orders", _("Orders")
        CONTACTS = "contacts", _("Customer list")

    signature = models.CharField(max_length=64)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    channel = models.CharField(max_length=20)
    columns = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "signature"], name="columnmapping_unique_per_shop"
            )
        ]


class ExportJob(ShopOwnedModel):
    """One "download everything" asked for on the web: written by the task worker while
    the page shows how far it is, kept sealed in the data directory until it is fetched
    or a day has passed (imports/export_jobs.py)."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    token = models.CharField(max_length=32, unique=True)
    requested_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    part = models.CharField(max_length=20, blank=True)  # exporting.export_shop's parts
    done = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(default=0)
    size = models.PositiveBigIntegerField(default=0)  # bytes of the zip
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from merdeka.core.scoping import ShopOwnedModel


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
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    review_waiting = models.PositiveIntegerField(default=0)  # likely duplicates found
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class ImportFile(ShopOwnedModel):
    """One file of a run, its outcome and its report. The file itself is not kept, except
    sealed while it waits for the seller to map its columns (state ``mapping``)."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        IMPORTED = "imported", _("Imported")
        REJECTED = "rejected", _("Rejected")
        DUPLICATE = "duplicate", _("Already imported")
        MAPPING = "mapping", _("Waiting for its columns to be mapped")

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=255)
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

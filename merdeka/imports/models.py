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
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class ImportFile(ShopOwnedModel):
    """One file of a run, its outcome and its report. The file itself is not kept."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        IMPORTED = "imported", _("Imported")
        REJECTED = "rejected", _("Rejected")
        DUPLICATE = "duplicate", _("Already imported")

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

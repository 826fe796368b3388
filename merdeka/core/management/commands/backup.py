from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from merdeka.core.backup import BackupError, backup_create
from merdeka.privacy.audit import audit_record
from merdeka.privacy.keys import master_key_location


class Command(BaseCommand):
    help = "Write a consistent online backup of the SQLite database (PostgreSQL: see the advice)."

    def add_arguments(self, parser):
        parser.add_argument("--out", type=Path, help="backup file (default: var/backups/...)")

    def handle(self, *args, out=None, **options):
        try:
            path = backup_create(out=out)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        audit_record(action="backup.created", detail={"file": path.name})
        self.stdout.write(self.style.SUCCESS(f"Backup written: {path}"))
        self.stdout.write(
            self.style.WARNING(
                f"The master key ({master_key_location()}) is NOT in the backup. Keep a copy of "
                "it apart from the backups: both are needed to restore."
            )
        )

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from merdeka.core.backup import BackupError, backup_restore
from merdeka.privacy.crypto import shop_keys_verify
from merdeka.privacy.keys import KeyError_


class Command(BaseCommand):
    help = "Restore a backup made by `merdeka backup` into this data directory."

    def add_arguments(self, parser):
        parser.add_argument("backup", type=Path)
        parser.add_argument("--force", action="store_true", help="replace an existing database")

    def handle(self, *args, backup, force=False, **options):
        try:
            target = backup_restore(backup=backup, force=force)
            shops = shop_keys_verify()
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        except KeyError_ as exc:
            raise CommandError(
                f"Restored, but the master key does not open the shops' keys: {exc}. "
                "Set MERDEKA_MASTER_KEY or MERDEKA_MASTER_KEY_FILE to the key of that backup."
            ) from None
        self.stdout.write(self.style.SUCCESS(f"Restored {target}; keys of {shops} shop(s) open."))

"""Online backup and restore of the SQLite database.

The backup uses SQLite's own backup API, so it is consistent while the shop keeps
selling. It holds only ciphertext of personal data: restoring it needs the same
master key, which is deliberately not part of the backup.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone


class BackupError(Exception):
    pass


def database_path() -> Path | None:
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.sqlite3":
        return None
    return Path(db["NAME"])


POSTGRES_ADVICE = (
    "This installation runs on PostgreSQL. Back it up with PostgreSQL's own tools, e.g.\n"
    '  pg_dump --format=custom --file=merdeka-$(date +%Y%m%d).dump "$DATABASE_URL"\n'
    'and restore with pg_restore --clean --dbname="$DATABASE_URL" FILE.\n'
    "Keep the master key backed up separately: the dump holds only encrypted personal data."
)


def backup_create(*, out: Path | None = None) -> Path:
    source = database_path()
    if source is None:
        raise BackupError(POSTGRES_ADVICE)
    if out is None:
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        out = Path(settings.DATA_DIR) / "backups" / f"merdeka-{stamp}.sqlite3"
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=".backup-", suffix=".tmp")
    os.close(fd)
    try:
        src = sqlite3.connect(source)
        dst = sqlite3.connect(tmp)
        try:
            with dst:
                src.backup(dst)
            check = dst.execute("PRAGMA integrity_check").fetchone()[0]
            if check != "ok":
                raise BackupError(f"the backup failed its integrity check: {check}")
        finally:
            dst.close()
            src.close()
        os.chmod(tmp, 0o600)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return out


def backup_restore(*, backup: Path, force: bool = False) -> Path:
    """Put ``backup`` in place of the database. Refuses to overwrite without ``force``."""
    target = database_path()
    if target is None:
        raise BackupError(POSTGRES_ADVICE)
    backup = Path(backup)
    if not backup.is_file():
        raise BackupError(f"{backup} does not exist")
    try:
        probe = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
        try:
            check = probe.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {r[0] for r in probe.execute("SELECT name FROM sqlite_master")}
        finally:
            probe.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{backup} is not a Merdeka backup: {exc}") from None
    if check != "ok" or "core_shop" not in tables:
        raise BackupError(f"{backup} is not a usable Merdeka backup")
    if target.exists() and target.stat().st_size > 0 and not force:
        raise BackupError(
            f"{target} already exists. Use --force to replace it (make a backup first)."
        )
    connection.close()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".restoring")
    shutil.copyfile(backup, tmp)
    os.chmod(tmp, 0o600)
    for suffix in ("-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    os.replace(tmp, target)
    return target

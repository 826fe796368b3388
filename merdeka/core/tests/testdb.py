"""The test database: migrated once, then copied to each xdist worker.

Migrating an empty database costs about 45 CPU seconds (nearly all of it Django
rendering its model states between operations, not SQL: bench/RESULTS.md, "the test
suite's time"), and pytest-django pays it in every worker of every run. Here the first
worker to get there migrates a template database the way pytest-django would (Django's
own ``create_test_db``: migrate with ``run_syncdb``, the cache table), under a file lock
the other workers wait on; then each worker gets a copy of it (SQLite's backup API, or
PostgreSQL's ``CREATE DATABASE ... TEMPLATE``) and pytest-django opens that copy as a
kept database (its migrate finds nothing to do).

The template is named after a digest of everything that decides what migrate builds:
every installed app's migration files (Django's and the other packages' too), the
settings module and Django's version. A change to any of them makes a new template (the
old ones are removed); otherwise the next run reuses it, so an unchanged checkout
migrates no more than once (docs/decisions/test-suite-time.md).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import sqlite3
import sys
from contextlib import contextmanager
from pathlib import Path

import django
from django.conf import settings
from django.db import connections
from django.db.migrations.loader import MigrationLoader

ALIAS = "default"


def schema_digest() -> str:
    """What decides the migrated database; a new value means a new template."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    digest = hashlib.sha256(django.get_version().encode())
    digest.update(repr(sorted(loader.unmigrated_apps)).encode())
    for key in sorted(loader.disk_migrations):
        migration = loader.disk_migrations[key]
        digest.update(repr(key).encode())
        digest.update(Path(sys.modules[migration.__module__].__file__).read_bytes())
    digest.update(Path(sys.modules[settings.SETTINGS_MODULE].__file__).read_bytes())
    return digest.hexdigest()[:16]


@contextmanager
def locked(lock_dir: Path):
    """One process at a time (the workers of one run) makes or copies the template."""
    lock_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_dir / "db-template.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _migrate_into(name: str) -> None:
    """Django's own test database creation, under the template's name; the connection's
    settings are back on the worker's database afterwards."""
    connection = connections[ALIAS]
    test_settings = connection.settings_dict["TEST"]
    worker_name = test_settings.get("NAME")
    old_name = connection.settings_dict["NAME"]
    test_settings["NAME"] = name
    try:
        connection.creation.create_test_db(
            verbosity=0, autoclobber=True, serialize=False, keepdb=False
        )
        # keepdb: give the settings back, leave the database there
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=True)
    finally:
        test_settings["NAME"] = worker_name
        connection.close()


def sqlite_template(template_dir: Path | None = None, digest: str | None = None) -> Path:
    """Where the SQLite template of this schema is (made by the first worker's database
    set-up; absent under ``--create-db`` and ``--reuse-db``, which make none)."""
    template_dir = template_dir or Path(os.environ["MERDEKA_TEST_DATA_DIR"])
    return template_dir / f"db-template-{digest or schema_digest()}.sqlite3"


def _sqlite(template_dir: Path, digest: str) -> Path:
    connection = connections[ALIAS]
    target = Path(connection.settings_dict["TEST"]["NAME"])
    template = sqlite_template(template_dir, digest)
    if not template.exists():
        for old in template_dir.glob("db-template-*.sqlite3*"):
            old.unlink()
        building = template_dir / f"db-template-{digest}.building.sqlite3"
        for leftover in template_dir.glob(building.name + "*"):
            leftover.unlink()
        _migrate_into(str(building))
        with sqlite3.connect(building) as db:  # the WAL into the file, then one file
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            db.execute("PRAGMA journal_mode=DELETE")
        building.rename(template)
    for stale in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
        stale.unlink(missing_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{template}?mode=ro", uri=True)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    return target


def _postgresql(digest: str) -> str:
    connection = connections[ALIAS]
    quote = connection.creation._quote_name
    target = connection.settings_dict["TEST"]["NAME"] or f"test_{connection.settings_dict['NAME']}"
    prefix = f"test_{connection.settings_dict['NAME']}_tpl_"
    template = f"{prefix}{digest}"
    with connection._nodb_cursor() as cursor:
        cursor.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s",
            [prefix.replace("_", r"\_") + "%"],
        )
        existing = {row[0] for row in cursor.fetchall()}
    if template not in existing:
        with connection._nodb_cursor() as cursor:
            for old in existing:  # older templates, or one whose making was cut short
                cursor.execute(f"DROP DATABASE IF EXISTS {quote(old)}")
        _migrate_into(f"{template}_building")
        with connection._nodb_cursor() as cursor:
            cursor.execute(
                f"ALTER DATABASE {quote(template + '_building')} RENAME TO {quote(template)}"
            )
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {quote(target)}")
        cursor.execute(f"CREATE DATABASE {quote(target)} WITH TEMPLATE {quote(template)}")
    return target


def copy_template_to_worker() -> None:
    """Leave this worker's test database migrated, from the template (made if need be)."""
    template_dir = Path(os.environ["MERDEKA_TEST_DATA_DIR"])
    vendor = connections[ALIAS].vendor
    digest = schema_digest()
    with locked(template_dir):
        if vendor == "sqlite":
            _sqlite(template_dir, digest)
        elif vendor == "postgresql":
            _postgresql(digest)
        else:  # pragma: no cover - Merdeka runs on SQLite or PostgreSQL
            raise RuntimeError(f"no test database template for {vendor}")

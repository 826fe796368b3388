"""A data directory ``merdeka setup`` prepared once, for the tests that start commands.

``merdeka setup`` on an empty data directory migrates a new database (about 45 CPU
seconds); the tests of backup, restore, ``merdeka run`` and the migration check each
need one set up, not the setting up itself. They get a copy of this one (keys, database
and demo login together), made by the first xdist worker that asks, under a lock the
other waits on. test_commands checks this first set-up's output: it is the one fresh
set-up of the suite. A test that needs a data directory never set up but a database
already migrated (``setup --no-demo``) gets a copy of the test database's template.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from merdeka.core.tests import testdb
from merdeka.core.tests.test_commands import clean_env, merdeka


@dataclass(frozen=True)
class SetUp:
    data: Path  # never changed by a test: each works on a copy
    stdout: str  # what the first `merdeka setup` printed

    def copy(self, to: Path) -> Path:
        shutil.copytree(self.data, to, symlinks=True)
        return to


@pytest.fixture(scope="session")
def set_up_once(tmp_path_factory) -> SetUp:
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # shared by the workers of this run
    data, printed = root / "set-up" / "var", root / "set-up" / "stdout.txt"
    with open(root / "set-up.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not printed.exists():
            shutil.rmtree(data.parent, ignore_errors=True)
            stdout = merdeka("setup", env=clean_env(data)).stdout
            printed.write_text(stdout)
    return SetUp(data=data, stdout=printed.read_text())


@pytest.fixture
def migrated_data_dir(django_db_setup, tmp_path) -> Path:
    """A data directory never set up (no keys, no shop) whose database is migrated and
    empty: a copy of the test database's template (testdb.py), as ``merdeka migrate``
    would leave it, without migrating again. ``--create-db`` and ``--reuse-db`` make no
    template: then ``merdeka migrate`` runs."""
    data = tmp_path / "var"
    data.mkdir()
    template = testdb.sqlite_template()
    if template.exists():
        shutil.copyfile(template, data / "merdeka.sqlite3")
    else:
        merdeka("migrate", env=clean_env(data))
    return data

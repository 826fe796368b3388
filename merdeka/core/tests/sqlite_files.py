"""A SQLite database's files read as bytes, for the tests that look for plaintext on disk.

They are read by another process, never here: closing a file descriptor drops every
POSIX lock this process holds on that file, SQLite's own included (its shared lock on
the ``-shm`` file says "a connection is open"). The next process to close a connection
to the database then takes itself for the last one, checkpoints and deletes the
``-wal`` and ``-shm`` files under this process's open connection, and every later
connection here fails with "disk I/O error".
"""

from __future__ import annotations

import subprocess
import sys

_READ = """
import sys
for path in sys.argv[1:]:
    try:
        with open(path, "rb") as handle:
            sys.stdout.buffer.write(handle.read())
    except FileNotFoundError:
        pass
"""


def sqlite_file_bytes(path, suffixes=("", "-wal", "-shm")) -> bytes:
    """The bytes of the database file and its ``-wal`` and ``-shm`` files (those that
    exist), one after the other."""
    paths = [f"{path}{suffix}" for suffix in suffixes]
    return subprocess.run(
        [sys.executable, "-c", _READ, *paths], capture_output=True, check=True
    ).stdout

"""Reading a SQLite database's files for the plaintext checks leaves its connections
working, even when another process closes its own connection afterwards."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

from merdeka.core.tests.sqlite_files import sqlite_file_bytes

OTHER_PROCESS = """
import sqlite3, sys
other = sqlite3.connect(sys.argv[1])
other.execute("PRAGMA journal_mode=WAL")
assert other.execute("SELECT count(*) FROM secrets").fetchone()[0] >= 1
other.close()
"""


def test_the_files_read_by_another_process_keep_this_ones_connection_alive(tmp_path):
    path = tmp_path / "db.sqlite3"
    mine = sqlite3.connect(path)
    mine.execute("PRAGMA journal_mode=WAL")
    mine.execute("CREATE TABLE secrets (text)")
    mine.execute("INSERT INTO secrets VALUES ('kanari-rahasia')")
    mine.commit()

    data = sqlite_file_bytes(path)
    assert b"kanari-rahasia" in data and b"CREATE TABLE secrets" in data

    subprocess.run([sys.executable, "-c", OTHER_PROCESS, str(path)], check=True)
    # the other process knew this one still had the database open: the log stays
    assert (tmp_path / "db.sqlite3-wal").exists() and (tmp_path / "db.sqlite3-shm").exists()
    mine.execute("INSERT INTO secrets VALUES ('kedua')")
    mine.commit()
    again = sqlite3.connect(path)  # "disk I/O error" had the files been read here
    assert again.execute("SELECT count(*) FROM secrets").fetchone()[0] == 2
    again.close()
    mine.close()

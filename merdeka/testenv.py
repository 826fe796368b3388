"""Loaded by pytest (``-p merdeka.testenv``) before Django's settings are read.

It points the test run at its own data directory and, when
``MERDEKA_TEST_DATABASE_URL`` is set, at that database instead of SQLite.
"""

import os
from pathlib import Path

os.environ["MERDEKA_TESTING"] = "1"
os.environ.setdefault(
    "MERDEKA_DATA_DIR", str(Path(__file__).resolve().parent.parent / "var" / "test")
)
_test_url = os.environ.get("MERDEKA_TEST_DATABASE_URL")
if _test_url:
    os.environ["DATABASE_URL"] = _test_url
else:
    os.environ.pop("DATABASE_URL", None)

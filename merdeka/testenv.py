"""Loaded by pytest (``-p merdeka.testenv``) before Django's settings are read.

It points the test run at its own data directory and, when
``MERDEKA_TEST_DATABASE_URL`` is set, at that database instead of SQLite.
"""

import os
from pathlib import Path

os.environ["MERDEKA_TESTING"] = "1"
# Each xdist worker has a data directory of its own: uploads, the upload temp folder and
# exports of one worker's tests never show up in what another worker's test looks at
# (the fuzz sample counts files left behind there).
# The workers inherit the controller's environment, where this module has already set the
# shared folder: a worker's own folder goes under whatever it was given, never the same one.
_here = Path(__file__).resolve().parent.parent / "var" / "test"
_data = Path(os.environ.get("MERDEKA_TEST_DATA_DIR") or _here)
os.environ["MERDEKA_TEST_DATA_DIR"] = str(_data)
_worker = os.environ.get("PYTEST_XDIST_WORKER")
os.environ["MERDEKA_DATA_DIR"] = str(_data / _worker if _worker else _data)
_test_url = os.environ.get("MERDEKA_TEST_DATABASE_URL")
if _test_url:
    os.environ["DATABASE_URL"] = _test_url
else:
    os.environ.pop("DATABASE_URL", None)

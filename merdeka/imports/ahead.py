"""The worker side of reading ahead (pipeline.import_paths).

A spawned worker imports this module to find its function, before Django is set up,
so nothing here imports models at module level. One worker reads every file of a run
(Django is set up once); after each file it gives the memory the file took back to
the system (``_give_back``), so that it idles at its size before the file, not at the
high-water mark of the biggest sheet it has read.
"""

from __future__ import annotations

import gc
import pickle
from pathlib import Path

from merdeka.core import memory
from merdeka.core.phone import text_caches_clear


def parse_ahead(path: str, name: str, shop_id: int | None = None, database=None, check=""):
    """``sources.parse_file`` in a worker process, with a refusal sent back as data and
    the parsed file as a pickled string.

    With ``shop_id``, the parsed orders are also prepared for the writer (``sources.prepare``:
    the rows it writes, sealed, their keyed hashes made: ``writer.prepare_orders``), and
    those rows are sent instead of the parsed orders, but only when this worker opens
    the writer's database (``database``, its name) and holds the very keys the writer
    holds (``check``, ``crypto.key_check``); otherwise the writer does it all itself.
    """
    import django

    django.setup()  # once per worker; later calls return at once

    from merdeka.imports import sources  # after django.setup(): see the module's doc
    from merdeka.imports.records import RejectedFile  # after django.setup()

    try:
        parsed = sources.parse_file(Path(path), name)
    except RejectedFile as exc:
        result = "rejected", (type(exc), exc.problem)
    else:
        from merdeka.core import bulk  # after django.setup(): see the module's doc

        # What is made from here (the rows, the buyers, the pickle's own tuples) lives
        # until the file is sent and holds no cycle: the collector's passes walked it
        # and the parsed file again and again for nothing (~10 % of this worker's CPU
        # on the bench's 100k lines, seen in the buyers' __reduce__)
        with bulk.collector_paused():
            if shop_id is not None and check:
                from django.db import connection

                try:
                    _prepare(parsed, shop_id, database, check, path=path, name=name)
                finally:
                    connection.close()  # a fresh connection for each file; none while idle
            # Sent as one pickled string, unpickled only when the writer reaches this
            # file: the writer may hold two files read ahead, and as bytes a parsed month
            # of orders takes a few MiB instead of a hundred as Python objects (never on
            # disk).
            result = "parsed", pickle.dumps(parsed, protocol=pickle.HIGHEST_PROTOCOL)
            del parsed
    _give_back()
    return result


def _give_back() -> None:
    """Free what the file left (cycles among its objects, the texts the phone and name
    helpers cached for it: ``text_caches_clear``) and hand the freed heap back to the
    system: glibc keeps freed memory for the process (the spreadsheet reader's cells,
    the Python objects of a month of orders) until told to trim it."""
    text_caches_clear()
    gc.collect()
    # What survives a full pass once a file is gone is the worker's own (modules,
    # Django's apps, caches): kept out of the next passes (gc.freeze), so that the pass
    # after each file walks what that file left, not the whole process again (it was
    # ~18 % of this worker's CPU on the bench's 100k lines). The worker lives for one
    # run (pipeline.import_paths).
    gc.freeze()
    memory.heap_trim()


def _prepare(parsed, shop_id: int, database, check: str, *, path=None, name="") -> None:
    from django.db import connection

    from merdeka.imports import sources  # after django.setup(): see the module's doc
    from merdeka.privacy import crypto  # after django.setup()

    if database is not None and connection.settings_dict["NAME"] != database:
        connection.close()
        connection.settings_dict["NAME"] = database  # e.g. the test database
    try:
        same_keys = crypto.key_check(shop_id) == check
    except Exception:  # no keys here: the writer does the work itself
        return
    if same_keys:
        sources.prepare(parsed, shop_id=shop_id, path=path, name=name)

"""The people's half of ``merdeka export`` in a second process, beside the orders.

The machine has more than one core and the export's parts are independent: while this
process writes the orders (orders.jsonl and orders.csv), the shop's catalog and the rest,
a second one writes ``customers.jsonl``, ``customers.csv`` and ``journal.jsonl``
(``BESIDE``) with its own connection to the same database (bench/RESULTS.md).

All or nothing: the second process writes into a hidden folder of the export
(``.beside``), and its files are moved into the export only once it has finished
without an error (``Beside.finish``). An error on either side, or Ctrl+C, ends the other
one (``Beside.stop`` kills the process and removes its folder), and the export has no
``manifest.json``: nothing is presented as complete.

It is used only where the second process sees what this one sees: not inside a
transaction (a test's: its rows are not committed), not on an in-memory database
(``usable``). Elsewhere the same functions run here, one after the other.

Its progress reaches the export's own (the CLI's bars, the web export's page) as it
writes: each batch is a line of JSON on its stdout, which this process reads whenever it
tells progress of its own (``Beside.relaying``) and, at the end, while it waits for the
second one (``Beside.finish``).

Run as ``python -m merdeka.imports.export_beside`` by ``Beside.start`` only (its task on
stdin as JSON; on stdout, a line of JSON per batch written, ``{"progress": [what, step,
total]}``, then its result, ``{"result": {...}}``).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the folder holding the ``merdeka`` package
BESIDE = ("customers.jsonl", "customers.csv", "journal.jsonl")
# the last orders, when it writes them too: appended to this process's files
TAILS = {"orders-tail.jsonl": "orders.jsonl", "orders-tail.csv": "orders.csv"}
FOLDER = ".beside"


def usable(connection) -> bool:
    """Would a second process see the rows this one sees?"""
    if connection.in_atomic_block:
        return False  # uncommitted rows (a test's transaction) are this connection's
    if connection.vendor == "sqlite":
        return not connection.is_in_memory_db()
    return True


class Beside:
    """The second process: started, then finished (its files moved in) or stopped."""

    def __init__(self, process: subprocess.Popen, folder: Path, out: Path):
        self.process, self.folder, self.out = process, folder, out
        self.started = time.perf_counter()
        self.result: dict | None = None
        self._pending = b""  # the start of a line not read to its end yet
        os.set_blocking(process.stdout.fileno(), False)

    @classmethod
    def start(cls, *, shop, out: Path, connection, settings, orders=None) -> Beside:
        """``orders``: (the first order's id, how many in all) of the orders it writes
        too (``people_beside``), or None."""
        folder = out / FOLDER
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(mode=0o700)
        task = {
            "shop": shop.pk,
            "folder": str(folder),
            # the database this process uses (a test's is not the settings' one)
            "database": connection.settings_dict["NAME"],
            "orders": orders,
        }
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE,
            "MERDEKA_DATA_DIR": str(settings.DATA_DIR),
            # this checkout's package, wherever the command was started
            "PYTHONPATH": os.pathsep.join(
                [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
            ),
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "merdeka.imports.export_beside"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        process.stdin.write(json.dumps(task).encode())
        process.stdin.close()
        return cls(process, folder, out)

    def relay(self, progress: Callable[[str, int, int], None]) -> None:
        """Tell ``progress`` what the process has written since last asked (without
        waiting for it; nothing once it has finished)."""
        if self.process.stdout.closed:
            return
        try:
            while read := os.read(self.process.stdout.fileno(), 65536):
                self._heard(read, progress)
        except BlockingIOError:
            return  # nothing more for now

    def relaying(self, progress: Callable[[str, int, int], None]):
        """``progress`` that first relays the process's own (``relay``): this
        process's batches are the clock that hands the other one's on."""

        def told(what: str, step: int, total: int) -> None:
            self.relay(progress)
            progress(what, step, total)

        return told

    def _heard(self, read: bytes, progress) -> None:
        *lines, self._pending = (self._pending + read).split(b"\n")
        for line in lines:
            try:
                said = json.loads(line)
            except ValueError:
                continue  # not one of its lines (a library's warning)
            if not isinstance(said, dict):
                continue
            if "progress" in said:
                progress(*said["progress"])
            elif "result" in said:
                self.result = said["result"]

    def finish(self, progress: Callable[[str, int, int], None] = lambda *said: None) -> dict:
        """Wait for the process, telling ``progress`` as it goes; move its files into
        the export; its counts and seconds. Raises (having stopped it) if it failed."""
        try:
            os.set_blocking(self.process.stdout.fileno(), True)
            while read := os.read(self.process.stdout.fileno(), 65536):
                self._heard(read, progress)
            code = self.process.wait()
            if code != 0 or self.result is None:
                raise RuntimeError(f"the export's second process failed (exit status {code})")
            for name in BESIDE:
                (self.folder / name).replace(self.out / name)
            for name, whole in TAILS.items():
                if (self.folder / name).exists():  # its share of the orders: their end
                    with open(self.folder / name, "rb") as tail, open(self.out / whole, "ab") as to:
                        shutil.copyfileobj(tail, to, 1 << 20)
        except BaseException:
            self.stop()
            raise
        self.process.stdout.close()
        shutil.rmtree(self.folder, ignore_errors=True)
        return {**self.result, "wall": time.perf_counter() - self.started}

    def stop(self) -> None:
        """End the process (if still running) and remove what it wrote."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def main() -> None:
    # A Ctrl+C in the terminal reaches this process too: the parent stops it
    # (``Beside.stop``) and says why, so it prints no traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    task = json.loads(sys.stdin.read())
    # Django is set up here, before the models are imported (hence the local imports):
    # on the database the parent process uses
    import django
    from django.conf import settings

    settings.DATABASES["default"]["NAME"] = task["database"]
    django.setup()
    from merdeka.core.models import Shop  # after django.setup(): see above
    from merdeka.core.scoping import scopes_disabled  # after django.setup()
    from merdeka.imports.exporting import people_beside  # after django.setup()

    with scopes_disabled():
        shop = Shop.objects.get(pk=task["shop"])

    def told(what: str, step: int, total: int) -> None:
        print(json.dumps({"progress": [what, step, total]}), flush=True)

    orders = tuple(task["orders"]) if task.get("orders") else None
    counts = people_beside(shop=shop, out=Path(task["folder"]), progress=told, orders=orders)
    print(json.dumps({"result": {**counts, "cpu": time.process_time()}}), flush=True)


if __name__ == "__main__":
    main()

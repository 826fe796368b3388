"""How Merdeka's web server is started: one place for ``merdeka run`` and the bench.

gunicorn with ``MERDEKA_WEB_WORKERS`` processes (default: one per core, at least 2)
of the worker class ``MERDEKA_WEB_WORKER_CLASS`` (default ``gthread``), each with
``MERDEKA_WEB_THREADS`` threads (default 4), keeping idle connections open
``MERDEKA_WEB_KEEPALIVE`` seconds (default 5).

Why gthread: a sync worker serves one connection at a time and closes it after each
response (no keep-alive), so a phone fetching the page and its stylesheets connects
three times, and a worker waiting on SQLite's write lock (checkout) or a slow client
serves no one. Threads release the GIL while they wait; one process per core keeps
both cores busy. Measured in bench/bench_storefront.py (the same command line).

No control socket: gunicorn (25.1+) otherwise opens one for ``gunicornc`` at
``$XDG_RUNTIME_DIR/gunicorn.ctl`` or ``~/.gunicorn/gunicorn.ctl``, one path for every
gunicorn of that user, so a second Merdeka (or any other app) on the machine takes it
over or fails on it, and whoever reaches it can add or stop workers. ``merdeka run``
already owns its processes; stop it with Ctrl+C or SIGTERM.
"""

from __future__ import annotations

import os
import sys


def web_settings() -> dict:
    return {
        "workers": int(os.environ.get("MERDEKA_WEB_WORKERS") or max(2, os.cpu_count() or 1)),
        "worker_class": os.environ.get("MERDEKA_WEB_WORKER_CLASS") or "gthread",
        "threads": int(os.environ.get("MERDEKA_WEB_THREADS") or 4),
        "keepalive": int(os.environ.get("MERDEKA_WEB_KEEPALIVE", "5")),
    }


def web_command(
    *,
    bind: str,
    workers: int,
    worker_class: str = "gthread",
    threads: int = 4,
    keepalive: int = 5,
    access_log: bool = True,
) -> list[str]:
    """The gunicorn command line serving Merdeka on ``bind`` (``host:port``)."""
    argv = [
        sys.executable, "-m", "gunicorn", "merdeka.wsgi:application",
        "--bind", bind,
        "--workers", str(workers),
        "--worker-class", worker_class,
        "--keep-alive", str(keepalive),
        "--graceful-timeout", "10",
        "--no-control-socket",
    ]  # fmt: skip
    if worker_class == "gthread":
        argv += ["--threads", str(threads)]
    if access_log:
        argv += [
            "--access-logfile", "-",
            # Paths only: query strings can hold a searched phone number.
            "--access-logformat", '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss',
        ]  # fmt: skip
    else:
        argv += ["--log-level", "warning"]
    return argv

"""``merdeka run``: the web server, the task worker and the scheduler, until Ctrl+C.

How it stops. Each child runs in a process group of its own, so a Ctrl+C in the
terminal reaches this command only (and ``make``), not the children too. This command
then tells each child to stop exactly once, the way that child stops quickest without
losing work:

* the web server (gunicorn): SIGINT once it answers, its quick shutdown (requests being
  answered still finish; idle keep-alive connections, which a phone's browser keeps,
  are closed at once instead of two seconds later). Before it answers its signal handlers
  may not be set up yet, where SIGINT would print a KeyboardInterrupt: SIGTERM then.
  When this command itself gets SIGTERM or SIGHUP (systemd, a closed terminal), gunicorn
  gets SIGTERM: a graceful stop.
* the task worker and the scheduler: SIGTERM. Both handle it (a worker busy with a task
  finishes it first, and a second Ctrl+C stops it at once); one still importing Django
  ends quietly.

Before, the terminal's SIGINT reached every child and this command sent SIGTERM on top:
the task worker took the second signal for "force" and printed a traceback, and a child
stopped while it was starting printed a KeyboardInterrupt.

On Linux a child also gets SIGTERM if this command dies without stopping it (SIGKILL,
out of memory), so no server is left holding the port.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from merdeka.core import startup
from merdeka.core.server import web_command, web_settings

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
PR_SET_PDEATHSIG = 1
TELL_WAITING_AFTER = 2.0  # seconds; then say who is still finishing its work
KILL_AFTER_FORCE = 10.0  # seconds after a second Ctrl+C


def _parent_death_signal():
    """A ``preexec_fn`` that asks Linux to send the child SIGTERM when this process dies."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec():
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


def _listed(names: list[str]) -> str:
    """'the web server, the task worker and the scheduler'"""
    named = [f"the {name}" for name in names]
    return named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"


class Command(BaseCommand):
    help = (
        "Serve Merdeka with gunicorn and run the background task worker and the scheduler "
        "beside it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("MERDEKA_HOST", "127.0.0.1"))
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument("--workers", type=int, default=web_settings()["workers"])

    def handle(self, *args, host, port, workers, **options):
        if startup.port_taken(host, port):
            raise CommandError(
                f"Port {port} is in use already: is Merdeka running in another terminal? "
                f"Stop it there, or start this one on another port: PORT={int(port) + 1} "
                "make run"
            )
        python = sys.executable
        bind = f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"
        commands = {
            "web server": web_command(bind=bind, **{**web_settings(), "workers": workers}),
            "task worker": [
                python, "-m", "merdeka.cli", "db_worker",
                "--queue-name", "*",
                "--interval", "1",
                "--no-reload",  # a reloader would keep a second process the stop misses
            ],
            # periodic work (the daily retention sweep) is queued by the scheduler
            "scheduler": [python, "-m", "merdeka.cli", "scheduler"],
        }  # fmt: skip
        requests: list[int] = []  # the stop signals received, in order

        def received(signum, frame):
            requests.append(signum)

        for signum in STOP_SIGNALS:
            signal.signal(signum, received)

        env = {**os.environ, "MERDEKA_DATA_DIR": str(settings.DATA_DIR)}
        preexec = _parent_death_signal()
        procs = {
            name: subprocess.Popen(  # noqa: S603 - fixed argv
                argv, env=env, stdin=subprocess.DEVNULL, process_group=0, preexec_fn=preexec
            )
            for name, argv in commands.items()
        }

        def running() -> bool:
            return all(proc.poll() is None for proc in procs.values())

        ready = False
        while not requests and running():
            if startup.answers(host, port):
                ready = True
                break
            time.sleep(0.1)
        if ready and not requests:
            self.stdout.write(startup.startup_block(host, port))
            self.stdout.flush()
        connections.close_all()  # the block's queries; nothing else here uses the database
        while not requests and running():
            time.sleep(0.2)

        if not requests:  # a child ended by itself
            ended = [name for name, proc in procs.items() if proc.poll() is not None]
            self._stop(procs, web_quick=False, web_ready=ready)
            self._wait(procs, requests, web_ready=ready)
            raise CommandError(
                f"{_listed(ended).capitalize()} stopped unexpectedly; see the messages above. "
                "Merdeka is stopped."
            )
        self.stdout.write("Stopping Merdeka...")
        self.stdout.flush()
        self._stop(procs, web_quick=requests[0] == signal.SIGINT, web_ready=ready)
        self._wait(procs, requests, web_ready=ready)
        self.stdout.write("Merdeka is stopped.")

    def _stop(self, procs, *, web_quick: bool, web_ready: bool):
        for name, proc in procs.items():
            if proc.poll() is not None:
                continue
            quick = name == "web server" and web_quick and web_ready
            proc.send_signal(signal.SIGINT if quick else signal.SIGTERM)

    def _wait(self, procs, requests, *, web_ready: bool):
        """Wait for every child; a second Ctrl+C stops a busy task worker at once."""
        seen = len(requests)
        started = time.monotonic()
        forced_at = None
        told = False
        while any(proc.poll() is None for proc in procs.values()):
            if len(requests) > seen and forced_at is None:
                forced_at = time.monotonic()
                self.stdout.write("Stopping now, without waiting for the work under way.")
                # a second SIGTERM is the task worker's "force"; SIGINT gunicorn's quick stop
                self._stop(procs, web_quick=True, web_ready=web_ready)
            if not told and forced_at is None and time.monotonic() - started > TELL_WAITING_AFTER:
                told = True
                busy = [name for name, proc in procs.items() if proc.poll() is None]
                self.stdout.write(
                    f"Still stopping {_listed(busy)}: work under way finishes first "
                    "(press Ctrl+C again to stop at once)..."
                )
            if forced_at is not None and time.monotonic() - forced_at > KILL_AFTER_FORCE:
                for name, proc in procs.items():
                    if proc.poll() is None:
                        self.stderr.write(f"The {name} did not stop; ending it.")
                        proc.kill()
                        proc.wait()
            time.sleep(0.05)

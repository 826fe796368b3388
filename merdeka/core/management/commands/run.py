from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from merdeka.core.demo import demo_login
from merdeka.core.server import web_command, web_settings


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
        python = sys.executable
        web = web_command(bind=f"{host}:{port}", **{**web_settings(), "workers": workers})
        worker = [
            python, "-m", "merdeka.cli", "db_worker",
            "--queue-name", "*",
            "--interval", "1",
        ]  # fmt: skip
        # periodic work (the daily retention sweep) is queued by the scheduler
        scheduler = [python, "-m", "merdeka.cli", "scheduler"]
        env = {**os.environ, "MERDEKA_DATA_DIR": str(settings.DATA_DIR)}
        procs = [
            subprocess.Popen(web, env=env),  # noqa: S603 - fixed argv
            subprocess.Popen(worker, env=env),  # noqa: S603 - fixed argv
            subprocess.Popen(scheduler, env=env),  # noqa: S603 - fixed argv
        ]
        self.stdout.write(self.style.SUCCESS(f"Merdeka is running on http://{host}:{port}/"))
        login = demo_login()
        if login:
            self.stdout.write(f"Demo owner login: {login[0]} / {login[1]}")
        self.stdout.write("Press Ctrl+C to stop.")

        stopping = False

        def stop(signum=None, frame=None):
            nonlocal stopping
            stopping = True
            for proc in procs:
                if proc.poll() is None:
                    proc.terminate()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        unexpected = False
        try:
            while not stopping and all(p.poll() is None for p in procs):
                time.sleep(0.5)
            unexpected = not stopping  # a process ended by itself, not by a signal
        finally:
            stop()
            for proc in procs:
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
        if unexpected:
            raise SystemExit("A Merdeka process stopped unexpectedly; see the messages above.")

from __future__ import annotations

import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from merdeka.core import schedule


class Command(BaseCommand):
    help = "Queue periodic work (the daily retention sweep...) for the task worker."

    def add_arguments(self, parser):
        # every minute: an import run whose worker died is failed within three (its
        # heartbeat is two minutes old); each entry is a cheap query when nothing is due
        parser.add_argument("--interval", type=float, default=60, help="seconds between ticks")
        parser.add_argument("--once", action="store_true", help="one tick, then stop (cron)")

    def handle(self, *args, interval, once, **options):
        stopping = False

        def stop(signum=None, frame=None):
            nonlocal stopping
            stopping = True

        if not once:
            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
        while True:
            for path, result in schedule.tick().items():
                if result:
                    self.stdout.write(f"{path}: {result}")
            if once:
                return
            close_old_connections()  # a long-lived process: never keep a stale connection
            waited = 0.0
            while not stopping and waited < interval:
                time.sleep(0.5)
                waited += 0.5
            if stopping:
                return

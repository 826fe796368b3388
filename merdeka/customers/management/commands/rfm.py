from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from merdeka.core.commandline import no_shop
from merdeka.core.models import Shop
from merdeka.core.scoping import shop_scope
from merdeka.customers import stats
from merdeka.customers.tasks import refresh_workspace


class Command(BaseCommand):
    help = (
        "Recompute the customers' RFM groups (and the name order) of a shop; with --stats "
        "first every customer's numbers from the orders. Safe to run from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument("--shop", help="shop slug (default: every shop)")
        parser.add_argument(
            "--stats", action="store_true", help="recompute orders, spend and dates first"
        )
        parser.add_argument("--background", action="store_true", help="hand it to the task worker")

    def handle(self, *args, shop=None, stats=False, background=False, **options):
        shops = Shop.objects.order_by("slug")
        if shop:
            shops = shops.filter(slug=shop)
            if not shops.exists():
                raise no_shop(shop)
        for target in shops:
            if background:
                refresh_workspace.enqueue(shop_id=target.pk)
                self.stdout.write(f"{target.slug}: queued")
                continue
            started = time.perf_counter()
            with shop_scope(target):
                if stats:
                    _timed(self, "numbers", stats_refresh, target)
                groups = _timed(self, "RFM", rfm, target)
                _timed(self, "name order", names, target)
            labels = ", ".join(
                f"{stats_labels(code)}: {count}" for code, count in sorted(groups.items())
            )
            self.stdout.write(
                self.style.SUCCESS(f"{target.slug}: {time.perf_counter() - started:.1f} s")
                + f" — {labels}"
            )


def stats_refresh(shop):
    stats.customer_stats_refresh(shop=shop)


def rfm(shop):
    return stats.rfm_refresh(shop=shop)


def names(shop):
    return stats.name_ranks_refresh(shop=shop)


def stats_labels(code):
    return str(stats.RFM_LABELS.get(code, code))


def _timed(command, label, func, shop):
    started = time.perf_counter()
    result = func(shop)
    command.stderr.write(f"  {label}: {time.perf_counter() - started:.2f} s")
    return result

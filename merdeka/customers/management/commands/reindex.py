from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from merdeka.core.commandline import no_shop
from merdeka.core.models import Shop
from merdeka.core.scoping import shop_scope
from merdeka.customers import search, stats


class Command(BaseCommand):
    help = (
        "Rebuild the customers' search tokens and list numbers of a shop from its data "
        "(after an upgrade, a restore, or a change of the index key)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--shop", help="shop slug (default: every shop)")

    def handle(self, *args, shop=None, **options):
        shops = Shop.objects.order_by("slug")
        if shop:
            shops = shops.filter(slug=shop)
            if not shops.exists():
                raise no_shop(shop)
        for target in shops:
            started = time.perf_counter()
            with shop_scope(target):
                stats.customer_stats_refresh(shop=target)
                tokens = search.reindex_shop(shop=target)
                stats.rfm_refresh(shop=target)
                stats.name_ranks_refresh(shop=target)
            self.stdout.write(
                f"{target.slug}: {tokens} search tokens, {time.perf_counter() - started:.1f} s"
            )

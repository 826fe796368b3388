from __future__ import annotations

from functools import partial

from django.core.management.base import BaseCommand
from django.db import transaction
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from merdeka.core.commandline import no_shop
from merdeka.core.models import Shop
from merdeka.privacy import services, sitekeys
from merdeka.privacy.tasks import rotate_shop_keys


class Command(BaseCommand):
    help = (
        "Encryption keys: `keys status`, `keys rotate` (resumable: run it again after a "
        "stop). Without --shop, rotate also moves the site's key for sign-in secrets."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        for name in ("status", "rotate"):
            cmd = sub.add_parser(name)
            cmd.add_argument("--shop", help="shop slug (default: every shop)")
            if name == "rotate":
                cmd.add_argument(
                    "--background",
                    action="store_true",
                    help="hand the rotation to the task worker instead of running it here",
                )

    def handle(self, *args, action, shop=None, background=False, **options):
        shops = Shop.objects.order_by("slug")
        if shop:
            shops = shops.filter(slug=shop)
            if not shops.exists():
                raise no_shop(shop)
        for item in shops:
            if action == "status":
                status = services.keys_status(shop=item)
                self.stdout.write(
                    f"{item.slug}: key v{status['active_version']}, "
                    f"{status['rows_on_old_keys']} rows on older keys"
                )
            elif background:
                transaction.on_commit(partial(rotate_shop_keys.enqueue, shop_id=item.pk))
                self.stdout.write(f"{item.slug}: rotation queued for the task worker")
            else:
                self._rotate(item)
        if shop:
            return
        if action == "status":
            status = sitekeys.site_keys_status()
            self.stdout.write(
                f"site (authenticator secrets): key v{status['active_version'] or '-'}, "
                f"{status['rows_on_old_keys']} rows on older keys"
            )
        else:  # the worker's rotation covers shops only: the site's is small, done here
            report = services.site_keys_rotate()
            self.stdout.write(
                f"site (authenticator secrets): now on key v{report.version}; "
                f"{report.rows_resealed} secrets sealed again"
                + (" (resumed an interrupted rotation)" if report.resumed else "")
                + (
                    f"; destroyed old key v{', v'.join(map(str, report.retired_versions))}"
                    if report.retired_versions
                    else ""
                )
            )

    def _rotate(self, shop):
        with Progress(
            TextColumn(f"[bold]{shop.slug}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=None,
            transient=True,
            disable=not self.stdout.isatty(),
        ) as progress:
            bar = progress.add_task("rotate", total=None)
            report = services.keys_rotate(shop=shop, progress=lambda n: progress.advance(bar, n))
        self.stdout.write(
            f"{shop.slug}: now on key v{report.version}; "
            f"{report.rows_reencrypted} rows re-encrypted"
            + (" (resumed an interrupted rotation)" if report.resumed else "")
            + (
                f"; destroyed old key v{', v'.join(map(str, report.retired_versions))}"
                if report.retired_versions
                else ""
            )
        )

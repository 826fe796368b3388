from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from merdeka.core.models import Shop
from merdeka.imports.exporting import export_shop


class Command(BaseCommand):
    help = "Export a shop's customers and orders (JSON Lines, formula-safe CSV and XLSX)."

    def add_arguments(self, parser):
        parser.add_argument("--shop", required=True)
        parser.add_argument("--out", required=True, type=Path)

    def handle(self, *args, shop, out, **options):
        target = Shop.objects.filter(slug=shop).first()
        if target is None:
            raise CommandError(f"No shop with the short name {shop!r}.")
        report = export_shop(shop=target, out=out)
        self.stdout.write(
            self.style.SUCCESS(
                f"Exported {report.customers} customers and {report.orders} orders to {out}"
            )
        )
        self.stdout.write(
            "These files hold personal data in plaintext: keep them safe, delete them when done."
        )

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from rich.progress import Progress

from merdeka.core.commandline import shop_named
from merdeka.imports.exporting import export_shop


class Command(BaseCommand):
    help = "Export a whole shop (JSON Lines with the photos; formula-safe CSV and XLSX)."

    def add_arguments(self, parser):
        parser.add_argument("--shop", required=True)
        parser.add_argument("--out", required=True, type=Path)

    def handle(self, *args, shop, out, **options):
        target = shop_named(shop)
        # the parts by the names the web's export page gives them, in the active language
        labels = {
            "customers": _("customers"),
            "orders": _("orders"),
            "journal": _("the books"),
            "catalog": _("products, stock and photos"),
            "shop": _("online shop, pre-orders, group buys, cards and campaigns"),
            "csv": _("spreadsheets (CSV and XLSX)"),
        }
        # a bar per part as it is written, on a terminal; nothing in a pipe or a log
        with Progress(disable=not self.stdout.isatty()) as bar:
            tasks: dict[str, int] = {}

            def progress(what: str, step: int, total: int) -> None:
                if what not in tasks:
                    tasks[what] = bar.add_task(labels.get(what, what), total=total or None)
                bar.advance(tasks[what], step)

            report = export_shop(shop=target, out=out, progress=progress)
        self.stdout.write(
            self.style.SUCCESS(
                _("Exported %(customers)s customers and %(orders)s orders to %(out)s")
                % {"customers": report.customers, "orders": report.orders, "out": out}
            )
        )
        if options["verbosity"] >= 2:
            for part, seconds in report.timings.items():
                self.stdout.write(f"  {part}: {seconds:.1f} s (CPU {report.cpu[part]:.1f} s)")
        self.stdout.write(
            _("These files hold personal data in plaintext: keep them safe, delete them when done.")
        )

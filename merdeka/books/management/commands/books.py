"""``merdeka books report|backfill``: the books for scripts and accountants."""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from merdeka.books import documents, selectors
from merdeka.books.backfill import backfill
from merdeka.books.pdf import report_pdf
from merdeka.books.xlsx import report_xlsx
from merdeka.core.models import Shop
from merdeka.orders.models import Order


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {text}") from None


class Command(BaseCommand):
    help = "The books: report for a period, or post every existing order once (backfill)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        report = sub.add_parser("report", help="trial balance, profit and loss, balance sheet")
        report.add_argument("--shop", required=True)
        report.add_argument("--from", dest="date_from", required=True, type=_day)
        report.add_argument("--to", dest="date_to", required=True, type=_day)
        report.add_argument("--json", action="store_true")
        report.add_argument(
            "--report",
            choices=list(documents.BUILDERS),
            default="laba-rugi",
            help="which report --pdf and --xlsx write (default: laba-rugi)",
        )
        report.add_argument("--pdf", metavar="FILE", help="write the report as PDF")
        report.add_argument("--xlsx", metavar="FILE", help="write the report as a spreadsheet")
        fill = sub.add_parser("backfill", help="post every existing order once (idempotent)")
        fill.add_argument("--shop", help="one shop (default: every shop)")

    def handle(self, *args, **options):
        if options["action"] == "report":
            return self._report(options)
        return self._backfill(options)

    def _shops(self, slug):
        shops = Shop.objects.filter(slug=slug) if slug else Shop.objects.order_by("pk")
        if slug and not shops.exists():
            raise CommandError(f"no shop {slug!r}")
        return list(shops)

    def _report(self, options):
        [shop] = self._shops(options["shop"])
        if options["date_to"] < options["date_from"]:
            raise CommandError("--to is before --from")
        figures = selectors.report(
            shop=shop, date_from=options["date_from"], date_to=options["date_to"]
        )
        if options.get("pdf") or options.get("xlsx"):
            self._files(shop, options)
        if options["json"]:
            self.stdout.write(json.dumps(figures))
            return
        for part, values in figures.items():
            self.stdout.write(part)
            for name, value in values.items():
                self.stdout.write(f"  {name}: {value}")

    def _files(self, shop, options):
        """The report a seller downloads, in the shop's language, into files."""
        _title, build = documents.BUILDERS[options["report"]]
        with translation.override("id"):
            report = build(shop=shop, start=options["date_from"], end=options["date_to"])
            if options.get("pdf"):
                with open(options["pdf"], "wb") as handle:
                    handle.write(report_pdf(report, shop=shop))
            if options.get("xlsx"):
                report_xlsx(report, options["xlsx"], shop=shop)

    def _backfill(self, options):
        from rich.progress import Progress

        for shop in self._shops(options.get("shop")):
            total = Order.unscoped.filter(shop=shop).count()
            with Progress(disable=not self.stdout.isatty()) as bar:
                task = bar.add_task(f"{shop.slug}", total=total)
                written = backfill(shop=shop, progress=lambda n, t=task: bar.advance(t, n))
            self.stdout.write(f"{shop.slug}: {total} orders, {written} entries posted")

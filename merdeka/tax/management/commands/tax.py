"""``merdeka tax recap|rules|holidays``: PPh Final UMKM for scripts, and the rule data.

* ``recap --shop SLUG --year YYYY [--json]``: each month's ``month``, ``turnover``,
  ``tax`` and ``due`` (integer rupiah, ISO dates).
* ``rules list`` / ``rules set --form F --from DATE (--years N | --no-limit)``: the years
  each legal form may use the final rate, as dated rows.
* ``holidays list [--year Y]`` / ``holidays add DATE NAME [--cuti-bersama]`` /
  ``holidays load FILE``: the days the tax office is closed.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from merdeka.core.commandline import shop_named
from merdeka.tax import rules
from merdeka.tax.models import FinalRateLimit, Holiday, LegalForm
from merdeka.tax.services import tax_year


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {text}") from None


class Command(BaseCommand):
    help = "PPh Final UMKM: a year's recap per month, and the dated rule data."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        recap = sub.add_parser("recap", help="each month's turnover, tax and due date")
        recap.add_argument("--shop", required=True)
        recap.add_argument("--year", required=True, type=int)
        recap.add_argument("--json", action="store_true")
        rule = sub.add_parser("rules", help="years each legal form may use the final rate")
        rule_sub = rule.add_subparsers(dest="rule_action", required=True)
        rule_sub.add_parser("list")
        rset = rule_sub.add_parser("set")
        rset.add_argument("--form", required=True, choices=LegalForm.values)
        rset.add_argument("--from", dest="effective_from", required=True, type=_day)
        group = rset.add_mutually_exclusive_group(required=True)
        group.add_argument("--years", type=int)
        group.add_argument("--no-limit", action="store_true")
        rset.add_argument("--counted-from-year", type=int, default=2018)
        rset.add_argument("--source", default="")
        hol = sub.add_parser("holidays", help="national holidays and cuti bersama")
        hol_sub = hol.add_subparsers(dest="holiday_action", required=True)
        hlist = hol_sub.add_parser("list")
        hlist.add_argument("--year", type=int)
        hadd = hol_sub.add_parser("add")
        hadd.add_argument("date", type=_day)
        hadd.add_argument("name")
        hadd.add_argument("--cuti-bersama", action="store_true")
        hload = hol_sub.add_parser("load")
        hload.add_argument("file", type=Path)

    def handle(self, *args, **options):
        action = options["action"]
        if action == "recap":
            return self._recap(options)
        if action == "rules":
            return self._rules(options)
        return self._holidays(options)

    def _recap(self, options):
        shop = shop_named(options["shop"])
        year = tax_year(shop=shop, year=options["year"])
        rows = [
            {
                "month": m.month.strftime("%Y-%m"),
                "turnover": m.turnover,
                "tax": m.tax,
                "due": m.due.isoformat(),
                "paid": m.paid,
                "year_to_date": m.year_to_date,
            }
            for m in year.months
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows))
            return
        self.stdout.write(
            f"{shop.slug} {year.year} ({year.legal_form}; final rate: "
            f"{'yes' if year.final_rate else 'no'}; shops under the NPWP: {year.shops})"
        )
        for row in rows:
            self.stdout.write(
                f"  {row['month']}  turnover {row['turnover']:>15,}  tax {row['tax']:>12,}"
                f"  due {row['due']}  paid {row['paid']:>12,}"
            )

    def _rules(self, options):
        if options["rule_action"] == "set":
            years = None if options["no_limit"] else options["years"]
            try:
                rules.limit_set(
                    legal_form=options["form"],
                    effective_from=options["effective_from"],
                    years=years,
                    counted_from_year=options["counted_from_year"],
                    source=options["source"],
                )
            except ValueError as exc:
                raise CommandError(str(exc)) from None
        for row in FinalRateLimit.objects.order_by("legal_form", "effective_from"):
            years = row.years if row.years is not None else "no limit"
            self.stdout.write(
                f"{row.legal_form:14} from {row.effective_from}  years {years}"
                f"  counted from {row.counted_from_year}  {row.source}"
            )

    def _holidays(self, options):
        what = options["holiday_action"]
        if what == "add":
            rules.holiday_add(
                day=options["date"], name=options["name"], collective_leave=options["cuti_bersama"]
            )
        elif what == "load":
            try:
                count = rules.holidays_load(options["file"])
            except (OSError, ValueError, KeyError) as exc:
                raise CommandError(f"cannot load {options['file']}: {exc}") from None
            self.stdout.write(f"{count} days loaded")
            return
        rows = Holiday.objects.all()
        if options.get("year"):
            rows = rows.filter(date__year=options["year"])
        for row in rows:
            leave = " (cuti bersama)" if row.is_collective_leave else ""
            self.stdout.write(f"{row.date}  {row.name}{leave}")

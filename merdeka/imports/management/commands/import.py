from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from merdeka.core.commandline import shop_named
from merdeka.imports import pipeline
from merdeka.imports.deferred import deferred_finish
from merdeka.imports.models import ImportFile
from merdeka.imports.selectors import file_brought_something, run_brought_nothing


class Command(BaseCommand):
    help = "Import marketplace exports, WhatsApp chats, contacts or a Merdeka export into a shop."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path)
        parser.add_argument("--shop", required=True, help="shop short name (slug)")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args, paths, shop, json=False, **options):
        target = shop_named(shop)
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise CommandError(_("Not found: %(paths)s") % {"paths": ", ".join(missing)})
        run = pipeline.run_create(shop=target)
        reports = []
        console = Console(file=self.stderr._out, stderr=True)
        # Working on the run: it records this process and its heartbeat, and if the import
        # stops (an error, Ctrl+C) the run is failed at once instead of left running.
        with (
            pipeline.run_working(run),
            Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=console,
                transient=True,
                disable=json or not console.is_terminal,
            ) as progress,
        ):
            tasks = []

            def started(path):
                if tasks:
                    progress.remove_task(tasks.pop())
                tasks.append(progress.add_task(f"{path.name}", total=None))

            reports = pipeline.import_paths(shop=target, run=run, paths=paths, on_start=started)
            pipeline.run_finish(run)
            # the import is usable; its deferred steps (the books, the search) are done
            # here before the command returns, so it leaves the shop complete
            if tasks:
                progress.remove_task(tasks.pop())
            tasks.append(progress.add_task("", total=None))

            def left(count):
                progress.update(
                    tasks[0],
                    description=_("completing the books and the search: %(count)s left")
                    % {"count": count},
                )

            deferred_finish(shop=target, progress=left if progress.live.is_started else None)
        nothing_new = run_brought_nothing(
            states_and_reports=[(r.state, asdict(r)) for r in reports],
            review_waiting=run.review_waiting,
        )
        if json:
            self.stdout.write(
                _dumps(
                    {
                        "run": run.pk,
                        "review_waiting": run.review_waiting,
                        "nothing_new": nothing_new,
                        "files": [asdict(r) for r in reports],
                    }
                )
            )
        else:  # for people: in the active language (Bahasa Indonesia unless told otherwise)
            for report in reports:
                self._print(report)
            if nothing_new:
                self.stdout.write(
                    self.style.SUCCESS(
                        _(
                            "Nothing new: these files were imported before, "
                            "so nothing was added or changed."
                        )
                    )
                )
            elif run.review_waiting:
                self.stdout.write(
                    ngettext(
                        "%(counter)s possible duplicate found in this import waits for "
                        "your review.",
                        "%(counter)s possible duplicates found in this import wait for "
                        "your review.",
                        run.review_waiting,
                    )
                    % {"counter": run.review_waiting}
                )
        if any(r.state == "rejected" for r in reports):
            raise SystemExit(1)

    def _print(self, report):
        style = {"imported": self.style.SUCCESS, "rejected": self.style.ERROR}.get(
            report.state, self.style.WARNING
        )
        state = (
            ImportFile.State(report.state).label
            if report.state in ImportFile.State.values
            else report.state
        )
        self.stdout.write(style(f"{report.name}: {state} ({report.source or '?'})"))
        counts = _(
            "rows read %(rows)s; orders new %(orders_new)s, updated %(orders_updated)s; "
            "customers new %(customers_new)s, merged %(customers_merged)s"
        ) % {
            "rows": report.rows_read,
            "orders_new": report.orders_new,
            "orders_updated": report.orders_updated,
            "customers_new": report.customers_new,
            "customers_merged": report.customers_merged,
        }
        self.stdout.write(f"  {counts}")
        if report.settlements_new or report.settlements_known:
            settlements = _("report rows new %(new)s, already in the books %(known)s") % {
                "new": report.settlements_new,
                "known": report.settlements_known,
            }
            self.stdout.write(f"  {settlements}")
        if report.state == "imported" and not file_brought_something(asdict(report)):
            nothing = _(
                "Nothing new in this file: every order and customer in it was already here."
            )
            self.stdout.write(f"  {nothing}")
        if report.mapping.get("id"):
            mapped = _("columns read with the saved column mapping (%(kind)s, %(channel)s)") % {
                "kind": report.mapping["kind"],
                "channel": report.mapping["channel"],
            }
            self.stdout.write(f"  {mapped}")
        for problem in report.problems:
            where = ", ".join(
                part
                for part in (
                    _("row %(row)s") % {"row": problem["row"]} if problem.get("row") else "",
                    _("column %(column)s") % {"column": problem["column"]}
                    if problem.get("column")
                    else "",
                )
                if part
            )
            self.stdout.write(f"  - {where + ': ' if where else ''}{problem['message']}")


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)

"""``merdeka pack make|verify|chain``: a lender's evidence pack from the command line.

* ``merdeka pack make --shop SLUG --out DIR [--months N]`` writes the signed pack into
  DIR: its zip, and its files unpacked in a folder beside it;
* ``merdeka pack verify PATH`` (a zip or such a folder) exits 0 only when the pack is
  intact, and says why not otherwise;
* ``merdeka pack chain --shop SLUG`` re-hashes the shop's whole journal and says whether
  its hash chain holds (an audit: it reads every line).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from merdeka.books.chain import chain_check
from merdeka.books.pack import MAX_MONTHS, pack_make, pack_write
from merdeka.books.pack_verify import verify_path
from merdeka.core.commandline import shop_named
from merdeka.core.models import Shop


class Command(BaseCommand):
    help = "A lender's evidence pack: make it, verify it, check the journal's hash chain."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        make = sub.add_parser("make", help="write a signed pack of the last months")
        make.add_argument("--shop", required=True)
        make.add_argument("--out", required=True, type=Path)
        make.add_argument("--months", type=int, default=12)
        verify = sub.add_parser("verify", help="is a pack intact? (exit 0 only when it is)")
        verify.add_argument("path", type=Path)
        check = sub.add_parser("chain", help="re-hash the journal and check its chain")
        check.add_argument("--shop", required=True)

    def _shop(self, slug: str) -> Shop:
        return shop_named(slug)

    def handle(self, *args, **options):
        getattr(self, f"_{options['action']}")(options)

    def _make(self, options):
        if not 1 <= options["months"] <= MAX_MONTHS:
            raise CommandError(f"--months is 1 to {MAX_MONTHS}")
        made = pack_make(shop=self._shop(options["shop"]), months=options["months"])
        archive, folder = pack_write(made, options["out"])
        period = made.manifest["period"]
        self.stdout.write(f"{period['start']} - {period['end']}: {archive}")
        self.stdout.write(f"  files in {folder}")
        self.stdout.write(f"  chain head {made.manifest['chain']['head']}")

    def _verify(self, options):
        verdict = verify_path(options["path"])
        if not verdict.ok:
            raise CommandError(f"NOT INTACT: {verdict.reason}")
        self.stdout.write(
            f"INTACT: {verdict.shop_name} ({verdict.shop_slug}), "
            f"{verdict.start} - {verdict.end}, {verdict.files} files, chain head {verdict.head}"
        )

    def _chain(self, options):
        result = chain_check(shop=self._shop(options["shop"]))
        if not result.ok:
            raise CommandError(f"chain broken after {result.entries} entries: {result.problem}")
        self.stdout.write(f"chain holds: {result.entries} entries, head {result.head}")

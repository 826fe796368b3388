"""``merdeka receipt read PHOTO... [--json]``: what the reader sees in photos; books nothing."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from merdeka.receipts.reader import Reading, UnreadableImage, receipt_read


def describe(reading: Reading) -> dict:
    return {
        "store": reading.store,
        "date": reading.date.isoformat() if reading.date else None,
        "time": reading.time.strftime("%H:%M") if reading.time else None,
        "items": [
            {
                "name": item.name,
                "qty": str(item.qty),
                "unit_price": item.unit_price,
                "total": item.total,
                "confidence": item.confidence,
            }
            for item in reading.items
        ],
        "discount": reading.discount,
        "tax": reading.tax,
        "total": reading.total,
        "payment": reading.payment,
        "needs_review": reading.needs_review,
        "reasons": [str(reason) for reason in reading.reasons],
        "width": reading.width,
        "height": reading.height,
    }


class Command(BaseCommand):
    help = "Receipt photos: read them (store, date, items, total) without booking anything."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        read = sub.add_parser("read", help="print what each photo says, in order")
        read.add_argument("photos", nargs="+", metavar="PHOTO")
        read.add_argument("--json", action="store_true", help="one JSON list, one object a photo")

    def handle(self, *args, **options):
        translation.activate("id")
        results = []
        for name in options["photos"]:
            path = Path(name)
            try:
                data = path.read_bytes()
            except OSError as error:
                results.append({"file": name, "error": f"cannot read {name}: {error.strerror}"})
                continue
            try:
                results.append({"file": name, **describe(receipt_read(data))})
            except UnreadableImage as error:
                results.append({"file": name, "error": str(error)})
        if options["json"]:
            self.stdout.write(json.dumps(results, ensure_ascii=False, indent=1))
        else:
            for result in results:
                self._print(result)
        if any("error" in result for result in results):
            raise CommandError(f"{sum('error' in r for r in results)} photo(s) could not be read")

    def _print(self, result: dict) -> None:
        self.stdout.write(result["file"])
        if "error" in result:
            self.stdout.write(f"  {result['error']}")
            return
        self.stdout.write(f"  store: {result['store']}")
        self.stdout.write(f"  date: {result['date'] or '-'} {result['time'] or ''}".rstrip())
        for item in result["items"]:
            self.stdout.write(
                f"  {item['qty']} x {item['name']} @ {item['unit_price']} = {item['total']}"
            )
        if result["discount"]:
            self.stdout.write(f"  discount: {result['discount']}")
        if result["tax"]:
            self.stdout.write(f"  tax: {result['tax']}")
        self.stdout.write(f"  total: {result['total']}  payment: {result['payment'] or '-'}")
        review = "; ".join(result["reasons"]) if result["needs_review"] else "no"
        self.stdout.write(f"  needs_review: {review}")

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from merdeka.core.commandline import shop_named
from merdeka.core.scoping import shop_scope
from merdeka.imports import mapping, sources
from merdeka.imports.records import RejectedFile


def _problem(problem) -> dict:
    return {
        "row": problem.row,
        "column": problem.column,
        "severity": str(problem.severity),
        "message": str(problem.message),
        "code": getattr(problem, "code", None),
    }


def describe(parsed: sources.Parsed) -> dict:
    data = {
        "source": parsed.source,
        "channel": parsed.channel,
        "rows_read": parsed.rows_read,
        "problems": [_problem(p) for p in parsed.problems],
    }
    preview = parsed.preview
    if parsed.source == "whatsapp":
        data["locale"] = {
            key: preview[key] for key in ("platform", "language", "day_first", "clock")
        }
        data["messages"] = [
            {
                "line": m.line,
                "time": m.sent_at.isoformat(),
                "author": m.author,
                "kind": str(m.kind),
                "text": m.text,
            }
            for m in preview["message_list"]
        ]
        data["participants"] = [
            {
                "name": p.name,
                "phone": p.phone,
                "first": p.first_at.isoformat() if p.first_at else None,
                "last": p.last_at.isoformat() if p.last_at else None,
                "messages": p.messages,
            }
            for p in preview["participants"]
        ]
    elif "orders" in preview and isinstance(preview["orders"], list):
        data["sheet"] = preview.get("sheet")
        data["header_row"] = preview.get("header_row")
        data["orders"] = [
            {
                "id": o.external_id,
                "rows": o.rows,
                "status": o.status,
                "status_raw": o.status_raw,
                "ordered_at": o.ordered_at.isoformat(),
                "total": str(o.total) if o.total is not None else None,
                "buyer": {
                    "username": o.buyer.username,
                    "name": o.buyer.name,
                    "phone": o.buyer.phone,
                    "masked": list(o.buyer.masked_fields),
                },
                "city": o.address.city,
                "province": o.address.province,
                "lines": [
                    {
                        "name": line.name,
                        "variant": line.variant,
                        "quantity": line.quantity,
                        "unit_price": str(line.unit_price),
                    }
                    for line in o.lines
                ],
            }
            for o in preview["orders"]
        ]
    elif "settlements" in preview:  # an income, settlement or withdrawal report
        data["sheet"] = preview.get("sheet")
        data["settlements"] = [
            {**vars(row), "kind": str(row.kind), "date": row.date.isoformat()}
            for row in preview["settlements"]
        ]
    elif "contacts" in preview:
        data["contacts"] = [
            {"line": c.line, "name": c.name, "phones": c.phones, "emails": c.emails}
            for c in preview["contacts"]
        ]
    else:
        data["summary"] = {k: v for k, v in preview.items() if isinstance(v, int | str)}
    if "mapping" in preview:
        data["mapping"] = preview["mapping"]
    return data


class Command(BaseCommand):
    help = "Show what Merdeka sees in a file, without writing anything."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--json", action="store_true")
        parser.add_argument(
            "--shop",
            help="shop short name (slug): read a spreadsheet no importer knows with the "
            "column mapping this shop saved for its columns",
        )

    def handle(self, *args, path, json=False, shop=None, **options):
        if not path.exists():
            raise CommandError(f"Not found: {path}")
        target = None
        if shop:
            target = shop_named(shop)
        try:
            parsed = self._parse(path, target)
        except RejectedFile as exc:
            data = {"source": None, "rejected": True, "problems": [_problem(exc.problem)]}
        else:
            data = describe(parsed)
        if json:
            self.stdout.write(_dumps(data))
            return
        self._print(data)

    @staticmethod
    def _parse(path: Path, shop) -> sources.Parsed:
        """What the importer would read. Without a shop a spreadsheet no importer knows is
        refused (it says to map it first); with one, the shop's saved mapping reads it —
        the same rule ``merdeka import`` follows. Nothing is written either way."""
        if shop is None:
            return sources.parse_file(path, path.name, detail=True)
        with shop_scope(shop):
            return mapping.parse_file(
                shop=shop,
                path=path,
                name=path.name,
                can_wait=False,
                parse=lambda p, n: sources.parse_file(p, n, detail=True),
            )

    def _print(self, data):
        if data.get("rejected"):
            self.stdout.write(self.style.ERROR("Rejected: " + data["problems"][0]["message"]))
            return
        self.stdout.write(self.style.SUCCESS(f"Source: {data['source']} ({data['channel']})"))
        if "mapping" in data:
            saved = data["mapping"]
            self.stdout.write(
                f"Read with the saved column mapping ({saved['kind']}, {saved['channel']})"
            )
        if "locale" in data:
            self.stdout.write(f"Locale: {data['locale']}")
            for m in data["messages"]:
                self.stdout.write(
                    f"{m['line']:>6} {m['time']} [{m['kind']}] {m['author'] or '-'}: {m['text']}"
                )
        for order in data.get("orders", []):
            self.stdout.write(
                f"rows {order['rows']}: {order['id']} {order['status']} {order['ordered_at']} "
                f"total {order['total']}"
            )
            for line in order["lines"]:
                self.stdout.write(
                    f"    {line['quantity']} x {line['name']} {line['variant']} "
                    f"@ {line['unit_price']}"
                )
        for problem in data["problems"]:
            self.stdout.write(
                f"problem (row/line {problem['row']}, {problem['column'] or '-'}): "
                f"{problem['message']}"
            )


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)

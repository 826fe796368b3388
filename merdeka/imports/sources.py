"""The families of files Merdeka reads, behind one interface.

``parse_file(path, name)`` detects the source from the file's name and content,
parses it completely and returns a ``Parsed`` that knows how to write itself.
Each source's parser is its own module (``marketplaces``, ``whatsapp``, ``contacts``,
``own_export``); this module only chooses between them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from merdeka.imports import own_export, writer
from merdeka.imports.records import Problem, RejectedFile

HEAD_BYTES = 64 * 1024


@dataclass
class Parsed:
    source: str  # e.g. "shopee", "whatsapp", "vcard", "merdeka-export"
    channel: str  # what identities and orders are attributed to
    rows_read: int
    problems: list[Problem]
    writer: Callable = field(repr=False)
    preview: dict = field(default_factory=dict, repr=False)  # for `merdeka inspect`

    def write(self, *, shop, resolver, import_file=None) -> writer.Counts:
        return self.writer(shop=shop, resolver=resolver, import_file=import_file)


def _own_export(path: Path) -> Parsed:
    customers, orders = own_export.read_export(path)

    def write(*, shop, resolver, import_file=None):
        return own_export.write_export(
            shop=shop, customers=customers, orders=orders, import_file=import_file
        )

    return Parsed(
        source="merdeka-export",
        channel="merdeka",
        rows_read=len(customers) + len(orders),
        problems=[],
        writer=write,
        preview={"customers": len(customers), "orders": len(orders)},
    )


PARSERS: list[tuple[str, Callable[[Path, str, bytes], float], Callable[[Path, str], Parsed]]] = []


def register(name: str, detect, parse) -> None:
    PARSERS.append((name, detect, parse))


register(
    "merdeka-export",
    lambda path, name, head: 1.0 if own_export.detect(path) else 0.0,
    lambda path, name: _own_export(path),
)


def parse_file(path: Path, name: str) -> Parsed:
    path = Path(path)
    if path.is_file() and path.stat().st_size == 0:
        raise RejectedFile(_("The file is empty."))
    head = b""
    if path.is_file():
        with open(path, "rb") as handle:
            head = handle.read(HEAD_BYTES)
    scored = sorted(
        ((detect(path, name, head), source, parse) for source, detect, parse in PARSERS),
        key=lambda item: item[0],
        reverse=True,
    )
    if not scored or scored[0][0] < 0.5:
        raise RejectedFile(
            _(
                "Merdeka does not recognise this file. It reads Shopee, TikTok Shop, Tokopedia "
                "and Lazada order exports, WhatsApp chat exports, contacts (.vcf, Google CSV) "
                "and its own exports."
            )
        )
    return scored[0][2](path, name)

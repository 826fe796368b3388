"""The families of files Merdeka reads, behind one interface.

``parse_file(path, name)`` detects the source from the file's name and content,
parses it completely and returns a ``Parsed`` that knows how to write itself.
Each source's parser is its own module (``marketplaces``, ``whatsapp``, ``contacts``,
``own_export``); this module only chooses between them.
"""

from __future__ import annotations

import logging
import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from merdeka.books.settlements import settlements_record
from merdeka.core import bulk
from merdeka.core.phone import normalize_name
from merdeka.customers.stats import customer_stats_refresh
from merdeka.imports import own_export, writer
from merdeka.imports.formats import (
    columnar,
    columnar_xlsx,
    contacts,
    marketplaces,
    orders,
    settlements,
    whatsapp,
)
from merdeka.imports.records import Problem, RejectedFile
from merdeka.imports.selectors import orders_by_external_id
from merdeka.orders.models import Order

HEAD_BYTES = 64 * 1024

log = logging.getLogger(__name__)


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


# Writers are module-level functions bound with ``partial`` (not closures) so that a
# Parsed can be pickled: the next file of a run is parsed in a worker process while
# this one is written (pipeline.import_paths).


def _write_own_export(
    *,
    shop,
    resolver,
    import_file=None,
    customers,
    orders,
    books=None,
    journal=(),
    segments=(),
    purchasing=None,
    path=None,
):
    return own_export.write_export(
        shop=shop,
        customers=customers,
        orders=orders,
        import_file=import_file,
        books=books,
        journal=journal,
        segments=segments,
        purchasing=purchasing,
        path=path,
    )


def _write_chat(*, shop, resolver, import_file=None, participants, file_name):
    people = chat_customers(participants, file_name=file_name, shop_name=shop.name)
    return writer.write_participants(participants=people, resolver=resolver)


def _write_orders(*, shop, resolver, import_file=None, orders, path=None, name=""):
    """``orders``: the parsed ``records.Order`` list, or the file prepared ahead
    (``writer.prepare_orders``, in the read-ahead worker: ``prepare``), then with the
    file's ``path`` and ``name``: when the shop's data key was rotated since, the
    orders were sealed under the old one and are read and prepared again here."""
    batch = writer.orders_prepared(shop_id=shop.pk, orders=orders)
    if not batch.current(shop.pk) and path is not None:
        log.info("the data key changed since %s was read ahead: it is read again", name)
        again = parse_file(Path(path), name).writer.keywords["orders"]
        batch = writer.prepare_orders(shop_id=shop.pk, orders=again)
    orders_relabel(shop=shop, orders=batch)
    return writer.write_orders(shop=shop, orders=batch, resolver=resolver, import_file=import_file)


SIBLING_CHANNELS = {"tiktok": "tokopedia", "tokopedia": "tiktok"}


def orders_relabel(*, shop, orders) -> int:
    """Give known orders the channel this export says they came through.

    Before each order of a TikTok Shop export carried its own channel, one row with a
    Tokopedia invoice number made the whole file Tokopedia. An order is found by its
    channel and number, so the next export would have added those TikTok Shop orders
    a second time: they are moved to the channel the export now gives them (unless
    that channel already holds the number), and their buyers' figures follow. Returns
    how many orders moved. ``orders``: the file's ``writer.PreparedOrders``. Call
    inside the file's transaction."""
    wanted: dict[str, list[str]] = {}
    for channel, external_id in orders.order_keys():
        if channel in SIBLING_CHANNELS:
            wanted.setdefault(channel, []).append(external_id)
    moved, buyers = 0, set()
    for channel, ids in wanted.items():
        # Raw lookups: an export of tens of thousands of orders made the ORM build two
        # IN lists per chunk, most of them for orders that are not in the sibling channel.
        stray = {
            external_id: (pk, customer_id)
            for external_id, pk, customer_id in orders_by_external_id(
                shop=shop,
                channel=SIBLING_CHANNELS[channel],
                external_ids=list(dict.fromkeys(ids)),
                fields=("customer",),
            )
        }
        if not stray:
            continue
        taken = {
            external_id
            for external_id, _pk in orders_by_external_id(
                shop=shop, channel=channel, external_ids=list(stray), fields=()
            )
        }
        move = [(pk, c) for external_id, (pk, c) in stray.items() if external_id not in taken]
        buyers.update(c for _pk, c in move if c is not None)
        for part in bulk.chunks([pk for pk, _c in move]):
            moved += Order.objects.filter(shop=shop, pk__in=part).update(channel=channel)
    if buyers:
        customer_stats_refresh(shop=shop, customer_ids=buyers)
    return moved


def prepare(parsed: Parsed, *, shop_id: int, path=None, name: str = "") -> None:
    """Work ahead for the writer what needs no database state (read-ahead worker): a
    marketplace export's orders become the rows the writer writes
    (``writer.prepare_orders``), and what is sent to the writer holds those rows, not
    the parsed orders (the preview's too: ``merdeka inspect`` parses for itself).
    ``path`` and ``name`` of the file let the writer read it again if the data key is
    rotated before the rows are written."""
    func = getattr(parsed.writer, "func", None)
    if func is not _write_orders:
        return
    keywords = parsed.writer.keywords
    batch = writer.orders_prepared(shop_id=shop_id, orders=keywords["orders"])
    parsed.writer = partial(
        _write_orders, orders=batch, path=None if path is None else str(path), name=name
    )
    parsed.preview.pop("orders", None)


def _write_contacts(*, shop, resolver, import_file=None, contacts):
    return writer.write_contacts(contacts=contacts, resolver=resolver)


def _own_export(path: Path, detail: bool = False) -> Parsed:
    customers, orders = own_export.read_export(path)
    books, journal = own_export.read_books(path)
    segments = own_export.read_segments(path)
    return Parsed(
        source="merdeka-export",
        channel="merdeka",
        rows_read=len(customers) + len(orders),
        problems=[],
        writer=partial(
            _write_own_export,
            customers=customers,
            orders=orders,
            books=books,
            journal=journal,
            segments=segments,
            purchasing=own_export.read_purchasing(path),
            path=str(path),  # the rest is read as it is written (imports.parts)
        ),
        preview={"customers": len(customers), "orders": len(orders)},
    )


CHAT_PARTNER = re.compile(
    r"^(?:WhatsApp Chat with|Chat WhatsApp dengan|WhatsApp Chat -)\s+(.+?)(?:\.txt|\.zip)?$",
    re.IGNORECASE,
)


def chat_customers(participants, *, file_name: str, shop_name: str):
    """The chat's customers: in a one-to-one chat the partner named in the file name, in a
    group everyone but the shop itself."""
    people = list(participants)
    partner = CHAT_PARTNER.match(Path(file_name).name)
    if partner:
        wanted = normalize_name(partner.group(1))
        named = [p for p in people if normalize_name(p.name) == wanted]
        if named and len(people) <= 2:
            return named
    shop = normalize_name(shop_name)
    return [p for p in people if normalize_name(p.name) != shop]


def _whatsapp(path: Path, name: str, detail: bool = False) -> Parsed:
    chat = whatsapp.parse_chat(whatsapp.open_chat(path), keep_messages=detail)
    return Parsed(
        source="whatsapp",
        channel="whatsapp",
        rows_read=chat.lines,
        problems=chat.problems,
        writer=partial(_write_chat, participants=chat.participant_list(), file_name=name),
        preview={
            "platform": chat.platform,
            "language": chat.language,
            "day_first": chat.day_first,
            "clock": chat.clock,
            "messages": chat.count,
            "participants": chat.participant_list(),
            "message_list": chat.messages,
        },
    )


SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".tsv")


def _detect_marketplace(path: Path, name: str, head: bytes) -> float:
    if not name.lower().endswith(SPREADSHEET_SUFFIXES):
        return 0.0
    return 0.6  # decided for real when the header is read


class UnknownSpreadsheet(RejectedFile):
    """A readable spreadsheet whose columns fit no known export. A seller can map its
    columns once (imports/mapping.py); until then it is refused like any other file."""


def _columnar_xlsx(path: Path) -> Parsed | None:
    """An xlsx marketplace export through the columnar reader's xlsx stage: its header
    found from the sheet's first rows, the sheet parsed once. None when the row reader's
    way must decide (another kind of file, no marketplace's columns, a report's columns,
    a file the stage leaves)."""
    if not columnar_xlsx.is_xlsx(path):
        return None
    try:
        found = columnar_xlsx.parse_file(path, marketplaces.SPECS)
    except columnar.Unsupported:
        return None
    if found is None or settlements.detect(found[4]) is not None:
        return None
    spec, parsed, header_row, sheet, _header = found
    return _orders_parsed(spec, parsed, header_row, sheet)


def _marketplace(path: Path, name: str, detail: bool = False) -> Parsed:
    found = _columnar_xlsx(path)
    if found is not None:
        return found
    spec, table, columns, header_row, header = orders.open_and_detect(
        path, name, marketplaces.SPECS
    )
    # an income or settlement report shares a few columns with its order export
    # ("No. Pesanan", "Username (Pembeli)"): its own columns decide first
    if spec is None or (header and settlements.detect(header) is not None):
        found = _settlement(path, name)
        if found is not None:
            return found
    if spec is None:
        raise UnknownSpreadsheet(
            _(
                "This spreadsheet is not an order export Merdeka knows (Shopee, TikTok Shop, "
                "Tokopedia, Lazada): its columns do not match."
            )
        )
    parsed = _order_parse(path, spec, table, columns, header_row, header)
    return _orders_parsed(spec, parsed, header_row, table.sheet)


def _orders_parsed(spec, parsed, header_row: int, sheet) -> Parsed:
    """What a marketplace order export gives the pipeline, whichever reader read it;
    each order carries its own channel (a TikTok Shop export holds Tokopedia's too)."""
    return Parsed(
        source=spec.source,
        channel=spec.channel,
        rows_read=parsed.rows_read,
        problems=parsed.problems,
        writer=partial(_write_orders, orders=parsed.orders),
        preview={"orders": parsed.orders, "header_row": header_row, "sheet": sheet},
    )


def _order_parse(path: Path, spec, table, columns, header_row, header):
    """A marketplace export's orders: a CSV export through the columnar reader, unless
    it leaves the file to the row reader (which also says what is wrong with a file it
    refuses); any other through the row reader."""
    if table.kind == "csv":
        try:
            parsed = columnar.parse(spec, path, columns, header_row, header)
        except columnar.Unsupported:
            pass
        else:
            table.rows.close()
            return parsed
    return orders.parse(spec, table, columns, header_row, header)


def _write_settlements(*, shop, resolver, import_file=None, rows):
    new, known = settlements_record(shop=shop, rows=rows)
    return writer.Counts(settlements_new=new, settlements_known=known)


def _settlement(path: Path, name: str) -> Parsed | None:
    """A marketplace's income, settlement or withdrawal report, or None."""
    report, table, _header_row, header = settlements.open_report(path, name)
    if report is None:
        return None
    parsed = settlements.parse(report, table, header)
    return Parsed(
        source=report.source,
        channel=report.marketplace,
        rows_read=parsed.rows_read,
        problems=parsed.problems,
        writer=partial(_write_settlements, rows=parsed.rows),
        preview={"settlements": parsed.rows, "sheet": table.sheet},
    )


def _contacts(path: Path, name: str, detail: bool = False) -> Parsed:
    source, people, problems = contacts.parse(path, name)
    return Parsed(
        source=source,
        channel="contacts",
        rows_read=len(people),
        problems=problems,
        writer=partial(_write_contacts, contacts=people),
        preview={"contacts": people},
    )


PARSERS: list[tuple[str, Callable[[Path, str, bytes], float], Callable[[Path, str], Parsed]]] = []


def register(name: str, detect, parse) -> None:
    PARSERS.append((name, detect, parse))


register(
    "merdeka-export",
    lambda path, name, head: 1.0 if own_export.detect(path) else 0.0,
    lambda path, name, detail=False: _own_export(path, detail),
)


register("whatsapp", lambda path, name, head: whatsapp.detect(name, head), _whatsapp)
register("marketplace", _detect_marketplace, _marketplace)
register("contacts", lambda path, name, head: contacts.detect(name, head), _contacts)


def parse_file(path: Path, name: str, *, detail: bool = False) -> Parsed:
    """Detect and parse a file completely. ``detail`` keeps what `merdeka inspect` shows
    (every chat message) even where an import would not need it."""
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
    try:
        return scored[0][2](path, name, detail)
    except (zipfile.BadZipFile, zlib.error, EOFError):
        # a zip (an .xlsx, an export) whose own records disagree with what it holds
        raise RejectedFile(
            _(
                "The file is damaged or incomplete (cut off while it was copied or "
                "downloaded). Export it again and import the new file."
            )
        ) from None

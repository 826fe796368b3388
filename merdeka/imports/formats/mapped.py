"""Spreadsheets Merdeka does not know, read through a column mapping a seller made.

Blibli exports, old Bukalapak histories and a seller's own notes have no spec of
their own. Once a seller says which column holds what (a ``Mapping``), the file is
read by the same engine as marketplace exports (formats/orders.py): the mapping
becomes a ``Spec`` whose aliases are the chosen header cells, so money locales, dates,
masked values, problems by row and all-or-nothing behave exactly as for Shopee.

A mapping is remembered by the file's *header signature*: the SHA-256 of its
normalised column names (order does not matter), so the next file with the same
columns is read without asking again.

Pure functions: nothing here touches the database. Cell values are only ever read
from the file; ``Sheet.samples`` exist to be shown once and are never stored.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from merdeka.core.phone import is_masked, normalize_email, normalize_phone
from merdeka.imports import records
from merdeka.imports.formats import orders, tabular
from merdeka.imports.records import Problem, RejectedFile, Severity

ORDERS = "orders"
CONTACTS = "contacts"
KINDS = (ORDERS, CONTACTS)

ORDER_FIELDS: tuple[tuple[str, str], ...] = (
    ("order_id", gettext_lazy("Order number")),
    ("created_at", gettext_lazy("Order date")),
    ("status", gettext_lazy("Order status")),
    ("buyer_name", gettext_lazy("Buyer name")),
    ("buyer_phone", gettext_lazy("Buyer phone / WhatsApp")),
    ("email", gettext_lazy("E-mail")),
    ("username", gettext_lazy("Buyer username")),
    ("recipient", gettext_lazy("Recipient name")),
    ("street", gettext_lazy("Address")),
    ("city", gettext_lazy("City / regency")),
    ("province", gettext_lazy("Province")),
    ("postal_code", gettext_lazy("Postal code")),
    ("product", gettext_lazy("Product name")),
    ("sku", gettext_lazy("SKU")),
    ("variant", gettext_lazy("Variant")),
    ("quantity", gettext_lazy("Quantity")),
    ("unit_price", gettext_lazy("Unit price")),
    ("line_total", gettext_lazy("Line total")),
    ("order_total", gettext_lazy("Order total")),
    ("shipping_fee", gettext_lazy("Shipping fee")),
)
CONTACT_FIELDS: tuple[tuple[str, str], ...] = (
    ("name", gettext_lazy("Name")),
    ("phone", gettext_lazy("Phone / WhatsApp")),
    ("phone_other", gettext_lazy("Other phone")),
    ("email", gettext_lazy("E-mail")),
)
# What tells one buyer from another: without one of these no customer can be found again.
BUYER_KEYS = ("buyer_phone", "email", "username")
CONTACT_KEYS = ("phone", "phone_other", "email")
REQUIRED = {ORDERS: ("order_id", "created_at"), CONTACTS: ()}

CHANNELS: tuple[tuple[str, str], ...] = (
    ("blibli", "Blibli"),
    ("bukalapak", "Bukalapak"),
    ("manual", gettext_lazy("My own notes")),
    ("other", gettext_lazy("Other")),
)
CONTACTS_CHANNEL = "contacts"

# Order statuses as sellers and marketplaces write them; longer phrases first, because
# orders.map_status also matches by substring ("belum dibayar" before "dibayar").
STATUSES = {
    "menunggu pembayaran": "awaiting_payment",
    "belum dibayar": "awaiting_payment",
    "belum bayar": "awaiting_payment",
    "belum lunas": "awaiting_payment",
    "awaiting payment": "awaiting_payment",
    "unpaid": "awaiting_payment",
    "dibatalkan": "cancelled",
    "batal": "cancelled",
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "gagal": "cancelled",
    "dikembalikan": "returned",
    "pengembalian": "returned",
    "retur": "returned",
    "refund": "returned",
    "returned": "returned",
    "pesanan selesai": "completed",
    "selesai": "completed",
    "diterima": "completed",
    "terkirim": "completed",
    "delivered": "completed",
    "completed": "completed",
    "done": "completed",
    "sedang dikirim": "shipped",
    "dalam pengiriman": "shipped",
    "dikirim": "shipped",
    "shipped": "shipped",
    "sedang dikemas": "processing",
    "dikemas": "processing",
    "diproses": "processing",
    "processing": "processing",
    "lunas": "paid",
    "dibayar": "paid",
    "paid": "paid",
    "baru": "new",
    "new": "new",
}

MAX_SCAN = 12
SAMPLE_ROWS = 3
SAMPLE_CHARS = 40

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_NUMBER = re.compile(r"[-+]?[\d.,]+")
# what a phone number or a date can look like at all (normalize_phone and parse_datetime
# decide): a phone has at least 7 digits in a short text; every date format starts with a
# number (or is an Excel serial number)
_DIGIT = re.compile(r"\d")
_DATE_SHAPE = re.compile(r"\d{1,5}(?:[-/. ]|$)")


def fields_for(kind: str) -> tuple[tuple[str, str], ...]:
    return ORDER_FIELDS if kind == ORDERS else CONTACT_FIELDS


def column_key(text: str) -> str:
    """A column name as matched: case, spacing and punctuation do not matter."""
    return tabular._header_key(text)


def header_signature(header: list[str]) -> str:
    """SHA-256 of the normalised, non-empty column names in sorted order."""
    keys = sorted(key for key in (column_key(cell) for cell in header) if key)
    return hashlib.sha256("\x1f".join(keys).encode()).hexdigest()


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: how spreadsheets name columns."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _looks_like_data(cells: list[str]) -> bool:
    """A row of values rather than column names: a phone, an e-mail, a date, or only
    numbers. Such a row is never taken as the header, so values never become names."""
    filled = [c for c in cells if c.strip()]
    if not filled:
        return True
    for cell in filled:
        cell = cell.strip()
        if "@" in cell and _EMAIL.fullmatch(cell):
            return True
        # A cheap look first: only a cell shaped like a phone or a date is parsed as one
        # (the parsers try many formats; a header row of names needs none of them).
        if len(cell) <= 40 and len(_DIGIT.findall(cell)) >= 7 and normalize_phone(cell):
            return True
        if _DATE_SHAPE.match(cell):
            try:
                if tabular.parse_datetime(cell) is not None:
                    return True
            except ValueError:
                pass
    return all(_NUMBER.fullmatch(c.strip()) for c in filled)


def _trim(row: list[str]) -> list[str]:
    end = len(row)
    while end and not row[end - 1].strip():
        end -= 1
    return row[:end]


def locate_header(table: tabular.Table) -> tuple[int, list[str]]:
    """The header among the first rows: the first row of names with the most cells.

    Leaves ``table.rows`` right after the header. A title row above the header ("Catatan
    pelanggan 2024") has fewer cells and is passed over."""
    scanned = []
    for number, row in table.rows:
        scanned.append((number, row))
        if len(scanned) >= MAX_SCAN:
            break
    best: tuple[int, int | None, list[str]] = (0, None, [])
    for number, row in scanned:
        filled = sum(1 for cell in row if cell.strip())
        if filled > best[0] and not _looks_like_data(row):
            best = (filled, number, _trim(row))
    _count, header_row, header = best
    if header_row is None:
        raise RejectedFile(
            _(
                "The first rows of this spreadsheet hold no column names. Add a row with a "
                "name for each column (for example Nama, No. HP, Alamat) above the data."
            )
        )
    rest = [(n, r) for n, r in scanned if n > header_row]
    remaining = table.rows

    def chained():
        yield from rest
        yield from remaining

    table.rows = chained()
    return header_row, header


@dataclass
class Sheet:
    header_row: int
    header: list[str]
    sheet: str | None = None
    # a few values per column, to show the seller once; never stored anywhere
    samples: list[list[str]] = field(default_factory=list, repr=False)

    @property
    def signature(self) -> str:
        return header_signature(self.header)

    def columns(self) -> list[dict]:
        """Each named column with its letter and sample values, for the mapping page."""
        return [
            {
                "index": index,
                "letter": column_letter(index),
                "name": name,
                "samples": self.samples[index] if index < len(self.samples) else [],
            }
            for index, name in enumerate(self.header)
            if name.strip()
        ]


def read_sheet(path: Path, name: str, *, samples: int = SAMPLE_ROWS) -> Sheet:
    """The header of an unknown spreadsheet and, when asked, a few values per column."""
    table = tabular.open_table(path, name)
    header_row, header = locate_header(table)
    values: list[list[str]] = [[] for _ in header]
    if samples:
        for seen, (_number, row) in enumerate(table.rows):
            for index in range(len(header)):
                cell = row[index].strip() if index < len(row) else ""
                if cell and len(values[index]) < samples:
                    values[index].append(cell[:SAMPLE_CHARS])
            if seen >= 50 or all(len(v) >= samples for v in values):
                break
    return Sheet(header_row=header_row, header=header, sheet=table.sheet, samples=values)


@dataclass(frozen=True)
class Mapping:
    kind: str  # ORDERS or CONTACTS
    channel: str  # for orders: "blibli", "bukalapak", "manual", "other"
    columns: dict[str, str]  # field -> the column's name as the file writes it


def _duplicated_keys(header: list[str]) -> set[str]:
    seen, twice = set(), set()
    for key in (column_key(cell) for cell in header):
        if key in seen:
            twice.add(key)
        seen.add(key)
    return twice


def check(kind: str, channel: str, choices: dict[str, int | None], header: list[str]) -> list[str]:
    """Everything wrong with a seller's choices, in the seller's language. Empty if none."""
    if kind not in KINDS:
        return [_("Choose whether this file holds orders or only a list of customers.")]
    labels = dict(fields_for(kind))
    errors = []
    if kind == ORDERS and channel not in dict(CHANNELS):
        errors.append(_("Choose where these orders come from."))
    chosen: dict[str, int] = {}
    twice = _duplicated_keys(header)
    for key, index in choices.items():
        if index is None:
            continue
        if key not in labels or not 0 <= index < len(header) or not header[index].strip():
            errors.append(_("A chosen column does not exist in this file."))
            continue
        if column_key(header[index]) in twice:
            errors.append(
                _(
                    "The column name %(column)s appears twice in this file. Give one of them "
                    "another name in the spreadsheet and upload it again."
                )
                % {"column": header[index]}
            )
            continue
        chosen[key] = index
    by_column: dict[int, list[str]] = {}
    for key, index in chosen.items():
        by_column.setdefault(index, []).append(key)
    for index, keys in by_column.items():
        if len(keys) > 1:
            errors.append(
                _("Column %(column)s is chosen for %(fields)s; one column can fill only one field.")
                % {
                    "column": header[index],
                    "fields": _(" and ").join(str(labels[k]) for k in keys),
                }
            )
    for key in REQUIRED[kind]:
        if key not in chosen:
            errors.append(_("Choose the column that holds: %(field)s.") % {"field": labels[key]})
    if kind == ORDERS and not any(key in chosen for key in BUYER_KEYS):
        errors.append(
            _(
                "Choose at least one column that tells buyers apart: buyer phone, e-mail or "
                "username. Without one, Merdeka cannot recognise a returning customer."
            )
        )
    if kind == CONTACTS and not any(key in chosen for key in CONTACT_KEYS):
        errors.append(
            _(
                "Choose the column with the phone number or the e-mail. Without one, Merdeka "
                "cannot recognise a returning customer."
            )
        )
    return errors


def mapping_from(
    kind: str, channel: str, choices: dict[str, int | None], header: list[str]
) -> Mapping:
    """The mapping for valid choices (``check`` returned nothing)."""
    columns = {key: header[index] for key, index in choices.items() if index is not None}
    return Mapping(
        kind=kind, channel=channel if kind == ORDERS else CONTACTS_CHANNEL, columns=columns
    )


def choices_from(mapping: Mapping, header: list[str]) -> dict[str, int]:
    """Where each mapped column sits in ``header`` (the same names, maybe in another order)."""
    positions = {}
    for index, cell in enumerate(header):
        positions.setdefault(column_key(cell), index)
    found = {}
    for key, name in mapping.columns.items():
        index = positions.get(column_key(name))
        if index is None:
            raise RejectedFile(
                _("The column %(column)s is missing from this file.") % {"column": name}
            )
        found[key] = index
    return found


def spec_for(mapping: Mapping) -> orders.Spec:
    """The order engine's spec for a mapping: the chosen header cells are its aliases."""
    return orders.Spec(
        source="mapped",
        channel=mapping.channel,
        aliases={name: key for key, name in mapping.columns.items()},
        required=REQUIRED[ORDERS],
        statuses=STATUSES,
        signature=(),
    )


@dataclass
class MappedParse:
    kind: str
    channel: str
    rows_read: int
    problems: list[Problem]
    orders: list[records.Order] = field(default_factory=list)
    contacts: list[records.Contact] = field(default_factory=list)
    header_row: int | None = None
    sheet: str | None = None


def parse(path: Path, name: str, mapping: Mapping) -> MappedParse:
    """Read a whole file with ``mapping``. Raises ``RejectedFile`` for a file that cannot
    be read at all; problems in single rows are in ``problems`` (errors refuse the file)."""
    table = tabular.open_table(path, name)
    header_row, header = locate_header(table)
    columns = choices_from(mapping, header)
    if mapping.kind == ORDERS:
        result = orders.parse(spec_for(mapping), table, columns, header_row, header)
        return MappedParse(
            kind=ORDERS,
            channel=mapping.channel,
            rows_read=result.rows_read,
            problems=result.problems,
            orders=result.orders,
            header_row=header_row,
            sheet=table.sheet,
        )
    contacts, problems, rows_read = _contacts(table, columns, header)
    return MappedParse(
        kind=CONTACTS,
        channel=CONTACTS_CHANNEL,
        rows_read=rows_read,
        problems=problems,
        contacts=contacts,
        header_row=header_row,
        sheet=table.sheet,
    )


_PHONE_SPLIT = re.compile(r"\s*(?:[,;/|]|\bdan\b|\batau\b)\s*", re.IGNORECASE)


def _contacts(table: tabular.Table, columns: dict[str, int], header: list[str]):
    contacts: list[records.Contact] = []
    problems: list[Problem] = []
    rows_read = 0

    def cell(row, key):
        index = columns.get(key)
        return row[index].strip() if index is not None and index < len(row) else ""

    for number, row in table.rows:
        if not any(c.strip() for c in row):
            continue
        rows_read += 1
        phones, emails = [], []
        for key in ("phone", "phone_other"):
            for value in _PHONE_SPLIT.split(cell(row, key)):
                if not value or is_masked(value):
                    continue
                phone = normalize_phone(value)
                if phone:
                    phones.append(phone)
                else:
                    problems.append(
                        Problem(
                            _("%(value)s is not a phone number; it was skipped.")
                            % {"value": value[:30]},
                            row=number,
                            column=header[columns[key]],
                            severity=Severity.WARNING,
                        )
                    )
        email = normalize_email(cell(row, "email"))
        if email:
            emails.append(email)
        name = cell(row, "name")
        if phones or emails:
            contacts.append(
                records.Contact(
                    name=None if not name or is_masked(name) else name[:200],
                    phones=list(dict.fromkeys(phones)),
                    emails=emails,
                    line=number,
                )
            )
        else:
            problems.append(
                Problem(
                    _("This row has no phone number or e-mail; skipped."),
                    row=number,
                    severity=Severity.WARNING,
                )
            )
    if not rows_read:
        raise RejectedFile(_("The spreadsheet has column names but no rows under them."))
    return contacts, problems, rows_read


# -- first guesses, so that a seller on a phone mostly only checks ----------------------

_HINTS: dict[str, tuple[str, ...]] = {
    "order_id": (
        "no order",
        "nomor order",
        "order id",
        "id order",
        "no pesanan",
        "nomor pesanan",
        "id pesanan",
        "id transaksi",
        "no transaksi",
        "kode transaksi",
        "invoice",
        "no invoice",
        "nomor invoice",
    ),
    "created_at": (
        "tanggal order",
        "tanggal pesanan",
        "tanggal transaksi",
        "waktu pesanan",
        "tanggal",
        "tgl",
        "waktu",
        "date",
        "created",
    ),
    "status": ("status", "status order", "status pesanan", "status transaksi"),
    "buyer_name": (
        "nama pembeli",
        "nama pemesan",
        "nama pelanggan",
        "nama customer",
        "pembeli",
        "pemesan",
        "pelanggan",
        "customer",
        "nama",
    ),
    "buyer_phone": (
        "no hp",
        "nomor hp",
        "no hp pembeli",
        "no tlp",
        "no telp",
        "no telepon",
        "no wa",
        "whatsapp",
        "telepon",
        "telp",
        "tlp",
        "hp",
        "wa",
        "phone",
    ),
    "email": ("email", "e mail", "surel"),
    "username": ("username", "username pembeli", "user"),
    "recipient": ("nama penerima", "penerima", "recipient"),
    "street": ("alamat", "alamat pengiriman", "alamat lengkap", "address"),
    "city": ("kota", "kabupaten", "kota/kabupaten", "kota kabupaten", "city"),
    "province": ("provinsi", "province"),
    "postal_code": ("kode pos", "kodepos", "postal code", "zip"),
    "product": ("nama produk", "nama barang", "produk", "barang", "product", "item"),
    "sku": ("sku", "sku merchant", "kode barang", "kode produk"),
    "variant": ("varian", "variasi", "variant"),
    "quantity": ("jumlah", "qty", "kuantitas", "total barang", "jumlah barang", "quantity"),
    "unit_price": ("harga satuan", "harga item pesanan", "harga item", "harga", "price"),
    "line_total": ("subtotal", "total harga item pesanan", "total harga item", "total harga"),
    "order_total": ("total bayar", "total pembayaran", "grand total", "total"),
    "shipping_fee": ("ongkir", "ongkos kirim", "biaya kirim", "biaya pengiriman", "shipping"),
    "name": (
        "nama",
        "nama pelanggan",
        "nama lengkap",
        "nama pembeli",
        "nama pemesan",
        "name",
        "pelanggan",
    ),
    "phone": (
        "no hp",
        "nomor hp",
        "no wa",
        "nomor wa",
        "no tlp",
        "no telp",
        "whatsapp",
        "telepon",
        "telp",
        "tlp",
        "hp",
        "wa",
    ),
    "phone_other": ("no hp 2", "hp 2", "telepon lain", "no telp", "telp", "telepon", "hp", "wa"),
}


def suggest(kind: str, header: list[str]) -> dict[str, int]:
    """A first guess at which column holds what, from the column names alone."""
    keys = [column_key(cell) for cell in header]
    twice = _duplicated_keys(header)
    scored = []
    for order, (field_name, _label) in enumerate(fields_for(kind)):
        for hint in _HINTS.get(field_name, ()):
            for index, key in enumerate(keys):
                if not key or key in twice:
                    continue
                if key == hint:
                    score = 1000 + len(hint)
                elif f" {hint} " in f" {key} ":
                    score = 500 + len(hint)
                else:
                    continue
                scored.append((score, -order, -index, field_name))
    scored.sort(reverse=True)
    found: dict[str, int] = {}
    used: set[int] = set()
    for _score, _order, negative_index, field_name in scored:
        index = -negative_index
        if field_name in found or index in used:
            continue
        found[field_name] = index
        used.add(index)
    return found

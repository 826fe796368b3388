"""What every importer produces: plain records, before anything touches the database.

Parsers are pure: they read bytes or text and yield these records plus ``Problem``s.
The pipeline (staging, identity resolution, merge) consumes them. Nothing here
imports Django models, so parsers can be tested and benchmarked on their own.

Personal data in these records is plaintext in memory only; it is encrypted when
the pipeline writes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"  # the file (or row) cannot be imported as it is
    WARNING = "warning"  # imported, but something was skipped or guessed


@dataclass(frozen=True)
class Problem:
    """Something wrong in an input file, said so a seller can act on it.

    ``message`` is a translatable text (Bahasa Indonesia in the UI); ``row`` is the
    1-based spreadsheet row or text line, ``column`` the header name where it applies.
    """

    message: str
    row: int | None = None
    column: str | None = None
    severity: Severity = Severity.ERROR
    # what kind of problem, for programs reading the report (e.g. "total_mismatch")
    code: str | None = None

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"baris {self.row}")
        if self.column:
            where.append(f"kolom {self.column}")
        return f"{', '.join(where)}: {self.message}" if where else str(self.message)


class RejectedFile(Exception):
    """The whole file is refused; nothing from it may be written."""

    def __init__(self, message: str, *, row: int | None = None, column: str | None = None):
        super().__init__(message)
        self.problem = Problem(message=message, row=row, column=column)


# One vocabulary for order status across channels (the original text is kept too).
ORDER_STATUSES = (
    "new",  # baru
    "awaiting_payment",  # menunggu pembayaran
    "paid",  # dibayar
    "processing",  # diproses
    "shipped",  # dikirim
    "completed",  # selesai
    "cancelled",  # dibatalkan
    "returned",  # dikembalikan
)


@dataclass
class OrderLine:
    name: str
    quantity: int
    unit_price: Decimal
    sku: str = ""
    variant: str = ""
    total: Decimal | None = None  # line total as exported, when given


@dataclass
class Buyer:
    """Whoever the channel says bought. Masked values are already set to None."""

    username: str | None = None  # per-marketplace buyer key (never masked in practice)
    name: str | None = None
    phone: str | None = None  # E.164, or None when missing or masked
    email: str | None = None
    masked_fields: tuple[str, ...] = ()  # e.g. ("phone", "name") when the channel masked them
    # the digits a masked phone still shows ("812|7801"): evidence for the review
    # queue, never contact data (see merdeka.core.phone.phone_mask_key)
    phone_hint: str | None = None
    # the two letters a masked name still shows ("a|i" of "A***i"), likewise evidence only
    name_hint: str | None = None


@dataclass
class Address:
    recipient: str | None = None
    phone: str | None = None  # E.164 or None
    street: str | None = None
    village: str | None = None  # kelurahan / desa
    district: str | None = None  # kecamatan
    city: str | None = None  # kota / kabupaten, normalised
    province: str | None = None  # normalised
    postal_code: str | None = None


@dataclass
class Order:
    channel: str  # "shopee", "tiktok", "tokopedia", "lazada", "whatsapp", ...
    external_id: str  # the channel's order id, always text
    status: str  # one of ORDER_STATUSES
    status_raw: str
    ordered_at: datetime  # timezone-aware
    buyer: Buyer
    address: Address = field(default_factory=Address)
    lines: list[OrderLine] = field(default_factory=list)
    total: Decimal | None = None
    shipping_fee: Decimal | None = None
    discount: Decimal | None = None  # the order's own discounts (vouchers, coins), if given
    paid_at: datetime | None = None
    rows: list[int] = field(default_factory=list)  # source rows, for messages


class MessageKind(StrEnum):
    MESSAGE = "message"
    MEDIA = "media"
    DELETED = "deleted"
    SYSTEM = "system"


@dataclass
class ChatMessage:
    sent_at: datetime  # timezone-aware
    author: str | None  # display name or phone as shown; None for system lines
    author_phone: str | None  # E.164 when the author is shown as a number
    text: str
    kind: MessageKind
    line: int  # 1-based line where the message starts


@dataclass
class Contact:
    name: str | None
    phones: list[str] = field(default_factory=list)  # E.164
    emails: list[str] = field(default_factory=list)  # lower-cased
    line: int | None = None  # where the card or row starts

"""The receipt reader's interface (a placeholder).

The real reader (OCR with rapidocr on the CPU, rows, the parser) comes from the ``ocr``
branch and replaces this module on merge; the app codes against exactly these types.
Until then ``receipt_read`` raises ``NotImplementedError`` and the task says the reader
is not installed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class ReadItem:
    name: str
    qty: Decimal
    unit_price: int
    total: int
    confidence: float


@dataclass(frozen=True)
class Reading:
    store: str
    date: datetime.date | None
    time: datetime.time | None
    items: tuple[ReadItem, ...]
    discount: int
    tax: int
    total: int | None
    payment: str
    needs_review: bool
    reasons: tuple[str, ...]
    width: int
    height: int


class UnreadableImage(ValueError):
    """The bytes are not a photo the reader can read."""


def receipt_read(data: bytes) -> Reading:
    raise NotImplementedError("the receipt reader is not installed in this build")

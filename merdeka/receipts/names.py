"""Item and store names as keys: what a receipt's line is, whatever the printer did.

OCR drops spaces ("SUSUKENTALMANIS"), receipts shout, cut and decorate names
("SUSU KNTL MANIS 370G*", "Gula Pasir 1kg."): a key is the name without case, accents,
punctuation, spaces and sizes, so "SUSUKENTALMANIS 370GR" and "Susu Kental Manis" meet.
``best_variant`` finds one of her variants whose name is that key, or close to it.
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz

# sizes and packs printed after a name: 1KG, 500 GR, 370g, 1,5L, 2 PCS, x12
_SIZE = re.compile(
    r"\b\d+(?:[.,]\d+)?\s*(?:kg|kgs|gr|grm|gram|g|ml|l|ltr|liter|pcs|pc|btl|bks|pak|pack"
    r"|sct|sachet|dus|box|lsn|ons)\b|\bx\s*\d+\b",
    re.IGNORECASE,
)
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
CLOSE_ENOUGH = 88  # rapidfuzz ratio of two keys that name the same thing


def item_key(name: str) -> str:
    """ "Susu Kental Manis 370gr." -> "susukentalmanis"."""
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = _SIZE.sub(" ", text)
    key = _NOT_ALNUM.sub("", text)
    if not key:  # a name that is all size ("1 KG"): keep its characters
        key = _NOT_ALNUM.sub("", (name or "").casefold())
    return key[:120]


def store_key(name: str) -> str:
    """The store as a key: "INDOMARET Jl. Raya 12" and "Indomaret" differ; case,
    spaces and punctuation do not."""
    return _NOT_ALNUM.sub("", unicodedata.normalize("NFKC", name or "").casefold())[:120]


def best_variant(key: str, choices: dict[str, int]) -> int | None:
    """The variant id whose key equals ``key``, else the single closest one that is
    close enough (ties: none); ``choices`` maps a variant's key to its id."""
    if not key:
        return None
    if key in choices:
        return choices[key]
    scored = sorted(((fuzz.ratio(key, k), pk) for k, pk in choices.items() if k), reverse=True)
    if not scored or scored[0][0] < CLOSE_ENOUGH:
        return None
    if len(scored) > 1 and scored[1][0] == scored[0][0]:
        return None
    return scored[0][1]

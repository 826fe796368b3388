"""From rows of OCR text to what a receipt says: store, date, items, discount, tax, total, payment.

Rules, in the order a receipt is printed:
- the store is the first row that is words (not an address, a tax number or a date);
- the date and time are the first ones found, in the formats Indonesian tills print
  ("06.12.2026-14:32", "06/12/2026", "6 Des 2026", "06-12-26", "2026-12-06");
- item rows come between the header and the first summary row ("SUBTOTAL", "TOTAL", "HARGA JUAL",
  "JUMLAH"...). An item is either one row ("GULA PASIR 1KG  2  15.500  31.000", or a name and one
  amount: quantity 1) or a name row followed by a quantity row ("2 x Rp12,500  Rp25,000",
  "3 SAK x 62.000  186.000", "0,5 @ 40.000  20.000");
- summary rows give the subtotal, the discount ("DISKON", "POTONGAN", "HEMAT"), the tax ("PPN",
  "PAJAK": added when printed before the total, included when after it), the total ("GRAND TOTAL"
  before "TOTAL"), the payment method and the change ("KEMBALI").
Amounts read "12.500", "12,500", "Rp12.500", "Rp 12,500", "1.290.000", "-2.000"; letters the OCR
puts in numbers (O for 0, l and I for 1...) are fixed when the rest of the token is digits.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from merdeka.receipts.reader.rows import Row

MONTHS = {
    "jan": 1, "januari": 1, "january": 1,
    "feb": 2, "februari": 2, "february": 2, "peb": 2, "pebruari": 2,
    "mar": 3, "maret": 3, "march": 3,
    "apr": 4, "april": 4,
    "mei": 5, "may": 5,
    "jun": 6, "juni": 6, "june": 6,
    "jul": 7, "juli": 7, "july": 7,
    "agu": 8, "agt": 8, "ags": 8, "agustus": 8, "aug": 8, "august": 8,
    "sep": 9, "sept": 9, "september": 9,
    "okt": 10, "oktober": 10, "oct": 10, "october": 10,
    "nov": 11, "nopember": 11, "november": 11,
    "des": 12, "desember": 12, "dec": 12, "december": 12,
}  # fmt: skip

DATE_NUMERIC = re.compile(r"(?<!\d)(\d{1,2})\s?[./-]\s?(\d{1,2})\s?[./-]\s?(\d{4}|\d{2})(?!\d)")
DATE_ISO = re.compile(r"(?<!\d)(20\d{2})[./-](\d{1,2})[./-](\d{1,2})(?!\d)")
DATE_WORDS = re.compile(r"(?<!\d)(\d{1,2})\s*([A-Za-z]{3,9})\.?\s*(\d{4})(?!\d)")
TIME = re.compile(r"(?<!\d)([01]?\d|2[0-3])\s?[:.]\s?([0-5]\d)(?:[:.][0-5]\d)?(?![\d.,])")
TIME_STRICT = re.compile(r"(?<!\d)([01]?\d|2[0-3]):([0-5]\d)(?::[0-5]\d)?(?!\d)")

# an amount: "Rp12.500", "12,500", "1.290.000", "-2.000", "500"; optional ",00" cents
MONEY = re.compile(
    r"(?<![\w.,])(?P<minus>-\s?)?(?:Rp\.?\s?)?"
    r"(?P<number>\d{1,3}(?:[.,]\d{3})+|\d+)(?:[.,]00)?(?![\w.,])",
    re.IGNORECASE,
)
# a quantity row: "2 x 12.500", "3 SAK x 62.000", "0,5 @ 40.000", "2x Rp12,500", "2 PCS @ 7.500"
QTY_ROW = re.compile(
    r"^\s*(?P<qty>\d{1,4}(?:[.,]\d{1,3})?)\s*(?P<unit>[A-Za-z][A-Za-z0-9]{0,5})?\s*"
    r"[xX\u00d7*@]\s*(?:Rp\.?\s?)?(?P<price>\d{1,3}(?:[.,]\d{3})+|\d+)(?:[.,]00)?"
    r"(?:\s+(?P<rest>.*))?$"
)

SUBTOTAL = ("SUBTOTAL", "SUBTTL", "HARGAJUAL", "JUMLAH", "TOTALHARGA", "TOTALITEM")
GRAND = ("GRANDTOTAL", "TOTALBAYAR", "TOTALBELANJA", "TOTALAKHIR", "TOTALTAGIHAN")
DISCOUNT = ("DISKON", "DISCOUNT", "DISC", "POTONGAN", "HEMAT", "VOUCHER", "PROMO")
TAX = ("PPN", "PAJAK", "TAX", "PB1")
CHANGE = ("KEMBALIAN", "KEMBALI", "KEMBAL", "CHANGE", "SUSUK")
PAYMENTS = (
    ("QRIS", "qris"),
    ("KARTUKREDIT", "kredit"),
    ("KREDIT", "kredit"),
    ("CREDIT", "kredit"),
    ("DEBIT", "debit"),
    ("EDC", "debit"),
    ("TRANSFER", "transfer"),
    ("TRF", "transfer"),
    ("GOPAY", "ewallet"),
    ("OVO", "ewallet"),
    ("SHOPEEPAY", "ewallet"),
    ("DANA", "ewallet"),
    ("TUNAI", "tunai"),
    ("CASH", "tunai"),
)
HEADER_WORDS = ("JL", "JALAN", "TELP", "NPWP", "HP", "WA", "NO", "KASIR", "NOTA", "STRUK")
NOT_ITEMS = ("NPWP", "DPP", "KASIR", "NOTA", "TELP", "TERIMAKASIH", "NOSTRUK", "NOTRANS")

# the multiplication sign, Cyrillic Ha, full-width comma and colon the OCR sometimes returns
LOOKALIKES = str.maketrans("\u00d7\u0425\u0445\uff0c\uff1a\u03b8", "xxx,:0")
# letters the OCR reads in place of digits inside numbers
DIGIT_FIXES = str.maketrans("OoDlI|iSsBZz", "000111155822")


@dataclass
class ItemLine:
    name: str
    qty: Decimal
    unit_price: int
    total: int
    score: float

    @property
    def consistent(self) -> bool:
        return abs(self.qty * self.unit_price - self.total) <= max(1, self.qty)


@dataclass
class Parsed:
    store: str = ""
    date: dt.date | None = None
    time: dt.time | None = None
    items: list[ItemLine] = field(default_factory=list)
    subtotal: int | None = None
    discount: int = 0
    tax_added: int = 0
    tax_included: int = 0
    total: int | None = None  # as printed on the total row
    paid: int | None = None
    change: int | None = None
    payment: str = ""
    total_unreadable: bool = False  # a total row whose amount could not be read
    amounts: int = 0  # how many amounts the receipt has: fewer than 2 is not a receipt
    low_scores: int = 0  # amounts the OCR was unsure of


def squash(text: str) -> str:
    """Upper case letters and digits only: "Grand  Total :" → "GRANDTOTAL"."""
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def fix_digits(token: str) -> str:
    """ "1O.5OO" → "10.500" when the token is digits but for letters the OCR confuses with them."""
    core = token.removeprefix("Rp").removeprefix("RP").removeprefix("rp")
    if not re.fullmatch(r"-?[\dOoDlI|iSsBZz.,:]+", core):
        return token
    digits = sum(ch.isdigit() for ch in core)
    if digits and digits >= 0.4 * len(re.sub(r"[.,:\-]", "", core)):
        return token[: len(token) - len(core)] + core.translate(DIGIT_FIXES)
    return token


def fix_letters(token: str) -> str:
    """A zero among letters in a word is the letter O: "BANG0" → "BANGO"."""
    if re.fullmatch(r"[A-Za-z]{2,}0[A-Za-z]*|[A-Za-z]+0[A-Za-z]{2,}", token):
        return token.replace("0", "O" if token.isupper() or token[-1].isupper() else "o")
    return token


def clean(text: str) -> str:
    text = text.translate(LOOKALIKES)
    text = re.sub(r"(?<=\d[.,])\s(?=\d{3}(?!\d))", "", text)  # "Rp29, 600"
    text = re.sub(r"(?<=\d)(?=(?:[01]\d|2[0-3]):[0-5]\d)", " ", text)  # "202520:01": date, time
    text = re.sub(r"(?<=\d)\s?[0O]kt", " Okt", text)  # "40kt 2026": "4 Okt"
    text = re.sub(r"(?<=\d\s)5ep", "Sep", text)
    return " ".join(fix_letters(fix_digits(token)) for token in text.split())


def money(number: str) -> int:
    return int(re.sub(r"[.,]", "", number))


def amounts(text: str) -> list[int]:
    """Every amount in ``text``, signed, left to right."""
    found = []
    for match in MONEY.finditer(text):
        value = money(match["number"])
        found.append(-value if match["minus"] else value)
    return found


def is_money(token: str) -> bool:
    return bool(re.fullmatch(r"-?(?:Rp\.?)?(\d{1,3}(?:[.,]\d{3})+|\d+)(?:[.,]00)?", token, re.I))


def quantity(text: str) -> Decimal | None:
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None
    return value if 0 < value <= 9999 else None


# -- header ------------------------------------------------------------------------------------


def find_date(text: str) -> dt.date | None:
    for match in DATE_ISO.finditer(text):
        year, month, day = (int(g) for g in match.groups())
        if date := _date(year, month, day):
            return date
    for match in DATE_WORDS.finditer(text):
        month = MONTHS.get(match[2].lower())
        if month and (date := _date(int(match[3]), month, int(match[1]))):
            return date
    for match in DATE_NUMERIC.finditer(text):
        day, month, year = int(match[1]), int(match[2]), int(match[3])
        if year < 100:
            year += 2000
        if date := _date(year, month, day):
            return date
    return None


def _date(year: int, month: int, day: int) -> dt.date | None:
    if not 2000 <= year <= 2099:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def find_time(text: str) -> dt.time | None:
    for pattern in (TIME_STRICT, TIME):
        for match in pattern.finditer(text):
            before = text[: match.start()]
            if re.search(r"\d[./-]$", before):  # the tail of a date, "06.12.20 26"
                continue
            return dt.time(int(match[1]), int(match[2]))
    return None


def looks_like_store(text: str) -> bool:
    words = squash(text)
    letters = sum(ch.isalpha() for ch in text)
    if letters < 3 or letters < 0.5 * len(words or "x"):
        return False
    first = re.split(r"[\s.:]", text.strip().upper(), maxsplit=1)[0]
    return first not in HEADER_WORDS and find_date(text) is None


# -- summary rows ------------------------------------------------------------------------------


def summary_kind(text: str) -> str | None:
    """What a summary row says, or None for an item or header row."""
    word = squash(text.split(":")[0] if ":" in text else re.sub(r"[\d.,\-\s]+$", "", text))
    letters = re.sub(r"\d", "", word)
    if not letters:
        return None
    if letters.startswith(("SUBTOTAL", "SUBTTL")) or letters.startswith(SUBTOTAL):
        return "subtotal"
    if letters.startswith(GRAND):
        return "grand"
    if letters.startswith(("TOTAL", "TOTA1", "T0TAL")) or letters in ("TTL", "TOTAL"):
        return "total"
    if letters.startswith(DISCOUNT):
        return "discount"
    if letters.startswith(TAX):
        return "tax"
    if letters.startswith(CHANGE):
        return "change"
    if letters.startswith("DPP"):
        return "ignore"
    for key, _method in PAYMENTS:
        if key in letters:
            return "payment"
    if letters.startswith("BAYAR") or letters.startswith("PEMBAYARAN"):
        return "payment"
    return None


def payment_method(text: str) -> str:
    word = squash(text)
    for key, method in PAYMENTS:
        if key in word:
            return method
    return ""


# -- items -------------------------------------------------------------------------------------


def split_amounts(text: str) -> tuple[str, list[str]]:
    """("GULA PASIR 1KG", ["2", "15.500", "31.000"]): the trailing number tokens apart."""
    tokens = text.split()
    tail: list[str] = []
    while tokens and is_money(tokens[-1]):
        tail.insert(0, tokens.pop())
    return " ".join(tokens), tail


def item_from_row(text: str, score: float) -> ItemLine | None:
    """An item printed on one row: name, then [qty] [unit price] total."""
    name, tail = split_amounts(text)
    if not tail or len(re.sub(r"[^A-Za-z]", "", name)) < 2:
        return None
    values = [money(re.sub(r"^-?(?:Rp\.?)?", "", t, flags=re.I)) for t in tail]
    total = values[-1]
    if total <= 0:
        return None
    if len(values) >= 3:
        qty = quantity(tail[-3])
        unit = values[-2]
        name = " ".join([name, *tail[:-3]])  # "TELUR AYAM 10  1  24.000  24.000"
        if qty is not None and abs(qty * unit - total) <= max(1, qty):
            return ItemLine(name, qty, unit, total, score)
        # the quantity glued to the name ("LIFEBUOY4") or misread: trust unit and total
        if unit and total % unit == 0:
            return ItemLine(name, Decimal(total // unit), unit, total, score)
        qty = qty or Decimal(1)
        return ItemLine(name, qty, unit, total, score)
    if len(values) == 2:
        first, unit = tail[-2], values[-2]
        name = " ".join([name, *tail[:-2]])
        if unit and unit >= 100 and total % unit == 0 and total >= unit:
            return ItemLine(name, Decimal(total // unit), unit, total, score)
        qty = quantity(first) if re.fullmatch(r"\d{1,3}", first) else None
        if qty is not None and total % qty == 0:
            return ItemLine(name, qty, int(total / qty), total, score)
        return ItemLine(name, Decimal(1), total, total, score)
    if total < 100:  # "TELUR AYAM 10": a size, not a price
        return None
    return ItemLine(name, Decimal(1), total, total, score)


def qty_row(text: str) -> tuple[Decimal, int, int | None] | None:
    """(qty, unit price, line total or None) of "2 x Rp12,500  Rp25,000"."""
    match = QTY_ROW.match(text)
    if not match:
        return None
    qty = quantity(match["qty"])
    if qty is None:
        return None
    price = money(match["price"])
    rest = amounts(match["rest"] or "")
    total = rest[-1] if rest else None
    return qty, price, total


def glued_quantity(text: str) -> tuple[Decimal, int, int] | None:
    """(qty, unit, total) of "307.000 21.000": "3 @ 7.000" with the "@" read as a digit."""
    tokens = text.split()
    if len(tokens) < 2 or not all(is_money(token) for token in tokens):
        return None
    digits = re.sub(r"\D", "", "".join(tokens[:-1]))  # "2 0 39.000": the "@" read as "0"
    total = money(re.sub(r"\D", "", tokens[-1]))
    for cut in (1, 2, 3):
        for skip in (1, 0):
            rest = digits[cut + skip :]
            if not rest or rest.startswith("0"):
                continue
            qty, unit = int(digits[:cut]), int(rest)
            if qty and unit >= 100 and qty * unit == total:
                return Decimal(qty), unit, total
    return None


def read_items(rows: list[tuple[str, float]]) -> list[ItemLine]:
    items: list[ItemLine] = []
    pending: tuple[str, float] | None = None  # a name row waiting for its quantity row
    for text, score in rows:
        if any(word in squash(text) for word in NOT_ITEMS) or set(text) <= set("-=_*. "):
            continue
        quantity_line = qty_row(text)
        if quantity_line is None and pending is not None:
            quantity_line = glued_quantity(text)
        if quantity_line is not None:
            qty, unit, total = quantity_line
            if total is None:
                total = int(qty * unit)
            name = pending[0] if pending else ""
            name_score = pending[1] if pending else 0.0
            if not name and items and not items[-1].consistent:
                items.pop()  # the row read as an item was the name after all
            if unit and abs(qty * unit - total) > max(1, qty) and total and qty == int(qty):
                # one of the two was misread; keep the line total, the one that is summed
                unit = int(total / qty) if total % int(qty) == 0 else unit
            items.append(ItemLine(name, qty, unit, total, min(score, name_score or score)))
            pending = None
            continue
        item = item_from_row(text, score)
        if item is not None:
            if pending and not re.search(r"[A-Za-z]{2}", item.name):
                item.name = pending[0]
            items.append(item)
            pending = None
        elif re.search(r"[A-Za-z]{2}", text):
            pending = (text, score)
    return [item for item in items if item.name]


# -- the whole receipt -------------------------------------------------------------------------


def parse(rows: list[Row]) -> Parsed:
    parsed = Parsed()
    texts = [(clean(row.text), row.score) for row in rows]
    header_end = 0
    summary_start = None
    for index, (text, _score) in enumerate(texts):
        kind = summary_kind(text)
        if kind in ("subtotal", "grand", "total") and amounts(text):
            summary_start = index
            break
    for index, (text, _score) in enumerate(texts[: summary_start or len(texts)]):
        if not parsed.store and looks_like_store(text) and not amounts_only(text):
            parsed.store = text
        date = find_date(text)
        if date and parsed.date is None:
            parsed.date = date
            parsed.time = parsed.time or find_time(DATE_NUMERIC.sub(" ", text))
            header_end = index + 1
        elif parsed.time is None and (time := find_time(text)) and TIME_STRICT.search(text):
            parsed.time = time
            header_end = max(header_end, index + 1)
        if re.search(r"^[-=_*\s]{6,}$", text) and parsed.store:
            header_end = max(header_end, index + 1)
            break
    if not header_end:
        header_end = 1 if parsed.store else 0
    for text, _score in texts[summary_start or 0 :]:
        if parsed.date is None and (date := find_date(text)):
            parsed.date = date
            parsed.time = parsed.time or find_time(DATE_NUMERIC.sub(" ", text))
    end = summary_start if summary_start is not None else len(texts)
    body = texts[header_end:end]
    parsed.items = read_items(body)
    parsed.amounts = sum(len(amounts(text)) for text, _score in texts)
    if summary_start is not None:
        read_summary(parsed, texts[summary_start:])
    parsed.low_scores = sum(
        1 for text, score in texts[header_end:] if amounts(text) and score < 0.75
    )
    return parsed


def amounts_only(text: str) -> bool:
    return not re.search(r"[A-Za-z]{3}", text)


def read_summary(parsed: Parsed, rows: list[tuple[str, float]]) -> None:
    seen_total = False
    for text, _score in rows:
        kind = summary_kind(text)
        values = [abs(value) for value in amounts(text.split(":", 1)[-1] if ":" in text else text)]
        if kind is None or not values:
            if kind == "payment" and not parsed.payment:
                parsed.payment = payment_method(text)
            if kind in ("grand", "total"):
                parsed.total_unreadable = seen_total = True
            continue
        value = values[-1]
        if kind == "subtotal" and parsed.subtotal is None and not seen_total:
            parsed.subtotal = value
        elif kind in ("grand", "total"):
            if kind == "grand" or parsed.total is None or not seen_total:
                parsed.total = value
            seen_total = True
        elif kind == "discount":
            parsed.discount += value
        elif kind == "tax":
            percent = re.search(r"(\d{1,2})\s?%", text)
            candidates = [v for v in values if not (percent and v == int(percent[1]))]
            tax = candidates[0] if candidates else value
            if seen_total:
                parsed.tax_included = parsed.tax_included or tax
            else:
                parsed.tax_added += tax
        elif kind == "change":
            parsed.change = value
        elif kind == "payment":
            parsed.payment = parsed.payment or payment_method(text)
            if parsed.paid is None:
                parsed.paid = value

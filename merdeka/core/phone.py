"""Indonesian phone numbers: masked-value detection first, then E.164."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

# Marketplaces mask buyer data as "******", "62812****7890" or "A***i".
_MASK = re.compile(r"[*•]{2,}|x{4,}", re.IGNORECASE)


def is_masked(value: str | None) -> bool:
    return bool(value) and bool(_MASK.search(value))


# Indonesian mobile numbers, exactly as libphonenumber's metadata for region ID
# describes them (national number pattern and lengths), checked in the tests.
_ID_MOBILE = re.compile(r"8[1-35-9]\d{7,10}")
_NON_DIGITS = re.compile(r"\D")


def normalize_phone(value: str | None, region: str = "ID") -> str | None:
    """Return the E.164 form (``+6281234567890``) or None when it is no phone number.

    Accepts ``0812-3456-7890``, ``62812...``, ``+62 812 ...``, ``(0812) ...``.
    A masked value is never a phone number.
    """
    if not value:
        return None
    return _normalize_phone(value, region)


@lru_cache(maxsize=1 << 18)
def _normalize_phone(value: str, region: str) -> str | None:
    # imports see the same buyer's number on many rows: each text is parsed once
    if is_masked(value):
        return None
    text = value.strip()
    digits = _NON_DIGITS.sub("", text)
    if region == "ID":
        # the common case, an Indonesian mobile, without a full libphonenumber parse
        if text.startswith("+"):
            national = digits[2:] if digits.startswith("62") else None
        elif digits.startswith("62") and len(digits) >= 10:
            national = digits[2:]
        elif digits.startswith("0"):
            national = digits[1:]
        else:
            national = digits
        if national and _ID_MOBILE.fullmatch(national):
            return "+62" + national
    if not digits:
        return None
    if not text.startswith("+") and digits.startswith("62") and len(digits) >= 10:
        text = "+" + digits
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str | None) -> str:
    """Show a number the Indonesian way: ``0812-3456-7890`` for local mobiles."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, "ID")
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 62:
        national = str(number.national_number)
        local = "0" + national
        if len(local) > 8:
            return f"{local[:4]}-{local[4:8]}-{local[8:]}"
        return local
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def normalize_email(value: str | None) -> str | None:
    if not value or is_masked(value):
        return None
    value = value.strip().lower()
    return value if "@" in value else None


def normalize_name(value: str | None) -> str | None:
    return _normalize_name(value) if value else None


@lru_cache(maxsize=1 << 16)  # a buyer's username and name repeat on every order
def _normalize_name(value: str) -> str | None:
    if is_masked(value):
        return None
    return " ".join(value.casefold().split()) or None


_MASKED_PHONE = re.compile(r"^\D*(\d[\d\s\-().]*?)[*•xX]{2,}[\s\-]*(\d[\d\s\-]*)\D*$")


def phone_mask_key(value: str | None) -> str | None:
    """The digits a marketplace leaves visible in a masked number, ``812|7801``.

    ``62812****7801``, ``(+62)812*****7801`` and the full ``+6281234567801`` all give
    the same key: the first three digits of the national number and the last four.
    It is evidence for the review queue, never a contact: it is not a phone number.
    """
    return _phone_mask_key(value) if value else None


@lru_cache(maxsize=1 << 16)
def _phone_mask_key(value: str) -> str | None:
    # every order of a buyer repeats it: each text is worked out once
    if not is_masked(value):
        full = normalize_phone(value)
        if full is None or not full.startswith("+62"):
            return None
        national = full[3:]
        return f"{national[:3]}|{national[-4:]}" if national.startswith("8") else None
    match = _MASKED_PHONE.match(value.strip())
    if not match:
        return None
    head = _NON_DIGITS.sub("", match.group(1))
    tail = _NON_DIGITS.sub("", match.group(2))
    if head.startswith("62"):
        head = head[2:]
    elif head.startswith("0"):
        head = head[1:]
    if len(head) < 3 or len(tail) < 4 or not head.startswith("8"):
        return None
    return f"{head[:3]}|{tail[-4:]}"


HONORIFICS = frozenset(
    {"bu", "ibu", "pak", "bapak", "kak", "kakak", "mbak", "mba", "mas", "bang", "abang",
     "dik", "adik", "sis", "gan", "hj", "h", "om", "tante"}
)  # fmt: skip


def name_key(value: str | None) -> str | None:
    """A name reduced for comparison: lower case, no titles or punctuation, words sorted."""
    name = normalize_name(value)
    if not name:
        return None
    return _name_key(name)


@lru_cache(maxsize=1 << 16)
def _name_key(name: str) -> str | None:
    words = sorted(
        word
        for word in re.sub(r"[^\w\s]", " ", name).split()
        if word not in HONORIFICS and not word.isdigit()
    )
    return " ".join(words) or None


_MASKED_NAME = re.compile(r"^\W*([^\W\d_])[*•]{2,}([^\W\d_])\W*$")


def masked_name_initials(value: str | None) -> str | None:
    """The two letters a marketplace leaves of a masked name (``A***i`` gives ``a|i``).

    Evidence for the review queue only, hashed like every match key: never a name."""
    if not value or not is_masked(value):
        return None
    match = _MASKED_NAME.match(value.strip())
    return f"{match.group(1)}|{match.group(2)}".casefold() if match else None


@lru_cache(maxsize=1 << 16)
def name_initials(value: str | None) -> frozenset[str]:
    """The first and last letter of a name as a marketplace's mask would show them:
    of the name as written, and without a leading title (``Bu Siti Rahma`` gives
    ``b|a`` and ``s|a``), so that ``S***a`` on another order can be compared."""
    name = normalize_name(value)
    if not name:
        return frozenset()
    words = re.sub(r"[^\w\s]", " ", name).split()
    if not words or len(words[-1]) == 1:
        # "Siti R.": the last letter of the name as typed elsewhere is unknown
        return frozenset()
    result = set()
    for kept in (words, [w for w in words if w not in HONORIFICS]):
        letters = [c for c in "".join(kept) if c.isalpha()]
        if letters:
            result.add(f"{letters[0]}|{letters[-1]}")
    return frozenset(result)


_ADDRESS_WORDS = {"jalan": "jl", "jln": "jl", "nomor": "no", "nomer": "no", "gang": "gg"}


def address_key(value: str | None) -> str | None:
    """A street address reduced for comparison (``Jl. Mawar No. 3`` = ``jalan mawar no 3``)."""
    return _address_key(value) if value else None


@lru_cache(maxsize=1 << 16)
def _address_key(value: str) -> str | None:
    if is_masked(value):
        return None
    words = re.sub(r"[^\w]+", " ", value.casefold()).split()
    text = " ".join(_ADDRESS_WORDS.get(word, word) for word in words)
    return text if len(text) >= 8 else None


# The caches above spare the work of a text seen again within a file (every order of a
# buyer repeats its number and names). Across a year of files they only fill, in the
# writer and in the read-ahead worker each, and hold their texts until the run ends
# (hundreds of thousands of entries at a million order lines). An import clears them
# after each file (``text_caches_clear``): its memory is bounded by the file, not the run.
TEXT_CACHES = (
    _normalize_phone,
    _normalize_name,
    _phone_mask_key,
    _name_key,
    name_initials,
    _address_key,
)


def text_caches_clear() -> None:
    """Empty the caches of worked-out texts (``TEXT_CACHES``): the results do not change,
    only the memory they held is freed."""
    for cached in TEXT_CACHES:
        cached.cache_clear()

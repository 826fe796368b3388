"""Indonesian phone numbers: masked-value detection first, then E.164."""

from __future__ import annotations

import re

import phonenumbers

# Marketplaces mask buyer data as "******", "62812****7890" or "A***i".
_MASK = re.compile(r"[*•]{2,}|x{4,}", re.IGNORECASE)


def is_masked(value: str | None) -> bool:
    return bool(value) and bool(_MASK.search(value))


def normalize_phone(value: str | None, region: str = "ID") -> str | None:
    """Return the E.164 form (``+6281234567890``) or None when it is no phone number.

    Accepts ``0812-3456-7890``, ``62812...``, ``+62 812 ...``, ``(0812) ...``.
    A masked value is never a phone number.
    """
    if not value or is_masked(value):
        return None
    text = value.strip()
    digits = re.sub(r"\D", "", text)
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
    if not value or is_masked(value):
        return None
    return " ".join(value.casefold().split()) or None

"""Rupiah: integer amounts (or Decimal), never float; shown as ``Rp12.500``."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def _group(whole: int) -> str:
    return f"{whole:,}".replace(",", ".")


def format_rupiah(amount: int | Decimal | str | None) -> str:
    """``12500`` -> ``Rp12.500``; ``-5000`` -> ``-Rp5.000``; sen only when present."""
    if amount is None or amount == "":
        return ""
    if isinstance(amount, float):
        raise TypeError("money must not be a float")
    value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    value = abs(value)
    whole = int(value)
    sen = int((value - whole) * 100)
    text = _group(whole) + (f",{sen:02d}" if sen else "")
    return f"{sign}Rp{text}"

"""Price tiers by the group's total quantity: parse, check, and read them.

A tier says "from N pieces in the whole group on, everyone pays P a piece". Tiers are
kept ascending by N with prices that never go up. Below the first N the group has not
reached its minimum (the seller may start at 1 to have none).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from merdeka.core.services import ServiceError

MAX_TIERS = 10
MAX_PRICE = Decimal(100_000_000)
MAX_THRESHOLD = 100_000

_LINE = re.compile(
    r"^\s*(?P<min>\d+)\s*(?:(?:-|\u2013|s/d|sampai)\s*(?P<max>\d+)|\+)?\s*(?:pcs|pc|buah)?\s*"
    r"[=:]\s*(?:rp\.?)?\s*(?P<price>[\d.,]+)\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Tier:
    min_quantity: int
    price: Decimal

    def as_json(self) -> dict:
        return {"min": self.min_quantity, "price": str(self.price)}

    @classmethod
    def from_json(cls, data: dict) -> Tier:
        return cls(int(data["min"]), Decimal(data["price"]))


def _price(text: str) -> Decimal | None:
    """``45.000`` / ``45000`` / ``45,000`` -> 45000; sen are not taken."""
    digits = text.replace(".", "").replace(",", "")
    if not digits.isdigit():
        return None
    try:
        return Decimal(digits)
    except InvalidOperation:  # pragma: no cover - isdigit() guards
        return None


def tiers_parse(text: str) -> list[Tier]:
    """Read one tier a line: ``1-9 = 50000``, ``10 = Rp45.000``, ``30+ = 40.000``."""
    tiers: list[Tier] = []
    ends: list[int | None] = []
    lines = [(n, line) for n, line in enumerate((text or "").splitlines(), 1) if line.strip()]
    if not lines:
        raise ServiceError(_("Write at least one price tier, such as 1 = 50000."))
    for number, line in lines:
        match = _LINE.match(line)
        price = _price(match["price"]) if match else None
        if match is None or price is None:
            raise ServiceError(
                _("Line %(line)s: write a tier as quantity = price, such as 10 = 45000.")
                % {"line": number}
            )
        tiers.append(Tier(int(match["min"]), price))
        ends.append(int(match["max"]) if match["max"] else None)
        if ends[-1] is not None and ends[-1] < tiers[-1].min_quantity:
            raise ServiceError(
                _("Line %(line)s: the range ends before it starts.") % {"line": number}
            )
    for (number, _line), _tier, end, following in zip(
        lines, tiers, ends, [*tiers[1:], None], strict=True
    ):
        if end is not None and following is not None and following.min_quantity != end + 1:
            raise ServiceError(
                _("Line %(line)s: the next tier must start at %(start)s.")
                % {"line": number, "start": end + 1}
            )
    tiers_validate(tiers)
    return tiers


def tiers_validate(tiers: list[Tier]) -> None:
    """Ascending thresholds from 1 on, prices positive whole rupiah that never go up."""
    if not tiers:
        raise ServiceError(_("Write at least one price tier, such as 1 = 50000."))
    if len(tiers) > MAX_TIERS:
        raise ServiceError(_("Use at most 10 price tiers."))
    previous = None
    for position, tier in enumerate(tiers, 1):
        if not isinstance(tier.price, Decimal) or not isinstance(tier.min_quantity, int):
            raise TypeError("tiers hold int quantities and Decimal prices")
        if tier.min_quantity < 1 or tier.min_quantity > MAX_THRESHOLD:
            raise ServiceError(
                _("Tier %(n)s: the quantity must be between 1 and 100000.") % {"n": position}
            )
        if tier.price <= 0 or tier.price > MAX_PRICE or tier.price != tier.price.to_integral():
            raise ServiceError(
                _("Tier %(n)s: the price must be a whole number of rupiah above 0.")
                % {"n": position}
            )
        if previous is not None:
            if tier.min_quantity <= previous.min_quantity:
                raise ServiceError(
                    _("Tier %(n)s: each tier must start at a larger quantity than the one before.")
                    % {"n": position}
                )
            if tier.price > previous.price:
                raise ServiceError(
                    _("Tier %(n)s: a bigger tier cannot cost more than the one before.")
                    % {"n": position}
                )
        previous = tier


def tiers_text(tiers: list[Tier]) -> str:
    """The textarea form of tiers, ranges written out: ``1-9 = 50000``."""
    lines = []
    for tier, following in zip(tiers, [*tiers[1:], None], strict=True):
        if following is None:
            lines.append(f"{tier.min_quantity}+ = {tier.price}")
        elif following.min_quantity - 1 == tier.min_quantity:
            lines.append(f"{tier.min_quantity} = {tier.price}")
        else:
            lines.append(f"{tier.min_quantity}-{following.min_quantity - 1} = {tier.price}")
    return "\n".join(lines)


def tier_at(tiers: list[Tier], quantity: int) -> Tier | None:
    """The tier a group of ``quantity`` pieces has reached (None below the first)."""
    reached = None
    for tier in tiers:
        if quantity >= tier.min_quantity:
            reached = tier
    return reached


def price_at(tiers: list[Tier], quantity: int) -> Decimal | None:
    tier = tier_at(tiers, quantity)
    return tier.price if tier is not None else None


def tier_next(tiers: list[Tier], quantity: int) -> Tier | None:
    """The next tier with a lower price than the one reached, if any."""
    current = price_at(tiers, quantity)
    for tier in tiers:
        if tier.min_quantity > quantity and (current is None or tier.price < current):
            return tier
    return None

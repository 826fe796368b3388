"""Does an order's total add up? One rule for the import report and the order page.

An order's total should be its lines, plus the shipping the buyer paid, minus the
order's discounts (vouchers, coins). A marketplace export that disagrees with itself —
a missing line, a total copied from another order, rows of one order with different
totals — shows up as a gap between the two. Pure arithmetic: no models, so the
importers' parsers use it as they read and the order page as it shows the order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

# rupiah amounts split over lines (a voucher shared out, a unit price rounded) may be
# a rupiah off per line; more than this is a real difference
TOLERANCE = Decimal(1)


@dataclass(frozen=True)
class Gap:
    """An order whose total is not what its parts add up to."""

    total: Decimal  # what the order says it is
    lines: Decimal  # the sum of its lines
    shipping: Decimal
    discount: Decimal
    expected: Decimal  # lines + shipping - discount

    @property
    def difference(self) -> Decimal:
        return self.total - self.expected


def total_gap(
    *,
    total: Decimal | None,
    line_totals: Iterable[Decimal],
    shipping: Decimal | None,
    discount: Decimal | None = None,
    lines_count: int | None = None,
) -> Gap | None:
    """The gap between ``total`` and lines + shipping - discount, or None when they
    agree (within ``TOLERANCE`` per line) or when it cannot be told: no total, no
    lines, or no shipping fee known (an export without that column may have left the
    shipping out of everything else too)."""
    if total is None or shipping is None:
        return None
    line_totals = list(line_totals)
    if not line_totals:
        return None
    lines = sum(line_totals, Decimal(0))
    discount = abs(discount) if discount else Decimal(0)
    expected = lines + shipping - discount
    slack = TOLERANCE * (lines_count or len(line_totals))
    if abs(total - expected) <= slack:
        return None
    return Gap(total=total, lines=lines, shipping=shipping, discount=discount, expected=expected)

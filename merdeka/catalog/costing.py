"""The moving average cost of stock, as plain arithmetic (no database).

A variant's stock has ``quantity`` units whose cost is known, worth ``value`` rupiah
together (``StockCost``); units on hand beyond them came in without a cost. Every
change of the units on hand moves the value, in the order the changes happen:

* a purchase adds its units at its price: the average becomes
  ``(value + units x price) / (quantity + units)``;
* units found (a count higher than the shelf said) come in at the average, or without
  a cost when no unit has one;
* units leaving (sent to a buyer, a count lower than the shelf said) leave the units
  without a cost first (they are the oldest: they were there before any cost was
  known), then the costed ones at the average. Their cost is never guessed: what left
  without one is counted as such (``missing``).

Amounts are whole rupiah, rounded half up; the last costed unit to leave takes what
is left of the value, so the value never drifts from zero when the stock is gone.
"""

from __future__ import annotations

from dataclasses import dataclass


def share(value: int, part: int, whole: int) -> int:
    """``value x part / whole`` in whole rupiah, rounded half up."""
    if part == whole:
        return value
    return (2 * value * part + whole) // (2 * whole)


@dataclass(frozen=True)
class Moved:
    value_change: int  # what the stock's value moves by (rupiah, signed)
    quantity_change: int  # what the costed units move by
    missing: int  # units that moved without a known cost


def value_moved(
    *, quantity: int, value: int, on_hand_before: int, delta: int, unit_cost: int | None = None
) -> Moved:
    """What a change of ``delta`` units on hand (all locations) does to the cost of a
    variant with ``quantity`` costed units worth ``value``, ``on_hand_before`` units on
    hand before it. ``unit_cost``: the price of units coming in (a purchase)."""
    if delta == 0:
        return Moved(0, 0, 0)
    if delta > 0:
        if unit_cost is not None:
            return Moved(delta * unit_cost, delta, 0)
        if quantity <= 0:
            return Moved(0, 0, delta)
        return Moved(share(value, delta, quantity), delta, 0)
    units = -delta
    uncosted = max(0, on_hand_before - quantity)
    costed = min(max(0, units - uncosted), quantity)
    if costed == 0:
        return Moved(0, 0, units)
    return Moved(-share(value, costed, quantity), -costed, units - costed)

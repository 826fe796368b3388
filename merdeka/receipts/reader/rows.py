"""Group the OCR's boxes into printed rows.

A receipt's row is often split into several boxes (the name on the left, the amounts on the right)
that a tilt or a crumpled paper puts at different heights. Each box's centre is straightened by
the boxes' common slope (the median of the long boxes' top edges: what the deskew left), then
boxes are taken top to bottom and joined to the row whose straightened baseline they share (less
than half a text height away, measured from the row's nearest box, so a curved row still holds).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from merdeka.receipts.reader.engine import Box


@dataclass(frozen=True)
class Row:
    cells: tuple[Box, ...]  # left to right

    @property
    def text(self) -> str:
        return " ".join(cell.text.strip() for cell in self.cells)

    @property
    def score(self) -> float:
        return min((cell.score for cell in self.cells), default=0.0)


def common_slope(boxes: list[Box]) -> float:
    long = [box for box in boxes if box.right - box.left > 3 * box.height]
    if not long:
        return 0.0
    return statistics.median(box.slope for box in long)


def covers(one: Box, other: Box) -> bool:
    """Do the boxes share more than half of the narrower one's width (then they are not one row;
    neighbours' boxes overlap a little, the detector pads them)."""
    shared = min(one.right, other.right) - max(one.left, other.left)
    return shared > 0.5 * min(one.right - one.left, other.right - other.left)


def group_rows(boxes: list[Box]) -> list[Row]:
    if not boxes:
        return []
    slope = common_slope(boxes)

    def level(box: Box) -> float:
        x, y = box.centre
        return y - slope * x

    unit = statistics.median(box.height for box in boxes)
    rows: list[list[Box]] = []
    for box in sorted(boxes, key=level):
        y = level(box)
        best, best_distance = None, 0.5 * unit
        for row in rows[-3:]:  # only the last few rows can still take a box
            nearest = min(row, key=lambda cell: abs(cell.centre[0] - box.centre[0]))
            distance = abs(level(nearest) - y)
            overlap = any(covers(cell, box) for cell in row)
            if distance < best_distance and not overlap:
                best, best_distance = row, distance
        if best is None:
            rows.append([box])
        else:
            best.append(box)
    ordered = [Row(cells=tuple(sorted(row, key=lambda cell: cell.left))) for row in rows]
    return sorted(ordered, key=lambda row: statistics.mean(level(cell) for cell in row.cells))

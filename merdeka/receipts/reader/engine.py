"""One RapidOCR engine per process, made on first use (its models ship in the wheel: no download).

The engine takes ~0.7 s and ~150 MB to load, so it is made once, lazily, under a lock; calls are
serialised by the same lock (onnxruntime sessions are thread-safe, but two receipts at once on a
two-core machine only slow each other). ``MERDEKA_OCR_THREADS`` sets onnxruntime's threads per
call (default 1: the worker shares the machine with the web server).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

import numpy as np

from merdeka.core import memory

_lock = threading.Lock()
_engine = None


@dataclass(frozen=True)
class Box:
    """One piece of text the OCR found: its corners (clockwise from top-left) and its score."""

    text: str
    points: tuple[tuple[float, float], ...]
    score: float

    @property
    def left(self) -> float:
        return min(x for x, _y in self.points)

    @property
    def right(self) -> float:
        return max(x for x, _y in self.points)

    @property
    def top(self) -> float:
        return min(y for _x, y in self.points)

    @property
    def bottom(self) -> float:
        return max(y for _x, y in self.points)

    @property
    def centre(self) -> tuple[float, float]:
        return (
            sum(x for x, _y in self.points) / len(self.points),
            sum(y for _x, y in self.points) / len(self.points),
        )

    @property
    def height(self) -> float:
        (x0, y0), (_x1, _y1), (_x2, _y2), (x3, y3) = self.points[:4]
        left_edge = ((x3 - x0) ** 2 + (y3 - y0) ** 2) ** 0.5
        return max(1.0, left_edge)

    @property
    def slope(self) -> float:
        """dy/dx of the box's top edge (its baseline's direction)."""
        (x0, y0), (x1, y1) = self.points[0], self.points[1]
        return (y1 - y0) / (x1 - x0) if abs(x1 - x0) > 1 else 0.0


def _make():
    # local: rapidocr pulls onnxruntime and OpenCV's models in (~0.7 s); only the reader needs it
    from rapidocr import RapidOCR

    threads = int(os.environ.get("MERDEKA_OCR_THREADS", "1"))
    return RapidOCR(
        params={
            "Global.log_level": "error",
            "Global.use_cls": False,  # receipts come upright once EXIF and deskew are applied
            "Det.limit_type": "max",
            # a tall receipt is detected at most 1280 px long (the text stays ~20 px high);
            # recognition still crops from the full image. Caps the detector's memory.
            "Det.limit_side_len": 1280,
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        }
    )


def engine():
    global _engine
    if _engine is None:
        with _lock:
            if _engine is None:
                _engine = _make()
    return _engine


def read_boxes(image: np.ndarray) -> list[Box]:
    """Every text box the OCR finds in a grey or BGR image."""
    ocr = engine()
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    with _lock:
        output = ocr(image)
        # glibc keeps the OCR's freed buffers (tens of MB a photo, of varying sizes), and
        # the worker's memory would creep up photo after photo
        memory.heap_trim()
    if output.boxes is None or output.txts is None:
        return []
    return [
        Box(text=text, points=tuple((float(x), float(y)) for x, y in points), score=float(score))
        for points, text, score in zip(output.boxes, output.txts, output.scores, strict=True)
        if text.strip()
    ]

"""Freed memory handed back to the system.

glibc keeps what a process frees for its own later use: after a big piece of work (a
year's spreadsheet read, a photo read by the OCR) a long-lived worker would idle at the
high-water mark of the biggest one. ``heap_trim`` asks glibc to return it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools


@functools.cache
def _malloc_trim():
    """glibc's ``malloc_trim``, or None elsewhere (another libc: nothing to trim).
    Looked up at the first call, not on import: ``find_library`` runs ``ldconfig``."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def heap_trim() -> None:
    trim = _malloc_trim()
    if trim is not None:
        trim(0)

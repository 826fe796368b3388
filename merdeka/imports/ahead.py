"""The worker side of reading ahead (pipeline.import_paths).

A spawned worker imports this module to find its function, before Django is set up,
so nothing here imports models at module level.
"""

from __future__ import annotations

from pathlib import Path


def parse_ahead(path: str, name: str):
    """``sources.parse_file`` in a worker process, with a refusal sent back as data."""
    import django

    django.setup()  # once per worker; later calls return at once

    from merdeka.imports import sources
    from merdeka.imports.records import RejectedFile

    try:
        return "parsed", sources.parse_file(Path(path), name)
    except RejectedFile as exc:
        return "rejected", (type(exc), exc.problem)

"""Reads of imports: what a finished run brought, in the words its report uses."""

from __future__ import annotations

from merdeka.imports.models import ImportFile

# a file that brought any of these brought something
_NEW = (
    "orders_new",
    "orders_updated",
    "lines_new",
    "customers_new",
    "customers_merged",
    "identities_new",
)


def file_brought_something(report: dict | None) -> bool:
    return any((report or {}).get(name) for name in _NEW)


def run_brought_nothing(*, states_and_reports, review_waiting: int) -> bool:
    """Did a finished run leave the shop exactly as it was? True when every file was
    imported before (the same bytes) or was read whole and held nothing new (a later
    export of the same orders), and no likely duplicate was found: the report then
    says "nothing new" in words and offers no empty review. A rejected file, or one
    waiting for its columns, is something to act on, so never "nothing new"."""
    states_and_reports = list(states_and_reports)
    if not states_and_reports or review_waiting:
        return False
    for state, report in states_and_reports:
        if state == ImportFile.State.DUPLICATE:
            continue
        if state != ImportFile.State.IMPORTED or file_brought_something(report):
            return False
    return True

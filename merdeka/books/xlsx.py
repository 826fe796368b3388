"""The books' reports as a spreadsheet: each table a sheet, through ``core/sheets.py``
(typed cells: amounts are numbers a seller can add up, labels are text)."""

from __future__ import annotations

from merdeka.books.documents import Report, Table
from merdeka.core.sheets import Sheet, xlsx_write


def _sheet(table: Table, used: set[str]) -> Sheet:
    name = table.title[:31].replace("/", "-")
    for n in range(2, 100):
        if name.lower() not in used:
            break
        name = f"{table.title[:27]} ({n})"
    used.add(name.lower())
    return Sheet(
        name=name,
        header=[table.label_header, *table.columns],
        rows=[[row.label, *row.values] for row in table.rows],
    )


def report_sheets(report: Report) -> list[Sheet]:
    used: set[str] = set()
    tables = [*report.tables, *(chart.table for chart in report.charts)]
    return [_sheet(table, used) for table in tables]


def report_xlsx(report: Report, target, *, shop) -> None:
    """The report's tables as one workbook into ``target`` (a path or a binary file)."""
    xlsx_write(target, report_sheets(report), tz=shop.time_zone)

"""The books' reports as PDF: the report's own template for paper, drawn by WeasyPrint
(its text through Pango, from Debian), charts included as the same inline SVG."""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from PIL import ImageFile

from merdeka.books.documents import Report

PRINT_CSS = "books/print.css"


def report_pdf(report: Report, *, shop) -> bytes:
    """The report on A4 pages, numbered, its figures as text a reader can copy."""
    return _pdf("books/report_print.html", {"report": report, "shop": shop})


def pack_pdf(reports: list[Report], *, shop, heads: list[dict]) -> bytes:
    """A lender's pack's reports in one document (one layout: far faster than one
    PDF each), with the journal chain's month-end heads on its first page."""
    return _pdf("books/pack_print.html", {"reports": reports, "shop": shop, "heads": heads})


def _pdf(template: str, context: dict) -> bytes:
    # imported here: WeasyPrint takes about a second to import, which every web worker
    # and command would pay at start for a file few of them make
    from weasyprint import CSS, HTML

    # WeasyPrint's import tells Pillow, for the whole process, to load truncated images;
    # the checks of uploaded photos (products, payment proofs, receipts) rely on Pillow
    # refusing them, and these reports draw no image
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    html = render_to_string(template, context)
    return HTML(string=html).write_pdf(stylesheets=[CSS(filename=finders.find(PRINT_CSS))])

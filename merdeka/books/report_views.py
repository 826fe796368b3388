"""The books' reports on the phone, as PDF and as a spreadsheet, for any period.

Each page takes ``date_from`` and ``date_to`` (the shop's calendar days, both included;
this month by default) and ``format=pdf`` or ``format=xlsx`` for the file of the same
report. The reports show the shop's profit: owners see them, staff when an owner allows
it (``statements.may_see_reports``)."""

from __future__ import annotations

import datetime as dt
import tempfile

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from merdeka.books import documents, services, statements
from merdeka.books.forms import PeriodForm
from merdeka.books.models import Account, ClosedMonth
from merdeka.books.pdf import report_pdf
from merdeka.books.posting import month_close, month_reopen, today
from merdeka.books.xlsx import report_xlsx
from merdeka.core.decorators import shop_member
from merdeka.core.scoping import shop_scope
from merdeka.core.sheets import XLSX_CONTENT_TYPE

LEDGER_FILE_LINES = 5000  # a ledger's PDF or spreadsheet: a longer period is cut, and says so


def _allowed(request) -> None:
    if not statements.may_see_reports(request.membership):
        raise PermissionDenied


def _month_back(day: dt.date) -> dt.date:
    return (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def _presets(day: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    last = _month_back(day)
    return [
        (_("Today"), day, day),
        (_("This month"), day.replace(day=1), day),
        (_("Last month"), last, day.replace(day=1) - dt.timedelta(days=1)),
        (_("This year"), day.replace(month=1, day=1), day),
    ]


def _period(request):
    day = today(request.shop)
    data = request.GET if "date_from" in request.GET else None
    form = PeriodForm(data or {"date_from": day.replace(day=1), "date_to": day})
    if form.is_valid():
        return form, form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    return form, day.replace(day=1), day


def _file(report: documents.Report, request, fmt: str):
    shop = request.shop
    if fmt == "pdf":
        response = HttpResponse(report_pdf(report, shop=shop), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{report.filename}.pdf"'
    else:
        handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - the response closes it
        report_xlsx(report, handle, shop=shop)
        handle.seek(0)
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=f"{report.filename}.xlsx",
            content_type=XLSX_CONTENT_TYPE,
        )
    response["Cache-Control"] = "no-store, private"
    return response


def _serve(request, slug: str, build, *, url: str, **extra):
    _allowed(request)
    form, start, end = _period(request)
    fmt = request.GET.get("format", "")
    report = build(shop=request.shop, start=start, end=end, **extra)
    if fmt in ("pdf", "xlsx"):
        return _file(report, request, fmt)
    day = today(request.shop)
    is_owner = request.membership.is_owner
    query = f"date_from={start.isoformat()}&date_to={end.isoformat()}"
    context = {
        "report": report,
        "form": form,
        "url": url,
        "query": query,
        "slug": slug,
        "presets": [
            (label, f"date_from={a.isoformat()}&date_to={b.isoformat()}", (a, b) == (start, end))
            for label, a, b in _presets(day)
        ],
        "reports": [
            (name, reverse(URL_NAMES[key]), key == slug, f"report-{key}")
            for key, (name, _build) in documents.BUILDERS.items()
        ]
        # gross profit per channel and product (merdeka.books.cost_views), the owners'
        + (
            [(_("Gross profit"), reverse("books_gross_profit"), False, "gross-profit-link")]
            if is_owner
            else []
        ),
        "is_owner": is_owner,
        "staff_see_reports": statements.staff_see_reports(request.shop),
        "by": request.GET.get("by", ""),
    }
    if slug == "ringkasan":  # closing the books: the months closed, the last one to close
        with shop_scope(request.shop):
            context["closed_months"] = list(
                ClosedMonth.objects.filter(shop=request.shop)
                .order_by("-month")
                .values_list("month", flat=True)[:24]
            )
        context["last_month"] = _month_back(day).strftime("%Y-%m")
    return render(request, "books/report_page.html", context)


URL_NAMES = {
    "ringkasan": "books_report",
    "rekap-harian": "books_recap",
    "laba-rugi": "books_profit_and_loss",
    "arus-kas": "books_cash_flow",
    "posisi-keuangan": "books_position",
    "neraca-saldo": "books_trial_balance",
    "catatan": "books_notes",
}


@shop_member
def books_report(request):
    """The reports' first page: the period's charts, each with its table."""
    by = request.GET.get("by")
    return _serve(
        request,
        "ringkasan",
        documents.summary,
        url=reverse("books_report"),
        by=by if by in statements.BUCKETS else None,
    )


def _report_view(slug: str):
    title, build = documents.BUILDERS[slug]

    @shop_member
    def view(request):
        return _serve(request, slug, build, url=reverse(URL_NAMES[slug]))

    view.__name__ = view.__qualname__ = f"books_{slug.replace('-', '_')}"
    view.__doc__ = f"The {title} report (page, PDF, spreadsheet)."
    return view


books_recap = _report_view("rekap-harian")
books_profit_and_loss = _report_view("laba-rugi")
books_cash_flow = _report_view("arus-kas")
books_position = _report_view("posisi-keuangan")
books_trial_balance = _report_view("neraca-saldo")
books_notes = _report_view("catatan")


@shop_member
def books_ledger(request, account_id: int):
    """One account's lines in the period with the running balance, 50 a page."""
    _allowed(request)
    if not Account.objects.filter(shop=request.shop, pk=account_id).exists():
        raise Http404
    fmt = request.GET.get("format", "")
    if fmt in ("pdf", "xlsx"):
        _form, start, end = _period(request)
        report = documents.ledger_all(
            shop=request.shop,
            start=start,
            end=end,
            account_id=account_id,
            limit=LEDGER_FILE_LINES,
        )
        return _file(report, request, fmt)
    return _serve(
        request,
        "buku-besar",
        documents.ledger,
        url=reverse("books_ledger", args=[account_id]),
        account_id=account_id,
        after=request.GET.get("after") or None,
    )


@require_POST
@shop_member(owner=True)
def books_reports_access(request):
    """An owner lets the staff see the reports, or stops it."""
    allowed = request.POST.get("staff_see_reports") == "on"
    services.reports_access_set(
        shop=request.shop, staff_see_reports=allowed, actor=request.user, request=request
    )
    if allowed:
        messages.success(request, _("Staff can now see the reports."))
    else:
        messages.success(request, _("Only owners can see the reports now."))
    return redirect("books_report")


def _posted_month(request) -> dt.date | None:
    """The month of the form (``YYYY-MM``), or None."""
    try:
        return dt.datetime.strptime(request.POST.get("month", ""), "%Y-%m").date()
    except ValueError:
        return None


@require_POST
@shop_member
def books_month_close(request):
    """Close a month that has ended: nothing posts into it any more (what belongs to it
    later posts in the first open month, naming its day). Whoever sees the reports may
    close (the owners, and the staff when an owner opened the reports to them)."""
    _allowed(request)
    month = _posted_month(request)
    if month is None:
        messages.error(request, _("Choose the month to close."))
    elif month >= today(request.shop).replace(day=1):
        messages.error(request, _("Only a month that has ended can be closed."))
    elif month_close(shop=request.shop, month=month, actor=request.user, request=request):
        messages.success(
            request,
            _("%(month)s is closed: nothing posts into it any more.")
            % {"month": date_format(month, "F Y")},
        )
    else:
        messages.info(
            request, _("%(month)s was closed already.") % {"month": date_format(month, "F Y")}
        )
    return redirect("books_report")


@require_POST
@shop_member(owner=True)
def books_month_reopen(request):
    """An owner reopens a closed month (audited, ``books.month_reopened``)."""
    month = _posted_month(request)
    if month is not None and month_reopen(
        shop=request.shop, month=month, actor=request.user, request=request
    ):
        messages.success(
            request, _("%(month)s is open again.") % {"month": date_format(month, "F Y")}
        )
    else:
        messages.error(request, _("That month is not closed."))
    return redirect("books_report")

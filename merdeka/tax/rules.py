"""Dated rule data: how long each legal form may use the final rate, and the days the
tax office is closed; and what follows from them (the due date of a month's tax).

The data ships in ``merdeka/tax/data/*.json`` and is loaded into ``FinalRateLimit`` and
``Holiday`` by a migration; when the government changes a limit (it announced a longer
one for individuals in September 2025) or publishes next year's holidays, an operator
adds the dated rows with ``merdeka tax rules set`` / ``merdeka tax holidays add|load``.
Nothing here is a constant in code.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from merdeka.tax.models import FinalRateLimit, Holiday, LegalForm

DATA = Path(__file__).resolve().parent / "data"
DUE_DAY = 15  # PMK 81/2024 Pasal 94(2): by the 15th of the following month


def _date(text) -> dt.date:
    return text if isinstance(text, dt.date) else dt.date.fromisoformat(str(text))


def limits_load(path: Path | None = None, *, apps=None) -> int:
    """Add or update the limits of a JSON file (``data/final_rate_limits.json``)."""
    model = apps.get_model("tax", "FinalRateLimit") if apps else FinalRateLimit
    rows = json.loads((path or DATA / "final_rate_limits.json").read_text())["limits"]
    for row in rows:
        model.objects.update_or_create(
            legal_form=row["legal_form"],
            effective_from=_date(row["effective_from"]),
            defaults={
                "years": row["years"],
                "counted_from_year": row.get("counted_from_year", 2018),
                "source": row.get("source", ""),
            },
        )
    return len(rows)


def holidays_load(path: Path | None = None, *, apps=None) -> int:
    """Add or update the holidays of a JSON file (``data/holidays.json``)."""
    model = apps.get_model("tax", "Holiday") if apps else Holiday
    rows = json.loads((path or DATA / "holidays.json").read_text())["holidays"]
    with transaction.atomic():
        for row in rows:
            model.objects.update_or_create(
                date=_date(row["date"]),
                defaults={
                    "name": row["name"],
                    "is_collective_leave": row.get("cuti_bersama", False),
                },
            )
    return len(rows)


def limit_set(
    *,
    legal_form: str,
    effective_from: dt.date,
    years: int | None,
    counted_from_year=2018,
    source="",
) -> FinalRateLimit:
    if legal_form not in LegalForm.values:
        raise ValueError(f"unknown legal form {legal_form!r}")
    if years is not None and years < 1:
        raise ValueError("years must be at least 1 (or none: without a limit)")
    found, _created = FinalRateLimit.objects.update_or_create(
        legal_form=legal_form,
        effective_from=effective_from,
        defaults={"years": years, "counted_from_year": counted_from_year, "source": source},
    )
    return found


def holiday_add(*, day: dt.date, name: str, collective_leave: bool = False) -> Holiday:
    found, _created = Holiday.objects.update_or_create(
        date=day, defaults={"name": name, "is_collective_leave": collective_leave}
    )
    return found


# -- what follows from the data --------------------------------------------------------


@dataclass(frozen=True)
class Eligibility:
    allowed: bool
    first_year: int | None  # the first tax year counted
    last_year: int | None  # the last tax year the final rate may be used (None: no limit)
    source: str


def limit_for(legal_form: str, year: int) -> FinalRateLimit | None:
    """The limit in force for ``year``: the latest row that took effect by its end."""
    return (
        FinalRateLimit.objects.filter(
            legal_form=legal_form, effective_from__lte=dt.date(year, 12, 31)
        )
        .order_by("-effective_from")
        .first()
    )


def eligibility(legal_form: str, registered_year: int | None, year: int) -> Eligibility:
    """May a taxpayer of this form, registered in ``registered_year``, use the final rate
    in ``year``? Years count from registration, or from the limit's ``counted_from_year``
    for one registered before it (PP 55/2022 Pasal 59). Without a registration year we
    count from the year itself (she is told to fill it in)."""
    rule = limit_for(legal_form, year)
    if rule is None:
        return Eligibility(True, None, None, "")
    first = max(registered_year or year, rule.counted_from_year)
    if rule.years is None:
        return Eligibility(True, first, None, rule.source)
    last = first + rule.years - 1
    return Eligibility(year <= last, first, last, rule.source)


def is_working_day(day: dt.date, closed: set[dt.date]) -> bool:
    return day.weekday() < 5 and day not in closed


def closed_days(date_from: dt.date, date_to: dt.date) -> set[dt.date]:
    return set(
        Holiday.objects.filter(date__gte=date_from, date__lte=date_to).values_list(
            "date", flat=True
        )
    )


def due_date(month: dt.date, closed: set[dt.date] | None = None) -> dt.date:
    """The day a month's tax is due: the 15th of the following month, or the next
    working day when that is a Saturday, a Sunday, a national holiday or cuti bersama.
    ``closed``: the holidays, when the caller loaded them for several months at once."""
    nxt = (month.replace(day=1) + dt.timedelta(days=32)).replace(day=DUE_DAY)
    if closed is None:
        closed = closed_days(nxt, nxt + dt.timedelta(days=31))
    while not is_working_day(nxt, closed):
        nxt += dt.timedelta(days=1)
    return nxt

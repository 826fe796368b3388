"""PPh Final UMKM, month by month, from the books.

**The regulation.** PP 55/2022 (which replaced PP 23/2018; Pasal 56-60) and PMK 81/2024
(payment: Pasal 94(2); paying is filing: Pasal 171(4)). The rate is 0.5% of a month's
gross turnover (*peredaran bruto*) for a taxpayer whose turnover stays within Rp4.8
miliar a tax year; a year that passes it keeps the rate to its end, and the next year
does not have it. An individual (*orang pribadi*, our *perorangan*) pays nothing on the
first Rp500 juta of each calendar year's cumulative turnover (Pasal 60): months before
the year-to-date reaches it owe nothing, the month that crosses it owes 0.5% x (year to
date - Rp500 juta), later months 0.5% of their turnover. Companies (CV, firma,
koperasi, PT perorangan, PT) have no allowance. The allowance is the taxpayer's (the
NPWP's): shops under one NPWP share it (``profile.taxpayer_shops``).

**What counts as turnover** (``turnover_by_month``): what the books recognised as
revenue from selling, by the revenue's date:

* the *Sales* account (key ``sales``), which the books post gross: before the order's
  discounts and vouchers (those sit on their own line, ``discounts``, and are not
  subtracted - *peredaran bruto* is before *potongan penjualan*);
* *Shipping charged to buyers* (``shipping_income``): the buyer pays it to the shop as
  part of the price of the sale;
* less returns and cancellations after delivery: a returned order's reversal debits
  those accounts on the day it is returned, so a refund lowers the turnover of the
  month it happens in, never a month already paid for;
* not *Other income* (bank interest and the like are not turnover from the business,
  and are taxed on their own), not money received before delivery (a deposit is not
  revenue yet).

The date is the books' revenue date: the day the order was delivered under the shop's
rule (completed, or shipped if the shop chose so; ``BooksSettings.revenue_on``), in
the shop's time zone. A month whose returns exceed its sales has a negative turnover:
no tax is due that month, and the difference lowers what the next months of the same
year owe (the year's tax is then 0.5% of the year's net turnover above the allowance).

**Rounding**: each month's tax is rounded down to the whole rupiah (``tax_of``). The
billing code takes whole rupiah; the fraction is at most Rp0,995 (turnover is whole
rupiah and 0.5% is 1/200), and rounding down never charges tax on turnover she did not
have. With several shops under one NPWP the month's tax is shared between them by
their turnover, largest remainders first, so that the shares add up to the
taxpayer's amount exactly.

``tax_months(shop, year)`` and ``tax_paid(shop, date_from, date_to)`` are what other
domains read (the lender's pack, the dashboard, the notes to the statements).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from merdeka.books import services as books_services
from merdeka.books.chart import accounts_by_key
from merdeka.books.models import AccountDay
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.privacy.audit import audit_record
from merdeka.tax import rules
from merdeka.tax.models import LegalForm, TaxPayment
from merdeka.tax.profile import profile_get, registered_year, taxpayer_shops

TURNOVER_KEYS = ("sales", "shipping_income")
TAX_ACCOUNT = "tax_final"  # Beban pajak penghasilan (PPh Final), an expense (SAK EMKM)
PAYMENT_CODE = "411128-420"  # KAP-KJS of PPh Final UMKM
ALLOWANCE = 500_000_000  # PP 55/2022 Pasal 60(2): individuals only
THRESHOLD = 4_800_000_000  # PP 55/2022 Pasal 57: the year's turnover limit
WARN_AT = 4_000_000_000  # the owner is warned from here on (5/6 of the limit)
RATE_DIVISOR = 200  # 0.5% = 1/200


def tax_of(base: int) -> int:
    """0.5% of ``base`` rupiah, rounded down to the rupiah (never below zero)."""
    return max(base, 0) // RATE_DIVISOR


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def turnover_by_month(*, shop, year: int) -> dict[int, int]:
    """{month 1-12: turnover} of one shop from its books (see the module's rules)."""
    found: dict[int, int] = defaultdict(int)
    with shop_scope(shop):
        rows = (
            AccountDay.objects.filter(
                shop=shop,
                account__key__in=TURNOVER_KEYS,
                date__gte=dt.date(year, 1, 1),
                date__lte=dt.date(year, 12, 31),
            )
            .values_list("date", "credit", "debit")
            .iterator()
        )
        for day, credit, debit in rows:
            found[day.month] += credit - debit
    return dict(found)


def year_turnover(*, shops, year: int) -> int:
    total = 0
    for shop in shops:
        with shop_scope(shop):
            got = AccountDay.objects.filter(
                shop=shop,
                account__key__in=TURNOVER_KEYS,
                date__gte=dt.date(year, 1, 1),
                date__lte=dt.date(year, 12, 31),
            ).aggregate(c=Sum("credit"), d=Sum("debit"))
        total += (got["c"] or 0) - (got["d"] or 0)
    return total


@dataclass
class TaxMonth:
    month: dt.date  # its first day
    turnover: int  # this shop's
    tax: int  # this shop's share of what the taxpayer owes for the month
    due: dt.date
    paid: int  # recorded as paid by this shop for the month
    taxpayer_turnover: int  # every shop under the NPWP
    taxpayer_tax: int
    year_to_date: int  # the taxpayer's cumulative turnover at the month's end
    base: int  # the turnover taxed this month (after the allowance)
    eligible: bool  # the final rate applies this year

    @property
    def outstanding(self) -> int:
        return max(self.tax - self.paid, 0)


@dataclass
class TaxYear:
    year: int
    legal_form: str
    months: list[TaxMonth]
    eligibility: rules.Eligibility
    over_threshold_last_year: bool
    shops: int  # how many shops share the NPWP
    allowance: int

    @property
    def turnover(self) -> int:
        return sum(m.turnover for m in self.months)

    @property
    def tax(self) -> int:
        return sum(m.tax for m in self.months)

    @property
    def paid(self) -> int:
        return sum(m.paid for m in self.months)

    @property
    def year_to_date(self) -> int:
        return self.months[-1].year_to_date if self.months else 0

    @property
    def nearing_threshold(self) -> bool:
        return WARN_AT <= self.year_to_date <= THRESHOLD

    @property
    def over_threshold(self) -> bool:
        return self.year_to_date > THRESHOLD

    @property
    def final_rate(self) -> bool:
        return self.eligibility.allowed and not self.over_threshold_last_year


def _split(total: int, weights: list[int]) -> list[int]:
    """``total`` shared by ``weights`` (negatives count as 0), largest remainders first."""
    weights = [max(w, 0) for w in weights]
    whole = sum(weights)
    if not whole:
        return [total] + [0] * (len(weights) - 1)
    shares = [total * w // whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _first_month(profile, year: int) -> int:
    started = profile.started_on
    if started and started.year == year:
        return started.month
    return 1


def tax_year(*, shop, year: int) -> TaxYear:
    """The year's months for ``shop``: from January (or the month the business started)
    to December."""
    profile = profile_get(shop=shop)
    shops = taxpayer_shops(shop)
    per_shop = {s.pk: turnover_by_month(shop=s, year=year) for s in shops}
    allowance = ALLOWANCE if profile.legal_form == LegalForm.PERORANGAN else 0
    eligible = rules.eligibility(profile.legal_form, registered_year(profile), year)
    over_last_year = year_turnover(shops=shops, year=year - 1) > THRESHOLD
    final = eligible.allowed and not over_last_year
    paid = _paid_by_month(shop, year)
    closed = rules.closed_days(dt.date(year, 2, 1), dt.date(year + 1, 2, 28))
    months, ytd, taxed = [], 0, 0
    index = [s.pk for s in shops].index(shop.pk)
    for number in range(1, 13):
        amounts = [per_shop[s.pk].get(number, 0) for s in shops]
        combined = sum(amounts)
        ytd += combined
        # what the year has to pay tax on so far, less what earlier months were taxed on
        base = max(max(ytd - allowance, 0) - taxed, 0) if final else 0
        taxed += base
        if number < _first_month(profile, year):
            continue
        total = tax_of(base)
        month = dt.date(year, number, 1)
        months.append(
            TaxMonth(
                month=month,
                turnover=amounts[index],
                tax=_split(total, amounts)[index],
                due=rules.due_date(month, closed),
                paid=paid.get(number, 0),
                taxpayer_turnover=combined,
                taxpayer_tax=total,
                year_to_date=ytd,
                base=base,
                eligible=final,
            )
        )
    return TaxYear(
        year, profile.legal_form, months, eligible, over_last_year, len(shops), allowance
    )


def tax_months(shop, year: int) -> list[TaxMonth]:
    """Each month of ``year`` with its turnover, tax, due date and what was paid."""
    return tax_year(shop=shop, year=year).months


def _paid_by_month(shop, year: int) -> dict[int, int]:
    with shop_scope(shop):
        rows = (
            TaxPayment.objects.filter(
                shop=shop, month__gte=dt.date(year, 1, 1), month__lte=dt.date(year, 12, 1)
            )
            .values("month")
            .annotate(total=Sum("amount"))
            .values_list("month", "total")
        )
        return {month.month: total for month, total in rows}


def tax_paid(shop, date_from: dt.date, date_to: dt.date) -> int:
    """The PPh Final this shop recorded as paid between the two days (both included)."""
    with shop_scope(shop):
        got = TaxPayment.objects.filter(
            shop=shop, paid_on__gte=date_from, paid_on__lte=date_to
        ).aggregate(total=Sum("amount"))
    return got["total"] or 0


def tax_payments(*, shop, year: int | None = None) -> list[TaxPayment]:
    with shop_scope(shop):
        rows = TaxPayment.objects.filter(shop=shop)
        if year is not None:
            rows = rows.filter(month__year=year)
        return list(rows.order_by("-month", "-id"))


def tax_account_id(*, shop) -> int:
    return accounts_by_key(shop=shop, keys=[TAX_ACCOUNT])[TAX_ACCOUNT]


def tax_payment_record(
    *,
    shop,
    key: str,
    month: dt.date,
    amount: int,
    paid_on: dt.date,
    paid_from_id: int,
    ntpn: str = "",
    actor=None,
    request=None,
) -> TaxPayment:
    """A month's PPh Final paid: posts Dr *Beban pajak (PPh Final)*, Cr the money account
    it left, on the day it was paid, and keeps the payment. A double tap records once."""
    month = month_start(month)
    ntpn = "".join(ntpn.split()).upper()
    if ntpn and (len(ntpn) != 16 or not ntpn.isalnum()):
        raise ServiceError(_("An NTPN has 16 letters and digits."))
    if paid_on < month:
        raise ServiceError(_("The tax of a month is paid after the month starts."))
    with transaction.atomic(), shop_scope(shop):
        existing = TaxPayment.objects.filter(shop=shop, key=key).first()
        if existing is not None:
            return existing
        entry = books_services.expense_record(
            shop=shop,
            key=f"tax-{key}"[:80],
            amount=amount,
            category_id=tax_account_id(shop=shop),
            paid_from_id=paid_from_id,
            day=paid_on,
            note=_("PPh Final %(month)s") % {"month": month.strftime("%m/%Y")},
            actor=actor,
            request=request,
        )
        payment = TaxPayment.objects.create(
            shop=shop,
            month=month,
            amount=amount,
            paid_on=paid_on,
            ntpn=ntpn,
            entry=entry,
            key=key,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        audit_record(
            action="tax.payment_recorded",
            shop=shop,
            actor=actor,
            target=payment,
            request=request,
            detail={"month": month.isoformat(), "amount": amount},
        )
    return payment

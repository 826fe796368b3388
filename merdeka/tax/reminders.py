"""The month's PPh Final brought to the owners before it is due: by email
(``merdeka.outreach.owners``, once per shop and month, ``TaxReminder``) from
``REMIND_DAYS`` days before the due date, and on the dashboard until it is paid."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from merdeka.books.posting import local_date
from merdeka.core.models import Shop
from merdeka.core.money import format_rupiah
from merdeka.core.scoping import shop_scope
from merdeka.outreach.owners import owners_mail
from merdeka.tax import rules, services
from merdeka.tax.models import TaxReminder

REMIND_DAYS = 5


def last_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def month_due(*, shop, day: dt.date) -> services.TaxMonth | None:
    """Last month's tax while it is owed and not yet due: what the dashboard shows."""
    month = last_month(day)
    if day > rules.due_date(month):
        return None
    found = [m for m in services.tax_months(shop, month.year) if m.month == month]
    return found[0] if found and found[0].outstanding else None


def dashboard_tile(*, shop, membership, day: dt.date) -> dict | None:
    if membership is None or not membership.is_owner:
        return None
    due = month_due(shop=shop, day=day)
    if due is None:
        return None
    return {"amount": due.outstanding, "due": due.due, "url": reverse("tax_home")}


def _remind(shop, month: dt.date) -> int:
    figures = [m for m in services.tax_months(shop, month.year) if m.month == month]
    owed = figures[0] if figures and figures[0].outstanding else None
    sent = 0
    if owed is not None:
        with translation.override("id"):
            subject = _("PPh Final %(month)s: %(amount)s, due %(due)s") % {
                "month": date_format(month, "F Y"),
                "amount": format_rupiah(owed.outstanding),
                "due": date_format(owed.due, "j F Y"),
            }
            body = _(
                "Your PPh Final UMKM for %(month)s is %(amount)s (0.5%% of the month's "
                "turnover of %(turnover)s, as your books show it).\n\n"
                "Pay it by %(due)s with payment code (KAP-KJS) %(code)s, then record the "
                "payment in Merdeka (Pajak) so that it enters your books.\n"
            ) % {
                "month": date_format(month, "F Y"),
                "amount": format_rupiah(owed.outstanding),
                "turnover": format_rupiah(owed.turnover),
                "due": date_format(owed.due, "j F Y"),
                "code": services.PAYMENT_CODE,
            }
        sent = owners_mail(shop=shop, subject=subject, body=body)
    try:
        with transaction.atomic(), shop_scope(shop):
            TaxReminder.objects.create(shop=shop, month=month, sent_to=sent)
    except IntegrityError:  # another process did it meanwhile
        pass
    return sent


def tax_reminders_due(*, now=None) -> int:
    """Each shop whose last month's tax falls due within ``REMIND_DAYS`` days: its owners
    are told once (a shop with nothing owed is marked done without a mail)."""
    now = now or timezone.now()
    sent, dues = 0, {}
    for shop in Shop.objects.order_by("pk"):
        day = local_date(shop, now)
        month = last_month(day)
        due = dues.get(month) or dues.setdefault(month, rules.due_date(month))
        if not due - dt.timedelta(days=REMIND_DAYS) <= day <= due:
            continue
        with shop_scope(shop):
            if TaxReminder.objects.filter(shop=shop, month=month).exists():
                continue
        sent += _remind(shop, month)
    return sent

"""The journal chain's head at each month's end, to the owner: recorded as a month ends
(``chain.month_roll``) and mailed to the shop's owners once (``mailed_at``), so that she
holds, outside Merdeka, what each later pack must still show for that month.

``month_heads_due`` is the scheduler's periodic entry (``merdeka.core.schedule``): cheap
when nothing is due (a shop whose chain already moved this month is not looked at).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from merdeka.books.chain import month_roll
from merdeka.books.models import ChainMonthHead, JournalChain
from merdeka.core.models import Shop
from merdeka.core.scoping import scopes_disabled, shop_scope
from merdeka.outreach.owners import owners_mail

log = logging.getLogger(__name__)

# the earliest zone of a shop (WIB, UTC+7) is the last to start a month; the latest
# (WIT, UTC+9) the first
EARLIEST_OFFSET = dt.timedelta(hours=7)
BATCH = 500


def _this_month(now: dt.datetime) -> dt.date:
    return (now + EARLIEST_OFFSET).date().replace(day=1)


def month_heads_due(*, now=None) -> int:
    """Record last month's head for shops that have not posted since it ended, and
    mail every head not mailed yet to the owners. Returns the heads mailed."""
    now = now or timezone.now()
    with scopes_disabled():
        stale = list(
            JournalChain.objects.filter(month__lt=_this_month(now)).values_list(
                "shop_id", flat=True
            )[:BATCH]
        )
        waiting = set(
            ChainMonthHead.objects.filter(mailed_at__isnull=True).values_list("shop_id", flat=True)[
                :BATCH
            ]
        )
        shops = list(Shop.objects.filter(pk__in=set(stale) | waiting))
    mailed = 0
    for shop in shops:
        try:
            month_roll(shop=shop, now=now)
            mailed += _mail(shop, now)
        except Exception:  # one shop's mail server trouble does not stop the others
            log.exception("month-end chain heads of shop %s failed", shop.pk)
    return mailed


def _mail(shop, now: dt.datetime) -> int:
    with shop_scope(shop):
        heads = list(ChainMonthHead.objects.filter(shop=shop, mailed_at__isnull=True))
    if not heads:
        return 0
    with translation.override("id"):
        lines = [f"{h.month:%Y-%m}: {h.head} ({h.seq})" for h in heads]
        body = "\n".join(
            [
                _("The head of your journal's hash chain at the end of each month:"),
                "",
                *lines,
                "",
                _(
                    "Keep this email. Every evidence pack you give a lender shows these "
                    "heads; a lender holding an earlier pack can compare them to see that "
                    "past months were not rewritten."
                ),
                reverse("books_pack"),
            ]
        )
        owners_mail(shop=shop, subject=_("Your books' month-end seal"), body=body)
    with shop_scope(shop):
        ChainMonthHead.objects.filter(pk__in=[h.pk for h in heads]).update(mailed_at=now)
    return len(heads)

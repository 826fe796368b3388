"""Export of a customer list or segment as CSV or XLSX, streamed.

Rows are read in chunks in the list's order and decrypted in memory; they are handed
as typed values (text, numbers, dates) to ``merdeka.core.sheets``, where the rules of
writing spreadsheet cells live (typed XLSX cells, formula-safe CSV text). Starting an
export is written to the audit log.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from merdeka.core import bulk, sheets
from merdeka.core.scoping import shop_scope
from merdeka.customers import selectors
from merdeka.customers.models import Customer
from merdeka.customers.stats import RFM_LABELS, channels_of
from merdeka.privacy.audit import audit_record
from merdeka.privacy.models import Consent

CHUNK = 2000


def header() -> list[str]:
    return [
        "id",
        _("name"),
        _("phone"),
        _("email"),
        _("city"),
        _("province"),
        _("orders"),
        _("total spend (Rp)"),
        _("first order"),
        _("last order"),
        _("channels"),
        _("tags"),
        _("group"),
        _("WhatsApp consent"),
        _("email consent"),
    ]


def rows(*, shop, stats_rows):
    """The export's rows: lists of typed values (text, numbers, dates), header apart."""
    with shop_scope(shop):
        ids = list(stats_rows.values_list("customer_id", flat=True))
        for part in bulk.chunks(ids, CHUNK):
            customers = Customer.objects.filter(shop=shop, pk__in=part).in_bulk()
            stats = stats_rows.model.objects.filter(shop=shop, pk__in=part).in_bulk()
            tags = selectors.tags_of(shop=shop, customer_ids=part)
            consent: dict[tuple[int, str], bool] = {
                (c, ch): g
                for c, ch, g in Consent.objects.filter(shop=shop, customer_id__in=part).values_list(
                    "customer_id", "channel", "granted"
                )
            }
            for pk in part:
                customer, stat = customers.get(pk), stats.get(pk)
                if customer is None or stat is None:
                    continue
                cells = [
                    pk,
                    customer.name or "",
                    customer.phone or "",
                    customer.email or "",
                    customer.city,
                    customer.province,
                    stat.order_count,
                    stat.total_spend,
                    stat.first_order_at,
                    stat.last_order_at,
                    " ".join(channels_of(stat.channels)),
                    ", ".join(tags.get(pk, [])),
                    str(RFM_LABELS.get(stat.rfm_group, "")),
                    _consent_text(consent.get((pk, "whatsapp"))),
                    _consent_text(consent.get((pk, "email"))),
                ]
                yield cells


def _consent_text(granted: bool | None) -> str:
    if granted is None:
        return ""
    return _("yes") if granted else _("no")


def download(*, shop, fmt: str, name: str, stats_rows):
    """The customers of ``stats_rows`` as a CSV or XLSX download."""
    table = sheets.Sheet(_("customers"), header(), rows(shop=shop, stats_rows=stats_rows))
    return sheets.download(name=name, fmt=fmt, sheets=[table], tz=shop.time_zone)


def export_started(*, shop, actor, fmt: str, count: int, segment=None, filtered: bool, request):
    """The audit record of an export: what kind, how many rows; never the search words."""
    detail = {"format": fmt, "customers": count, "filtered": filtered, "scope": "customers"}
    if segment is not None:
        detail["segment"] = segment.pk
    audit_record(
        action="export.created",
        shop=shop,
        actor=actor,
        target=segment,
        request=request,
        detail=detail,
    )

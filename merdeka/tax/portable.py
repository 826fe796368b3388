"""The business profile, its documents and the tax paid in ``merdeka export`` and
back, inside the books' part of the export (``books.json``, key ``tax``): a payment's
journal entry is the export's id, remapped by the books' restore. Restoring into a shop
that has its own profile keeps hers; payments are matched by their key, never twice."""

from __future__ import annotations

import datetime as dt

from merdeka.core.models import Membership
from merdeka.core.scoping import shop_scope
from merdeka.tax.models import BusinessDocument, BusinessProfile, TaxPayment

PROFILE_FIELDS = ("legal_form", "business_name", "nib", "registered_year")


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def tax_export(*, shop, users: dict[int, str]) -> dict:
    with shop_scope(shop):
        profile = BusinessProfile.objects.filter(shop=shop).first()
        data: dict = {"profile": None, "documents": [], "payments": []}
        if profile is not None:
            data["profile"] = {
                **{name: getattr(profile, name) for name in PROFILE_FIELDS},
                "npwp": profile.npwp or "",
                "address": profile.address or "",
                "started_on": _day(profile.started_on),
            }
        data["documents"] = [
            {"kind": d.kind, "photo": d.photo, "width": d.width, "height": d.height}
            for d in BusinessDocument.objects.filter(shop=shop).order_by("kind")
        ]
        data["payments"] = [
            {
                "month": _day(p.month),
                "amount": p.amount,
                "paid_on": _day(p.paid_on),
                "ntpn": p.ntpn,
                "entry": p.entry_id,
                "key": p.key,
                "created_by": users.get(p.created_by_id),
            }
            for p in TaxPayment.objects.filter(shop=shop).order_by("pk")
        ]
    return data


def tax_restore(*, shop, data: dict, entries: dict[int, int]) -> None:
    members = dict(
        Membership.unscoped.filter(shop_id=shop.pk).values_list("user__username", "user_id")
    )
    with shop_scope(shop):
        profile = data.get("profile")
        if profile and not BusinessProfile.objects.filter(shop=shop).exists():
            started = profile.get("started_on")
            BusinessProfile.objects.create(
                shop=shop,
                **{name: profile.get(name) or "" for name in PROFILE_FIELDS[:3]},
                registered_year=profile.get("registered_year"),
                npwp=profile.get("npwp") or None,
                address=profile.get("address") or None,
                started_on=dt.date.fromisoformat(started) if started else None,
            )
        kept = set(BusinessDocument.objects.filter(shop=shop).values_list("kind", flat=True))
        for document in data.get("documents", []):
            if document["kind"] not in kept:
                BusinessDocument.objects.create(shop=shop, **document)
        known = set(TaxPayment.objects.filter(shop=shop).values_list("key", flat=True))
        for payment in data.get("payments", []):
            if payment["key"] in known:
                continue
            TaxPayment.objects.create(
                shop=shop,
                month=dt.date.fromisoformat(payment["month"]),
                amount=payment["amount"],
                paid_on=dt.date.fromisoformat(payment["paid_on"]),
                ntpn=payment.get("ntpn") or "",
                entry_id=entries.get(payment.get("entry")),
                key=payment["key"],
                created_by_id=members.get(payment.get("created_by")),
            )

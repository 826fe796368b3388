"""The business profile: who the shop is in law, and the scans of its papers.

A shop without a profile is a *perorangan* (an individual) with nothing else known:
``profile_get`` answers that without writing; ``profile_update`` writes it. The NPWP
and the address are sealed (an individual's NPWP is her NIK); the documents are photos
re-encoded without their metadata and sealed like an expense's receipt. Owners only:
the views check it, every change and every look at a document is audited.

Shops whose owners share an owner and whose NPWP is the same are one taxpayer
(``taxpayer_shops``): they share the individual's Rp500 juta allowance.
"""

from __future__ import annotations

import datetime as dt
import re

from django.db import transaction
from django.utils.translation import gettext as _

from merdeka.core.models import Membership, Role, Shop
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.orders import proofs
from merdeka.privacy.audit import audit_record
from merdeka.tax.models import BusinessDocument, BusinessProfile, DocumentKind, LegalForm

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
NIB_DIGITS = 13


def npwp_clean(value: str | None) -> str:
    """The NPWP as digits: 15 (the old format, ``12.345.678.9-012.345``) or 16 (the NIK
    or the new format). Empty stays empty; anything else raises ``ServiceError``."""
    text = (value or "").strip()
    if not text:
        return ""
    if re.search(r"[^0-9.\-\s]", text):
        raise ServiceError(_("An NPWP has only digits (dots and dashes may separate them)."))
    digits = re.sub(r"\D", "", text)
    if len(digits) not in (15, 16):
        raise ServiceError(
            _("An NPWP has 15 or 16 digits; this one has %(count)s.") % {"count": len(digits)}
        )
    return digits


def npwp_format(digits: str) -> str:
    if len(digits) == 15:
        d = digits
        return f"{d[:2]}.{d[2:5]}.{d[5:8]}.{d[8]}-{d[9:12]}.{d[12:]}"
    return digits


def nib_clean(value: str | None) -> str:
    digits = re.sub(r"\s", "", value or "")
    if digits and (not digits.isdigit() or len(digits) != NIB_DIGITS):
        raise ServiceError(_("An NIB has 13 digits."))
    return digits


def profile_get(*, shop) -> BusinessProfile:
    """The shop's profile; an unsaved *perorangan* one when she never filled it in."""
    with shop_scope(shop):
        found = BusinessProfile.objects.filter(shop=shop).first()
    return found or BusinessProfile(shop=shop, legal_form=LegalForm.PERORANGAN)


def profile_update(
    *,
    shop,
    legal_form: str,
    business_name: str = "",
    nib: str = "",
    npwp: str = "",
    address: str = "",
    started_on: dt.date | None = None,
    registered_year: int | None = None,
    actor=None,
    request=None,
) -> BusinessProfile:
    if legal_form not in LegalForm.values:
        raise ServiceError(_("Choose a legal form from the list."))
    npwp, nib = npwp_clean(npwp), nib_clean(nib)
    if registered_year is not None and not 1950 <= registered_year <= 2100:
        raise ServiceError(_("Write the year the NPWP was registered, e.g. 2021."))
    with transaction.atomic(), shop_scope(shop):
        profile = BusinessProfile.objects.select_for_update().filter(shop=shop).first()
        profile = profile or BusinessProfile(shop=shop)
        before = profile.legal_form if profile.pk else None
        profile.legal_form = legal_form
        profile.business_name = " ".join(business_name.split())[:120]
        profile.nib = nib
        profile.npwp = npwp or None
        profile.address = " ".join((address or "").split())[:500] or None
        profile.started_on = started_on
        profile.registered_year = registered_year
        profile.save()
        audit_record(
            action="tax.profile_changed",
            shop=shop,
            actor=actor,
            target=profile,
            request=request,
            detail={"legal_form": legal_form, "was": before, "has_npwp": bool(npwp)},
        )
    return profile


def registered_year(profile: BusinessProfile) -> int | None:
    """The year the final rate's years count from: the NPWP's registration, else the year
    the business started."""
    if profile.registered_year:
        return profile.registered_year
    return profile.started_on.year if profile.started_on else None


def _owner_ids(shop) -> set[int]:
    return set(
        Membership.unscoped.filter(shop_id=shop.pk, role=Role.OWNER).values_list(
            "user_id", flat=True
        )
    )


def taxpayer_shops(shop) -> list[Shop]:
    """The shops that are one taxpayer with ``shop``: itself, and the shops an owner of it
    also owns whose NPWP is the same (sorted by id). Another owner's shop is never read."""
    profile = profile_get(shop=shop)
    npwp = profile.npwp if profile.pk else None
    if not npwp:
        return [shop]
    owners = _owner_ids(shop)
    shop_ids = set(
        Membership.unscoped.filter(user_id__in=owners, role=Role.OWNER)
        .exclude(shop_id=shop.pk)
        .values_list("shop_id", flat=True)
    )
    found = [shop]
    for other in Shop.objects.filter(pk__in=shop_ids).order_by("pk"):
        theirs = profile_get(shop=other)
        if theirs.pk and theirs.npwp == npwp:
            found.append(other)
    return sorted(found, key=lambda s: s.pk)


# -- the documents ----------------------------------------------------------------------


def document_add(*, shop, kind: str, upload, actor=None, request=None) -> BusinessDocument:
    """Keep a photo of the KTP, NIB or NPWP (replacing the one she kept before)."""
    if kind not in DocumentKind.values:
        raise ServiceError(_("Choose which document this is."))
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_DOCUMENT_BYTES:
        raise ServiceError(_("The photo is larger than 5 MB. Send a smaller one."))
    encoded = proofs.encode(upload)
    with transaction.atomic(), shop_scope(shop):
        BusinessDocument.objects.filter(shop=shop, kind=kind).delete()
        document = BusinessDocument.objects.create(
            shop=shop,
            kind=kind,
            photo=encoded.base64,
            width=encoded.width,
            height=encoded.height,
        )
        audit_record(
            action="tax.document_added",
            shop=shop,
            actor=actor,
            target=document,
            request=request,
            detail={"kind": kind},
        )
    return document


def document_photo(*, shop, kind: str, actor=None, request=None) -> bytes:
    """The document's WebP bytes (audited); ``BusinessDocument.DoesNotExist`` if none."""
    with shop_scope(shop):
        document = BusinessDocument.objects.get(shop=shop, kind=kind)
        audit_record(
            action="tax.document_viewed",
            shop=shop,
            actor=actor,
            target=document,
            request=request,
            detail={"kind": kind},
        )
        return proofs.decode(document.photo)


def document_remove(*, shop, kind: str, actor=None, request=None) -> bool:
    with transaction.atomic(), shop_scope(shop):
        deleted, _by_model = BusinessDocument.objects.filter(shop=shop, kind=kind).delete()
        if deleted:
            audit_record(
                action="tax.document_removed",
                shop=shop,
                actor=actor,
                request=request,
                detail={"kind": kind},
            )
    return bool(deleted)


def documents_kept(*, shop) -> set[str]:
    with shop_scope(shop):
        return set(BusinessDocument.objects.filter(shop=shop).values_list("kind", flat=True))

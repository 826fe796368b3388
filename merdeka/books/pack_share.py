"""A read-only link to one pack for a lender: time-limited, revocable, audited.

The token is shown to the owner once; only its SHA-256 is kept, so a copy of the
database opens no link. The lender needs no account: each opening and download is
written to the audit log (``books.pack_opened``) with the link's label, which the owner
sees on the pack page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from merdeka.books.models import EvidencePack, PackShare
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.privacy.audit import audit_record
from merdeka.privacy.models import AuditEvent

MAX_DAYS = 90


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def share_create(*, shop, pack_id: int, label: str, days: int, actor=None, request=None):
    """A new link to a pack of the shop: (the share, its token)."""
    label = " ".join((label or "").split())[:80]
    if not label:
        raise ServiceError(_("Say who the link is for (the lender's name)."))
    if not 1 <= days <= MAX_DAYS:
        raise ServiceError(_("A link lasts from 1 to %(max)s days.") % {"max": MAX_DAYS})
    token = secrets.token_urlsafe(32)
    with transaction.atomic(), shop_scope(shop):
        pack = EvidencePack.objects.filter(shop=shop, pk=pack_id).first()
        if pack is None:
            raise ServiceError(_("That pack is not this shop's."))
        share = PackShare.objects.create(
            shop=shop,
            pack=pack,
            label=label,
            token_hash=token_hash(token),
            expires_at=timezone.now() + dt.timedelta(days=days),
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        audit_record(
            action="books.pack_shared",
            shop=shop,
            actor=actor,
            target=share,
            request=request,
            detail={"label": label, "days": days},
        )
    return share, token


def share_revoke(*, shop, share_id: int, actor=None, request=None) -> bool:
    with transaction.atomic(), shop_scope(shop):
        share = PackShare.objects.select_for_update().filter(shop=shop, pk=share_id).first()
        if share is None or share.revoked_at is not None:
            return False
        share.revoked_at = timezone.now()
        share.save(update_fields=["revoked_at"])
        audit_record(
            action="books.pack_share_revoked",
            shop=shop,
            actor=actor,
            target=share,
            request=request,
            detail={"label": share.label},
        )
    return True


def share_find(token: str, *, now=None) -> PackShare | None:
    """The live share of a token (None: unknown, expired or revoked)."""
    if not token or len(token) > 100:
        return None
    share = (
        PackShare.unscoped.select_related("pack", "shop")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if share is None or share.revoked_at is not None or share.expires_at <= (now or timezone.now()):
        return None
    return share


def share_opened(share: PackShare, *, request, what: str) -> None:
    audit_record(
        action="books.pack_opened",
        shop=share.shop,
        target=share,
        request=request,
        detail={"label": share.label, "what": what},
    )


def shares_of(*, shop) -> list[PackShare]:
    """The shop's links, newest first, each with ``opens``: when and from where it was
    opened (the audit log)."""
    with shop_scope(shop):
        shares = list(PackShare.objects.filter(shop=shop).select_related("pack")[:50])
        events = (
            AuditEvent.objects.filter(
                shop=shop,
                action="books.pack_opened",
                target_type="books.packshare",
                target_id__in=[str(s.pk) for s in shares],
            )
            .order_by("-created_at")
            .values_list("target_id", "created_at", "ip_address", "detail")
        )
        opens: dict[str, list] = {}
        for target_id, at, ip, detail in events:
            opens.setdefault(target_id, []).append({"at": at, "ip": ip, "what": detail.get("what")})
    for share in shares:
        share.opens = opens.get(str(share.pk), [])
    return shares

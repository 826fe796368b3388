"""The append-only audit log: one function writes it, everything calls that function."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from merdeka.privacy.models import AuditEvent

ACTION_LABELS = {
    "auth.login": _("Signed in"),
    "auth.logout": _("Signed out"),
    "auth.password_changed": _("Changed password"),
    "auth.two_factor_enabled": _("Two-factor sign-in turned on"),
    "auth.two_factor_disabled": _("Two-factor sign-in turned off"),
    "auth.recovery_codes_replaced": _("New recovery codes made"),
    "auth.recovery_code_used": _("Signed in with a recovery code"),
    "shop.created": _("Shop created"),
    "shop.switched": _("Switched to this shop"),
    "shop.updated": _("Shop settings changed"),
    "staff.added": _("Team member added"),
    "staff.removed": _("Team member removed"),
    "staff.role_changed": _("Team member role changed"),
    "staff.password_reset": _("Team member given a new temporary password"),
    "customer.created": _("Customer added"),
    "customer.viewed": _("Customer record viewed"),
    "customer.merged": _("Customers merged"),
    "customer.kept_apart": _("Customers kept apart"),
    "customer.merge_undone": _("Merge undone"),
    "consent.granted": _("Consent given"),
    "consent.withdrawn": _("Consent withdrawn"),
    "order.viewed": _("Order viewed"),
    "books.debt_recorded": _("Debt recorded"),
    "books.debt_paid": _("Debt payment recorded"),
    "books.debt_voided": _("Debt cancelled"),
    "books.debt_viewed": _("Debt viewed"),
    "books.debt_reminded": _("Payment reminder sent"),
    "books.pack_made": _("Evidence pack made"),
    "books.pack_shared": _("Evidence pack shared with a lender"),
    "books.pack_share_revoked": _("Evidence pack link revoked"),
    "books.pack_opened": _("Evidence pack opened by a lender"),
    "import.uploaded": _("Files uploaded for import"),
    "import.finished": _("File imported"),
    "export.created": _("Data exported"),
    "export.requested": _("Export of everything asked for"),
    "export.downloaded": _("Export of everything downloaded"),
    "import.rejected": _("File rejected"),
    "import.failed": _("Import stopped before it finished"),
    "import.mapping_saved": _("Column mapping saved"),
    "import.mapping_cancelled": _("Column mapping cancelled"),
    "import.mapping_expired": _("Upload waiting for its columns deleted"),
    "import.mapping_deleted": _("Column mapping forgotten"),
    "keys.rotation_started": _("Key rotation started"),
    "keys.rotated": _("Encryption keys rotated"),
    "keys.site_rotated": _("The site's key for sign-in secrets rotated"),
    "backup.created": _("Backup created"),
    # parcel cards and customers' rights (UU PDP)
    "cards.batch_created": _("Parcel cards made"),
    "cards.signup": _("Signed up from a parcel card"),
    "customer.data_exported": _("Customer's data downloaded"),
    "customer.corrected": _("Customer's data corrected"),
    "customer.restricted": _("Processing restricted"),
    "customer.restriction_lifted": _("Processing restriction lifted"),
    "customer.erased": _("Customer erased"),
    "privacy.retention_changed": _("Retention period changed"),
    # the breach register (UU PDP art. 46)
    "incident.recorded": _("Data protection incident recorded"),
    "incident.notices_sent": _("Incident notices sent to customers"),
    "incident.notices_downloaded": _("Incident notices downloaded"),
    "incident.customers_notified": _("Customers' notice of an incident marked sent"),
    "incident.authority_notified": _("Authority's notice of an incident marked sent"),
    "privacy.retention_run": _("Retention check run"),
    "outreach.campaign_saved": _("Campaign saved"),
    "outreach.campaign_sent": _("Campaign sent"),
    "outreach.whatsapp_settings_saved": _("WhatsApp Cloud API settings changed"),
    "outreach.template_saved": _("WhatsApp template saved"),
    "outreach.template_deleted": _("WhatsApp template deleted"),
    "outreach.templates_synced": _("WhatsApp templates fetched from Meta"),
    # online shop
    "storefront.updated": _("Online shop settings changed"),
    # the customer workspace
    "customer.changed": _("Customer details changed"),
    "customer.tagged": _("Tag added"),
    "customer.untagged": _("Tag removed"),
    "customer.note_added": _("Private note added"),
    "segment.saved": _("Segment saved"),
    "segment.deleted": _("Segment deleted"),
    # group buying
    "groupbuy.offer_saved": _("Group buy offer saved"),
    "groupbuy.opened": _("Group buy opened"),
    "groupbuy.viewed": _("Group buy members viewed"),
    "groupbuy.closed": _("Group buy closed"),
    "groupbuy.cancelled": _("Group buy cancelled"),
}


def client_ip(request) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is client-controlled unless a trusted proxy
    # rewrites it, and the proxy deployment sets REMOTE_ADDR correctly instead.
    return request.META.get("REMOTE_ADDR") or None if request is not None else None


def audit_record(
    *,
    action: str,
    shop=None,
    actor=None,
    target=None,
    request=None,
    detail: dict | None = None,
) -> AuditEvent:
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    event = AuditEvent(
        shop_id=getattr(shop, "pk", shop),
        actor=actor if actor is not None and actor.pk else None,
        actor_username=actor.get_username() if actor is not None else "",
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        ip_address=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:200] if request else ""),
        detail=detail or {},
    )
    event.save()
    return event


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))

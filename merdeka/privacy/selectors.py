from __future__ import annotations

from merdeka.core.scoping import shop_scope
from merdeka.privacy.models import AuditEvent


def audit_events(*, shop, target=None):
    with shop_scope(shop):
        events = AuditEvent.objects.filter(shop=shop).select_related("actor")
        if target is not None:
            events = events.filter(target_type=target._meta.label_lower, target_id=str(target.pk))
        return events

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PreordersConfig(AppConfig):
    name = "merdeka.preorders"
    label = "preorders"

    def ready(self) -> None:
        from merdeka.core import events  # ready(): it imports models
        from merdeka.orders.lifecycle import ORDER_CANCELLED  # ready(): it imports models
        from merdeka.preorders.services import quota_release  # ready(): it imports models
        from merdeka.privacy.audit import ACTION_LABELS  # ready(): it imports models

        # exact and atomic with the cancel: the batch's units go back, once
        events.subscribe(ORDER_CANCELLED, name="preorders.quota_release", handler=quota_release)

        # the audit log's words for the seller's pre-orders (never "preorder.opened")
        ACTION_LABELS.update(
            {
                "preorder.opened": _("Pre-order opened"),
                "preorder.closed": _("Pre-order closed"),
                "preorder.cancelled": _("Pre-order cancelled"),
                "preorder.messaged": _("Message sent to the pre-order's buyers"),
                "preorder.buyers_viewed": _("Pre-order buyers viewed"),
            }
        )

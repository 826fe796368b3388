from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReceiptsConfig(AppConfig):
    name = "merdeka.receipts"
    label = "receipts"
    verbose_name = _("Receipts")

    def ready(self) -> None:
        from merdeka.privacy.audit import ACTION_LABELS  # ready(): it imports models

        ACTION_LABELS.update(
            {
                "receipts.booked": _("Receipt booked"),
                "receipts.deleted": _("Receipt deleted"),
                "suppliers.added": _("Supplier added"),
                "suppliers.viewed": _("Supplier's contact opened"),
            }
        )

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TaxConfig(AppConfig):
    name = "merdeka.tax"
    label = "tax"

    def ready(self) -> None:
        from merdeka.privacy.audit import ACTION_LABELS  # ready(): it imports models

        ACTION_LABELS.update(
            {
                "tax.profile_changed": _("Business profile changed"),
                "tax.document_added": _("Business document added"),
                "tax.document_viewed": _("Business document viewed"),
                "tax.document_removed": _("Business document removed"),
                "tax.payment_recorded": _("Tax payment recorded"),
            }
        )

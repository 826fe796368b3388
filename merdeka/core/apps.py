from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "merdeka.core"
    label = "core"

    def ready(self) -> None:
        from django.conf import settings
        from django.utils.translation import gettext_lazy as _

        from merdeka.privacy.audit import ACTION_LABELS  # ready(): it imports models

        ACTION_LABELS["shop.export_policy_changed"] = _("Who may export changed")

        if getattr(settings, "OWNERSHIP_GUARD", False):
            from merdeka.core.ownership import install_guard  # ready(), and only when on

            install_guard()

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "merdeka.core"
    label = "core"

    def ready(self) -> None:
        from django.conf import settings

        if getattr(settings, "OWNERSHIP_GUARD", False):
            from merdeka.core.ownership import install_guard  # ready(), and only when on

            install_guard()

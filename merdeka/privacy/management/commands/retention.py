from __future__ import annotations

from django.core.management.base import BaseCommand

from merdeka.core.commandline import no_shop
from merdeka.core.models import Shop
from merdeka.core.scoping import scopes_disabled
from merdeka.privacy.models import PrivacySettings
from merdeka.privacy.retention import retention_run


class Command(BaseCommand):
    help = (
        "Erase the personal data of customers inactive for longer than their shop's "
        "retention period (all shops with a period, or one with --shop)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--shop", help="the shop's short name (slug)")

    def handle(self, *args, shop=None, **options):
        if shop:
            shops = list(Shop.objects.filter(slug=shop))
            if not shops:
                raise no_shop(shop)
        else:
            with scopes_disabled():
                ids = PrivacySettings.objects.filter(retention_months__isnull=False).values(
                    "shop_id"
                )
                shops = list(Shop.objects.filter(pk__in=ids).order_by("slug"))
        for target in shops:
            report = retention_run(shop=target)
            if report.months is None:
                self.stdout.write(f"{target.slug}: no retention period set; nothing erased")
            else:
                self.stdout.write(
                    f"{target.slug}: {report.erased} inactive customer(s) erased "
                    f"(kept for {report.months} months)"
                )

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from merdeka.core.demo import demo_login, demo_shop_ensure
from merdeka.privacy.keys import ensure_master_key, master_key_location


class Command(BaseCommand):
    help = "Prepare the data directory, keys, database and (unless --no-demo) the demo shop."

    def add_arguments(self, parser):
        parser.add_argument("--no-demo", action="store_true", help="do not create the demo shop")

    def handle(self, *args, no_demo=False, **options):
        out = self.stdout
        out.write(f"Data directory: {settings.DATA_DIR}")
        path, created = ensure_master_key()
        if created:
            out.write(self.style.WARNING(f"Created a new master key: {path}"))
        out.write(
            self.style.WARNING(
                f"Master key: {master_key_location()}\n"
                "  BACK IT UP somewhere safe, apart from your database backups.\n"
                "  Without it, customers' personal data cannot be read ever again."
            )
        )
        call_command("migrate", interactive=False, verbosity=0)
        out.write("Database is up to date.")
        if not settings.DEBUG and not settings.TESTING:
            call_command("collectstatic", interactive=False, verbosity=0)
        if no_demo:
            return
        shop, created = demo_shop_ensure()
        out.write(f"Demo shop: {shop.name} ({'created' if created else 'already there'})")
        login = demo_login()
        if login:
            out.write(self.style.SUCCESS(f"Demo owner login: {login[0]} / {login[1]}"))

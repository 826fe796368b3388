from __future__ import annotations

from django.core.management.base import BaseCommand

from merdeka.outreach.services.sending import deliveries_send_due


class Command(BaseCommand):
    help = "Outreach upkeep: `merdeka outreach due` sends every message whose retry time came."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["due"])

    def handle(self, *args, action, **options):
        tried = deliveries_send_due()
        self.stdout.write(f"{tried} messages tried")

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from merdeka.core import services
from merdeka.core.models import TIME_ZONES, Shop, User


class Command(BaseCommand):
    help = "Manage shops: `shop create` makes a shop and its owner, `shop list` lists them."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a shop and its owner")
        create.add_argument("--name", required=True, help='shop name, e.g. "Toko Kue Bu Ika"')
        create.add_argument("--owner", required=True, help="owner's username (created if new)")
        create.add_argument("--owner-name", default="", help="owner's full name")
        create.add_argument("--owner-email", default="")
        create.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the new owner's password from standard input instead of generating one",
        )
        create.add_argument("--slug", default=None, help="short name used in links")
        create.add_argument(
            "--time-zone", default="Asia/Jakarta", choices=[code for code, _ in TIME_ZONES]
        )
        sub.add_parser("list", help="list shops")

    def handle(self, *args, action, **options):
        if action == "list":
            for shop in Shop.objects.order_by("slug"):
                self.stdout.write(f"{shop.slug}\t{shop.name}\t{shop.time_zone}")
            return
        username = options["owner"]
        owner = User.objects.filter(username__iexact=username).first()
        password = None
        try:
            if owner is None:
                given = sys.stdin.readline().rstrip("\n") if options["password_stdin"] else None
                owner, password = services.user_create(
                    username=username,
                    password=given,
                    first_name=options["owner_name"],
                    email=options["owner_email"],
                )
            shop = services.shop_create(
                name=options["name"],
                owner=owner,
                slug=options["slug"],
                time_zone=options["time_zone"],
            )
        except services.ServiceError as exc:
            raise CommandError(str(exc)) from None
        except Exception as exc:
            if exc.__class__.__name__ == "ValidationError":
                raise CommandError(" ".join(exc.messages)) from None
            raise
        self.stdout.write(self.style.SUCCESS(f"Created shop {shop.name} ({shop.slug})."))
        if password:
            self.stdout.write(
                f"Owner login: {owner.username} / {password}\n"
                "This temporary password must be changed at the first sign-in."
            )
        else:
            self.stdout.write(f"Owner: {owner.username}")

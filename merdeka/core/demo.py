"""The demo shop that ``make run`` creates on a fresh machine."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.db import transaction

from merdeka.core import services
from merdeka.core.models import Role, Shop, User
from merdeka.core.phone import normalize_phone
from merdeka.customers.services import customer_create

DEMO_SLUG = "demo"
DEMO_OWNER = "ika"

DEMO_CUSTOMERS = [
    (
        "Siti Nurhaliza",
        "0812-3456-7801",
        "siti.nur@example.id",
        "Jl. Melati No. 5",
        "Kota Bandung",
        "Jawa Barat",
    ),
    (
        "Budi Santoso",
        "+62 813 2233 4455",
        "",
        "Perum Griya Asri B2/7",
        "Kabupaten Sleman",
        "DI Yogyakarta",
    ),
    (
        "Ni Made Ayu Lestari",
        "081999887766",
        "ayu.lestari@example.id",
        "Jl. Raya Ubud 21",
        "Kabupaten Gianyar",
        "Bali",
    ),
    (
        "Dewi Anggraini",
        "0857 1234 5678",
        "",
        "Gg. Mawar 3, RT 02/RW 05",
        "Kota Surabaya",
        "Jawa Timur",
    ),
    ("Andi Pratama", "6285211223344", "andi.p@example.id", "", "Kota Makassar", "Sulawesi Selatan"),
]


def demo_login_file() -> Path:
    return Path(settings.DATA_DIR) / "demo-login.txt"


def demo_login() -> tuple[str, str] | None:
    try:
        username, password = demo_login_file().read_text().split()[:2]
    except (FileNotFoundError, ValueError):
        return None
    return username, password


@transaction.atomic
def demo_shop_ensure() -> tuple[Shop, bool]:
    """Create the demo shop once; later calls return the existing one."""
    shop = Shop.objects.filter(slug=DEMO_SLUG).first()
    if shop is not None:
        return shop, False
    owner = User.objects.filter(username=DEMO_OWNER).first()
    password = None
    if owner is None:
        password = services.temporary_password()
        owner, _ = services.user_create(
            username=DEMO_OWNER, password=password, first_name="Ika Rahmawati"
        )
    shop = services.shop_create(name="Dapur Kue Bu Ika", owner=owner, slug=DEMO_SLUG)
    services.staff_add(
        shop=shop, actor=owner, username="rina", role=Role.STAFF, first_name="Rina Wulandari"
    )
    for name, phone, email, address, city, province in DEMO_CUSTOMERS:
        customer_create(
            shop=shop,
            actor=owner,
            name=name,
            phone=normalize_phone(phone) or "",
            email=email,
            address=address,
            city=city,
            province=province,
        )
    if password is not None:
        path = demo_login_file()
        path.unlink(missing_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(f"{DEMO_OWNER} {password}\n")
    return shop, True

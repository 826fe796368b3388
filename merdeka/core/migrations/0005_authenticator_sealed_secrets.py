"""Authenticator secrets sealed with the site's key (``core.Authenticator``,
``privacy.sitekeys``): the proxy model, and the secrets already stored in plain hex
sealed in place (back to hex when the migration is reversed)."""

from django.db import migrations

import merdeka.privacy.sitekeys
from merdeka.privacy import sitekeys

LABEL = "core.authenticator"  # Authenticator.LABEL, as it was when this was written


def seal_existing(apps, schema_editor):
    devices = apps.get_model("otp_totp", "TOTPDevice")
    site_keys = apps.get_model("privacy", "SiteKey")
    for device in devices.objects.order_by("pk").iterator():
        if sitekeys.is_sealed(device.key):
            continue
        device.key = sitekeys.seal(
            bytes.fromhex(device.key), label=LABEL, row=str(device.user_id), model=site_keys
        )
        device.save(update_fields=["key"])


def open_again(apps, schema_editor):
    devices = apps.get_model("otp_totp", "TOTPDevice")
    site_keys = apps.get_model("privacy", "SiteKey")
    for device in devices.objects.order_by("pk").iterator():
        if not sitekeys.is_sealed(device.key):
            continue
        secret = sitekeys.unseal(device.key, label=LABEL, row=str(device.user_id), model=site_keys)
        device.key = secret.hex()
        device.save(update_fields=["key"])


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_shop_staff_may_export"),
        ("otp_totp", "0003_add_timestamps"),
        ("privacy", "0006_sitekey"),
    ]

    operations = [
        migrations.CreateModel(
            name="Authenticator",
            fields=[],
            options={
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=(merdeka.privacy.sitekeys.SiteSealed, "otp_totp.totpdevice"),
        ),
        migrations.RunPython(seal_existing, open_again),
    ]

"""Key management: creating a shop's keys and rotating its data key (resumable), and
rotating the site's own key for sign-in secrets (``sitekeys``)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from merdeka.core.scoping import shop_scope
from merdeka.privacy import crypto, keys, sitekeys
from merdeka.privacy.audit import audit_record
from merdeka.privacy.fields import EncryptedModel
from merdeka.privacy.models import ShopKey

ROTATION_BATCH = int(os.environ.get("MERDEKA_ROTATION_BATCH", "500"))


def shop_keys_create(*, shop) -> None:
    """Give a new shop its first data key and its index key."""
    for purpose in (ShopKey.DATA, ShopKey.INDEX):
        ShopKey.unscoped.create(
            shop=shop,
            purpose=purpose,
            version=1,
            wrapped=keys.wrap_key(
                os.urandom(keys.KEY_BYTES), shop_id=shop.pk, purpose=purpose, version=1
            ),
            master_key_id=keys.master_key_id(),
        )


def encrypted_models() -> list[type[EncryptedModel]]:
    return [
        model
        for model in apps.get_models()
        if issubclass(model, EncryptedModel) and not model._meta.abstract
    ]


@dataclass
class RotationReport:
    shop_id: int
    version: int
    rows_reencrypted: int
    resumed: bool
    retired_versions: list[int]


def keys_status(*, shop) -> dict:
    active = crypto.active_data_key_version(shop.pk)
    pending = sum(
        model.unscoped.filter(shop_id=shop.pk, key_version__lt=active).count()
        for model in encrypted_models()
    )
    live = list(
        ShopKey.unscoped.filter(shop_id=shop.pk, purpose=ShopKey.DATA, retired_at__isnull=True)
        .order_by("version")
        .values_list("version", flat=True)
    )
    return {"active_version": active, "rows_on_old_keys": pending, "live_versions": live}


def keys_rotate(
    *, shop, actor=None, progress: Callable[[int], None] | None = None
) -> RotationReport:
    """Move every encrypted row of ``shop`` to a fresh data key.

    Safe to stop at any moment and to run again: a new key version is created only
    when no rotation is under way; each batch of rows is re-encrypted in its own
    transaction; old keys are destroyed only once no row needs them.
    """
    with transaction.atomic():
        live = list(
            ShopKey.unscoped.select_for_update()
            .filter(shop_id=shop.pk, purpose=ShopKey.DATA, retired_at__isnull=True)
            .order_by("version")
        )
        resumed = len(live) > 1
        if resumed:
            version = live[-1].version
        else:
            version = live[-1].version + 1 if live else 1
            ShopKey.unscoped.create(
                shop=shop,
                purpose=ShopKey.DATA,
                version=version,
                wrapped=keys.wrap_key(
                    os.urandom(keys.KEY_BYTES),
                    shop_id=shop.pk,
                    purpose=ShopKey.DATA,
                    version=version,
                ),
                master_key_id=keys.master_key_id(),
            )
            audit_record(
                action="keys.rotation_started", shop=shop, actor=actor, detail={"version": version}
            )

    done = 0
    with shop_scope(shop):
        for model in encrypted_models():
            while True:
                with transaction.atomic():
                    rows = list(
                        model.unscoped.select_for_update()
                        .filter(shop_id=shop.pk, key_version__lt=version)
                        .order_by("pk")[:ROTATION_BATCH]
                    )
                    if not rows:
                        break
                    for row in rows:
                        row.save(update_fields=["key_version"])
                done += len(rows)
                if progress:
                    progress(len(rows))

    with transaction.atomic():
        remaining = sum(
            model.unscoped.filter(shop_id=shop.pk, key_version__lt=version).count()
            for model in encrypted_models()
        )
        retired: list[int] = []
        if remaining == 0:
            old = ShopKey.unscoped.select_for_update().filter(
                shop_id=shop.pk,
                purpose=ShopKey.DATA,
                version__lt=version,
                retired_at__isnull=True,
            )
            retired = sorted(old.values_list("version", flat=True))
            # Destroying the wrapped key is what makes the old key unusable here;
            # backups taken before the rotation still hold their own copy.
            old.update(retired_at=timezone.now(), wrapped=b"")
            audit_record(
                action="keys.rotated",
                shop=shop,
                actor=actor,
                detail={"version": version, "rows": done, "retired": retired},
            )
    crypto.clear_key_cache()
    return RotationReport(
        shop_id=shop.pk,
        version=version,
        rows_reencrypted=done,
        resumed=resumed,
        retired_versions=retired,
    )


def site_keys_rotate(
    *, actor=None, progress: Callable[[int], None] | None = None
) -> sitekeys.SiteRotation:
    """Seal every authenticator secret under a fresh site key and destroy the old one
    (resumable, like ``keys_rotate``); audited once it is done."""
    report = sitekeys.site_keys_rotate(purpose=sitekeys.AUTH, progress=progress)
    audit_record(
        action="keys.site_rotated",
        actor=actor,
        detail={
            "purpose": report.purpose,
            "version": report.version,
            "rows": report.rows_resealed,
            "retired": report.retired_versions,
        },
    )
    return report

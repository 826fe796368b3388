"""Secrets that belong to a person rather than a shop (the secret of her authenticator
app), sealed with the site's own key (``SiteKey``, wrapped by the master key, so a copy
of the database alone does not open them).

A sealed secret is ``s<key version>:`` then base64url(nonce:12 | ciphertext+tag): 68
characters for a 20-byte secret, within django-otp's 80-character key column. The
associated data binds the purpose, the model and the row's owner, so a sealed secret
copied to another person's row does not open. Any failure raises ``DecryptionError``:
nothing is ever handed back as if it were the secret.

``site_keys_rotate`` (``merdeka keys rotate``) makes a new key version, seals every row
of the models that hold such secrets (``SiteSealed``) again, batch by batch in
transactions of their own (safe to stop and run again), and destroys the old key once
no row needs it.
"""

from __future__ import annotations

import base64
import binascii
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.apps import apps
from django.db import IntegrityError, transaction
from django.utils import timezone

from merdeka.privacy import keys
from merdeka.privacy.crypto import DecryptionError

AUTH = "auth"
PREFIX = "s"
_NONCE = 12
BATCH = int(os.environ.get("MERDEKA_ROTATION_BATCH", "500"))

_lock = threading.Lock()
_ciphers: dict[tuple[str, int], AESGCM] = {}


@keys.on_forget
def clear_cache() -> None:
    with _lock:
        _ciphers.clear()


class SiteSealed:
    """A model whose rows hold a secret sealed with the site's key, in the column
    ``site_sealed_field``; ``site_reseal`` seals it again under the active key."""

    site_sealed_field = ""
    site_sealed_purpose = AUTH

    def site_reseal(self) -> None:  # pragma: no cover - every model says how
        raise NotImplementedError


def _keys_model(model=None):
    """The key rows, by the app registry (a migration passes its own model)."""
    return model or apps.get_model("privacy", "SiteKey")


def _associated_data(purpose: str, label: str, row: str) -> bytes:
    return f"merdeka:site:v1|{purpose}|{label}|{row}".encode()


def _create(purpose: str, version: int, model) -> None:
    try:
        with transaction.atomic():
            model.objects.create(
                purpose=purpose,
                version=version,
                wrapped=keys.wrap_site_key(
                    os.urandom(keys.KEY_BYTES), purpose=purpose, version=version
                ),
                master_key_id=keys.master_key_id(),
            )
    except IntegrityError:  # another process made it first: theirs is the key
        pass


def active_version(purpose: str = AUTH, *, model=None) -> int:
    """The newest live key version of ``purpose``; the first is made on first use."""
    model = _keys_model(model)
    live = model.objects.filter(purpose=purpose, retired_at__isnull=True)
    version = live.order_by("-version").values_list("version", flat=True).first()
    if version is None:
        _create(purpose, 1, model)
        version = live.order_by("-version").values_list("version", flat=True).first()
    return version


def _cipher(purpose: str, version: int, model=None) -> AESGCM:
    cipher = _ciphers.get((purpose, version))
    if cipher is None:
        wrapped = (
            _keys_model(model)
            .objects.filter(purpose=purpose, version=version, retired_at__isnull=True)
            .values_list("wrapped", flat=True)
            .first()
        )
        if not wrapped:
            raise keys.KeyUnwrapError(f"the site has no live {purpose} key v{version}")
        raw = keys.unwrap_site_key(bytes(wrapped), purpose=purpose, version=version)
        cipher = AESGCM(raw)
        with _lock:
            _ciphers[(purpose, version)] = cipher
    return cipher


def is_sealed(value: str) -> bool:
    head, sep, _rest = (value or "").partition(":")
    return bool(sep) and head[:1] == PREFIX and head[1:].isdigit()


def sealed_version(token: str) -> int | None:
    return int(token.partition(":")[0][1:]) if is_sealed(token) else None


def seal(secret: bytes, *, label: str, row: str, purpose: str = AUTH, model=None) -> str:
    version = active_version(purpose, model=model)
    nonce = os.urandom(_NONCE)
    sealed = _cipher(purpose, version, model).encrypt(
        nonce, secret, _associated_data(purpose, label, row)
    )
    return f"{PREFIX}{version}:" + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def unseal(token: str, *, label: str, row: str, purpose: str = AUTH, model=None) -> bytes:
    """The secret, or ``DecryptionError`` (not sealed, tampered, moved, key gone)."""
    version = sealed_version(token)
    if version is None:
        raise DecryptionError("not a sealed secret")
    try:
        blob = base64.urlsafe_b64decode(token.partition(":")[2].encode("ascii"))
        cipher = _cipher(purpose, version, model)
        return cipher.decrypt(blob[:_NONCE], blob[_NONCE:], _associated_data(purpose, label, row))
    except (InvalidTag, binascii.Error, ValueError, keys.KeyError_) as exc:
        raise DecryptionError(f"a sealed {purpose} secret does not open") from exc


def sealed_models() -> list[type]:
    return [m for m in apps.get_models() if issubclass(m, SiteSealed)]


def _not_on(model, version: int):
    field = model.site_sealed_field
    return model.objects.exclude(**{f"{field}__startswith": f"{PREFIX}{version}:"})


def site_keys_status(purpose: str = AUTH) -> dict:
    model = _keys_model()
    live = list(
        model.objects.filter(purpose=purpose, retired_at__isnull=True)
        .order_by("version")
        .values_list("version", flat=True)
    )
    if not live:
        return {"active_version": None, "rows_on_old_keys": 0, "live_versions": []}
    pending = sum(
        _not_on(m, live[-1]).count() for m in sealed_models() if m.site_sealed_purpose == purpose
    )
    return {"active_version": live[-1], "rows_on_old_keys": pending, "live_versions": live}


@dataclass
class SiteRotation:
    purpose: str
    version: int
    rows_resealed: int
    resumed: bool
    retired_versions: list[int]


def site_keys_rotate(
    *, purpose: str = AUTH, progress: Callable[[int], None] | None = None
) -> SiteRotation:
    """Move every secret of ``purpose`` to a fresh site key and destroy the old ones.

    Safe to stop at any moment and to run again: a new version is made only when no
    rotation is under way; each batch is sealed again in its own transaction, its rows
    locked; old keys are destroyed only once no row needs them."""
    model = _keys_model()
    with transaction.atomic():
        live = list(
            model.objects.select_for_update()
            .filter(purpose=purpose, retired_at__isnull=True)
            .order_by("version")
        )
        resumed = len(live) > 1
        version = live[-1].version + (0 if resumed else 1) if live else 1
        if not resumed:
            _create(purpose, version, model)
    done = 0
    holders = [m for m in sealed_models() if m.site_sealed_purpose == purpose]
    for holder in holders:
        while True:
            with transaction.atomic():
                rows = list(_not_on(holder, version).select_for_update().order_by("pk")[:BATCH])
                for row in rows:
                    row.site_reseal()
                    row.save(update_fields=[holder.site_sealed_field])
            if not rows:
                break
            done += len(rows)
            if progress:
                progress(len(rows))
    retired: list[int] = []
    with transaction.atomic():
        if not any(_not_on(holder, version).exists() for holder in holders):
            old = model.objects.select_for_update().filter(
                purpose=purpose, version__lt=version, retired_at__isnull=True
            )
            retired = sorted(old.values_list("version", flat=True))
            old.update(retired_at=timezone.now(), wrapped=b"")
    clear_cache()
    return SiteRotation(
        purpose=purpose,
        version=version,
        rows_resealed=done,
        resumed=resumed,
        retired_versions=retired,
    )

"""Key hierarchy: one master key outside the database wraps every shop's keys.

* The **master key** (KEK, 32 bytes) comes from ``MERDEKA_MASTER_KEY`` (base64) or a
  key file created with mode 0600 on first use. It is never stored in the database,
  so a stolen dump or backup holds only wrapped keys.
* The site has keys of its own (``SiteKey``, wrapped the same way, bound to their
  purpose and version) for secrets that belong to no shop: ``privacy.sitekeys``.
* Each shop has **data keys** (AES-256-GCM, versioned, for encrypting personal data)
  and one **index key** (HMAC-SHA256, for blind indexes). They are stored wrapped
  with the master key, with the shop, purpose and version bound as associated data.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import threading
from collections.abc import Callable
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

KEY_BYTES = 32
NONCE_BYTES = 12


class KeyError_(Exception):
    """Raised when a key cannot be loaded or unwrapped."""


class MasterKeyMissing(KeyError_):
    pass


class KeyUnwrapError(KeyError_):
    pass


_lock = threading.Lock()
_master_cache: dict[str, bytes] = {}
_forget_hooks: list[Callable[[], None]] = []


def master_key_location() -> str:
    if settings.MERDEKA_MASTER_KEY:
        return "MERDEKA_MASTER_KEY"
    return str(settings.MERDEKA_MASTER_KEY_FILE)


def ensure_master_key() -> tuple[Path | None, bool]:
    """Create the master key file if no key is configured. Returns (path, created)."""
    if settings.MERDEKA_MASTER_KEY:
        return None, False
    path = Path(settings.MERDEKA_MASTER_KEY_FILE)
    if path.exists():
        return path, False
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path, False
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.b64encode(os.urandom(KEY_BYTES)).decode() + "\n")
    return path, True


def _decode_master(text: str, source: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MasterKeyMissing(f"master key in {source} is not valid base64") from exc
    if len(key) != KEY_BYTES:
        raise MasterKeyMissing(f"master key in {source} must be {KEY_BYTES} bytes")
    return key


def master_key() -> bytes:
    source = master_key_location()
    with _lock:
        cached = _master_cache.get(source)
        if cached is not None:
            return cached
        if settings.MERDEKA_MASTER_KEY:
            key = _decode_master(settings.MERDEKA_MASTER_KEY, source)
        else:
            ensure_master_key()
            key = _decode_master(Path(source).read_text(), source)
        _master_cache[source] = key
        return key


def master_key_id() -> str:
    """A short fingerprint that tells which master key wrapped a shop key."""
    return hashlib.sha256(b"merdeka-master-id" + master_key()).hexdigest()[:16]


def on_forget(hook: Callable[[], None]) -> Callable[[], None]:
    """Have ``forget_cached_keys`` also empty a cache of keys kept above this module
    (``crypto``'s unwrapped shop keys), which this module does not import."""
    _forget_hooks.append(hook)
    return hook


def forget_cached_keys() -> None:
    """Drop every unwrapped key from memory (tests, and after rotation)."""
    with _lock:
        _master_cache.clear()
    for hook in _forget_hooks:
        hook()


def _wrap_aad(shop_id: int, purpose: str, version: int) -> bytes:
    return f"merdeka:shopkey:v1|{shop_id}|{purpose}|{version}".encode()


def wrap_key(raw: bytes, *, shop_id: int, purpose: str, version: int) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(master_key()).encrypt(nonce, raw, _wrap_aad(shop_id, purpose, version))


def unwrap_key(wrapped: bytes, *, shop_id: int, purpose: str, version: int) -> bytes:
    try:
        return AESGCM(master_key()).decrypt(
            bytes(wrapped[:NONCE_BYTES]),
            bytes(wrapped[NONCE_BYTES:]),
            _wrap_aad(shop_id, purpose, version),
        )
    except InvalidTag as exc:
        raise KeyUnwrapError(
            f"the {purpose} key v{version} of shop {shop_id} does not open with this "
            f"master key ({master_key_location()})"
        ) from exc


def _site_aad(purpose: str, version: int) -> bytes:
    return f"merdeka:sitekey:v1|{purpose}|{version}".encode()


def wrap_site_key(raw: bytes, *, purpose: str, version: int) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(master_key()).encrypt(nonce, raw, _site_aad(purpose, version))


def unwrap_site_key(wrapped: bytes, *, purpose: str, version: int) -> bytes:
    try:
        return AESGCM(master_key()).decrypt(
            bytes(wrapped[:NONCE_BYTES]), bytes(wrapped[NONCE_BYTES:]), _site_aad(purpose, version)
        )
    except InvalidTag as exc:
        raise KeyUnwrapError(
            f"the site's {purpose} key v{version} does not open with this master key "
            f"({master_key_location()})"
        ) from exc

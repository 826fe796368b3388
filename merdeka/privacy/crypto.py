"""Field encryption (AES-256-GCM) and blind indexes (HMAC-SHA256), per shop.

A sealed value is ``base64url(0x01 | key_version:4 | nonce:12 | ciphertext+tag)``.
The associated data binds the shop, the model, the column and the row's uid, so a
ciphertext copied to another column, row or shop does not decrypt. Any failure
raises ``DecryptionError``: ciphertext is never handed back as if it were text.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import contextvars
import hashlib
import hmac
import os
import struct
import threading

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.apps import apps

from merdeka.privacy import keys

FORMAT_VERSION = 1
_HEADER = struct.Struct(">BI")  # format version, key version
_NONCE = 12


class DecryptionError(Exception):
    """A sealed value could not be opened: tampered, moved, or the wrong key."""


_cache_lock = threading.Lock()
_key_cache: dict[tuple[int, str, int], bytes] = {}
_cipher_cache: dict[tuple[int, int], AESGCM] = {}
_mac_cache: dict[int, hmac.HMAC] = {}


@keys.on_forget
def clear_key_cache() -> None:
    with _cache_lock:
        _key_cache.clear()
        _cipher_cache.clear()
        _mac_cache.clear()


def _cipher(shop_id: int, version: int) -> AESGCM:
    cipher = _cipher_cache.get((shop_id, version))
    if cipher is None:
        cipher = AESGCM(_shop_key(shop_id, "data", version))
        with _cache_lock:
            _cipher_cache[(shop_id, version)] = cipher
    return cipher


def _mac(shop_id: int) -> hmac.HMAC:
    mac = _mac_cache.get(shop_id)
    if mac is None:
        mac = hmac.new(_shop_key(shop_id, "index", 1), digestmod=hashlib.sha256)
        with _cache_lock:
            _mac_cache[shop_id] = mac
    return mac


def _shop_key(shop_id: int, purpose: str, version: int) -> bytes:
    cache_key = (shop_id, purpose, version)
    with _cache_lock:
        key = _key_cache.get(cache_key)
    if key is not None:
        return key

    row = (
        _shop_keys()
        .filter(shop_id=shop_id, purpose=purpose, version=version)
        .values_list("wrapped", flat=True)
        .first()
    )
    if not row:
        raise keys.KeyUnwrapError(f"shop {shop_id} has no {purpose} key v{version}")
    key = keys.unwrap_key(bytes(row), shop_id=shop_id, purpose=purpose, version=version)
    with _cache_lock:
        _key_cache[cache_key] = key
    return key


def shop_keys_verify() -> int:
    """Unwrap every shop's live keys with the configured master key (after a restore);
    returns the shops checked. Raises ``keys.KeyError_`` for the first that fails."""
    checked = set()
    for shop_id, purpose, version in (
        _shop_keys().filter(retired_at__isnull=True).values_list("shop_id", "purpose", "version")
    ):
        _shop_key(shop_id, purpose, version)
        checked.add(shop_id)
    return len(checked)


_pinned_versions: contextvars.ContextVar[dict[int, int] | None] = contextvars.ContextVar(
    "merdeka_pinned_key_versions", default=None
)


@contextlib.contextmanager
def data_key_versions_pinned():
    """Look each shop's active data key version up once for the block, not per sealed
    row or model: for one short transaction that seals several rows (an order, its
    customer and identity). A rotation that starts meanwhile finds these rows on the
    old version and moves them, as it does any row written while it runs."""
    token = _pinned_versions.set({})
    try:
        yield
    finally:
        _pinned_versions.reset(token)


def active_data_key_version(shop_id: int) -> int:
    pinned = _pinned_versions.get()
    if pinned is not None and shop_id in pinned:
        return pinned[shop_id]
    version = _active_data_key_version(shop_id)
    if pinned is not None:
        pinned[shop_id] = version
    return version


def _active_data_key_version(shop_id: int) -> int:
    """The shop's newest data key version (``selectors.newest_data_key_version``)."""
    from merdeka.privacy.selectors import newest_data_key_version  # cycle: models seal with us

    version = newest_data_key_version(shop_id)
    if version is None:
        raise keys.KeyUnwrapError(f"shop {shop_id} has no data key yet")
    return version


def associated_data(shop_id: int, label: str, column: str, row: str) -> bytes:
    return f"merdeka:field:v1|{shop_id}|{label}|{column}|{row}".encode()


def _seal(cipher: AESGCM, version: int, plaintext: str, aad: bytes) -> str:
    nonce = os.urandom(_NONCE)
    sealed = cipher.encrypt(nonce, plaintext.encode("utf-8"), aad)
    blob = _HEADER.pack(FORMAT_VERSION, version) + nonce + sealed
    return base64.urlsafe_b64encode(blob).decode("ascii")


def encrypt(
    plaintext: str, *, shop_id: int, label: str, column: str, row: str, version: int
) -> str:
    return _seal(
        _cipher(shop_id, version), version, plaintext, associated_data(shop_id, label, column, row)
    )


def token_key_version(token: str) -> int:
    try:
        head = base64.urlsafe_b64decode(token[:8] + "==")[: _HEADER.size]
        fmt, version = _HEADER.unpack(head)
    except (binascii.Error, ValueError, struct.error) as exc:
        raise DecryptionError("not a sealed value") from exc
    if fmt != FORMAT_VERSION:
        raise DecryptionError(f"unknown sealed-value format {fmt}")
    return version


def decrypt(token: str, *, shop_id: int, label: str, column: str, row: str) -> str:
    try:
        blob = base64.urlsafe_b64decode(token.encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise DecryptionError(f"{label}.{column}: not a sealed value") from exc
    if len(blob) < _HEADER.size + _NONCE + 16:
        raise DecryptionError(f"{label}.{column}: sealed value is truncated")
    fmt, version = _HEADER.unpack(blob[: _HEADER.size])
    if fmt != FORMAT_VERSION:
        raise DecryptionError(f"{label}.{column}: unknown sealed-value format {fmt}")
    nonce = blob[_HEADER.size : _HEADER.size + _NONCE]
    try:
        cipher = _cipher(shop_id, version)
    except keys.KeyUnwrapError as exc:
        raise DecryptionError(f"{label}.{column}: {exc}") from exc
    try:
        plain = cipher.decrypt(
            nonce, blob[_HEADER.size + _NONCE :], associated_data(shop_id, label, column, row)
        )
    except InvalidTag as exc:
        raise DecryptionError(
            f"{label}.{column} of row {row} does not decrypt: it was altered, moved from "
            "another row or shop, or the key is wrong"
        ) from exc
    return plain.decode("utf-8")


def key_check(shop_id: int) -> str:
    """A check value of the shop's active data key and its index key, to tell whether
    another process (the import's read-ahead worker) holds the very same keys. It is
    a keyed hash of a fixed text: it reveals nothing of the keys, and is never stored."""
    version = active_data_key_version(shop_id)
    data = hmac.new(_shop_key(shop_id, "data", version), b"merdeka:key-check:v1", "sha256")
    index = blind_index("merdeka:key-check:v1", shop_id=shop_id, purpose="key-check")
    return f"{version}:{data.hexdigest()[:32]}:{index}"


def blind_index(normalized: str, *, shop_id: int, purpose: str) -> str:
    """Keyed hash of an already-normalised value, for exact-match lookups.

    The key is the shop's own index key, separate from its data keys, so equal values
    in two shops give unrelated indexes. 128 bits are kept: collisions are negligible,
    and without the key the index says nothing beyond "these rows are equal".
    """
    return blind_indexer(shop_id=shop_id, purpose=purpose)(normalized)


class Sealer:
    """Encrypts many values of one model for one shop: the bulk twin of ``encrypt``.

    Produces exactly what ``EncryptedModel.seal`` stores, without a model instance per
    row and with the key looked up once. ``version`` is the key version to record in
    the row's ``key_version`` column.
    """

    def __init__(self, *, shop_id: int, label: str):
        self.version = active_data_key_version(shop_id)
        self._cipher = _cipher(shop_id, self.version)
        self._shop_id = shop_id
        self._label = label
        self._header = _HEADER.pack(FORMAT_VERSION, self.version)
        self._prefixes: dict[str, bytes] = {}
        self._nonces = b""
        self._at = 0

    def seal(self, plaintext: str | None, *, column: str, row: str) -> str | None:
        """``row`` is the row's uid in its dashed form (``str(instance.uid)``).

        What ``encrypt`` makes (``associated_data`` for the AAD, a fresh random nonce
        per value, the same format), with the per-call work done once: the AAD's constant part per
        column, the header, and random nonces drawn from the OS 4 KiB at a time."""
        if plaintext is None or plaintext == "":
            return None
        prefix = self._prefixes.get(column)
        if prefix is None:
            prefix = self._prefixes[column] = associated_data(
                self._shop_id, self._label, column, ""
            )
        at = self._at
        if at + _NONCE > len(self._nonces):
            self._nonces, at = os.urandom(_NONCE * 341), 0
        nonce = self._nonces[at : at + _NONCE]
        self._at = at + _NONCE
        sealed = self._cipher.encrypt(nonce, plaintext.encode(), prefix + row.encode())
        return base64.urlsafe_b64encode(self._header + nonce + sealed).decode("ascii")


class Opener:
    """Decrypts many values of one model for one shop: the bulk twin of ``decrypt``,
    for reads of whole tables (``merdeka export``) that take rows as tuples, not models.

    The same checks and errors as ``decrypt`` (a value that does not open raises
    ``DecryptionError``), with the per-call work done once: the cipher per key version,
    the AAD's constant part per column."""

    def __init__(self, *, shop_id: int, label: str):
        self._shop_id = shop_id
        self._label = label
        self._ciphers: dict[int, AESGCM] = {}
        self._columns: dict[str, object] = {}

    def open(self, token, *, column: str, row) -> str | None:
        """The text of ``token`` (a ``Sealed`` value or its token; None or empty gives
        None) sealed in ``column`` of the row whose uid is ``row`` (a UUID, its dashed
        text, or that text encoded)."""
        if not token:
            return None
        if not isinstance(token, str):
            token = token.token  # a Sealed value, as the ORM reads the column
        if not isinstance(row, bytes):
            row = str(row).encode()
        return self.column(column)(token, row)

    def column(self, column: str):
        """``open`` for the values of one column: a function ``(token, row) -> text``,
        ``token`` the sealed text (not empty), ``row`` the row's uid as encoded text.
        The reads of a whole table call it per value: its work is the least there is."""
        opener = self._columns.get(column)
        if opener is not None:
            return opener
        label, ciphers = self._label, self._ciphers
        prefix = associated_data(self._shop_id, label, column, "")
        a2b, table, header, start = (
            binascii.a2b_base64,
            _FROM_URLSAFE,
            _HEADER.size,
            _HEADER.size + _NONCE,
        )

        def open_(token: str, row: bytes) -> str:
            try:
                # what urlsafe_b64decode does (characters outside the alphabet skipped)
                blob = a2b(token.encode("ascii").translate(table))
            except (binascii.Error, ValueError) as exc:  # UnicodeEncodeError is one
                raise DecryptionError(f"{label}.{column}: not a sealed value") from exc
            if len(blob) < start + 16:
                raise DecryptionError(f"{label}.{column}: sealed value is truncated")
            if blob[0] != FORMAT_VERSION:
                raise DecryptionError(f"{label}.{column}: unknown sealed-value format {blob[0]}")
            version = int.from_bytes(blob[1:header], "big")
            cipher = ciphers.get(version)
            if cipher is None:
                try:
                    cipher = ciphers[version] = _cipher(self._shop_id, version)
                except keys.KeyUnwrapError as exc:
                    raise DecryptionError(f"{label}.{column}: {exc}") from exc
            try:
                return cipher.decrypt(blob[header:start], blob[start:], prefix + row).decode()
            except InvalidTag as exc:
                raise DecryptionError(
                    f"{label}.{column} of row {row.decode()} does not decrypt: it was altered, "
                    "moved from another row or shop, or the key is wrong"
                ) from exc

        self._columns[column] = open_
        return open_


_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")


def blind_indexer(*, shop_id: int, purpose: str):
    """A function ``normalized -> index``: ``blind_index`` with the key looked up once."""
    base = _mac(shop_id).copy()
    base.update(f"{purpose}:v1:".encode())  # HMAC is streamed: the same digest, half the work
    copy = base.copy

    def index(normalized: str) -> str:
        digest = copy()
        digest.update(normalized.encode())
        return digest.hexdigest()[:32]

    return index


def _shop_keys():
    """Every shop's key rows. By the app registry, not an import: privacy.models
    declares sealed fields (privacy.fields), which seal with this module."""
    return apps.get_model("privacy", "ShopKey").unscoped.all()

"""Uploaded files at rest: sealed in 1 MiB chunks with the shop's data key.

An uploaded export is full of buyers' personal data, so it never sits on disk in
plaintext between the upload and the background import. Each chunk is AES-256-GCM
with the shop, the file's id, the chunk number and a last-chunk flag in the
associated data, so chunks cannot be reordered, dropped, truncated or moved.
"""

from __future__ import annotations

import os
import struct
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from merdeka.privacy import crypto

CHUNK = 1024 * 1024
MAGIC = b"MDKF1"
_HEAD = struct.Struct(">I")  # key version


def _aad(shop_id: int, file_id: str, index: int, last: bool) -> bytes:
    return f"merdeka:file:v1|{shop_id}|{file_id}|{index}|{int(last)}".encode()


def seal_stream(chunks: Iterator[bytes], dest: Path, *, shop_id: int, file_id: str) -> int:
    """Write ``chunks`` sealed to ``dest`` (mode 0600). Returns the plaintext size."""
    version = crypto.active_data_key_version(shop_id)
    key = AESGCM(crypto._shop_key(shop_id, "data", version))
    dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    size = 0
    buffer = b""
    index = 0
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(MAGIC + _HEAD.pack(version))

        def emit(data: bytes, last: bool) -> None:
            nonlocal index
            nonce = os.urandom(12)
            sealed = key.encrypt(nonce, data, _aad(shop_id, file_id, index, last))
            out.write(struct.pack(">I", len(sealed)) + nonce + sealed)
            index += 1

        for piece in chunks:
            size += len(piece)
            buffer += piece
            while len(buffer) > CHUNK:
                emit(buffer[:CHUNK], False)
                buffer = buffer[CHUNK:]
        emit(buffer, True)
    return size


def unseal_chunks(path: Path, *, shop_id: int, file_id: str) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        head = handle.read(len(MAGIC) + _HEAD.size)
        if head[: len(MAGIC)] != MAGIC:
            raise crypto.DecryptionError("not a sealed upload")
        (version,) = _HEAD.unpack(head[len(MAGIC) :])
        key = AESGCM(crypto._shop_key(shop_id, "data", version))
        index = 0
        while True:
            size_bytes = handle.read(4)
            if len(size_bytes) < 4:
                raise crypto.DecryptionError("sealed upload is truncated")
            (length,) = struct.unpack(">I", size_bytes)
            nonce = handle.read(12)
            sealed = handle.read(length)
            last = handle.peek(1)[:1] == b"" if hasattr(handle, "peek") else False
            try:
                yield key.decrypt(nonce, sealed, _aad(shop_id, file_id, index, last))
            except InvalidTag as exc:
                raise crypto.DecryptionError("sealed upload was altered or truncated") from exc
            index += 1
            if last:
                return


WORK_PREFIX = ".work-"


@contextmanager
def unsealed_copy(path: Path, *, shop_id: int, file_id: str, suffix: str = ""):
    """A private plaintext copy for the duration of the block, removed afterwards."""
    directory = path.parent
    # named after the file, so that a copy left by a worker that died can be told apart
    # from one being read (imports.runs.uploads_sweep_stray)
    fd, name = tempfile.mkstemp(dir=directory, prefix=f"{WORK_PREFIX}{file_id}-", suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as out:
            for piece in unseal_chunks(path, shop_id=shop_id, file_id=file_id):
                out.write(piece)
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)

"""Is a lender's pack intact? (The public page and ``merdeka pack verify``.)

A pack is intact when, all of:

1. it holds ``manifest.json`` and ``manifest.sig``, and the signature is the Ed25519
   signature of the manifest's exact bytes by the public key the manifest names;
2. that public key is one this Merdeka published for the shop the manifest names
   (``pack.published_keys``): a manifest signed by another shop's key fails;
3. the files are exactly those the manifest lists (none added, none missing), each
   with the SHA-256 the manifest gives.

The first failure found is the reason given. This proves the files are those the shop
made; not that the books behind them are true (``docs/evidence-pack.md``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.utils.translation import gettext as _

from merdeka.books.pack import FORMAT, MANIFEST, SIGNATURE, published_keys
from merdeka.core.models import Shop

MAX_PACK_BYTES = 50 * 1024 * 1024  # a pack is a few hundred kilobytes


@dataclass
class Verdict:
    ok: bool
    reason: str = ""
    shop_name: str = ""
    shop_slug: str = ""
    start: str = ""
    end: str = ""
    head: str = ""
    month_ends: list = field(default_factory=list)
    files: int = 0


def _files_of_zip(data: bytes) -> dict[str, bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
        names = [i.filename for i in infos if not i.is_dir()]
        if len(names) != len(set(names)):
            raise ValueError(_("The zip holds two files of the same name."))
        if sum(i.file_size for i in infos) > MAX_PACK_BYTES:
            raise ValueError(_("The zip is far larger than a pack."))
        return {name: archive.read(name) for name in names}
    except (zipfile.BadZipFile, EOFError, OSError, zipfile.LargeZipFile) as exc:
        raise ValueError(_("This is not a zip file.")) from exc


def _files_of_folder(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def verify_path(path: Path) -> Verdict:
    """A pack as its zip, or unpacked in a folder."""
    try:
        files = _files_of_folder(path) if path.is_dir() else _files_of_zip(path.read_bytes())
    except ValueError as exc:
        return Verdict(False, str(exc))
    except OSError:
        return Verdict(False, _("The pack cannot be read."))
    return verify_files(files)


def verify_zip(data: bytes) -> Verdict:
    try:
        return verify_files(_files_of_zip(data))
    except ValueError as exc:
        return Verdict(False, str(exc))


def verify_files(files: dict[str, bytes]) -> Verdict:
    body, signature = files.get(MANIFEST), files.get(SIGNATURE)
    if body is None or signature is None:
        return Verdict(False, _("The pack has no signed manifest (manifest.json, manifest.sig)."))
    try:
        manifest = json.loads(body)
        listed = {f["name"]: f["sha256"] for f in manifest["files"]}
        shop, period = manifest["shop"], manifest["period"]
        public = base64.b64decode(manifest["signature"]["public_key"], validate=True)
        key = Ed25519PublicKey.from_public_bytes(public)
        signed = base64.b64decode(signature.strip(), validate=True)
        if manifest.get("format") != FORMAT or signature != base64.b64encode(signed) + b"\n":
            raise ValueError
    except (ValueError, KeyError, TypeError, binascii.Error):
        return Verdict(False, _("The manifest cannot be read: it is not a Merdeka pack's."))
    verdict = Verdict(
        False,
        shop_name=str(shop.get("name", "")),
        shop_slug=str(shop.get("slug", "")),
        start=str(period.get("start", "")),
        end=str(period.get("end", "")),
        head=str((manifest.get("chain") or {}).get("head") or ""),
        month_ends=list((manifest.get("chain") or {}).get("month_ends") or []),
        files=len(listed),
    )
    try:
        key.verify(signed, body)
    except InvalidSignature:
        verdict.reason = _("The manifest's signature does not match: the manifest was changed.")
        return verdict
    owner = Shop.objects.filter(slug=verdict.shop_slug).first()
    if owner is None:
        verdict.reason = _("No shop %(slug)s is known here.") % {"slug": verdict.shop_slug}
        return verdict
    if manifest["signature"]["public_key"] not in published_keys(owner):
        verdict.reason = _("The pack is signed with a key that is not %(shop)s's.") % {
            "shop": owner.name
        }
        return verdict
    present = set(files) - {MANIFEST, SIGNATURE}
    for name in sorted(present - set(listed)):
        verdict.reason = _("A file was added: %(name)s.") % {"name": name}
        return verdict
    for name in sorted(set(listed) - present):
        verdict.reason = _("A file is missing: %(name)s.") % {"name": name}
        return verdict
    for name in sorted(listed):
        if hashlib.sha256(files[name]).hexdigest() != listed[name]:
            verdict.reason = _("A file was changed: %(name)s.") % {"name": name}
            return verdict
    verdict.ok = True
    verdict.shop_name = owner.name
    return verdict

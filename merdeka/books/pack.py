"""The evidence pack for a lender: the statements and figures of the last months, as
files, with a manifest signed by the shop's key.

* ``pack_make`` builds the documents (``pack_contents.DOCUMENTS``) for the period
  (the last ``months`` months to today, or since the first entry), writes them as one
  PDF and a CSV per table plus ``data.json``, and a ``manifest.json`` that lists every
  file's SHA-256, the shop, the period, the journal chain's head now (the period's end)
  and at each month's end (``merdeka.books.chain``); ``manifest.sig`` is the Ed25519
  signature of the manifest's bytes by the shop's key. It is kept (``EvidencePack``)
  as the zip handed out.
* ``signing_key`` / ``published_keys`` - the shop's key: made on first use, the private
  half wrapped by the master key like the shop's other keys (``privacy.keys``), the
  public half in every manifest and on the shop's verification page.

What it proves is in ``docs/evidence-pack.md``: the files are unchanged since this shop
made them, from a journal whose chain had this head; not that the journal is true.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import transaction
from django.utils import timezone, translation

from merdeka.books import chain
from merdeka.books.models import EvidencePack, JournalEntry, PackKey
from merdeka.books.pack_contents import documents_build
from merdeka.books.pdf import pack_pdf
from merdeka.books.posting import today
from merdeka.core.scoping import shop_scope
from merdeka.privacy import keys
from merdeka.privacy.audit import audit_record

FORMAT = "merdeka-evidence-pack-v1"
MANIFEST, SIGNATURE = "manifest.json", "manifest.sig"
PURPOSE = "pack-sign"
MAX_MONTHS = 36


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def signing_key(shop) -> tuple[Ed25519PrivateKey, str]:
    """The shop's signing key and its public half (base64), made on first use."""
    with transaction.atomic(), shop_scope(shop):
        row = PackKey.objects.filter(shop=shop, retired_at__isnull=True).first()
        if row is None:
            private = Ed25519PrivateKey.generate()
            raw = private.private_bytes_raw()
            row = PackKey.objects.create(
                shop=shop,
                public_key=_b64(private.public_key().public_bytes_raw()),
                wrapped=keys.wrap_key(raw, shop_id=shop.pk, purpose=PURPOSE, version=1),
                master_key_id=keys.master_key_id(),
            )
        raw = keys.unwrap_key(bytes(row.wrapped), shop_id=shop.pk, purpose=PURPOSE, version=1)
    return Ed25519PrivateKey.from_private_bytes(raw), row.public_key


def published_keys(shop) -> list[str]:
    """Every public key the shop has signed packs with (base64)."""
    with shop_scope(shop):
        return list(PackKey.objects.filter(shop=shop).values_list("public_key", flat=True))


def _months_back(day: dt.date, months: int) -> dt.date:
    month = day.replace(day=1)
    for _n in range(months - 1):
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return month


def period_of(shop, months: int, end: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The last ``months`` months up to ``end`` (today), or since the first entry."""
    end = end or today(shop)
    start = _months_back(end, max(1, min(months, MAX_MONTHS)))
    with shop_scope(shop):
        first = JournalEntry.objects.filter(shop=shop).order_by("date").values("date").first()
    if first and first["date"] > start:
        start = first["date"].replace(day=1)
    return start, end


def month_heads(shop, start: dt.date, end: dt.date) -> list[dict]:
    """The chain's head at the end of each month of the period (None before the chain
    began; a month without postings keeps the head before it)."""
    now_chain, recorded = chain.heads(shop=shop)
    found, last = [], None
    by_month = {m.month: m for m in recorded}
    month = start.replace(day=1)
    earlier = [m for m in recorded if m.month < month]
    if earlier:
        last = earlier[-1]
    while month <= end:
        last = by_month.get(month, last)
        current = month == end.replace(day=1)
        entry = {"month": month.strftime("%Y-%m"), "head": None, "seq": None, "complete": False}
        if current and now_chain is not None:
            entry.update(head=now_chain.head, seq=now_chain.seq)
        elif last is not None:
            entry.update(head=last.head, seq=last.seq, complete=True)
        found.append(entry)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return found


def _csv(table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([table.label_header, *table.columns])
    for row in table.rows:
        writer.writerow([row.label, *row.values])
    return out.getvalue().encode()


def _data(report) -> dict:
    return {
        "slug": report.slug,
        "title": report.title,
        "tables": [
            {
                "title": t.title,
                "columns": [t.label_header, *t.columns],
                "rows": [[r.label, *r.values] for r in t.rows],
            }
            for t in report.tables + [c.table for c in report.charts]
        ],
        "notes": report.notes,
    }


@dataclass
class Made:
    pack: EvidencePack
    files: dict[str, bytes]  # every file of the zip, the manifest and signature included
    manifest: dict


def _stem(shop, start: dt.date, end: dt.date) -> str:
    return f"paket-bukti-{shop.slug}-{start.isoformat()}-{end.isoformat()}"


def pack_make(*, shop, months: int = 12, actor=None, request=None, end=None) -> Made:
    """Make, sign and keep a pack for the last ``months`` months."""
    start, end = period_of(shop, months, end)
    now_chain, _recorded = chain.heads(shop=shop)
    heads = month_heads(shop, start, end)
    with translation.override("id"):
        reports = documents_build(shop=shop, start=start, end=end)
        files = {"laporan-keuangan.pdf": pack_pdf(reports, shop=shop, heads=heads)}
        for report in reports:
            for n, table in enumerate(report.tables + [c.table for c in report.charts]):
                suffix = f"-{n + 1}" if n else ""
                files[f"data/{report.slug}{suffix}.csv"] = _csv(table)
        data = {"period": [start.isoformat(), end.isoformat()], "documents": []}
        data["documents"] = [_data(r) for r in reports]
        files["data/data.json"] = json.dumps(data, ensure_ascii=False, indent=1).encode()
    private, public = signing_key(shop)
    manifest = {
        "format": FORMAT,
        "shop": {"slug": shop.slug, "name": shop.name},
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "made_at": timezone.now().isoformat(timespec="seconds"),
        "chain": {
            "head": now_chain.head if now_chain else None,
            "entries": now_chain.seq if now_chain else 0,
            "genesis": now_chain.genesis if now_chain else None,
            "month_ends": heads,
        },
        "files": [
            {"name": name, "sha256": hashlib.sha256(body).hexdigest(), "bytes": len(body)}
            for name, body in sorted(files.items())
        ],
        "signature": {"algorithm": "Ed25519", "public_key": public},
    }
    body = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
    files[MANIFEST] = body
    files[SIGNATURE] = _b64(private.sign(body)).encode() + b"\n"
    data = zip_bytes(files)
    with transaction.atomic(), shop_scope(shop):
        pack = EvidencePack.objects.create(
            shop=shop,
            start=start,
            end=end,
            head=manifest["chain"]["head"] or "",
            sha256=hashlib.sha256(data).hexdigest(),
            data=data,
            made_by=actor if getattr(actor, "pk", None) else None,
        )
        audit_record(
            action="books.pack_made",
            shop=shop,
            actor=actor,
            target=pack,
            request=request,
            detail={"start": start.isoformat(), "end": end.isoformat()},
        )
    return Made(pack, files, manifest)


def zip_bytes(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in sorted(files.items()):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, body)
    return out.getvalue()


def pack_name(pack: EvidencePack) -> str:
    return _stem(pack.shop, pack.start, pack.end) + ".zip"


def pack_write(made: Made, out: Path) -> tuple[Path, Path]:
    """The pack into ``out``: its zip, and its files unpacked in a folder beside it."""
    out.mkdir(parents=True, exist_ok=True)
    stem = _stem(made.pack.shop, made.pack.start, made.pack.end)
    archive = out / f"{stem}.zip"
    archive.write_bytes(bytes(made.pack.data))
    folder = out / stem
    for name, body in made.files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    return archive, folder

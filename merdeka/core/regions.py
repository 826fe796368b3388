"""Indonesia's administrative regions (Kemendagri), from the vendored list.

Province -> regency/city -> district -> village, by dotted code (``32``, ``32.73``,
``32.73.05``, ``32.73.05.1001``). The list (``core/data/wilayah.tsv.gz``, see its
README for source and licence) is read once per process on first use, about 0.2 s;
the villages of a district are kept as one text slice and split only when asked for.
"""

from __future__ import annotations

import gzip
import threading
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "wilayah.tsv.gz"
LEVELS = ("province", "city", "district", "village")


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str
    postal_code: str = ""

    @property
    def level(self) -> int:
        return self.code.count(".") + 1

    @property
    def parent_code(self) -> str:
        return self.code.rpartition(".")[0]


class _Index:
    def __init__(self, path: Path):
        text = gzip.decompress(path.read_bytes()).decode("utf-8")
        self.base: dict[str, Region] = {}
        self.children: dict[str, list[str]] = {"": []}
        self.village_text: dict[str, str] = {}  # district code -> its village lines
        start = 0
        district, district_start = None, 0
        length = len(text)
        while start < length:
            end = text.index("\n", start)
            code, _, rest = text[start:end].partition("\t")
            if code.count(".") == 3:
                if district is None:
                    district, district_start = code.rpartition(".")[0], start
            else:
                if district is not None:
                    self.village_text[district] = text[district_start:start]
                    district = None
                region = Region(code, rest)
                self.base[code] = region
                self.children.setdefault(region.parent_code, []).append(code)
            start = end + 1
        if district is not None:
            self.village_text[district] = text[district_start:]

    def villages(self, district_code: str) -> list[Region]:
        block = self.village_text.get(district_code, "")
        found = []
        for line in block.splitlines():
            code, name, postal = line.split("\t")
            found.append(Region(code, name, postal))
        return found


_index: _Index | None = None
_lock = threading.Lock()


def _get() -> _Index:
    global _index
    if _index is None:
        with _lock:
            if _index is None:
                _index = _Index(DATA)
    return _index


def provinces() -> list[Region]:
    index = _get()
    return [index.base[c] for c in index.children[""]]


def children(code: str) -> list[Region]:
    """The regions directly below ``code`` ("" for the provinces), sorted by name."""
    index = _get()
    if code == "":
        found = provinces()
    elif code.count(".") == 2:
        found = index.villages(code)
    elif code.count(".") > 2:
        return []
    else:
        found = [index.base[c] for c in index.children.get(code, [])]
    return sorted(found, key=lambda r: r.name.casefold())


def region(code: str | None) -> Region | None:
    if not code:
        return None
    index = _get()
    if code.count(".") == 3:
        parent = code.rpartition(".")[0]
        return next((r for r in index.villages(parent) if r.code == code), None)
    return index.base.get(code)


def is_child(parent_code: str, code: str | None) -> bool:
    """Is ``code`` a region directly below ``parent_code``?"""
    return bool(code) and code.rpartition(".")[0] == parent_code and region(code) is not None


def find(name: str, *, parent_code: str = "") -> Region | None:
    """A region below ``parent_code`` by name: "Kota Bandung", "bandung", "Kab. Bogor"."""
    wanted = _name_key(name)
    if not wanted:
        return None
    candidates = children(parent_code)
    exact = [r for r in candidates if _name_key(r.name) == wanted]
    if exact:
        return exact[0]
    bare = [r for r in candidates if _bare(r.name) == _bare(name)]
    return bare[0] if len(bare) == 1 else None


_PREFIXES = ("kabupaten administrasi ", "kabupaten ", "kota administrasi ", "kota ")
# the short forms everyone writes for the provinces with long official names
_PROVINCE_ALIASES = {
    "dki jakarta": "daerah khusus ibukota jakarta",
    "dki": "daerah khusus ibukota jakarta",
    "jakarta": "daerah khusus ibukota jakarta",
    "daerah khusus jakarta": "daerah khusus ibukota jakarta",
    "di yogyakarta": "daerah istimewa yogyakarta",
    "diy": "daerah istimewa yogyakarta",
    "yogyakarta": "daerah istimewa yogyakarta",
    "jogja": "daerah istimewa yogyakarta",
    "nad": "aceh",
    "babel": "kepulauan bangka belitung",
    "bangka belitung": "kepulauan bangka belitung",
    "kepri": "kepulauan riau",
    "ntb": "nusa tenggara barat",
    "ntt": "nusa tenggara timur",
    "jabar": "jawa barat",
    "jateng": "jawa tengah",
    "jatim": "jawa timur",
}


def _name_key(name: str) -> str:
    text = name.casefold().replace("kab.", "kabupaten ").replace("kota adm.", "kota administrasi ")
    text = " ".join(text.replace("provinsi ", " ").split())
    return _PROVINCE_ALIASES.get(text, text)


def _bare(name: str) -> str:
    text = _name_key(name)
    for prefix in _PREFIXES:
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text

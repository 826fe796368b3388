"""Province and city names as marketplaces export them, made canonical.

"DKI JAKARTA", "Jakarta" and "D.K.I. Jakarta" are one province; "KAB. SLEMAN",
"Kabupaten Sleman" and "SLEMAN" (with a province that has a Kabupaten Sleman) are
one regency. Unknown names are kept, title-cased, never dropped.
"""

from __future__ import annotations

import re
from functools import lru_cache

PROVINCES = [
    "Aceh", "Sumatera Utara", "Sumatera Barat", "Riau", "Kepulauan Riau", "Jambi",
    "Sumatera Selatan", "Kepulauan Bangka Belitung", "Bengkulu", "Lampung", "DKI Jakarta",
    "Jawa Barat", "Banten", "Jawa Tengah", "DI Yogyakarta", "Jawa Timur", "Bali",
    "Nusa Tenggara Barat", "Nusa Tenggara Timur", "Kalimantan Barat", "Kalimantan Tengah",
    "Kalimantan Selatan", "Kalimantan Timur", "Kalimantan Utara", "Sulawesi Utara",
    "Gorontalo", "Sulawesi Tengah", "Sulawesi Barat", "Sulawesi Selatan", "Sulawesi Tenggara",
    "Maluku", "Maluku Utara", "Papua", "Papua Barat", "Papua Barat Daya", "Papua Selatan",
    "Papua Tengah", "Papua Pegunungan",
]  # fmt: skip

_ALIASES = {
    "jakarta": "DKI Jakarta",
    "dki": "DKI Jakarta",
    "daerah khusus ibukota jakarta": "DKI Jakarta",
    "yogyakarta": "DI Yogyakarta",
    "daerah istimewa yogyakarta": "DI Yogyakarta",
    "jogja": "DI Yogyakarta",
    "diy": "DI Yogyakarta",
    "nad": "Aceh",
    "nanggroe aceh darussalam": "Aceh",
    "bangka belitung": "Kepulauan Bangka Belitung",
    "babel": "Kepulauan Bangka Belitung",
    "kepri": "Kepulauan Riau",
    "ntb": "Nusa Tenggara Barat",
    "ntt": "Nusa Tenggara Timur",
    "sumut": "Sumatera Utara",
    "sumbar": "Sumatera Barat",
    "sumsel": "Sumatera Selatan",
    "jabar": "Jawa Barat",
    "jateng": "Jawa Tengah",
    "jatim": "Jawa Timur",
}


def _key(text: str) -> str:
    text = re.sub(r"[.\-_/]", " ", text.casefold())
    return " ".join(text.split())


_BY_KEY = {_key(name): name for name in PROVINCES}
_BY_KEY.update({_key(k): v for k, v in _ALIASES.items()})
_SMALL_WORDS = {"dan"}
_KEEP_UPPER = {"dki", "di", "ntb", "ntt"}


def _title(text: str) -> str:
    words = []
    for word in text.split():
        lower = word.lower()
        if lower in _KEEP_UPPER:
            words.append(lower.upper())
        elif lower in _SMALL_WORDS:
            words.append(lower)
        else:
            words.append(lower[:1].upper() + lower[1:])
    return " ".join(words)


@lru_cache(maxsize=4096)  # a shop's orders come from a few hundred places
def normalize_province(value: str | None) -> str | None:
    if not value or not value.strip():
        return None
    key = _key(value)
    key = re.sub(r"^(provinsi|prov|propinsi)\s+", "", key)
    key = re.sub(r"^d\s?k\s?i\s+", "dki ", key)
    key = re.sub(r"^d\s?i\s+", "di ", key)
    if key in _BY_KEY:
        return _BY_KEY[key]
    return _title(value.strip())


@lru_cache(maxsize=4096)
def normalize_city(value: str | None) -> str | None:
    """``KAB. SLEMAN`` -> ``Kabupaten Sleman``; ``KOTA JAKARTA SELATAN`` -> ``Kota Jakarta
    Selatan``; ``Jakarta Selatan`` -> ``Kota Jakarta Selatan`` (Jakarta's cities)."""
    if not value or not value.strip():
        return None
    key = _key(value)
    match = re.match(r"^(kab|kabupaten|kota|kodya|kotamadya|kot)\s+(.+)$", key)
    if match:
        kind = "Kabupaten" if match.group(1).startswith("kab") else "Kota"
        return f"{kind} {_title(match.group(2))}"
    if key.startswith(("jakarta ", "jakarta")) and key != "jakarta":
        return f"Kota {_title(key)}"
    return _title(value.strip())

"""WhatsApp chat parsing speed: a 1,000,000-line Indonesian group-market export.

    .venv/bin/python bench/bench_whatsapp.py [LINES]

Generates the chat into a temporary file (members with saved names and unsaved
numbers, multi-line messages, media, deleted and system lines), then times reading
and parsing it end to end, and prints lines/s and peak memory.
"""

from __future__ import annotations

import os
import random
import resource
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "merdeka.settings")
os.environ.setdefault("MERDEKA_DATA_DIR", tempfile.mkdtemp())
django.setup()

from merdeka.imports.formats import whatsapp  # noqa: E402

FIRST = ["Siti", "Dewi", "Nur", "Ayu", "Rina", "Budi", "Agus", "Putri", "Wahyu", "Indah", "Sri"]
LAST = ["Rahmawati", "Santoso", "Lestari", "Hidayat", "Wulandari", "Saputra", "Pratama", ""]
TEXTS = [
    "Open PO rendang ya bun, tutup Jumat",
    "Ikut 2 kak",
    "Masih ada kak?",
    "Sudah transfer ya kak, mohon dicek",
    "<Media tidak disertakan>",
    "Pesan ini dihapus",
    "Alhamdulillah sudah sampai, enak banget",
]


def generate(path: Path, lines: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    members = [f"{rng.choice(FIRST)} {rng.choice(LAST)}".strip() for _ in range(150)]
    members += [
        f"\u202a+62 8{rng.randint(11, 99)}-{rng.randint(1000, 9999)}-"
        f"{rng.randint(1000, 9999)}\u202c"
        for _ in range(50)
    ]
    when = datetime(2025, 1, 1, 7, 0)
    written = 0
    with open(path, "w", encoding="utf-8") as out:
        out.write('01/01/25 07.00 - Anda membuat grup "Pasar Kue Zakinah"\n')
        written += 1
        while written < lines:
            when += timedelta(seconds=rng.randint(5, 90))
            stamp = when.strftime("%d/%m/%y %H.%M")
            roll = rng.random()
            if roll < 0.01:
                out.write(f"{stamp} - {rng.choice(members)} keluar\n")
                written += 1
                continue
            out.write(f"{stamp} - {rng.choice(members)}: {rng.choice(TEXTS)}\n")
            written += 1
            if roll > 0.9 and written < lines:
                out.write("baris kedua pesan ini\n")
                written += 1


def main() -> None:
    lines = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "Chat WhatsApp dengan Pasar Kue Zakinah.txt"
        generate(path, lines)
        size = path.stat().st_size
        start = time.perf_counter()
        result = whatsapp.parse_chat(whatsapp.open_chat(path), keep_messages=False)
        people = result.participant_list()
        elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"lines: {result.lines:,} ({size / 2**20:.1f} MiB)")
    print(f"participants: {len(people)}; problems: {len(result.problems)}")
    print(f"parse: {elapsed:.2f} s = {result.lines / elapsed:,.0f} lines/s")
    print(f"peak RSS: {peak:.0f} MiB")


if __name__ == "__main__":
    main()

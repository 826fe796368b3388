"""Phone contacts: vCard (.vcf, as Android and iOS export them) and Google Contacts CSV.

A card may carry several numbers; every number that is a real phone number becomes
an E.164 identity of the same person. vCard 2.1's quoted-printable names (Android)
and 3.0/4.0 escapes are decoded; photos are skipped line by line, never kept.
"""

from __future__ import annotations

import codecs
import quopri
import re
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from merdeka.core.phone import is_masked, normalize_email, normalize_phone
from merdeka.core.text import clean_text
from merdeka.imports.formats import tabular
from merdeka.imports.records import Contact, Problem, RejectedFile, Severity

MAX_BYTES = 50 * 1024 * 1024
MAX_LINE = 1024 * 1024
_PROPERTY = re.compile(r"^(?:[\w-]+\.)?([A-Za-z-]+)((?:;[^:]*)?):(.*)$")
GOOGLE_MARKERS = ("Phone 1 - Value", "E-mail 1 - Value", "Given Name", "First Name")


def detect(name: str, head: bytes) -> float:
    lower = name.lower()
    text = head.lstrip(codecs.BOM_UTF8)[:4096]
    if lower.endswith(".vcf") or text.upper().startswith(b"BEGIN:VCARD"):
        return 0.95
    if lower.endswith(".csv"):
        sample = (
            head.decode("utf-16", errors="ignore")
            if b"\x00" in head[:200]
            else head.decode("utf-8", errors="ignore")
        )
        first = sample.splitlines()[0] if sample else ""
        if sum(marker in first for marker in GOOGLE_MARKERS) >= 2:
            return 0.9
    return 0.0


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _unescape(value: str) -> str:
    return (
        value.replace("\\n", "\n").replace("\\N", "\n").replace("\\,", ",").replace("\\;", ";")
    ).replace("\\\\", "\\")


def _value(raw: str, params: str) -> str:
    upper = params.upper()
    if "QUOTED-PRINTABLE" in upper:
        charset = re.search(r"CHARSET=([\w-]+)", params, re.IGNORECASE)
        data = quopri.decodestring(raw.encode("latin-1", errors="replace"))
        try:
            return data.decode(charset.group(1) if charset else "utf-8")
        except (LookupError, UnicodeDecodeError):
            return data.decode("utf-8", errors="replace")
    return _unescape(raw)


def _logical_lines(text: str):
    """Unfold vCard lines: a leading space continues the previous line, and so does the
    line after a quoted-printable soft break (``=`` at the end)."""
    current, start, quoted = None, 0, False
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) > MAX_LINE:
            raise RejectedFile(_("Line %(line)s is far too long.") % {"line": number})
        if current is not None and (line[:1] in (" ", "\t") and not quoted):
            current += line[1:]
            continue
        if current is not None and quoted:
            current = current[:-1] + line
            quoted = current.endswith("=")
            continue
        if current is not None:
            yield start, current
        current, start = line, number
        quoted = "QUOTED-PRINTABLE" in line.upper().split(":", 1)[0] and line.endswith("=")
    if current is not None:
        yield start, current


def parse_vcard(data: bytes) -> tuple[list[Contact], list[Problem]]:
    text = _decode(data)
    contacts: list[Contact] = []
    problems: list[Problem] = []
    card: dict | None = None
    for number, line in _logical_lines(text):
        if not line.strip():
            continue
        match = _PROPERTY.match(line)
        if not match:
            continue  # base64 photo data and other noise
        name, params, raw = match.group(1).upper(), match.group(2), match.group(3)
        if name == "BEGIN" and raw.strip().upper() == "VCARD":
            if card is not None:
                problems.append(
                    Problem(
                        _("A card was not closed (END:VCARD missing)."),
                        row=card["line"],
                        severity=Severity.WARNING,
                    )
                )
                _finish(card, contacts)
            card = {"line": number, "fn": None, "n": None, "tel": [], "email": []}
        elif card is None:
            continue
        elif name == "END":
            _finish(card, contacts)
            card = None
        elif name == "FN":
            card["fn"] = _value(raw, params).strip() or None
        elif name == "N":
            parts = [p.strip() for p in _value(raw, params).split(";")]
            family, given, middle = [*parts, "", "", ""][:3]
            card["n"] = " ".join(p for p in (given, middle, family) if p) or None
        elif name == "TEL":
            value = _value(raw, params).strip().removeprefix("tel:")
            phone = None if is_masked(value) else normalize_phone(value)
            if phone:
                card["tel"].append(phone)
            elif value:
                problems.append(
                    Problem(
                        _("%(value)s is not a phone number; it was skipped.")
                        % {"value": value[:30]},
                        row=number,
                        severity=Severity.WARNING,
                    )
                )
        elif name == "EMAIL":
            email = normalize_email(_value(raw, params))
            if email:
                card["email"].append(email)
    if card is not None:
        problems.append(
            Problem(
                _("The file ends inside a card (END:VCARD missing)."),
                row=card["line"],
                severity=Severity.WARNING,
            )
        )
        _finish(card, contacts)
    return contacts, problems


def _finish(card: dict, contacts: list[Contact]) -> None:
    name = clean_text(card["fn"] or card["n"])
    phones = list(dict.fromkeys(card["tel"]))
    emails = list(dict.fromkeys(card["email"]))
    if phones or emails:
        contacts.append(Contact(name=name, phones=phones, emails=emails, line=card["line"]))


def _google_columns(header: list[str]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {
        "phone": [],
        "email": [],
        "name": [],
        "given": [],
        "middle": [],
        "family": [],
    }
    names = {
        "name": "name",
        "given name": "given",
        "first name": "given",
        "additional name": "middle",
        "middle name": "middle",
        "family name": "family",
        "last name": "family",
    }
    for index, cell in enumerate(header):
        key = cell.strip().lower()
        if re.fullmatch(r"phone \d+ - value", key):
            found["phone"].append(index)
        elif re.fullmatch(r"e-mail \d+ - value", key):
            found["email"].append(index)
        elif key in names:
            found[names[key]].append(index)
    return found


def parse_google_csv(path: Path) -> tuple[list[Contact], list[Problem]]:
    table = tabular.open_table(path, path.name, max_bytes=MAX_BYTES)
    rows = iter(table.rows)
    try:
        _first, header = next(rows)
    except StopIteration:
        raise RejectedFile(_("The file is empty.")) from None
    columns = _google_columns(header)
    if not columns["phone"] and not columns["email"]:
        raise RejectedFile(_("This is not a contacts file: it has no phone or e-mail columns."))
    contacts: list[Contact] = []
    problems: list[Problem] = []

    def cell(row, index):
        return row[index].strip() if index < len(row) else ""

    for number, row in rows:
        name = " ".join(cell(row, i) for i in columns["name"] if cell(row, i)) or " ".join(
            cell(row, i)
            for key in ("given", "middle", "family")
            for i in columns[key]
            if cell(row, i)
        )
        phones, emails = [], []
        for index in columns["phone"]:
            for value in cell(row, index).split(":::"):
                value = value.strip()
                if not value:
                    continue
                phone = None if is_masked(value) else normalize_phone(value)
                if phone:
                    phones.append(phone)
                else:
                    problems.append(
                        Problem(
                            _("%(value)s is not a phone number; it was skipped.")
                            % {"value": value[:30]},
                            row=number,
                            column=header[index],
                            severity=Severity.WARNING,
                        )
                    )
        for index in columns["email"]:
            for value in cell(row, index).split(":::"):
                email = normalize_email(value)
                if email:
                    emails.append(email)
        if phones or emails:
            contacts.append(
                Contact(
                    name=name or None,
                    phones=list(dict.fromkeys(phones)),
                    emails=list(dict.fromkeys(emails)),
                    line=number,
                )
            )
        elif any(row):
            problems.append(
                Problem(
                    _("This row has no phone number or e-mail; skipped."),
                    row=number,
                    severity=Severity.WARNING,
                )
            )
    return contacts, problems


def parse(path: Path, name: str) -> tuple[str, list[Contact], list[Problem]]:
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise RejectedFile(_("The file is empty."))
    if size > MAX_BYTES:
        raise RejectedFile(
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": size // 2**20, "limit": MAX_BYTES // 2**20}
        )
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if name.lower().endswith(".vcf") or head.lstrip(codecs.BOM_UTF8).upper().startswith(
        b"BEGIN:VCARD"
    ):
        data = path.read_bytes()
        if b"\x00" in data[:4096] and not data.startswith(
            (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
        ):
            raise RejectedFile(_("This file is not a contacts file (.vcf)."))
        contacts, problems = parse_vcard(data)
        if not contacts and b"BEGIN:VCARD" not in data.upper():
            raise RejectedFile(_("This file is not a contacts file (.vcf)."))
        return "vcard", contacts, problems
    contacts, problems = parse_google_csv(path)
    return "google-contacts", contacts, problems

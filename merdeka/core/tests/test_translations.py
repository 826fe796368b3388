from __future__ import annotations

import gettext
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[2] / "locale"
PO = LOCALE / "id" / "LC_MESSAGES" / "django.po"
MO = LOCALE / "id" / "LC_MESSAGES" / "django.mo"


def po_entries(text: str) -> dict[str, str]:
    """msgid -> msgstr (first plural form) of a .po file, skipping the header."""
    entries: dict[str, str] = {}
    current: dict[str, str] = {}
    key = None
    fuzzy = False
    for line in [*text.splitlines(), ""]:
        if line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        if line.startswith(("msgid ", "msgid_plural ", "msgstr ", "msgstr[0] ")):
            key, _, value = line.partition(" ")
            current[key] = value[1:-1]
        elif line.startswith('"') and key:
            current[key] += line[1:-1]
        elif not line.strip() and current:
            msgid = current.get("msgid", "")
            if msgid:
                assert not fuzzy, f"fuzzy translation: {msgid!r}"
                entries[msgid] = current.get("msgstr") or current.get("msgstr[0]", "")
            current, key, fuzzy = {}, None, False
        elif line.startswith("msgstr[") and key:
            key = line.split(" ")[0]
    return entries


def test_every_interface_string_has_an_indonesian_translation():
    entries = po_entries(PO.read_text())
    assert len(entries) > 100
    missing = [msgid for msgid, msgstr in entries.items() if not msgstr]
    assert not missing, f"untranslated: {missing}"


def test_the_compiled_catalogue_matches_the_source():
    catalogue = gettext.GNUTranslations(MO.open("rb"))
    for msgid, msgstr in po_entries(PO.read_text()).items():
        text = msgid.encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
        expected = msgstr.encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
        assert catalogue.gettext(text) == expected, "run `make messages`"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs gettext's xgettext")
def test_no_string_in_the_code_is_missing_from_the_catalogue(tmp_path):
    """Extract the strings afresh (into a copy) and compare with the committed catalogue."""
    package = Path(__file__).resolve().parents[2]
    copy = tmp_path / "merdeka"
    shutil.copytree(
        package,
        copy,
        ignore=shutil.ignore_patterns("__pycache__", "static", "tests", "e2e"),
    )
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "id", "--no-obsolete"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={
            "DJANGO_SETTINGS_MODULE": "merdeka.settings",
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(package.parent),
            "MERDEKA_DATA_DIR": str(tmp_path / "var"),
        },
    )
    fresh = set(po_entries((copy / "locale/id/LC_MESSAGES/django.po").read_text()))
    committed = set(po_entries(PO.read_text()))
    assert len(fresh) > 100
    assert not fresh - committed, f"run `make messages`; new strings: {sorted(fresh - committed)}"


_PO_LINE = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) "(.*)"$')


def po_messages(text: str) -> list[dict[str, str]]:
    """Every message of a .po file as its fields (``msgctxt``, ``msgid``, ``msgstr`` or
    ``msgstr[0]``, ``msgstr[1]``...), each kept apart: a message with a context is not
    hidden by another with the same msgid, and every plural form is seen. The header
    (empty msgid) and obsolete messages (``#~``) are left out."""
    messages, current, key = [], {}, None
    for line in [*text.splitlines(), ""]:
        if line.startswith("#"):
            continue
        match = _PO_LINE.match(line)
        if match:
            key = match.group(1)
            if key in ("msgctxt", "msgid") and "msgstr" in "".join(current):
                messages.append(current)
                current = {}
            current[key] = match.group(2)
        elif line.startswith('"') and key:
            current[key] += line[1:-1]
        elif not line.strip():
            if current:
                messages.append(current)
            current, key = {}, None
    return [m for m in messages if m.get("msgid")]


def empty_translations(text: str) -> list[str]:
    return [
        f"{m.get('msgctxt', '')}|{m['msgid']} ({name})"
        for m in po_messages(text)
        for name, value in m.items()
        if name.startswith("msgstr") and not value.strip()
    ]


def test_no_message_in_the_indonesian_catalogue_has_an_empty_translation():
    assert len(po_messages(PO.read_text())) > 1000
    empty = empty_translations(PO.read_text())
    assert not empty, f"empty msgstr: {empty}"


def test_the_empty_translation_check_sees_contexts_plurals_and_the_last_message():
    sample = (
        'msgid ""\nmsgstr ""\n"Language: id\\n"\n\n'
        'msgctxt "stock location"\nmsgid "Home"\nmsgstr ""\n\n'
        'msgid "Home"\nmsgstr "Beranda"\n\n'
        'msgid "%(n)s order"\nmsgid_plural "%(n)s orders"\nmsgstr[0] "%(n)s pesanan"\n'
        'msgstr[1] ""\n\n'
        '#~ msgid "Old"\n#~ msgstr ""\n\n'
        'msgid "Last"\nmsgstr ""'
    )
    assert empty_translations(sample) == [
        "stock location|Home (msgstr)",
        "|%(n)s order (msgstr[1])",
        "|Last (msgstr)",
    ]


def test_the_indonesian_catalogue_speaks_to_the_seller_and_the_buyer_as_kamu():
    """One register (docs/ui-style.md): *kamu*, never the formal *Anda*."""
    formal = [
        m["msgid"]
        for m in po_messages(PO.read_text())
        for name, value in m.items()
        if name.startswith("msgstr") and re.search(r"\bAnda\b", value)
    ]
    assert not formal, f"'Anda' in: {formal}"

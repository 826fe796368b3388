"""Fill untranslated entries of the Indonesian catalogue from a JSON object {msgid: msgstr}.

    .venv/bin/python scripts/po_fill.py translations.json   # then: make messages
    .venv/bin/python scripts/po_fill.py --missing            # list what is untranslated

Only entries whose msgstr is empty are filled; for plural entries the JSON value may be a
string (used for every form: Indonesian has one) or a list of forms.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

PO = Path(__file__).resolve().parent.parent / "merdeka/locale/id/LC_MESSAGES/django.po"


def quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def unquote(lines: list[str]) -> str:
    return "".join(json.loads(line) for line in lines)


def entries(text: str) -> list[str]:
    """The entries of a .po file (blocks separated by an empty line)."""
    return text.split("\n\n")


def parse(block: str) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    key = None
    for line in block.splitlines():
        if line.startswith("#"):
            continue
        match = re.match(r"^(msgid|msgid_plural|msgstr(?:\[\d+\])?) (\".*\")$", line)
        if match:
            key = match.group(1)
            fields[key] = [match.group(2)]
        elif line.startswith('"') and key:
            fields[key].append(line)
    return fields


def main(argv: list[str]) -> int:
    text = PO.read_text()
    if argv == ["--missing"]:
        for block in entries(text):
            fields = parse(block)
            msgid = unquote(fields.get("msgid", ['""']))
            msgstrs = [unquote(v) for k, v in fields.items() if k.startswith("msgstr")]
            if msgid and not any(msgstrs):
                print(quote(msgid))
        return 0
    translations = json.loads(Path(argv[0]).read_text())
    out = []
    filled = 0
    for block in entries(text):
        fields = parse(block)
        msgid = unquote(fields.get("msgid", ['""']))
        msgstrs = [k for k in fields if k.startswith("msgstr")]
        if msgid and msgid in translations and not any(unquote(fields[k]) for k in msgstrs):
            value = translations[msgid]
            kept = _without_msgstr(block)
            if "msgid_plural" in fields:
                forms = value if isinstance(value, list) else [value]
                kept += [f"msgstr[{i}] {quote(form)}" for i, form in enumerate(forms)]
            else:
                kept.append(f"msgstr {quote(value)}")
            block = "\n".join(kept)
            filled += 1
        out.append(block)
    PO.write_text("\n\n".join(out))
    print(f"filled {filled} entries")
    return 0


def _without_msgstr(block: str) -> list[str]:
    """The lines of an entry without its msgstr lines (and their continuations)."""
    kept, inside = [], False
    for line in block.splitlines():
        if line.startswith("msgstr"):
            inside = True
        elif not line.startswith('"'):
            inside = False
        if not inside:
            kept.append(line)
    return kept


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

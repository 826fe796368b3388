"""The project stands alone: nothing points at notes outside the repository."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
# spelt in pieces so that this file does not match itself
OUTSIDE = re.compile("|".join([r"\.\./" + "shared", "shared/" + "research", r"\bresearch/\w+\.md"]))


@pytest.mark.skipif(
    shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs a git checkout"
)
def test_no_file_outside_bench_points_at_notes_users_do_not_have():
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    found = []
    for name in files:
        path = ROOT / name
        if name.startswith("bench/") or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # spreadsheets, images, compiled catalogues
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                found.append(f"{name}:{number}: {line.strip()}")
    assert len(files) > 100
    assert not found, "move the note into docs/ and link there:\n" + "\n".join(found)


def test_every_decision_linked_from_the_code_exists():
    linked = set()
    for path in (ROOT / "merdeka").rglob("*.py"):
        linked |= set(re.findall(r"docs/decisions/[\w-]+\.md", path.read_text()))
    assert linked
    missing = sorted(name for name in linked if not (ROOT / name).is_file())
    assert not missing

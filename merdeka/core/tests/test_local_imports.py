"""An import of Merdeka's own code inside a function says why it is not at the top.

A function-local ``import merdeka...`` / ``from merdeka... import`` hides the import
from a reader and from the import graph, and is how cycles between apps crept in
unnoticed. So such an import is kept only where it is the way things are done, and
then says why in a comment on its line:

* in ``AppConfig.ready()`` (``# ready(): it imports models``);
* a task module importing the service that queues it, as HackSoft's styleguide does
  (``# pipeline imports this module``);
* after ``django.setup()`` in code a worker process imports first, a heavy optional
  dependency, a migration;
* a cycle between apps that a small move cannot end (``# cycle: groupbuy builds on
  orders``).

Everything else goes to the top of its module. This test reads the source with
``ast`` (tests, migrations and the browser tests aside) and fails on a local import
without a comment.

Every module of the project is held to it (``CLEANED``); ``NOT_YET`` names a file
that may be left out for a while, should one ever need to be.
"""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]  # the repository: paths below are relative to it

# The files whose local imports of merdeka all say why (globs, relative to ROOT).
CLEANED = ("merdeka/**/*.py",)
# Files a glob above matches that are not cleaned yet (they join CLEANED when they are).
NOT_YET: set[str] = set()


def _outside(path: Path) -> bool:
    parts = path.relative_to(ROOT).parts
    return "tests" in parts or "migrations" in parts or "e2e" in parts


def cleaned_files() -> list[Path]:
    found = {
        path
        for pattern in CLEANED
        for path in ROOT.glob(pattern)
        if not _outside(path) and str(path.relative_to(ROOT)) not in NOT_YET
    }
    return sorted(found)


def _is_merdeka(node: ast.Import | ast.ImportFrom) -> bool:
    if isinstance(node, ast.ImportFrom):
        module = node.module or ""
        return node.level > 0 or module == "merdeka" or module.startswith("merdeka.")
    return any(a.name == "merdeka" or a.name.startswith("merdeka.") for a in node.names)


def local_imports(source: str) -> list[tuple[int, str, bool]]:
    """(line, statement, says why) of every import of merdeka inside a function body:
    it says why when a comment sits on one of the statement's lines."""
    comments = {
        token.start[0]
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT
    }
    found = []
    for func in ast.walk(ast.parse(source)):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        for node in ast.walk(func):
            if isinstance(node, ast.Import | ast.ImportFrom) and _is_merdeka(node):
                lines = range(node.lineno, (node.end_lineno or node.lineno) + 1)
                found.append((node.lineno, ast.unparse(node), any(n in comments for n in lines)))
    return sorted(set(found))


def test_the_checker_finds_local_imports_and_their_reasons():
    source = (
        "from merdeka.core import bulk\n"
        "def f():\n"
        "    from merdeka.core import events\n"
        "    import merdeka.orders.lifecycle  # ready(): it imports models\n"
        "    from django.db import connection\n"
        "    def inner():\n"
        "        from merdeka.privacy import (  # cycle: privacy builds on core\n"
        "            crypto,\n"
        "        )\n"
        "    return '# not a comment'; from merdeka.books import orders\n"
    )
    assert local_imports(source) == [
        (3, "from merdeka.core import events", False),
        (4, "import merdeka.orders.lifecycle", True),
        (7, "from merdeka.privacy import crypto", True),
        (10, "from merdeka.books import orders", False),
    ]


def test_every_glob_of_the_cleaned_files_finds_a_file():
    for pattern in CLEANED:
        assert any(ROOT.glob(pattern)), f"{pattern} matches no file: renamed or gone?"
    for name in NOT_YET:
        assert (ROOT / name).exists(), f"{name} is gone: take it off NOT_YET"


def test_every_local_import_of_merdeka_in_the_cleaned_files_says_why():
    silent = [
        f"{path.relative_to(ROOT)}:{line}: {statement}"
        for path in cleaned_files()
        for line, statement, says_why in local_imports(path.read_text(encoding="utf-8"))
        if not says_why
    ]
    assert not silent, (
        "Move these imports to the top of their module, or say on their line why they "
        "stay inside the function (see this test's docstring):\n" + "\n".join(silent)
    )

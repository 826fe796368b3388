"""Write requirements.lock and requirements-test.lock from the packages installed here.

    .venv/bin/python scripts/lock.py        # or: make lock

pyproject.toml keeps the ranges Merdeka works with; the lock files pin the exact
versions the suite passed on, and `make` installs from them. This reads the versions
installed in the running virtualenv (what `pip freeze` shows, without Merdeka itself)
and splits them by pyproject.toml: what Merdeka needs to run goes to requirements.lock,
what only the `test` extra adds goes to requirements-test.lock. Anything installed by
hand that neither needs is left out.
"""

from __future__ import annotations

import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
HEADER = (
    "# {what}\n"
    "# Exact versions from a virtualenv the suite passed in, written by scripts/lock.py\n"
    "# (`make lock`); the ranges live in pyproject.toml. Refresh: see README.md.\n"
)


def closure(requirements: list[Requirement]) -> dict[str, str]:
    """Installed name -> pin of ``requirements`` and of everything they pull in."""
    found: dict[str, str] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    todo = [(req, frozenset()) for req in requirements]
    while todo:
        req, extras = todo.pop()  # extras: those asked of the package that requires req
        if req.marker and not any(req.marker.evaluate({"extra": e}) for e in extras or {""}):
            continue
        name = canonicalize_name(req.name)
        if (name, frozenset(req.extras)) in seen:
            continue
        seen.add((name, frozenset(req.extras)))
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            sys.exit(f"{req.name} is needed but not installed: pip install -e '.[test]' first")
        found[name] = f"{dist.metadata['Name']}=={dist.version}"
        todo += [(Requirement(r), frozenset(req.extras)) for r in dist.requires or []]
    return found


def main() -> int:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = closure([Requirement(r) for r in project["dependencies"]])
    test = closure([Requirement(r) for r in project["optional-dependencies"]["test"]])
    test = {name: pin for name, pin in test.items() if name not in runtime}
    for path, pins, what in (
        (ROOT / "requirements.lock", runtime, "What Merdeka runs on (make run)."),
        (
            ROOT / "requirements-test.lock",
            test,
            "What the test extra adds (make test), installed with requirements.lock.",
        ),
    ):
        lines = [pin for _name, pin in sorted(pins.items())]
        path.write_text(HEADER.format(what=what) + "".join(f"{line}\n" for line in lines))
        print(f"{path.name}: {len(lines)} packages")
    return 0


if __name__ == "__main__":
    sys.exit(main())

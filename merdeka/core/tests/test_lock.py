"""The lock files pin what pyproject.toml asks for (README: Dependencies)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[3]


def pins(*names: str) -> dict[str, str]:
    found = {}
    for name in names:
        for line in (ROOT / name).read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                package, _, version = line.partition("==")
                assert version, f"{name}: {line!r} is not an exact pin"
                found[canonicalize_name(package)] = version.strip()
    return found


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def check(requirements: list[str], pinned: dict[str, str]) -> list[str]:
    wrong = []
    for text in requirements:
        requirement = Requirement(text)
        version = pinned.get(canonicalize_name(requirement.name))
        if version is None or not requirement.specifier.contains(version, prereleases=True):
            wrong.append(f"{text} (locked: {version})")
    return wrong


def test_every_dependency_is_locked_at_a_version_pyproject_allows():
    wrong = check(project()["dependencies"], pins("requirements.lock"))
    assert not wrong, f"run `make lock`: {wrong}"


def test_every_test_dependency_is_locked_at_a_version_pyproject_allows():
    locked = pins("requirements.lock", "requirements-test.lock")
    wrong = check(project()["optional-dependencies"]["test"], locked)
    assert not wrong, f"run `make lock`: {wrong}"


def test_the_lock_files_pin_each_package_once_and_never_merdeka_itself():
    runtime, test = pins("requirements.lock"), pins("requirements-test.lock")
    assert not set(runtime) & set(test)
    assert "merdeka" not in runtime | test

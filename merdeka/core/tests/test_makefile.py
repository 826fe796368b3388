"""`make test` on a fresh machine: the browser the browser tests need comes by itself."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from merdeka.core.tests.test_commands import ROOT

MAKE = shutil.which("make")
pytestmark = pytest.mark.skipif(MAKE is None, reason="needs make")


@pytest.fixture
def machine(tmp_path):
    """A PATH of stand-ins: ``id`` says the user's uid, ``apt-get`` notes what it is asked
    and installs a ``chromium``, ``sudo`` notes and runs its command."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "log"
    log.touch()
    for tool in ("env", "chmod"):
        (bin_dir / tool).symlink_to(shutil.which(tool))

    def script(name: str, body: str):
        path = bin_dir / name
        path.write_text("#!/bin/sh\n" + body)
        path.chmod(0o755)

    script("id", 'echo "$FAKE_UID"\n')
    script(
        "apt-get",
        'echo "apt-get $* ($DEBIAN_FRONTEND)" >> "$LOG"\n'
        'case "$*" in *install*) printf "#!/bin/sh\\n" > "$FAKE_BIN/chromium";'
        ' chmod +x "$FAKE_BIN/chromium";; esac\n',
    )

    def run(*, uid=1000, sudo="works"):
        if sudo == "works":
            script("sudo", 'echo "sudo $*" >> "$LOG"\nexec "$@"\n')
        elif sudo == "refuses":
            script(
                "sudo", 'echo "sudo $*" >> "$LOG"\necho "sudo: a password is required"\nexit 1\n'
            )
        env = {
            "PATH": str(bin_dir),
            "LOG": str(log),
            "FAKE_BIN": str(bin_dir),
            "FAKE_UID": str(uid),
        }
        result = subprocess.run(
            [MAKE, "--no-print-directory", "-s", "browser"],
            cwd=ROOT,
            env={**env, "HOME": os.environ.get("HOME", "/")},
            capture_output=True,
            text=True,
        )
        return result, log.read_text().splitlines()

    run.bin = bin_dir
    return run


def test_a_machine_with_chromium_installs_nothing(machine):
    (machine.bin / "chromium").write_text("#!/bin/sh\n")
    (machine.bin / "chromium").chmod(0o755)
    result, asked = machine()
    assert result.returncode == 0 and result.stdout == ""
    assert asked == []


def test_without_root_chromium_is_installed_through_sudo(machine):
    result, asked = machine(uid=1000)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "installing Debian's chromium" in result.stdout
    assert asked == [
        "sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq",
        "apt-get update -qq (noninteractive)",
        "sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium",
        "apt-get install -y -qq chromium (noninteractive)",
    ]
    assert (machine.bin / "chromium").exists()


def test_as_root_chromium_is_installed_without_sudo(machine):
    result, asked = machine(uid=0, sudo=None)
    assert result.returncode == 0, result.stdout + result.stderr
    assert asked == [
        "apt-get update -qq (noninteractive)",
        "apt-get install -y -qq chromium (noninteractive)",
    ]


def test_without_root_or_sudo_it_says_exactly_what_to_run_and_stops(machine):
    result, asked = machine(uid=1000, sudo=None)
    assert result.returncode != 0
    assert "As root, run:\n    apt-get update && apt-get install -y chromium\n" in result.stdout
    assert asked == []


def test_when_sudo_refuses_it_says_exactly_what_to_run_and_stops(machine):
    result, asked = machine(uid=1000, sudo="refuses")
    assert result.returncode != 0
    assert "Run:\n    sudo apt-get update && sudo apt-get install -y chromium\n" in result.stdout
    assert asked == ["sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq"]
    assert not (machine.bin / "chromium").exists()


def test_make_test_and_the_browser_half_get_chromium_first():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^test: browser .*test-sqlite-all", makefile, re.M)
    assert re.search(r"^test-sqlite-all: .*\bbrowser\b", makefile, re.M)
    assert re.search(r"^test-e2e: .*\bbrowser\b", makefile, re.M)
    # the browser journeys run in make test's SQLite half (no -m filter there)
    recipe = re.search(r"^test-sqlite-all:.*\n\t(.*)", makefile, re.M).group(1)
    assert "pytest" in recipe and "-m" not in recipe.split()
    # CI relies on it instead of installing chromium on its own
    ci = (ROOT / ".ci" / "run").read_text()
    assert "apt-get" not in ci and ci.rstrip().endswith("make test")


# -- WeasyPrint's Pango (the books' PDFs) -----------------------------------------------

PANGO = "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core"


@pytest.fixture
def pango_machine(tmp_path):
    """A PATH of stand-ins where WeasyPrint loads once ``apt-get install`` has put a
    ``pango`` file in place (the check stands in for ``import weasyprint``)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "log"
    log.touch()
    for tool in ("env", "chmod", "test", "touch"):
        (bin_dir / tool).symlink_to(shutil.which(tool))

    def script(name: str, body: str):
        path = bin_dir / name
        path.write_text("#!/bin/sh\n" + body)
        path.chmod(0o755)

    script("id", 'echo "$FAKE_UID"\n')
    script(
        "apt-get",
        'echo "apt-get $* ($DEBIAN_FRONTEND)" >> "$LOG"\n'
        'case "$*" in *install*) touch "$FAKE_BIN/pango";; esac\n',
    )
    script("sudo", 'echo "sudo $*" >> "$LOG"\nexec "$@"\n')

    def run(*, uid=0):
        result = subprocess.run(
            [
                MAKE,
                "--no-print-directory",
                "-s",
                "-o",
                ".venv/bin/.installed",
                "pdf-libs",
                f"PDF_CHECK=test -e {bin_dir}/pango",
            ],
            cwd=ROOT,
            env={
                "PATH": str(bin_dir),
                "LOG": str(log),
                "FAKE_BIN": str(bin_dir),
                "FAKE_UID": str(uid),
                "HOME": os.environ.get("HOME", "/"),
            },
            capture_output=True,
            text=True,
        )
        return result, log.read_text().splitlines()

    run.bin = bin_dir
    return run


def test_a_machine_where_weasyprint_loads_installs_nothing(pango_machine):
    (pango_machine.bin / "pango").touch()
    result, asked = pango_machine()
    assert result.returncode == 0 and result.stdout == "" and asked == []


def test_pango_is_installed_from_debian_when_weasyprint_cannot_load_it(pango_machine):
    result, asked = pango_machine(uid=1000)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "installing Debian's Pango" in result.stdout
    assert asked == [
        "sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq",
        "apt-get update -qq (noninteractive)",
        f"sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {PANGO}",
        f"apt-get install -y -qq {PANGO} (noninteractive)",
    ]


def test_make_run_and_make_test_get_pango_first():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^setup: .*\bpdf-libs\b", makefile, re.M)
    assert re.search(r"^test: browser pdf-libs ", makefile, re.M)
    assert re.search(r"^test-sqlite: .*\bpdf-libs\b", makefile, re.M)
    assert re.search(r"^test-sqlite-all: .*\bpdf-libs\b", makefile, re.M)

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from merdeka.settings import default_data_dir

ROOT = Path(__file__).resolve().parents[3]

PRINT_DATA_DIR = (
    "import django; django.setup(); from django.conf import settings; print(settings.DATA_DIR)"
)


def env_without_data_dir() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MERDEKA_", "DATABASE_URL"))}
    # the checkout's own var/ is the default: given a secret key, nothing is written
    # there but the (empty) folders, so a developer's data is left alone
    env["MERDEKA_SECRET_KEY"] = "test-only-secret"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["DJANGO_SETTINGS_MODULE"] = "merdeka.settings"
    return env


def test_a_command_run_from_another_folder_leaves_no_data_directory_there(tmp_path):
    elsewhere = tmp_path / "somewhere-else"
    elsewhere.mkdir()
    env = env_without_data_dir()
    result = subprocess.run(
        [sys.executable, "-m", "merdeka.cli", "help"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    shown = subprocess.run(
        [sys.executable, "-c", PRINT_DATA_DIR],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(shown.stdout.strip()) == ROOT / "var"
    assert list(elsewhere.iterdir()) == []


def test_the_default_data_directory_is_the_checkouts_var(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'merdeka'\n")
    assert default_data_dir(tmp_path) == tmp_path / "var"


def test_installed_outside_a_checkout_the_data_lives_in_the_users_data_folder(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    site_packages = tmp_path / "site-packages"
    site_packages.mkdir()
    assert default_data_dir(site_packages) == tmp_path / "share" / "merdeka"


@pytest.mark.skipif(
    shutil.which("git") is None or not (ROOT / ".git").exists(), reason="needs a git checkout"
)
def test_no_data_directory_is_tracked_and_any_new_one_is_ignored():
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert not [path for path in tracked if "var" in Path(path).parts[:-1]]
    for path in ("var/secret_key", "merdeka/var/secret_key", "a/b/var/master.key"):
        ignored = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT)
        assert ignored.returncode == 0, f"{path} is not ignored"


def test_each_test_worker_has_a_data_directory_of_its_own(settings):
    """xdist workers inherit the controller's environment, where ``merdeka.testenv``
    already named the shared folder: each worker must still get its own, or one worker's
    uploads show up among the files another worker's test counts as left behind."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    shared = Path(os.environ["MERDEKA_TEST_DATA_DIR"])
    mine = settings.DATA_DIR
    assert mine == ((shared / worker) if worker else shared).resolve()

from __future__ import annotations

import pytest

from merdeka.cli import needs_database
from merdeka.core.tests.test_commands import clean_env, merdeka


@pytest.mark.parametrize(
    "args",
    [
        ["shop", "list"],
        ["shop", "create", "--name", "Toko Baru", "--owner", "baru"],
        ["backup"],
        ["keys", "status"],
    ],
)
def test_a_command_on_a_data_directory_never_set_up_says_to_run_setup(args, tmp_path):
    data = tmp_path / "var"
    result = merdeka(*args, env=clean_env(data), check=False)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"Merdeka is not set up in the data directory {data} yet: run `merdeka setup` first."
    ]
    assert not (data / "merdeka.sqlite3").exists()  # asking did not create a database


def test_help_and_migrate_are_let_through_on_a_fresh_data_directory(tmp_path):
    env = clean_env(tmp_path / "var")
    assert "shop" in merdeka("help", env=env).stdout
    assert "usage: merdeka shop" in merdeka("shop", "--help", env=env).stdout
    # migrate is not refused for want of a set-up (its plan starts from the first
    # migration); migrating an empty database for real is `merdeka setup`'s first run,
    # the one fresh set-up of the suite (conftest.py, checked in test_commands)
    plan = merdeka("migrate", "--plan", env=env).stdout
    assert plan.splitlines()[:2] == ["Planned operations:", "contenttypes.0001_initial"]


def test_a_database_behind_its_migrations_says_to_run_migrate_and_migrate_brings_it_up(
    set_up_once, tmp_path
):
    env = clean_env(set_up_once.copy(tmp_path / "var"))
    merdeka("migrate", "groupbuy", "0001", env=env)  # as a database from before an update
    result = merdeka("shop", "list", env=env, check=False)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.endswith("run `merdeka migrate` first.")
    merdeka("migrate", env=env)
    listed = merdeka("shop", "list", env=env)
    assert listed.stderr == ""
    assert "Dapur Kue Bu Ika" in listed.stdout


@pytest.mark.parametrize(
    ("args", "needed"),
    [
        (["shop", "list"], True),
        (["run"], True),
        (["db_worker"], True),
        (["inspect", "Order.all.xlsx", "--shop", "dapur-ika"], True),
        (["inspect", "Order.all.xlsx"], False),
        (["setup", "--no-demo"], False),
        (["migrate"], False),
        (["restore", "backup.sqlite3"], False),
        (["shop", "create", "--help"], False),
        (["help", "shop"], False),
        (["--version"], False),
        ([], False),
        (["no-such-command"], False),
    ],
)
def test_only_commands_that_use_the_database_check_it_first(args, needed):
    assert needs_database(args) is needed

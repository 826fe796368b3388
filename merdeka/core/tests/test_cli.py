from __future__ import annotations

import sqlite3

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


def test_help_and_migrate_work_on_a_fresh_data_directory_and_then_commands_do(tmp_path):
    env = clean_env(tmp_path / "var")
    assert "shop" in merdeka("help", env=env).stdout
    assert "usage: merdeka shop" in merdeka("shop", "--help", env=env).stdout
    merdeka("migrate", env=env)
    assert merdeka("shop", "list", env=env).stderr == ""


def test_a_database_behind_its_migrations_says_to_run_migrate(set_up_once, tmp_path):
    env = clean_env(set_up_once.copy(tmp_path / "var"))
    with sqlite3.connect(tmp_path / "var" / "merdeka.sqlite3") as db:
        db.execute(
            "DELETE FROM django_migrations WHERE id = (SELECT MAX(id) FROM django_migrations)"
        )
    result = merdeka("shop", "list", env=env, check=False)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.endswith("run `merdeka migrate` first.")


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

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from merdeka.core.models import Membership, Shop, User
from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Customer
from merdeka.customers.services import customer_create

ROOT = Path(__file__).resolve().parents[3]


def merdeka(*args, env, check=True):
    result = subprocess.run(
        [sys.executable, "-m", "merdeka.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if check and result.returncode != 0:
        raise AssertionError(result.stdout + result.stderr)
    return result


def clean_env(data_dir, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MERDEKA_", "DATABASE_URL"))}
    env.update({"MERDEKA_DATA_DIR": str(data_dir), **extra})
    return env


def test_shop_create_makes_a_shop_and_its_owner(db, capsys):
    call_command("shop", "create", "--name", "Keripik Pedas Mak Ros", "--owner", "ros")
    out = capsys.readouterr().out
    shop = Shop.objects.get(name="Keripik Pedas Mak Ros")
    owner = User.objects.get(username="ros")
    assert owner.must_change_password
    assert "Owner login: ros / " in out
    with shop_scope(shop):
        assert Membership.objects.get(user=owner).role == "owner"


def test_shop_create_explains_a_taken_short_name(db):
    call_command("shop", "create", "--name", "A", "--owner", "a1", "--slug", "sama")
    with pytest.raises(CommandError, match=r"sudah dipakai|already used"):
        call_command("shop", "create", "--name", "B", "--owner", "b1", "--slug", "sama")


@pytest.mark.slow
def test_setup_creates_the_demo_shop_once_and_reuses_it(set_up_once, tmp_path):
    # the first `merdeka setup`, on an empty data directory: the one of conftest.py
    first = set_up_once.stdout
    assert "Demo owner login: ika / " in first
    assert "BACK IT UP" in first
    assert (set_up_once.data / "master.key").stat().st_mode & 0o777 == 0o600
    data = set_up_once.copy(tmp_path / "var")
    key = data / "master.key"
    made = key.read_bytes()
    second = merdeka("setup", env=clean_env(data))
    assert "already there" in second.stdout
    assert first.split("Demo owner login: ")[1] == second.stdout.split("Demo owner login: ")[1]
    assert key.read_bytes() == made  # reused, not replaced


READ_CUSTOMERS = (
    "import json; from merdeka.core.scoping import scopes_disabled; "
    "from merdeka.customers.models import Customer\n"
    "with scopes_disabled():\n"
    "    print(json.dumps(sorted([c.name, c.phone, c.email, c.address] "
    "for c in Customer.objects.all())))"
)


def test_a_backup_restores_into_a_fresh_data_directory_with_the_same_key(set_up_once, tmp_path):
    env = clean_env(set_up_once.copy(tmp_path / "one"))
    original = json.loads(merdeka("shell", "-v", "0", "-c", READ_CUSTOMERS, env=env).stdout)
    assert len(original) == 5 and original[0][0]

    backup = tmp_path / "backup.sqlite3"
    out = merdeka("backup", "--out", str(backup), env=env).stdout
    assert "NOT in the backup" in out
    assert b"Siti Nurhaliza" not in backup.read_bytes()

    fresh = clean_env(
        tmp_path / "two", MERDEKA_MASTER_KEY_FILE=str(tmp_path / "one" / "master.key")
    )
    restored = merdeka("restore", str(backup), env=fresh)
    assert "keys of 1 shop(s) open" in restored.stdout
    assert (
        json.loads(merdeka("shell", "-v", "0", "-c", READ_CUSTOMERS, env=fresh).stdout) == original
    )

    # restoring over an existing database needs --force
    again = merdeka("restore", str(backup), env=fresh, check=False)
    assert again.returncode != 0 and "--force" in again.stderr


def test_a_backup_is_useless_without_its_master_key(migrated_data_dir, tmp_path):
    env = clean_env(migrated_data_dir)
    set_up = merdeka("setup", "--no-demo", env=env).stdout  # the one run of --no-demo
    assert "Created a new master key" in set_up
    assert "Demo" not in set_up
    assert merdeka("shop", "list", env=env).stdout == ""  # no demo shop
    merdeka("shop", "create", "--name", "Toko Kunci", "--owner", "kunci", env=env)
    backup = tmp_path / "b.sqlite3"
    merdeka("backup", "--out", str(backup), env=env)
    other = clean_env(tmp_path / "three")  # a new, different master key is generated
    result = merdeka("restore", str(backup), env=other, check=False)
    assert result.returncode != 0
    assert "master key does not open" in result.stderr


def test_backup_on_postgresql_says_what_to_do(db, monkeypatch):
    from merdeka.core import backup

    monkeypatch.setattr(backup, "database_path", lambda: None)  # as on PostgreSQL
    with pytest.raises(backup.BackupError, match="pg_dump"):
        backup.backup_create(out=None)


def test_customers_made_by_commands_are_scoped_to_their_shop(ika_shop, citra_shop):
    customer_create(shop=ika_shop, name="Satu")
    with shop_scope(citra_shop):
        assert Customer.objects.count() == 0

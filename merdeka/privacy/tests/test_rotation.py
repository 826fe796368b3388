from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse

from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Customer
from merdeka.customers.resolution import BuyerInput, Resolver, email_claim, phone_claim
from merdeka.customers.services import customer_create
from merdeka.privacy import crypto, services
from merdeka.privacy.models import AuditEvent, ShopKey

ROOT = Path(__file__).resolve().parents[3]


# every customer made here is three sealed rows: hers, and her phone and email identities
ROWS_PER_CUSTOMER = 3


def make_customers(shop, count):
    return [
        customer_create(
            shop=shop,
            name=f"Pelanggan Rotasi {i}",
            phone=f"+62812{10_000_000 + i}",
            email=f"rotasi{i}@contoh.id",
            address=f"Jl. Rotasi {i}",
        )
        for i in range(count)
    ]


def import_customers(shop, count):
    """Customers with their identities as an import writes them (set-wise), which is
    also quicker than one by one for the hundreds the kill test needs: a hand-added
    customer finds its place in the name order with some sixty lookups."""
    buyers = [
        BuyerInput(
            claims=[phone_claim(f"+62812{10_000_000 + i}"), email_claim(f"rotasi{i}@contoh.id")],
            name=f"Pelanggan Rotasi {i}",
            address=f"Jl. Rotasi {i}",
        )
        for i in range(count)
    ]
    with transaction.atomic(), shop_scope(shop):
        Resolver(shop=shop, source="test").resolve_many(buyers)


def plaintexts(shop):
    with shop_scope(shop):
        return sorted(
            (c.uid.hex, c.name, c.phone, c.email, c.address, c.phone_index)
            for c in Customer.objects.all()
        )


def test_it_rotates_a_shops_data_key_and_destroys_the_old_one(ika_shop, citra_shop):
    make_customers(ika_shop, 30)
    make_customers(citra_shop, 3)
    before, citra_before = plaintexts(ika_shop), plaintexts(citra_shop)

    report = services.keys_rotate(shop=ika_shop)

    assert (
        report.version == 2
        and report.rows_reencrypted == 30 * ROWS_PER_CUSTOMER
        and not report.resumed
    )
    assert report.retired_versions == [1]
    assert plaintexts(ika_shop) == before  # same data, same blind indexes
    with shop_scope(ika_shop):
        assert set(Customer.objects.values_list("key_version", flat=True)) == {2}
        assert AuditEvent.objects.filter(action="keys.rotated").exists()
    old = ShopKey.unscoped.get(shop=ika_shop, purpose="data", version=1)
    assert old.retired_at is not None and bytes(old.wrapped) == b""
    # the other shop is untouched
    assert crypto.active_data_key_version(citra_shop.pk) == 1
    assert plaintexts(citra_shop) == citra_before


def test_an_interrupted_rotation_resumes_where_it_stopped(ika_shop, monkeypatch):
    make_customers(ika_shop, 12)
    before = plaintexts(ika_shop)
    monkeypatch.setattr(services, "ROTATION_BATCH", 5)
    calls = []

    def crash_after_first_batch(n):
        calls.append(n)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        services.keys_rotate(shop=ika_shop, progress=crash_after_first_batch)
    status = services.keys_status(shop=ika_shop)
    assert status["active_version"] == 2
    assert status["rows_on_old_keys"] == 12 * ROWS_PER_CUSTOMER - 5
    assert status["live_versions"] == [1, 2]
    assert plaintexts(ika_shop) == before  # rows on both keys all decrypt

    report = services.keys_rotate(shop=ika_shop)
    assert (
        report.resumed
        and report.version == 2
        and report.rows_reencrypted == 12 * ROWS_PER_CUSTOMER - 5
    )
    assert services.keys_status(shop=ika_shop)["rows_on_old_keys"] == 0
    assert plaintexts(ika_shop) == before


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = db["USER"] or "postgres"
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_killing_the_rotation_command_at_random_points_never_loses_data(ika_shop):
    import_customers(ika_shop, 600)
    before = plaintexts(ika_shop)
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "MERDEKA_DATA_DIR": str(settings.DATA_DIR),
        "MERDEKA_MASTER_KEY_FILE": str(settings.MERDEKA_MASTER_KEY_FILE),
        "MERDEKA_TESTING": "1",
        "MERDEKA_ROTATION_BATCH": "5",
    }
    command = [sys.executable, "-m", "merdeka.cli", "keys", "rotate", "--shop", ika_shop.slug]
    rng = random.Random(20261124)
    interrupted = 0
    for _ in range(5):
        proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
        # wait until this run is re-encrypting, then kill it at a random moment
        deadline = time.monotonic() + 30
        while proc.poll() is None and time.monotonic() < deadline:
            if len(services.keys_status(shop=ika_shop)["live_versions"]) > 1:
                break
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 0.1))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        crypto.clear_key_cache()
        assert plaintexts(ika_shop) == before
        if len(services.keys_status(shop=ika_shop)["live_versions"]) > 1:
            interrupted += 1  # killed in the middle of re-encrypting
    assert interrupted >= 2, "the kills should land mid-rotation"
    # the last run resumes and finishes: small batches were for landing the kills only
    finish = {**env, "MERDEKA_ROTATION_BATCH": "200"}
    finished = subprocess.run(command, env=finish, cwd=ROOT, capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr
    crypto.clear_key_cache()
    status = services.keys_status(shop=ika_shop)
    assert status["rows_on_old_keys"] == 0
    assert len(status["live_versions"]) == 1
    assert plaintexts(ika_shop) == before
    with shop_scope(ika_shop):
        assert Customer.objects.count() == 600


def test_the_owner_starts_a_rotation_from_the_security_page(
    ika_client, ika_shop, django_capture_on_commit_callbacks
):
    make_customers(ika_shop, 3)
    page = ika_client.get(reverse("security"))
    assert page.status_code == 200
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = ika_client.post(reverse("keys_rotate"))
    assert response.status_code == 302
    assert len(callbacks) == 1  # enqueued on commit, not before
    # ImmediateBackend in tests: the task ran when the transaction committed
    status = services.keys_status(shop=ika_shop)
    assert status["active_version"] == 2 and status["rows_on_old_keys"] == 0


@pytest.mark.django_db(transaction=True)
def test_the_rotation_task_goes_through_the_database_queue_and_worker(ika, ika_shop, settings):
    from django_tasks_db.models import DBTaskResult

    from merdeka.privacy.tasks import rotate_shop_keys

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    make_customers(ika_shop, 4)
    result = rotate_shop_keys.enqueue(shop_id=ika_shop.pk, actor_id=ika.pk)
    assert services.keys_status(shop=ika_shop)["active_version"] == 1  # only queued
    assert DBTaskResult.objects.filter(status="READY").count() == 1

    call_command("db_worker", batch=True, startup_delay=False, queue_name="*", verbosity=0)

    result.refresh()
    assert result.status == "SUCCESSFUL", result.errors
    assert (
        result.return_value["version"] == 2 and result.return_value["rows"] == 4 * ROWS_PER_CUSTOMER
    )
    assert services.keys_status(shop=ika_shop)["rows_on_old_keys"] == 0

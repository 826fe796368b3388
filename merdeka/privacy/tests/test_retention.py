"""Retention: inactive customers are erased after the shop's chosen period, daily."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction

from merdeka.cards.models import CardBatch, SignUp
from merdeka.core import schedule
from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Customer, Identity
from merdeka.customers.resolution import Resolver, customer_merge, phone_claim
from merdeka.orders.models import Order
from merdeka.privacy import consent, rights
from merdeka.privacy.models import AuditEvent, PrivacySettings
from merdeka.privacy.retention import (
    months_before,
    retention_candidates,
    retention_enqueue_due,
    retention_run,
)

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(days=800)


def buyer(shop, phone, *, name="Pembeli", at=LONG_AGO):
    with shop_scope(shop), transaction.atomic():
        customer = Resolver(shop=shop, source="shopee").resolve([phone_claim(phone)], name=name)
        Customer.objects.filter(pk=customer.pk).update(created_at=at)
        Identity.objects.filter(customer=customer).update(last_seen_at=at)
    return customer


def order(shop, customer, at, external_id):
    with shop_scope(shop):
        return Order.objects.create(
            shop=shop,
            channel="shopee",
            external_id=external_id,
            customer=customer,
            ordered_at=at,
            total=Decimal("10000"),
            recipient_name="Rahasia",
        )


def keep_for(shop, months):
    with shop_scope(shop):
        PrivacySettings.objects.update_or_create(shop=shop, defaults={"retention_months": months})


def alive(shop):
    with shop_scope(shop):
        return set(Customer.objects.values_list("pk", flat=True))


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (datetime(2026, 12, 1, tzinfo=UTC), 12, datetime(2025, 12, 1, tzinfo=UTC)),
        (datetime(2026, 3, 31, tzinfo=UTC), 1, datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2024, 3, 31, tzinfo=UTC), 1, datetime(2024, 2, 29, tzinfo=UTC)),
        (datetime(2026, 1, 15, tzinfo=UTC), 13, datetime(2024, 12, 15, tzinfo=UTC)),
    ],
)
def test_months_are_calendar_months(moment, months, expected):
    assert months_before(moment, months) == expected


def test_only_customers_inactive_for_the_whole_period_are_erased(ika_shop, ika):
    keep_for(ika_shop, 12)
    quiet = buyer(ika_shop, "081200000001")
    order(ika_shop, quiet, LONG_AGO, "OLD-1")
    ordered = buyer(ika_shop, "081200000002")
    order(ika_shop, ordered, NOW - timedelta(days=30), "NEW-1")
    new = buyer(ika_shop, "081200000003", at=NOW - timedelta(days=10))
    consented = buyer(ika_shop, "081200000004")
    consent.consent_record(
        shop=ika_shop, customer=consented, channel="whatsapp", granted=True, source="staff"
    )  # recorded "now" (real time), which is within a year of NOW
    restricted = buyer(ika_shop, "081200000005")
    rights.customer_restrict(shop=ika_shop, customer_id=restricted.pk, actor=ika, reason="legal")
    signed_up = buyer(ika_shop, "081200000006")
    with shop_scope(ika_shop):
        batch = CardBatch.objects.create(shop=ika_shop, label="K", channel="shopee", count=4)
        SignUp.objects.create(shop=ika_shop, batch=batch, customer=signed_up)

    assert retention_candidates(shop=ika_shop, months=12, now=NOW) == [quiet.pk]
    report = retention_run(shop=ika_shop, now=NOW)
    assert report.erased == 1
    assert alive(ika_shop) == {ordered.pk, new.pk, consented.pk, restricted.pk, signed_up.pk}
    with shop_scope(ika_shop):
        kept = Order.objects.get(external_id="OLD-1")
    assert kept.customer_id is None and kept.recipient_name is None
    erased = AuditEvent.unscoped.get(shop=ika_shop, action="customer.erased")
    assert erased.target_id == str(quiet.pk) and erased.detail["reason"] == "retention"
    assert erased.actor is None
    summary = AuditEvent.unscoped.get(shop=ika_shop, action="privacy.retention_run")
    assert summary.detail == {"months": 12, "erased": 1}
    # a shorter clock: a year later the one who ordered last month is inactive too
    assert ordered.pk in retention_candidates(
        shop=ika_shop, months=12, now=NOW + timedelta(days=400)
    )


def test_a_customer_with_an_active_merged_record_is_kept(ika_shop):
    keep_for(ika_shop, 6)
    survivor = buyer(ika_shop, "081200000011")
    absorbed = buyer(ika_shop, "081200000012")
    order(ika_shop, absorbed, NOW - timedelta(days=5), "MOVED-1")
    with shop_scope(ika_shop):
        Order.objects.filter(external_id="MOVED-1").update(customer=absorbed)
        Customer.objects.filter(pk=absorbed.pk).update(merged_into=survivor)
    assert retention_candidates(shop=ika_shop, months=6, now=NOW) == []
    with shop_scope(ika_shop):
        Order.objects.filter(external_id="MOVED-1").update(ordered_at=LONG_AGO)
    assert retention_candidates(shop=ika_shop, months=6, now=NOW) == [survivor.pk]
    retention_run(shop=ika_shop, now=NOW)
    assert alive(ika_shop) == set()


def test_merging_moves_activity_and_retention_follows_it(ika_shop):
    keep_for(ika_shop, 6)
    survivor = buyer(ika_shop, "081200000021")
    absorbed = buyer(ika_shop, "081200000022")
    order(ika_shop, absorbed, NOW - timedelta(days=5), "RECENT")
    with shop_scope(ika_shop):
        customer_merge(shop=ika_shop, survivor=survivor, absorbed=absorbed, reason="reviewed")
    assert retention_candidates(shop=ika_shop, months=6, now=NOW) == []


def test_without_a_retention_period_nothing_is_erased(ika_shop):
    quiet = buyer(ika_shop, "081200000031")
    assert retention_run(shop=ika_shop, now=NOW).erased == 0
    keep_for(ika_shop, None)
    assert retention_run(shop=ika_shop, now=NOW).erased == 0
    assert alive(ika_shop) == {quiet.pk}
    assert not AuditEvent.unscoped.filter(action="customer.erased").exists()


def test_retention_of_one_shop_never_touches_another(ika_shop, citra_shop):
    keep_for(ika_shop, 6)
    theirs = buyer(citra_shop, "081200000041")
    ours = buyer(ika_shop, "081200000041")
    retention_run(shop=ika_shop, now=NOW)
    assert alive(ika_shop) == set()
    assert alive(citra_shop) == {theirs.pk}
    assert ours.pk != theirs.pk


def test_the_scheduler_queues_one_sweep_a_day_per_shop_with_a_period(
    ika_shop, citra_shop, django_capture_on_commit_callbacks
):
    keep_for(ika_shop, 12)
    quiet = buyer(ika_shop, "081200000051")
    citra_quiet = buyer(citra_shop, "081200000052")  # Citra set no period
    with django_capture_on_commit_callbacks(execute=True):
        results = schedule.tick(now=NOW)
    assert results["merdeka.privacy.retention.retention_enqueue_due"] == [ika_shop.pk]
    assert results["merdeka.imports.mapping.waiting_uploads_expire"] == 0
    assert alive(ika_shop) == set()  # the task ran (immediate backend in tests)
    assert alive(citra_shop) == {citra_quiet.pk}
    assert quiet.pk not in alive(ika_shop)

    # an hour later nothing is due; a day later it is again
    with django_capture_on_commit_callbacks(execute=True):
        assert retention_enqueue_due(now=NOW + timedelta(hours=1)) == []
    with django_capture_on_commit_callbacks(execute=True):
        assert retention_enqueue_due(now=NOW + timedelta(hours=25)) == [ika_shop.pk]
    with shop_scope(ika_shop):
        checked = PrivacySettings.objects.get().retention_checked_at
    assert checked >= NOW + timedelta(hours=25)


def test_a_failing_periodic_entry_does_not_stop_the_scheduler(monkeypatch):
    monkeypatch.setattr(schedule, "PERIODIC", ("merdeka.nowhere.nothing", *schedule.PERIODIC))
    results = schedule.tick(now=NOW)
    assert results["merdeka.nowhere.nothing"] is None
    assert "merdeka.privacy.retention.retention_enqueue_due" in results


def test_the_retention_command_sweeps_one_shop_or_all(ika_shop, citra_shop, capsys):
    keep_for(ika_shop, 6)
    buyer(ika_shop, "081200000061")
    theirs = buyer(citra_shop, "081200000062")
    call_command("retention", "--shop", "toko-citra")
    assert "no retention period" in capsys.readouterr().out
    assert alive(citra_shop) == {theirs.pk}
    call_command("retention")
    assert "dapur-ika: 1 inactive customer(s) erased" in capsys.readouterr().out
    assert alive(ika_shop) == set()


def test_the_scheduler_command_runs_once(ika_shop, capsys):
    keep_for(ika_shop, 6)
    buyer(ika_shop, "081200000071")
    call_command("scheduler", "--once")
    # the sweep runs on commit, which the test transaction never reaches: it was queued
    with shop_scope(ika_shop):
        assert PrivacySettings.objects.get().retention_checked_at is not None


def test_merdeka_run_starts_the_scheduler_beside_the_web_server_and_worker(monkeypatch):
    import subprocess

    from merdeka.core.management.commands import run

    started = []

    class Finished:
        def __init__(self, argv, **kwargs):
            started.append(argv)

        def poll(self):
            return 0

        def terminate(self):
            pass

        def wait(self, timeout=None):
            return 0

    monkeypatch.setattr(subprocess, "Popen", Finished)
    monkeypatch.setattr(run.signal, "signal", lambda *a: None)
    monkeypatch.setattr(run.startup, "demo_login", lambda: None)
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="stopped unexpectedly"):
        call_command("run")  # the fake processes end at once, which run reports
    assert any(argv[-1] == "scheduler" for argv in started)
    assert any("db_worker" in argv for argv in started)

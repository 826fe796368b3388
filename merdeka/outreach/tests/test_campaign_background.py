"""A campaign's messages are made by a background task, not in the seller's request:
the page answers at once and follows the progress; running the task again (after a
crash) never makes a second message for anyone."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse

from merdeka.core.scoping import shop_scope
from merdeka.outreach.models import Campaign, Delivery, DeliveryStatus
from merdeka.outreach.services.campaigns import (
    _deliveries_make,
    campaign_prepare,
    campaign_send,
    campaigns_prepare_stalled,
)
from merdeka.outreach.tests.test_walink import statuses, walink_campaign

EXPECTED = {
    "Siti Nurhaliza": DeliveryStatus.QUEUED,
    "Dewi Anggraini": DeliveryStatus.QUEUED,
    "Budi Santoso": DeliveryStatus.SKIPPED_NO_CONSENT,
    "Eka Putri": DeliveryStatus.SKIPPED_NO_CONTACT,
}


@pytest.fixture
def db_tasks(settings):
    """The task backend of ``merdeka run``: tasks wait in the database for a worker."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def work():
    """What the worker beside the web server does: run every task waiting."""
    call_command("db_worker", batch=True, startup_delay=False, queue_name="*", verbosity=0)


def campaign_of(shop, campaign):
    with shop_scope(shop):
        return Campaign.objects.get(pk=campaign.pk)


@pytest.mark.django_db(transaction=True)
def test_sending_answers_at_once_and_the_worker_makes_the_messages(
    db_tasks, ika_client, ika_shop, people
):
    campaign = walink_campaign(ika_shop)
    response = ika_client.post(
        reverse("outreach_campaign_send", args=[campaign.pk]), {"confirmed": "yes"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("outreach_campaign", args=[campaign.pk])
    sent = campaign_of(ika_shop, campaign)
    assert sent.state == Campaign.State.SENDING and sent.preparing
    assert sent.audience_size == 4
    assert statuses(ika_shop, campaign) == {}  # nothing made in the request
    page = ika_client.get(response["Location"]).content.decode()
    assert 'data-testid="preparing"' in page and "0 dari 4" in page
    assert 'hx-trigger="every 2s"' in page
    work()
    assert statuses(ika_shop, campaign) == EXPECTED
    done = campaign_of(ika_shop, campaign)
    assert done.prepared_at is not None and not done.preparing
    page = ika_client.get(response["Location"]).content.decode()
    assert 'data-testid="preparing"' not in page and 'hx-trigger="every 2s"' not in page
    assert "Menunggu: <strong>2</strong>" in page


@pytest.mark.django_db(transaction=True)
def test_preparing_again_after_a_crash_makes_no_second_message(db_tasks, ika_shop, people):
    campaign = walink_campaign(ika_shop)
    assert campaign_send(shop=ika_shop, campaign=campaign) is None
    # a first run made the first two customers' messages, committed, and died
    sent = campaign_of(ika_shop, campaign)
    with shop_scope(ika_shop):
        from merdeka.outreach.channels import get_channel

        last = _deliveries_make(ika_shop, sent, get_channel(sent.channel), after=0, limit=2)
    assert last is not None and len(statuses(ika_shop, campaign)) == 2
    work()  # the task the send enqueued runs after all
    counts = campaign_prepare(shop=ika_shop, campaign_id=campaign.pk)  # and again
    assert counts == {"queued": 2, "skipped": 2}
    assert statuses(ika_shop, campaign) == EXPECTED
    with shop_scope(ika_shop):
        assert Delivery.objects.filter(campaign=campaign).count() == 4


@pytest.mark.django_db(transaction=True)
def test_a_preparer_that_stopped_is_started_again_by_the_sweep(db_tasks, ika_shop, people, clock):
    from django_tasks_db.models import DBTaskResult

    campaign = walink_campaign(ika_shop)
    campaign_send(shop=ika_shop, campaign=campaign)
    DBTaskResult.objects.all().delete()  # the worker died with the task
    clock.advance(minutes=5)
    assert campaigns_prepare_stalled() == 0  # still fresh
    clock.advance(minutes=11)
    call_command("outreach", "due", stdout=io.StringIO())
    work()
    assert statuses(ika_shop, campaign) == EXPECTED
    assert campaigns_prepare_stalled(now=clock.now + timedelta(hours=1)) == 0


def test_prepared_in_small_chunks_the_messages_are_the_same(db_tasks, ika_shop, people):
    campaign = walink_campaign(ika_shop)
    assert campaign_send(shop=ika_shop, campaign=campaign) is None  # the task waits
    counts = campaign_prepare(shop=ika_shop, campaign_id=campaign.pk, chunk=1)
    assert counts == {"queued": 2, "skipped": 2}
    assert statuses(ika_shop, campaign) == EXPECTED
    assert not campaign_of(ika_shop, campaign).preparing

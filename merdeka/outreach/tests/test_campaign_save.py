"""Saving a draft takes its row lock: a save never changes a campaign whose sending has
started, and of two saves from forms opened on the same version (two tabs) the second
is refused instead of quietly overwriting the first.

The races run as real concurrent transactions on the test database (SQLite in WAL with
BEGIN IMMEDIATE, or PostgreSQL under READ COMMITTED): threads with their own
connections, the first holding its transaction open while the second tries."""

from __future__ import annotations

import re
import threading

import pytest
from django.db import connection, transaction
from django.urls import reverse

from merdeka.core.scoping import shop_scope
from merdeka.outreach.models import Campaign
from merdeka.outreach.services.campaigns import campaign_save, campaign_send
from merdeka.outreach.services.common import OutreachError
from merdeka.outreach.tests.test_views import FORM

STARTED = "sudah mulai dikirim"
ELSEWHERE = "diubah di tempat lain"


def campaign_of(shop, pk) -> Campaign:
    with shop_scope(shop):
        return Campaign.objects.get(pk=pk)


def test_a_save_from_a_page_opened_before_the_send_is_refused_and_changes_nothing(ika_shop, people):
    draft = campaign_save(shop=ika_shop, actor=None, fields=FORM)
    stale = campaign_of(ika_shop, draft.pk)  # the edit page loaded it as a draft
    campaign_send(shop=ika_shop, campaign=draft)
    with pytest.raises(OutreachError, match=STARTED):
        campaign_save(shop=ika_shop, actor=None, fields={"body": "Diganti"}, campaign=stale)
    assert campaign_of(ika_shop, draft.pk).body == FORM["body"]


def test_two_tabs_the_second_save_is_refused_and_keeps_her_words_on_the_page(
    ika_client, ika_shop, people
):
    draft = campaign_save(shop=ika_shop, actor=None, fields=FORM)
    url = reverse("outreach_campaign_edit", args=[draft.pk])
    pages = [ika_client.get(url).content.decode() for _tab in range(2)]
    seen = [re.search(r'name="seen" value="([^"]+)"', page).group(1) for page in pages]
    assert seen[0] == seen[1]

    first = ika_client.post(url, {**FORM, "body": "Tab pertama {nama}", "seen": seen[0]})
    assert first.status_code == 302
    second = ika_client.post(url, {**FORM, "body": "Tab kedua {nama}", "seen": seen[1]})
    assert second.status_code == 200
    page = second.content.decode()
    assert ELSEWHERE in page and "Tab kedua {nama}" in page
    assert campaign_of(ika_shop, draft.pk).body == "Tab pertama {nama}"
    # opened again, the page carries the new version and saves
    again = re.search(r'name="seen" value="([^"]+)"', ika_client.get(url).content.decode())
    response = ika_client.post(url, {**FORM, "body": "Tab kedua {nama}", "seen": again.group(1)})
    assert response.status_code == 302
    assert campaign_of(ika_shop, draft.pk).body == "Tab kedua {nama}"


def _race(first, second):
    """Run ``first`` in a transaction of its own thread and hold it open; start
    ``second`` in another thread; return whether ``second`` finished while the first
    transaction was still open, and each one's outcome."""
    locked, release = threading.Event(), threading.Event()
    outcomes: dict[str, object] = {}
    done = threading.Event()

    def one():
        try:
            with transaction.atomic():
                outcomes["first"] = first()
                locked.set()
                release.wait(timeout=30)
        except Exception as exc:  # the test fails on it below
            outcomes["first"] = exc
            locked.set()
        finally:
            connection.close()

    def two():
        locked.wait(timeout=30)
        try:
            outcomes["second"] = second()
        except Exception as exc:
            outcomes["second"] = exc
        finally:
            done.set()
            connection.close()

    threads = [threading.Thread(target=one), threading.Thread(target=two)]
    for thread in threads:
        thread.start()
    locked.wait(timeout=30)
    finished_early = done.wait(timeout=1.0)
    release.set()
    for thread in threads:
        thread.join(timeout=60)
    return finished_early, outcomes


@pytest.mark.django_db(transaction=True)
def test_a_save_during_the_send_waits_for_it_then_is_refused(ika_shop, people):
    draft = campaign_save(shop=ika_shop, actor=None, fields=FORM)
    stale = campaign_of(ika_shop, draft.pk)
    finished_early, outcomes = _race(
        lambda: campaign_send(shop=ika_shop, campaign=draft),
        lambda: campaign_save(
            shop=ika_shop, actor=None, fields={"body": "Diganti saat dikirim"}, campaign=stale
        ),
    )
    assert not isinstance(outcomes["first"], Exception), outcomes
    assert not finished_early  # it waited for the send's transaction
    assert isinstance(outcomes["second"], OutreachError) and STARTED in str(outcomes["second"])
    sent = campaign_of(ika_shop, draft.pk)
    assert sent.state == Campaign.State.SENDING and sent.body == FORM["body"]


@pytest.mark.django_db(transaction=True)
def test_of_two_saves_at_once_from_the_same_version_the_later_is_refused(ika_shop, people):
    draft = campaign_save(shop=ika_shop, actor=None, fields=FORM)
    seen = campaign_of(ika_shop, draft.pk).updated_at

    def save(body):
        return lambda: campaign_save(
            shop=ika_shop, actor=None, fields={"body": body}, campaign=draft, seen_at=seen
        )

    finished_early, outcomes = _race(save("Tab satu"), save("Tab dua"))
    assert not isinstance(outcomes["first"], Exception), outcomes
    assert not finished_early
    assert isinstance(outcomes["second"], OutreachError) and ELSEWHERE in str(outcomes["second"])
    assert campaign_of(ika_shop, draft.pk).body == "Tab satu"

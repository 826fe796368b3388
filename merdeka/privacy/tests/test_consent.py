from __future__ import annotations

import pytest

from merdeka.core.scoping import shop_scope
from merdeka.customers import services as customer_services
from merdeka.customers.models import Merge
from merdeka.customers.resolution import customer_merge, merge_undo
from merdeka.privacy import consent
from merdeka.privacy.models import AuditEvent, ConsentEvent


@pytest.fixture
def budi(ika_shop, ika):
    return customer_services.customer_create(shop=ika_shop, actor=ika, name="Budi Santoso")


def record(shop, customer, channel="whatsapp", granted=True, source="staff", actor=None):
    return consent.consent_record(
        shop=shop, customer=customer, channel=channel, granted=granted, source=source, actor=actor
    )


def test_marketing_fails_closed_without_a_recorded_opt_in(ika_shop, budi):
    assert not consent.consent_allows(shop=ika_shop, customer=budi, channel="whatsapp")
    assert not consent.consent_allows(shop=ika_shop, customer=budi, channel="email")
    assert not consent.consent_allows(shop=ika_shop, customer=budi, channel="sms")
    assert not consent.consent_allows(
        shop=ika_shop, customer=budi, channel="whatsapp", purpose="anything"
    )


def test_service_messages_need_no_opt_in(ika_shop, budi):
    assert consent.consent_allows(
        shop=ika_shop, customer=budi, channel="whatsapp", purpose=consent.SERVICE
    )


def test_an_opt_in_allows_that_channel_only_and_a_withdrawal_takes_effect_at_once(
    ika_shop, ika, budi
):
    record(ika_shop, budi, "whatsapp", True, actor=ika)
    assert consent.consent_allows(shop=ika_shop, customer=budi, channel="whatsapp")
    assert not consent.consent_allows(shop=ika_shop, customer=budi, channel="email")
    record(ika_shop, budi, "whatsapp", False, source="reply_stop")
    assert not consent.consent_allows(shop=ika_shop, customer=budi, channel="whatsapp")
    history = list(consent.consent_history(shop=ika_shop, customer=budi))
    assert [(e.granted, e.source) for e in history] == [(False, "reply_stop"), (True, "staff")]
    actions = set(
        AuditEvent.unscoped.filter(shop=ika_shop, target_id=str(budi.pk)).values_list(
            "action", flat=True
        )
    )
    assert {"consent.granted", "consent.withdrawn"} <= actions


def test_the_ledger_is_append_only(ika_shop, budi, in_shop):
    event = record(ika_shop, budi)
    with pytest.raises(PermissionError):
        event.save()
    with in_shop(ika_shop), pytest.raises(PermissionError):
        ConsentEvent.objects.filter(pk=event.pk).update(granted=False)


def test_another_shops_customer_is_refused(ika_shop, citra_shop, budi):
    with pytest.raises(ValueError):
        record(citra_shop, budi)
    assert not consent.consent_allows(
        shop=citra_shop, customer=budi, channel="whatsapp", purpose=consent.SERVICE
    )


def test_merging_brings_the_latest_choice_and_an_undo_takes_it_back(ika_shop, ika, budi):
    other = customer_services.customer_create(shop=ika_shop, actor=ika, name="Budi S.")
    record(ika_shop, other, "email", True)
    with shop_scope(ika_shop):
        customer_merge(shop=ika_shop, survivor=budi, absorbed=other, reason=Merge.Reason.REVIEWED)
    budi.refresh_from_db()
    assert consent.consent_allows(shop=ika_shop, customer=budi, channel="email")
    assert len(list(consent.consent_history(shop=ika_shop, customer=budi))) == 1

    merge = Merge.unscoped.get(shop=ika_shop, absorbed=other)
    with shop_scope(ika_shop):
        merge_undo(shop=ika_shop, merge=merge)
    assert not consent.consent_allows(shop=ika_shop, customer=budi, channel="email")
    other.refresh_from_db()
    assert consent.consent_allows(shop=ika_shop, customer=other, channel="email")


def test_a_merged_away_customer_is_never_messaged(ika_shop, ika, budi):
    other = customer_services.customer_create(shop=ika_shop, actor=ika, name="Budi S.")
    record(ika_shop, other, "whatsapp", True)
    with shop_scope(ika_shop):
        customer_merge(shop=ika_shop, survivor=budi, absorbed=other, reason=Merge.Reason.REVIEWED)
    other.refresh_from_db()
    assert not consent.consent_allows(
        shop=ika_shop, customer=other, channel="whatsapp", purpose=consent.SERVICE
    )

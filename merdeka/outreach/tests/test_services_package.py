"""Other apps reach outreach through ``merdeka.outreach.services`` only (orders, group
buys and pre-orders tell buyers through it; the scheduler runs its sweep): those names
stay there, whichever module owns them."""

from __future__ import annotations

from django.utils.module_loading import import_string

from merdeka.core.schedule import PERIODIC
from merdeka.outreach import services
from merdeka.outreach.services import common, sending

OTHER_APPS_USE = {
    "deliveries_send_due": sending.deliveries_send_due,  # core.schedule
    "delivery_send": sending.delivery_send,  # orders, books (debt reminders)
    "public_url": common.public_url,  # groupbuy
    "service_message_send": sending.service_message_send,  # orders, groupbuy, preorders, books
    "window_open": sending.window_open,  # orders, groupbuy, books
}


def test_the_package_offers_other_apps_the_services_they_use_and_no_more():
    assert sorted(services.__all__) == sorted(OTHER_APPS_USE)
    for name, service in OTHER_APPS_USE.items():
        assert getattr(services, name) is service


def test_the_scheduler_finds_the_catch_up_sweep():
    ours = [path for path in PERIODIC if path.startswith("merdeka.outreach.")]
    assert [import_string(path) for path in ours] == [sending.deliveries_send_due]

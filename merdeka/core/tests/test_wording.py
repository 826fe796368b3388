"""The shared ways of showing things (docs/ui-style.md): dates, channels, names."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.template import Context, Template
from django.utils import timezone, translation

from merdeka.core import wording

WIB = zoneinfo.ZoneInfo("Asia/Jakarta")


def test_a_day_is_shown_one_way_in_the_shops_time_zone():
    late = dt.datetime(2026, 5, 4, 20, 30, tzinfo=dt.UTC)  # 03.30 on 5 May in Jakarta
    with translation.override("id"), timezone.override(WIB):
        assert wording.format_date(late) == "5 Mei 2026"
        assert wording.format_date(dt.date(2026, 8, 17)) == "17 Agu 2026"
        assert wording.format_datetime(late, "WIB") == "5 Mei 2026 03.30 WIB"
        rendered = Template("{% load merdeka %}{{ when|shop_date }}|{% shop_time when %}").render(
            Context({"when": late})
        )
    assert rendered == "5 Mei 2026|5 Mei 2026 03.30 WIB"


def test_channels_are_named_as_sellers_say_them():
    with translation.override("id"):
        assert wording.channel_label("tiktok") == "TikTok Shop"
        assert wording.channel_label("tokopedia") == "Tokopedia"
        assert wording.channel_label("storefront") == "Toko online sendiri"
        assert wording.channel_label("signup") == "Daftar lewat kartu paket"
        assert wording.channel_label("something-new") == "something-new"


def test_a_name_is_never_cut_at_its_title():
    assert wording.short_name("Bu Ika Rahmawati") == "Bu Ika"
    assert wording.short_name("Siti Nurhaliza") == "Siti"
    assert wording.short_name("Pak H. Ahmad Dahlan") == "Pak H. Ahmad"
    assert wording.short_name("") == ""


def test_a_pre_order_is_called_po_once():
    assert wording.preorder_title("PO Bolu Lebaran") == "PO Bolu Lebaran"
    assert wording.preorder_title("Pre-order Nastar") == "Pre-order Nastar"
    assert wording.preorder_title("Bolu Lebaran") == "PO Bolu Lebaran"
    assert wording.preorder_title("Pokok Kue") == "PO Pokok Kue"  # "Po" inside a word


def test_a_change_carries_its_sign():
    assert [wording.signed(n) for n in (2, 0, -3)] == ["+2", "0", "\u22123"]

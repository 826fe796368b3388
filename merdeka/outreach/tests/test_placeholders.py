from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from merdeka.outreach.placeholders import (
    Recipient,
    first_name,
    placeholder_values,
    render,
    template_check,
    template_fill,
)


class FakeShop:
    name = "Dapur Kue Bu Ika"


def values(**kwargs):
    recipient = Recipient(
        name=kwargs.get("name", "Bu Siti Nurhaliza"),
        city=kwargs.get("city", "Bandung"),
        last_product=kwargs.get("last_product", "Nastar Keju"),
    )
    return placeholder_values(
        shop=FakeShop(), recipient=recipient, unsubscribe_url="https://x/b/1/"
    )


def test_it_fills_every_known_placeholder():
    text = "Halo {nama_depan} ({nama}) di {kota}! {produk_terakhir} dari {toko} ready. {tautan_berhenti}"
    assert render(text, values()) == (
        "Halo Siti (Bu Siti Nurhaliza) di Bandung! Nastar Keju dari Dapur Kue Bu Ika ready. "
        "https://x/b/1/"
    )


def test_missing_values_fall_back_to_friendly_words():
    with translation.override("en"):
        rendered = render("Halo {nama}, {produk_terakhir}", values(name="", last_product=""))
    assert rendered == "Halo Kak, produk kami"


def test_an_unknown_placeholder_is_a_clear_indonesian_error():
    with translation.override("id"), pytest.raises(ValidationError) as error:
        template_check("Halo {nama}, diskon {diskon} dan {0.__class__}")
    message = " ".join(error.value.messages)
    assert "{diskon}" in message
    assert "{0.__class__}" in message
    assert "tidak dikenal" in message
    assert "{nama}" in message  # the list of what may be used


def test_format_string_tricks_stay_text():
    # no attribute access, no format specs: str.format is never used on the seller's text
    for hostile in ("{nama.__class__}", "{nama!r}", "{nama:>99999}", "{__import__}"):
        with pytest.raises(ValidationError):
            template_check(hostile)
    assert render("{nama.__class__} {nama}", values()) == "{nama.__class__} Bu Siti Nurhaliza"


def test_a_customer_named_like_a_placeholder_is_not_expanded_again():
    assert render("Halo {nama}", values(name="{toko} <script>")) == "Halo {toko} <script>"


def test_lone_braces_are_text_but_empty_ones_are_an_error():
    template_check("Harga 10} dan {besok")
    assert render("Harga 10} dan {besok", values()) == "Harga 10} dan {besok"
    for empty in ("{}", "{ }"):
        with pytest.raises(ValidationError):
            template_check(empty)


def test_first_name_skips_honorifics():
    assert first_name("Bu Hj. Siti Aminah") == "Siti"
    assert first_name("") == ""


def test_template_values_fill_numbered_parameters():
    assert template_fill("Halo {{1}}, {{2}} ready", ["Siti", "Nastar"]) == "Halo Siti, Nastar ready"

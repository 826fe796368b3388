from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from merdeka.core.money import format_rupiah
from merdeka.core.phone import (
    TEXT_CACHES,
    address_key,
    format_phone,
    is_masked,
    name_initials,
    name_key,
    normalize_email,
    normalize_name,
    normalize_phone,
    phone_mask_key,
    text_caches_clear,
)


@pytest.mark.parametrize(
    "amount,shown",
    [
        (12500, "Rp12.500"),
        (0, "Rp0"),
        (999, "Rp999"),
        (1_000_000, "Rp1.000.000"),
        (Decimal("150000.00"), "Rp150.000"),
        (Decimal("2500.5"), "Rp2.500,50"),
        (-5000, "-Rp5.000"),
        ("7500", "Rp7.500"),
        (None, ""),
    ],
)
def test_it_formats_rupiah_the_indonesian_way(amount, shown):
    assert format_rupiah(amount) == shown


def test_money_is_never_a_float():
    with pytest.raises(TypeError):
        format_rupiah(12.5)


@given(st.integers(min_value=0, max_value=10**15))
def test_rupiah_round_trips_to_the_same_integer(amount):
    shown = format_rupiah(amount)
    assert shown.startswith("Rp")
    assert int(shown[2:].replace(".", "")) == amount


@pytest.mark.parametrize(
    "raw",
    [
        "0812-3456-7890",
        "081234567890",
        "+62 812 3456 7890",
        "62812-3456-7890",
        "(0812) 3456 7890",
        "+6281234567890",
        " 0812 3456 7890 ",
    ],
)
def test_it_normalises_every_indonesian_phone_format_to_e164(raw):
    assert normalize_phone(raw) == "+6281234567890"


@pytest.mark.parametrize(
    "raw", ["62812****7890", "******", "0812-xxxx-xxxx", "", None, "halo", "123", "0000000000"]
)
def test_masked_or_invalid_values_are_never_phone_numbers(raw):
    assert normalize_phone(raw) is None


def test_it_recognises_marketplace_masks():
    assert is_masked("62812****7890")
    assert is_masked("A***i")
    assert is_masked("******")
    assert not is_masked("Ani")
    assert normalize_email("b***@gmail.com") is None
    assert normalize_email(" Ika@Contoh.ID ") == "ika@contoh.id"


def test_it_shows_numbers_the_indonesian_way():
    assert format_phone("+6281234567890") == "0812-3456-7890"
    assert format_phone(None) == ""


@given(st.integers(min_value=10**8, max_value=10**10 - 1), st.sampled_from(["0", "62", "+62 "]))
def test_any_prefix_style_gives_the_same_number(subscriber, prefix):
    national = "8" + str(subscriber)[1:]
    e164 = normalize_phone("+62" + national)
    if e164 is None:
        return  # not a valid Indonesian mobile number
    assert normalize_phone(prefix + national) == e164


def _slow_normalize(raw: str) -> str | None:
    """The reference: a full libphonenumber parse, as before the fast path."""
    import re

    import phonenumbers

    text = raw.strip()
    digits = re.sub(r"\D", "", text)
    if not digits:
        return None
    if not text.startswith("+") and digits.startswith("62") and len(digits) >= 10:
        text = "+" + digits
    try:
        number = phonenumbers.parse(text, "ID")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number) or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@given(
    prefix=st.sampled_from(["", "0", "62", "+62", "+62 ", "0062", "+1", "(0", "62 0", "+620"]),
    digits=st.text(alphabet="0123456789", min_size=5, max_size=14),
    separator=st.sampled_from(["", "-", " ", "."]),
)
def test_the_fast_path_agrees_with_a_full_libphonenumber_parse(prefix, digits, separator):
    raw = prefix + separator.join([digits[:3], digits[3:7], digits[7:]])
    if "*" in raw or not raw.strip():
        return
    assert normalize_phone(raw) == _slow_normalize(raw)


def test_the_mobile_pattern_is_libphonenumbers_own():
    import phonenumbers

    from merdeka.core import phone

    mobile = phonenumbers.PhoneMetadata.metadata_for_region("ID").mobile
    assert phone._ID_MOBILE.pattern == mobile.national_number_pattern.replace("\\d", r"\d")
    assert set(mobile.possible_length) == {9, 10, 11, 12}


@pytest.mark.parametrize(
    "raw",
    ["62812****7801", "(+62)812*****7801", "0812-****-7801", "+6281234567801", "0812 3456 7801"],
)
def test_masked_and_full_numbers_give_the_same_visible_digits(raw):
    from merdeka.core.phone import phone_mask_key

    assert phone_mask_key(raw) == "812|7801"


@pytest.mark.parametrize("raw", ["******", "62****01", "S***a", "", None, "021-5551234"])
def test_values_without_enough_visible_digits_give_no_key(raw):
    from merdeka.core.phone import phone_mask_key

    assert phone_mask_key(raw) is None


def test_names_and_addresses_are_compared_without_titles_and_punctuation():
    from merdeka.core.phone import address_key, name_key

    assert name_key("Bu Siti  NURHALIZA") == name_key("nurhaliza, siti") == "nurhaliza siti"
    assert name_key("Pak") is None and name_key("S***a") is None
    assert address_key("Jl. Mawar No. 3") == address_key("JALAN MAWAR NOMOR 3")
    assert address_key("******") is None


@pytest.mark.parametrize(
    ("raw", "letters"),
    [("A***i", "a|i"), (" S*****A ", "s|a"), ("******", None), ("Ani", None), ("6***0", None),
     ("", None), (None, None)],
)  # fmt: skip
def test_a_masked_name_shows_only_its_first_and_last_letter(raw, letters):
    from merdeka.core.phone import masked_name_initials

    assert masked_name_initials(raw) == letters


def test_a_name_gives_the_letters_its_mask_would_show_with_and_without_a_title():
    from merdeka.core.phone import masked_name_initials, name_initials

    assert name_initials("Bu Siti Rahma") == {"b|a", "s|a"}
    assert name_initials("SITI RAHMA.") == {"s|a"}
    assert name_initials("Siti R.") == frozenset()  # its last letter is not known
    assert name_initials("S***a") == frozenset()
    assert masked_name_initials("S***a") in name_initials("Siti Rahma")


def test_the_text_caches_empty_and_give_the_same_results_again():
    def work():
        return (
            normalize_phone("0812-3456-7801"),
            normalize_name("  Siti   NURHALIZA "),
            phone_mask_key("0812****7801"),
            name_key("Bu Siti Nurhaliza"),
            name_initials("Bu Siti Nurhaliza"),
            address_key("Jl. Mawar No. 3"),
        )

    first = work()
    assert all(cached.cache_info().currsize for cached in TEXT_CACHES)
    text_caches_clear()
    assert [cached.cache_info().currsize for cached in TEXT_CACHES] == [0] * len(TEXT_CACHES)
    assert work() == first

from __future__ import annotations

import pytest

from merdeka.receipts.names import best_variant, item_key, store_key


@pytest.mark.parametrize(
    "printed",
    ["SUSUKENTALMANIS", "Susu Kental Manis", "SUSU KENTAL MANIS 370GR", "susu-kental.manis*", "Susu Kental Manis 1 kg"],
)  # fmt: skip
def test_ocr_and_printed_names_meet_in_one_key(printed):
    assert item_key(printed) == "susukentalmanis"


def test_a_name_that_is_only_a_size_keeps_its_characters():
    assert item_key("1 KG") == "1kg"


def test_store_keys_ignore_case_and_punctuation():
    assert store_key("Toko Sembako  MAKMUR.") == store_key("TOKO SEMBAKO MAKMUR")


def test_the_closest_variant_is_found_but_a_tie_or_a_stranger_is_not():
    choices = {"susukentalmanis": 1, "gulapasir": 2, "tepungterigu": 3}
    assert best_variant("susukentalmanis", choices) == 1
    assert best_variant("susukentalmnis", choices) == 1  # one letter dropped by the OCR
    assert best_variant("minyakgoreng", choices) is None
    assert best_variant("abcd", {"abce": 1, "abcf": 2}) is None

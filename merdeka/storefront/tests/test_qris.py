from __future__ import annotations

from decimal import Decimal

import pytest

from merdeka.storefront import qris
from merdeka.storefront.tests.conftest import crc16_ccitt_false, static_qris, tlv_decode

pytestmark = pytest.mark.usefixtures("english")


def test_the_independent_crc_matches_the_published_check_value():
    # CRC-16/CCITT-FALSE of "123456789" is 29B1 (the catalogue's check value)
    assert crc16_ccitt_false(b"123456789") == "29B1"


def test_a_pasted_static_qris_is_accepted_with_its_merchant(qris_static):
    wrapped = " " + qris_static[:40] + "\r\n" + qris_static[40:] + "\n"  # pasted, wrapped
    parsed = qris.static_parse(wrapped)
    assert parsed.payload == qris_static
    assert parsed.merchant_name == "DAPUR KUE BU IKA"
    assert parsed.nmid == "ID1020012345678"


@pytest.mark.parametrize(
    ("_case", "mangle", "message"),
    [
        ("one_digit_changed", lambda p: p.replace("5812", "5813"), "checksum"),
        ("cut_short", lambda p: p[:-10], "cut off"),
        ("not_qris", lambda p: "https://example.com/bayar", "000201"),
        ("empty", lambda p: "   ", "Paste"),
        ("truncated_tlv", lambda p: p[:30], "cut off"),
    ],
)
def test_a_broken_qris_is_refused_with_a_clear_message(qris_static, _case, mangle, message):
    with pytest.raises(qris.QrisError) as caught:
        qris.static_parse(mangle(qris_static))
    assert message.casefold() in str(caught.value).casefold()


def test_a_dynamic_qris_with_an_amount_is_not_taken_as_the_shop_qris(qris_static):
    dynamic = qris.dynamic_payload(qris_static, amount=Decimal(10000), reference="TK-1")
    with pytest.raises(qris.QrisError, match="static"):
        qris.static_parse(dynamic)


def test_the_dynamic_qris_carries_amount_reference_and_a_correct_crc(qris_static):
    payload = qris.dynamic_payload(qris_static, amount=Decimal(105000), reference="TK-7Q3M9KXA")
    tags = tlv_decode(payload)
    assert tags["01"] == "12"
    assert tags["54"] == "105000"
    additional = tlv_decode(tags["62"])
    assert additional["01"] == "TK-7Q3M9KXA"
    assert additional["05"] == "TK-7Q3M9KXA"
    assert additional["07"] == "A01"  # the terminal label of the sticker stays
    assert tags["59"] == "DAPUR KUE BU IKA" and tags["26"] == tlv_decode(qris_static)["26"]
    assert payload[-8:-4] == "6304"
    assert payload[-4:] == crc16_ccitt_false(payload[:-4].encode())
    assert list(tags)[-1] == "63"
    assert qris.amount_of(payload) == Decimal(105000)


def test_a_long_bank_merchant_name_is_tolerated():
    payload = static_qris(name="KOPERASI SERBA USAHA MAKMUR SEJAHTERA BERSAMA")
    assert qris.static_parse(payload).merchant_name.startswith("KOPERASI")


def test_the_qr_image_is_an_svg_without_script(qris_static):
    image = qris.svg(qris.dynamic_payload(qris_static, amount=Decimal(5000), reference="TK-2"))
    assert image.startswith("<svg") and "<script" not in image and "<path" in image

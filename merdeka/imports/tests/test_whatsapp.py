from __future__ import annotations

import contextlib
import io
import zipfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from merdeka.imports.formats import whatsapp
from merdeka.imports.records import MessageKind, RejectedFile

DATA = Path(__file__).parent / "data" / "whatsapp"
WIB = ZoneInfo("Asia/Jakarta")


def parse(name, **kwargs):
    return whatsapp.parse_chat(whatsapp.open_chat(DATA / name), **kwargs)


def summary(result):
    return [(m.sent_at.isoformat(), m.author, m.kind.value, m.text) for m in result.messages]


@pytest.fixture(autouse=True)
def _english_messages():
    """Parser messages are checked in English here; the web tests check Indonesian."""
    with translation.override("en"):
        yield


def test_it_reads_an_indonesian_android_chat():
    result = parse("Chat WhatsApp dengan Siti Nurhaliza.txt")
    assert (result.platform, result.language, result.day_first, result.clock) == (
        "android",
        "id",
        True,
        "24h",
    )
    assert summary(result)[1:] == [
        ("2026-07-19T16:26:00+07:00", "Siti Nurhaliza", "message", "Kak, nastar keju masih ada?"),
        (
            "2026-07-19T16:27:00+07:00",
            "Dapur Kue Bu Ika",
            "message",
            "Masih kak, 85rb per toples.\nBisa kirim hari ini ya.\n\nPembayaran via QRIS.",
        ),
        ("2026-07-19T16:30:00+07:00", "Siti Nurhaliza", "media", "<Media tidak disertakan>"),
        ("2026-07-19T16:31:00+07:00", "Siti Nurhaliza", "deleted", ""),
        ("2026-07-20T08:05:00+07:00", "Siti Nurhaliza", "message", "Sudah transfer kak"),
    ]
    assert result.messages[0].kind == MessageKind.SYSTEM and result.messages[0].author is None
    siti = result.participants["Siti Nurhaliza"]
    assert siti.messages == 4
    assert siti.first_at == datetime(2026, 7, 19, 16, 26, tzinfo=WIB)
    assert siti.last_at == datetime(2026, 7, 20, 8, 5, tzinfo=WIB)


def test_it_reads_a_group_market_with_unsaved_numbers_joins_and_additions():
    result = parse("Chat WhatsApp dengan Pasar Kue Zakinah.txt")
    people = {p.name: p for p in result.participant_list()}
    assert set(people) == {
        "Dewi Anggraini",
        "Budi Santoso",
        "+62 857-1122-3344",
        "+62 812-9988-7766",
    }
    assert people["+62 812-9988-7766"].phone == "+6281299887766"
    assert people["+62 857-1122-3344"].phone == "+6285711223344"
    assert people["+62 857-1122-3344"].messages == 1  # added by the admin, then wrote once
    assert people["Budi Santoso"].messages == 1
    assert result.messages[-1].kind == MessageKind.SYSTEM  # "Budi Santoso keluar"
    assert result.messages[5].kind == MessageKind.MEDIA  # "IMG-... (file terlampir)"


def test_it_reads_an_ios_export_with_seconds_and_an_attributed_banner():
    result = parse("_chat.txt")
    assert result.platform == "ios"
    assert summary(result) == [
        (
            "2026-07-14T11:12:08+07:00",
            "Dapur Kue Bu Ika",
            "system",
            "Pesan dan panggilan kini terenkripsi secara end-to-end.",
        ),
        ("2026-07-14T11:12:09+07:00", "Andi Pratama", "message", "Harganya berapa kak?"),
        ("2026-07-14T11:15:40+07:00", "Dapur Kue Bu Ika", "message", "45 ribu"),
        ("2026-07-15T20:01:02+07:00", "Andi Pratama", "media", "gambar tidak disertakan"),
    ]


def test_it_reads_english_12_hour_exports_month_first():
    android = parse("WhatsApp Chat with Mary Jones.txt")
    assert (android.day_first, android.clock, android.language) == (False, "12h", "en")
    assert [m.sent_at.isoformat() for m in android.messages] == [
        "2026-03-06T13:55:00+07:00",
        "2026-03-06T13:57:00+07:00",
        "2026-03-13T09:05:00+07:00",
        "2026-03-13T12:10:00+07:00",
    ]
    assert [m.kind.value for m in android.messages] == ["message", "message", "media", "deleted"]
    ios = parse("ios_en.txt")
    assert [(m.author, m.kind.value) for m in ios.messages] == [
        ("Tom Lee", "media"),
        ("Tom Lee", "message"),
        ("Dapur Kue", "system"),
    ]


def test_a_utf16_export_reads_like_the_utf8_one():
    assert summary(parse("siti_utf16.txt")) == summary(
        parse("Chat WhatsApp dengan Siti Nurhaliza.txt")
    )


def test_it_reads_the_chat_inside_a_zip_with_media():
    assert summary(parse("WhatsApp Chat - Andi Pratama.zip")) == summary(parse("_chat.txt"))


def test_times_carry_the_shops_zone():
    result = parse("_chat.txt", tz="Asia/Makassar")
    assert result.messages[1].sent_at.isoformat() == "2026-07-14T11:12:09+08:00"


def test_an_impossible_date_is_reported_by_line_and_skipped():
    lines = [
        "19/07/26 16.26 - Siti: halo",
        "31/02/26 10.00 - Siti: tanggal mustahil",
        "20/07/26 08.05 - Siti: lagi",
    ]
    result = whatsapp.parse_chat(lines)
    assert [m.text for m in result.messages] == ["halo", "lagi"]
    assert [(p.row, p.severity) for p in result.problems] == [(2, "warning")]


def test_a_file_that_is_no_chat_is_rejected():
    with pytest.raises(RejectedFile, match="WhatsApp"):
        whatsapp.parse_chat(["Nama,Telepon", "Siti,0812"])


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("_chat.txt", b"\n" * (30 * 2**20))
    with pytest.raises(RejectedFile, match="bomb"):
        list(whatsapp.open_chat(buffer.getvalue()))


def test_an_encrypted_or_empty_zip_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("foto.jpg", b"\xff\xd8")
    with pytest.raises(RejectedFile):
        list(whatsapp.open_chat(buffer.getvalue()))


def test_bytes_that_are_not_text_are_refused_with_the_line():
    data = b"19/07/26 16.26 - Siti: halo\n\x80\x81\x82\n"
    with pytest.raises(RejectedFile) as caught:
        list(whatsapp.open_chat(data))
    assert caught.value.problem.row == 2


def test_it_detects_chat_files():
    text = (DATA / "Chat WhatsApp dengan Siti Nurhaliza.txt").read_bytes()
    assert whatsapp.detect("Chat WhatsApp dengan Siti Nurhaliza.txt", text) > 0.5
    assert whatsapp.detect("pesanan.csv", text) == 0
    assert whatsapp.detect("catatan.txt", b"belanja besok: telur, gula") == 0


SAMPLE = (DATA / "Chat WhatsApp dengan Pasar Kue Zakinah.txt").read_text().splitlines()


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(SAMPLE),
            st.text(max_size=80),
            st.sampled_from(SAMPLE).map(lambda line: line[: len(line) // 2]),
            st.sampled_from(SAMPLE).map(lambda line: line.replace("/", "/9")),
        ),
        max_size=30,
    )
)
def test_mutated_chats_parse_or_are_rejected_cleanly(lines):
    try:
        result = whatsapp.parse_chat(lines)
    except RejectedFile:
        return
    for message in result.messages:
        assert message.sent_at.tzinfo is not None


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_never_crash_the_reader(data):
    with contextlib.suppress(RejectedFile):
        whatsapp.parse_chat(whatsapp.open_chat(data))

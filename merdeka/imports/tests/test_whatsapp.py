from __future__ import annotations

import contextlib
import io
import re
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
    assert "Line 2 " in str(caught.value)


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


# -- the fast paths agree with the plain reading --------------------------------------
# parse_chat and open_chat are tuned for million-line exports (bench/bench_whatsapp.py):
# stamps parsed once per distinct date and time text, classification inline, datetimes
# made only for what is kept, the file decoded a block at a time. These tests hold them to
# a plain reading of the format, one regex per line and nothing cached.

SKIPPED_BEFORE = "Text before the first message was skipped."
SKIPPED_IMPOSSIBLE = "Impossible date or time; this message was skipped."


def plain_moment(groups, order, zone):
    a, b, c, hour, minute, second, ampm = groups
    x, y, z = int(a), int(b), int(c)
    year, month, day = {
        "ymd": (x, y, z),
        "dmy": (z, y, x),
        "mdy": (z, x, y),
        "dym": (y, z, x),
        "myd": (y, x, z),
    }[order]
    year += 2000 if year < 100 else 0
    h, m, s = int(hour), int(minute), int(second or 0)
    if ampm and h > 12:
        return None
    if ampm:
        h = (h % 12) + (12 if ampm in "pP" else 0)
    try:
        return datetime(year, month, day, h, m, s, tzinfo=zone)
    except ValueError:
        return None


def plain_kind(text, author, ios):
    if author is None:
        return "system", text
    if len(text) > 80 and not ios:
        return "message", whatsapp.EDITED.sub("", text)
    lowered = text.strip().lower()
    if lowered in whatsapp.DELETED_TEXT:
        return "deleted", ""
    if lowered in whatsapp.MEDIA_TEXT or whatsapp.MEDIA_PATTERN.search(lowered):
        return "media", text.strip()
    if ios and whatsapp.SYSTEM_PATTERN.search(lowered):
        return "system", text
    if lowered.startswith(("panggilan", "missed")) and whatsapp.SYSTEM_PATTERN.search(lowered):
        return "system", text
    return "message", whatsapp.EDITED.sub("", text)


def plain_parse(lines, *, tz="Asia/Jakarta", day_first=None):
    """What parse_chat returns, read the slow and obvious way (None: rejected)."""
    zone = ZoneInfo(tz)
    lines = [whatsapp._clean(line) for line in lines]
    learnt = whatsapp._learn(lines[: whatsapp.HEAD_LINES])
    if learnt is None:
        return None
    pattern, platform, order, _language = learnt
    if day_first is not None:
        order = whatsapp.day_first_order(order, day_first)
    other = whatsapp.ANDROID if pattern is whatsapp.IOS else whatsapp.IOS
    messages, problems, people, twelve, current = [], [], {}, False, None
    for number, line in enumerate(lines, start=1):
        match = pattern.match(line) or (other.match(line) if line[:1] in "[0123456789" else None)
        if match is None:
            if current is not None:
                current["text"] += "\n" + line.rstrip("\r\n")
            elif line.strip():
                problems.append((number, SKIPPED_BEFORE))
            continue
        *groups, rest = match.groups()
        twelve = twelve or bool(groups[-1])
        sent_at = plain_moment(groups, order, zone)
        if sent_at is None:
            problems.append((number, SKIPPED_IMPOSSIBLE))
            current = None
            continue
        author, sep, text = rest.partition(": ")
        author, text = (author.strip(), text) if sep else (None, rest)
        kind, text = plain_kind(text, author, platform == "ios")
        phone = whatsapp._author_phone(author) if author else None
        current = {"sent_at": sent_at, "author": author, "author_phone": phone, "text": text}
        current.update(kind=kind, line=number)
        messages.append(current)
        if author and kind != "system":
            person = people.setdefault(author, [author, phone, sent_at, sent_at, 0])
            person[3], person[4] = sent_at, person[4] + 1
        elif author is None:
            joined = whatsapp.JOINED.match(text)
            added = whatsapp.ADDED.match(text)
            names = [joined.group(1) or joined.group(2)] if joined else []
            names += re.split(r", | dan | and ", added.group(2)) if added else []
            for name in (name.strip().strip(".") for name in names):
                if name and name.lower() not in ("anda", "you") and name not in people:
                    people[name] = [name, whatsapp._author_phone(name), sent_at, sent_at, 0]
    clock = "12h" if twelve else "24h"
    return messages, problems, list(people.values()), clock, len(lines), len(messages)


def fast_parse(lines, **kwargs):
    try:
        result = whatsapp.parse_chat(lines, **kwargs)
    except RejectedFile:
        return None
    messages = [
        {"sent_at": m.sent_at, "author": m.author, "author_phone": m.author_phone}
        | {"text": m.text, "kind": m.kind.value, "line": m.line}
        for m in result.messages
    ]
    problems = [(p.row, str(p.message)) for p in result.problems]
    people = [
        [p.name, p.phone, p.first_at, p.last_at, p.messages] for p in result.participants.values()
    ]
    return messages, problems, people, result.clock, result.lines, result.count


DATES = [
    "19/07/26",
    "7/3/26",
    "3/13/26",
    "2026-07-19",
    "31/02/26",
    "12.07.26",
    "29/02/24",
    "٣/٤/٢٦",
]
TIMES = ["16.26", "16:26", "1:55\u202fPM", "12:00 AM", "13:00 PM", "0:00 a.m.", "11.12.08"]
TIMES += ["23:59:59", "24:00", "23:60", "10:00:60", "7:05 p. m.", "12.30PM", "٣:٤٥"]
AUTHORS = ["Siti", " Budi ", "\u202a+62 812-9988-7766\u202c", "0812 3456 7890", "Anda", "", "A: B"]
TEXTS = [
    "halo",
    "<Media tidak disertakan>",
    "Pesan ini dihapus",
    "This message was deleted.",
    "IMG-1.jpg (file terlampir)",
    "<attached: 0001-PHOTO.jpg>",
    "surat.pdf • 3 halaman dokumen tidak disertakan",
    "  image omitted ",
    "\u200egambar tidak disertakan",
    "Panggilan suara tak terjawab",
    "Missed video call",
    "Pesan dan panggilan kini terenkripsi secara end-to-end.",
    "oke <Pesan ini diedit>",
    "Budi Santoso keluar",
    "Siti menambahkan Budi, +62 857-1122-3344 dan Ani",
    "Ani telah bergabung menggunakan tautan undangan grup ini",
    "You added Tom and Mary.",
    "x" * 81,
    "y" * 79 + " <This message was edited>",
    "(" * 85,
    "ok\r",
    "a\nb",
]


def header(ios, date, time, author, text):
    stamp = f"[{date}, {time}] " if ios else f"{date} {time} - "
    return stamp + (text if author is None else f"{author}: {text}")


CHAT_LINES = st.one_of(
    st.builds(
        header,
        st.booleans(),
        st.sampled_from(DATES) | st.from_regex(r"\A[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{2}\Z"),
        st.sampled_from(TIMES) | st.from_regex(r"\A[0-9]{1,2}[.:][0-9]{2}( [AP]M)?\Z"),
        st.none() | st.sampled_from(AUTHORS),
        st.sampled_from(TEXTS) | st.text(max_size=90),
    ),
    st.sampled_from(["", "\n", "baris kedua\n", "  ", "19/07/26 16.26 -", "[19/07/26 16.26]"]),
    st.text(max_size=30),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(CHAT_LINES, max_size=25),
    st.sampled_from([None, True, False]),
    st.sampled_from(["Asia/Jakarta", "Europe/Berlin"]),
)
def test_the_fast_parse_agrees_with_the_plain_reading(lines, day_first, tz):
    expected = plain_parse(lines, tz=tz, day_first=day_first)
    assert fast_parse(lines, tz=tz, day_first=day_first) == expected
    # without the messages, everything else is the same
    slim = fast_parse(lines, tz=tz, day_first=day_first, keep_messages=False)
    assert slim == (None if expected is None else ([], *expected[1:]))


def test_the_bench_shaped_chat_agrees_with_the_plain_reading():
    group = SAMPLE * 20  # one group chat read over and over: shared minutes, repeated people
    assert fast_parse(group) == plain_parse(group)
    assert fast_parse(group, keep_messages=False)[1:] == plain_parse(group)[1:]


def plain_lines(data: bytes) -> list[str]:
    """The file read line by line (None at a bad byte, after the lines before it)."""
    lines = []
    for number, raw in enumerate(io.BytesIO(data)):
        if number == 0 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return [*lines, None]
        lines.append(text[:-2] + "\n" if text.endswith("\r\n") else text)
    return lines


def read_chat(data):
    lines = []
    try:
        lines.extend(whatsapp.open_chat(data))
    except RejectedFile as rejected:
        assert rejected.problem.row == len(lines) + 1
        lines.append(None)
    return lines


PIECES = [b"\n", b"\r\n", b"\r", b"19/07/26 16.26 - Siti: halo", b"\xe2\x80\xaa", b"x" * 30]
PIECES += [
    b"\x80",
    b"\xc3",
    b"\xa9",
    b"\xef\xbb\xbf",
    b"\x0b",
    b"\x0c",
    b"\xc2\x85",
    b"\xe2\x80\xa8",
]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(PIECES), max_size=40),
    st.booleans(),
    st.sampled_from([8, 16, 64]),
)
def test_reading_by_blocks_gives_the_lines_of_reading_line_by_line(pieces, bom, block):
    # Only "\n" ends a line: "\r", "\x0b", "\x85", "\u2028" are text inside it. Lines run
    # over block ends, and a bad byte is reported at its own line.
    data = (b"\xef\xbb\xbf" if bom else b"") + b"".join(pieces)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(whatsapp, "READ_BLOCK", block)
        assert read_chat(data) == plain_lines(data)


def test_a_bad_byte_deep_in_a_large_file_is_reported_at_its_line():
    data = b"19/07/26 16.26 - Siti: halo\n" * 50_000 + b"\xff\n" + b"lagi\n" * 10
    with pytest.raises(RejectedFile) as caught:
        list(whatsapp.open_chat(data))
    assert caught.value.problem.row == 50_001


def test_a_line_longer_than_a_block_is_read_whole_and_a_far_too_long_one_refused():
    long = "kak " * 50_000  # 200,000 characters: more than three read blocks
    assert list(whatsapp.open_chat(f"19/07/26 16.26 - Siti: {long}\nok".encode())) == [
        f"19/07/26 16.26 - Siti: {long}\n",
        "ok",
    ]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(whatsapp, "MAX_LINE", 100_000)
        with pytest.raises(RejectedFile, match="too long") as caught:
            list(whatsapp.open_chat(f"19/07/26 16.26 - Siti: a\n{long}\n".encode()))
    assert "Line 2 " in str(caught.value)


# -- header styles of other phone locales ----------------------------------------------
# One chat per style WhatsApp writes, each with a day past the 12th so the order is known:
# (style, lines, platform, the first message's moment).
LOCALE_STYLES = [
    (
        "Finnish Android: 'klo' before a dotted time",
        ["13.6.2018 klo 21.25 - Aino: hei", "14.6.2018 klo 8.05 - Aino: kiitos"],
        "android",
        "2018-06-13T21:25:00+07:00",
    ),
    (
        "Finnish iOS: 'klo' and seconds in brackets",
        ["[13.6.2018 klo 21.25.15] Aino: hei", "[14.6.2018 klo 8.05.01] Aino: kiitos"],
        "ios",
        "2018-06-13T21:25:15+07:00",
    ),
    (
        "Czech and Slovak: spaced parts, a trailing dot, no dash",
        ["13. 6. 2018. 21:25:15 Jana: ahoj", "14. 6. 2018. 08:05:01 Jana: díky"],
        "ios",
        "2018-06-13T21:25:15+07:00",
    ),
    (
        "Hungarian: year first with spaced parts and a trailing dot",
        ["2018. 06. 13. 21:25 - Anna: szia", "2018. 06. 14. 8:05 - Anna: köszi"],
        "android",
        "2018-06-13T21:25:00+07:00",
    ),
    (
        "older iOS: dotted time with seconds followed by a colon",
        ["13.06.18 21.25.15: Lars: hej", "14.06.18 08.05.01: Lars: tak"],
        "ios",
        "2018-06-13T21:25:15+07:00",
    ),
    (
        "a year in the middle, month first",
        ["[06/2018/13, 21:25:15] Sam: hi", "[06/2018/14, 08:05:01] Sam: thanks"],
        "ios",
        "2018-06-13T21:25:15+07:00",
    ),
    (
        "year first with slashes",
        ["[2018/06/13, 21:25:15] Sam: hi", "[2018/06/14, 08:05:01] Sam: thanks"],
        "ios",
        "2018-06-13T21:25:15+07:00",
    ),
    (
        "month first with dots in brackets",
        ["[06.13.18 21:25:15] Sam: hi", "[06.14.18 08:05:01] Sam: thanks"],
        "ios",
        "2018-06-13T21:25:15+07:00",
    ),
    (
        "Spanish: spaced 'p. m.' on a 12-hour clock",
        ["13/6/2018, 9:25 p. m. - Lucía: hola", "14/6/2018, 8:05 a. m. - Lucía: gracias"],
        "android",
        "2018-06-13T21:25:00+07:00",
    ),
    (
        "German: 'um' before the time",
        ["13.06.18 um 21:25 - Jonas: hallo", "14.06.18 um 08:05 - Jonas: danke"],
        "android",
        "2018-06-13T21:25:00+07:00",
    ),
    (
        "an en dash as the separator",
        ["13/06/2018, 21:25 \u2013 Maria: ciao", "14/06/2018, 08:05 \u2013 Maria: grazie"],
        "android",
        "2018-06-13T21:25:00+07:00",
    ),
    (
        "dashes in the date and a dotted time with PM",
        ["13-06-2018, 09.25 PM - Ravi: hello", "14-06-2018, 08.05 AM - Ravi: thanks"],
        "android",
        "2018-06-13T21:25:00+07:00",
    ),
]


@pytest.mark.parametrize(
    ("lines", "platform", "first"),
    [
        pytest.param(lines, platform, first, id=style)
        for style, lines, platform, first in LOCALE_STYLES
    ],
)
def test_it_reads_the_header_style_of_each_phone_locale(lines, platform, first):
    result = whatsapp.parse_chat(lines)
    assert result.platform == platform
    assert result.count == 2 and not result.problems
    assert result.messages[0].sent_at.isoformat() == first
    author = re.search(r"(\S+): \S+$", lines[0]).group(1)
    assert [m.author for m in result.messages] == [author] * 2
    assert result.messages[1].text and result.messages[1].kind.value == "message"
    # and the same file is recognised as a chat by its first lines
    assert whatsapp.detect("chat.txt", "\n".join(lines).encode()) > 0.5


def test_a_continuation_line_that_starts_with_a_date_stays_in_its_message():
    lines = ["13/06/2018, 21:25 - Siti: pesanan untuk", "14/06/2018 diambil sore", "oke"]
    result = whatsapp.parse_chat(lines)
    assert result.count == 1
    assert result.messages[0].text == "pesanan untuk\n14/06/2018 diambil sore\noke"

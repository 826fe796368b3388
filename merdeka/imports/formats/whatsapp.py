"""WhatsApp "Export chat" files (.txt, or the .zip phones make), Android and iOS.

The exporter's locale shapes every line: ``19/07/26 16.26 - Nama: teks`` (Android,
Indonesian), ``[14/07/26, 11.12.08] Nama: teks`` (iOS), ``3/6/18, 1:55 PM - a: m``
(Android, en_US, with a narrow no-break space before PM)... The header format is
learnt from the file's first lines and then matched with one compiled expression;
day-first or month-first is decided per file. Message bodies are parsed, but the
importer stores only participants and their first/last contact unless asked to keep
text (research: shared/research/formats.md §2).
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from pathlib import Path
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _

from merdeka.core.phone import normalize_phone
from merdeka.imports.records import ChatMessage, MessageKind, Problem, RejectedFile, Severity

MAX_CHAT_BYTES = 512 * 1024 * 1024
MAX_RATIO = 200
HEAD_LINES = 400
MAX_LINE = 1_000_000

_INVISIBLE = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\ufeff\u2068\u2069"))
_SPACES = {0x202F: " ", 0x00A0: " ", 0x2009: " "}
_CLEAN = {**_INVISIBLE, **_SPACES}
_HEADER_STARTS = frozenset("[0123456789")
_SEEN = object()
_INVISIBLE_RE = re.compile("[\u200e\u200f\u202a-\u202e\ufeff\u2068\u2069]")
_SPACE_RE = re.compile("[\u202f\u00a0\u2009]")


def _clean(line: str) -> str:
    """Drop direction marks and turn odd spaces into plain ones (ASCII lines are left alone)."""
    if line.isascii():
        return line
    return _SPACE_RE.sub(" ", _INVISIBLE_RE.sub("", line))


_DATE = r"(\d{1,4})[./-](\d{1,2})[./-](\d{1,4})"
_TIME = r"(\d{1,2})[.:](\d{2})(?:[.:](\d{2}))?"
_AMPM = r"(?:\s?([AaPp])\.?\s?[Mm]\.?)?"
ANDROID = re.compile(rf"^{_DATE},? {_TIME}{_AMPM} - (.*)$")
IOS = re.compile(rf"^\[{_DATE},? {_TIME}{_AMPM}\] (.*)$")

MEDIA_TEXT = {
    "<media tidak disertakan>",
    "<media omitted>",
    "gambar tidak disertakan",
    "video tidak disertakan",
    "audio tidak disertakan",
    "stiker tidak disertakan",
    "gif tidak disertakan",
    "dokumen tidak disertakan",
    "image omitted",
    "video omitted",
    "audio omitted",
    "sticker omitted",
    "gif omitted",
    "document omitted",
    "contact card omitted",
    "kartu kontak tidak disertakan",
}
MEDIA_PATTERN = re.compile(
    r"\((?:file terlampir|file attached)\)$|^<(?:attached|lampiran): .+>$|"
    r"dokumen tidak disertakan$|document omitted$",
    re.IGNORECASE,
)
DELETED_TEXT = {
    "pesan ini dihapus",
    "pesan ini telah dihapus",
    "anda menghapus pesan ini.",
    "anda menghapus pesan ini",
    "this message was deleted",
    "this message was deleted.",
    "you deleted this message",
    "you deleted this message.",
}
SYSTEM_PATTERN = re.compile(
    r"terenkripsi secara end-to-end|end-to-end encrypted|"
    r"^bisnis anda menggunakan layanan|uses a secure service from meta|"
    r"kini menjadi kontak|is a contact$|^pesan sementara|disappearing messages|"
    r"^panggilan (?:suara|video) tak terjawab|^missed (?:voice|video) call|"
    r"mengganti nomor teleponnya|changed their phone number|"
    r"^anda (?:membuat|mematikan|menyalakan)|^you (?:created|turned)",
    re.IGNORECASE,
)
EDITED = re.compile(r"\s*<(?:Pesan ini diedit|This message was edited)>\s*$")
JOINED = re.compile(
    r"^(.+?) (?:telah )?bergabung menggunakan tautan undangan grup ini$|"
    r"^(.+?) joined using this group's invite link$"
)
ADDED = re.compile(r"^(.+?) (?:menambahkan|added) (.+)$")
ID_WORDS = re.compile(r"\b(?:dan|yang|ini|itu|tidak|sudah|kak|ya|Anda|menambahkan|keluar)\b")


@dataclass
class Participant:
    name: str
    phone: str | None = None  # E.164 when WhatsApp shows a number (an unsaved contact)
    first_at: datetime | None = None
    last_at: datetime | None = None
    messages: int = 0


@dataclass
class ChatParse:
    messages: list[ChatMessage] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    platform: str = ""  # "android" or "ios"
    day_first: bool = True
    clock: str = "24h"
    language: str = ""  # "id" or "en" when it can be told
    lines: int = 0
    count: int = 0  # messages parsed (also when they are not kept)
    participants: dict[str, Participant] = field(default_factory=dict)

    def participant_list(self) -> list[Participant]:
        return sorted(self.participants.values(), key=lambda p: (p.first_at is None, p.first_at))


# -- opening files -----------------------------------------------------------------


def detect(name: str, head: bytes) -> float:
    lower = name.lower()
    if lower.endswith(".zip"):
        if b"_chat.txt" in head or b"WhatsApp" in head or b"Chat WhatsApp" in head:
            return 0.9
        return 0.0
    if not lower.endswith(".txt"):
        return 0.0
    text = _decode_head(head)
    lines = [line.translate(_CLEAN) for line in text.splitlines()[:50] if line.strip()]
    hits = sum(1 for line in lines if ANDROID.match(line) or IOS.match(line))
    if not lines:
        return 0.0
    return 0.95 if hits / len(lines) > 0.3 else 0.0


def _decode_head(head: bytes) -> str:
    encoding = _sniff_encoding(head)
    return head.decode(encoding, errors="ignore")


def _sniff_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    sample = head[:4000]
    if sample and sample.count(b"\x00") > len(sample) // 4:
        return "utf-16-le" if sample[1:2] == b"\x00" else "utf-16-be"
    return "utf-8"


def _chat_member(archive: zipfile.ZipFile, max_bytes: int) -> zipfile.ZipInfo:
    texts = [i for i in archive.infolist() if i.filename.lower().endswith(".txt")]
    preferred = [i for i in texts if Path(i.filename).name == "_chat.txt"] or [
        i for i in texts if "whatsapp" in i.filename.lower() or "chat" in i.filename.lower()
    ]
    candidates = preferred or texts
    if not candidates:
        raise RejectedFile(_("This zip holds no WhatsApp chat (.txt) file."))
    member = max(candidates, key=lambda i: i.file_size)
    if member.flag_bits & 0x1:
        raise RejectedFile(
            _("This zip is protected with a password; export the chat again without one.")
        )
    if member.file_size > max_bytes:
        raise RejectedFile(
            _("The chat inside the zip is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": member.file_size // 2**20, "limit": max_bytes // 2**20}
        )
    if (
        member.compress_size
        and member.file_size / member.compress_size > MAX_RATIO
        and (member.file_size > 10 * 2**20)
    ):
        raise RejectedFile(_("This zip unpacks to far more than it holds (a zip bomb); refused."))
    return member


def _utf8_lines(raw, *, bom: bool) -> Iterator[str]:
    """UTF-8 lines decoded one by one, so a bad byte is reported on its own line."""
    first = True
    for data in raw:
        if first and bom and data.startswith(codecs.BOM_UTF8):
            data = data[3:]
        first = False
        text = data.decode("utf-8")
        yield text[:-2] + "\n" if text.endswith("\r\n") else text


def open_chat(source: Path | bytes, *, max_bytes: int = MAX_CHAT_BYTES) -> Iterator[str]:
    """Yield the chat's lines, decoded, from a .txt or a .zip, without loading it whole."""
    raw: io.BufferedIOBase
    if isinstance(source, bytes | bytearray):
        stream = io.BytesIO(source)
    else:
        stream = open(source, "rb")  # noqa: SIM115 - closed below
    try:
        if zipfile.is_zipfile(stream):
            stream.seek(0)
            try:
                archive = zipfile.ZipFile(stream)
                member = _chat_member(archive, max_bytes)
                raw = archive.open(member)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as exc:
                raise RejectedFile(
                    _("The zip file is damaged: %(error)s") % {"error": exc}
                ) from None
        else:
            stream.seek(0)
            raw = stream
        if not hasattr(raw, "peek"):
            raw = io.BufferedReader(raw)
        encoding = _sniff_encoding(raw.peek(4096)[:4096])
        if encoding.startswith("utf-16"):
            lines = io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline=None)
        else:
            lines = _utf8_lines(raw, bom=encoding == "utf-8-sig")
        number = 0
        try:
            for number, line in enumerate(lines, start=1):
                if len(line) > MAX_LINE:
                    raise RejectedFile(
                        _("Line %(line)s is far too long for a chat.") % {"line": number}
                    )
                yield line  # with its newline: the parser's patterns stop before it
        except UnicodeDecodeError:
            raise RejectedFile(
                _(
                    "Line %(line)s is not readable text (the file is not UTF-8 or UTF-16). Export "
                    "the chat again from WhatsApp."
                )
                % {"line": number + 1},
                row=number + 1,
            ) from None
    finally:
        stream.close()


# -- parsing -------------------------------------------------------------------------


def _infer_order(dates: list[tuple[int, int, int]], language: str, ampm: bool) -> str:
    """'dmy', 'mdy' or 'ymd' for the file."""
    if any(a > 31 for a, _, _ in dates):
        return "ymd"
    if any(a > 12 for a, _, _ in dates):
        return "dmy"
    if any(b > 12 for _, b, _ in dates):
        return "mdy"
    if language == "id":
        return "dmy"
    # Without evidence: a 12-hour clock in English is most likely en_US.
    return "mdy" if ampm else "dmy"


def _learn(lines: list[str]) -> tuple[re.Pattern, str, str, str] | None:
    android = [m for m in (ANDROID.match(line) for line in lines) if m]
    ios = [m for m in (IOS.match(line) for line in lines) if m]
    matches, pattern, platform = (
        (android, ANDROID, "android") if len(android) >= len(ios) else (ios, IOS, "ios")
    )
    if not matches:
        return None
    text = " ".join(m.group(8) for m in matches)
    language = "id" if len(ID_WORDS.findall(text)) >= 2 else ("en" if text else "")
    ampm = any(m.group(7) for m in matches)
    order = _infer_order(
        [(int(m.group(1)), int(m.group(2)), int(m.group(3))) for m in matches], language, ampm
    )
    return pattern, platform, order, language


def _classify(text: str, author: str | None, attributed_system: bool) -> tuple[MessageKind, str]:
    """Kind of a message. ``attributed_system``: this export (iOS) puts system notices under
    a sender's name, so they must be recognised by their text."""
    if author is None:
        return MessageKind.SYSTEM, text
    if len(text) > 80 and not attributed_system:
        # media and deletion notices are short; a long text is a message
        return MessageKind.MESSAGE, EDITED.sub("", text) if "<" in text else text
    lowered = text.strip().lower()
    if lowered in DELETED_TEXT:
        return MessageKind.DELETED, ""
    if lowered in MEDIA_TEXT or (
        ("(" in lowered or "<" in lowered or lowered.endswith(("omitted", "disertakan")))
        and MEDIA_PATTERN.search(lowered)
    ):
        return MessageKind.MEDIA, text.strip()
    if (attributed_system or lowered.startswith(("panggilan", "missed"))) and (
        SYSTEM_PATTERN.search(lowered)
    ):
        return MessageKind.SYSTEM, text
    if "<" in text:
        text = EDITED.sub("", text)
    return MessageKind.MESSAGE, text


def _author_phone(author: str) -> str | None:
    digits = sum(ch.isdigit() for ch in author)
    if digits >= 8 and digits >= len(author.replace(" ", "").replace("-", "")) - 2:
        return normalize_phone(author)
    return None


def parse_chat(
    lines: Iterable[str],
    *,
    tz: str = "Asia/Jakarta",
    day_first: bool | None = None,
    keep_messages: bool = True,
) -> ChatParse:
    """Parse a chat. ``keep_messages=False`` keeps only participants and counts (what an
    import stores by default), so a million-line chat never sits in memory."""
    zone = ZoneInfo(tz)
    result = ChatParse()
    iterator = iter(lines)
    head: list[str] = []
    for line in iterator:
        head.append(line)
        if len(head) >= HEAD_LINES:
            break
    cleaned_head = [_clean(line) for line in head]
    learnt = _learn(cleaned_head)
    if learnt is None:
        raise RejectedFile(
            _(
                "This does not look like a WhatsApp chat export: no line starts with a date and "
                "time. In WhatsApp, open the chat, then More → Export chat."
            )
        )
    pattern, platform, order, language = learnt
    if day_first is not None and order != "ymd":
        order = "dmy" if day_first else "mdy"
    result.platform, result.language = platform, language
    result.day_first = order != "mdy"
    other = IOS if pattern is ANDROID else ANDROID

    dates: dict[tuple[str, str, str], tuple[int, int, int] | None] = {}
    participants = result.participants
    messages = result.messages
    current: ChatMessage | object | None = None
    continuation: list[str] = []
    clock_12 = False
    attributed_system = platform == "ios"
    last_stamp: tuple | None = None
    last_sent_at: datetime | None = None
    phones: dict[str, str | None] = {}

    def flush():
        if current is not None and continuation:
            current.text = current.text + "\n" + "\n".join(continuation)
            continuation.clear()

    number = 0
    for number, line in enumerate(chain(cleaned_head, iterator), start=1):
        if not line.isascii():
            line = _clean(line)
        match = pattern.match(line)
        if match is None and line[:1] in _HEADER_STARTS:
            match = other.match(line)
        if match is None:
            if current is not None:
                if keep_messages:
                    continuation.append(line.rstrip("\r\n"))
            elif line.strip():  # leading text before any header
                result.problems.append(
                    Problem(
                        _("Text before the first message was skipped."),
                        row=number,
                        severity=Severity.WARNING,
                    )
                )
            continue
        a, b, c, hour, minute, second, ampm, rest = match.groups()
        stamp = (a, b, c, hour, minute, second, ampm)
        if stamp == last_stamp:
            sent_at = last_sent_at  # consecutive messages often share the minute
        else:
            ymd = dates.get((a, b, c))
            if ymd is not None and not ampm and len(hour) < 3 and minute < "60":
                # the common case, inline: a known date and a 24-hour time
                h, sec = int(hour), int(second) if second else 0
                sent_at = (
                    datetime(*ymd, h, int(minute), sec, tzinfo=zone)
                    if h < 24 and sec < 60
                    else None
                )
            else:
                if ampm:
                    clock_12 = True
                sent_at = _timestamp(stamp, order, zone, dates)
            last_stamp, last_sent_at = stamp, sent_at
        if sent_at is None:
            result.problems.append(
                Problem(
                    _("Impossible date or time; this message was skipped."),
                    row=number,
                    severity=Severity.WARNING,
                )
            )
            flush()
            current = None
            continue
        flush()
        author, sep, text = rest.partition(": ")
        if not sep:
            author, text = None, rest
        else:
            author = author.strip()
        kind, text = _classify(text, author, attributed_system)
        if author:
            phone = phones.get(author, False)
            if phone is False:
                phone = phones[author] = _author_phone(author)
        else:
            phone = None
        result.count += 1
        if keep_messages:
            current = ChatMessage(
                sent_at=sent_at,
                author=author,
                author_phone=phone,
                text=text,
                kind=kind,
                line=number,
            )
            messages.append(current)
        else:
            current = _SEEN  # continuation lines belong to a message we do not keep
        if author and kind != MessageKind.SYSTEM:
            person = participants.get(author)
            if person is None:
                person = participants[author] = Participant(
                    name=author, phone=phone, first_at=sent_at
                )
            person.last_at = sent_at
            person.messages += 1
        elif author is None:
            _members_from_system(text, sent_at, participants)
    flush()
    result.lines = number
    result.clock = "12h" if clock_12 else "24h"
    return result


def _timestamp(stamp, order: str, zone, dates: dict) -> datetime | None:
    a, b, c, hour, minute, second, ampm = stamp
    key = (a, b, c)
    ymd = dates.get(key, False)
    if ymd is False:
        x, y, z = int(a), int(b), int(c)
        if order == "ymd":
            year, month, day = x, y, z
        elif order == "dmy":
            day, month, year = x, y, z
        else:
            month, day, year = x, y, z
        if year < 100:
            year += 2000
        ymd = (year, month, day)
        try:
            datetime(year, month, day)
        except ValueError:
            ymd = None
        dates[key] = ymd
    if ymd is None:
        return None
    h, m, sec = int(hour), int(minute), int(second or 0)
    if ampm:
        if h > 12:
            return None
        if ampm in "pP" and h < 12:
            h += 12
        elif ampm in "aA" and h == 12:
            h = 0
    if h > 23 or m > 59 or sec > 59:
        return None
    return datetime(*ymd, h, m, sec, tzinfo=zone)


def _members_from_system(text: str, when: datetime, participants: dict[str, Participant]) -> None:
    """Group members who joined or were added are customers too, even if they never wrote."""
    names: list[str] = []
    joined = JOINED.match(text)
    if joined:
        names.append(joined.group(1) or joined.group(2))
    added = ADDED.match(text)
    if added:
        names.extend(re.split(r", | dan | and ", added.group(2)))
    for name in names:
        name = name.strip().strip(".")
        if not name or name.lower() in ("anda", "you"):
            continue
        if name not in participants:
            participants[name] = Participant(
                name=name, phone=_author_phone(name), first_at=when, last_at=when
            )

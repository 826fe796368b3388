"""WhatsApp "Export chat" files (.txt, or the .zip phones make), Android and iOS.

The exporter's locale shapes every line: ``19/07/26 16.26 - Nama: teks`` (Android,
Indonesian), ``[14/07/26, 11.12.08] Nama: teks`` (iOS), ``3/6/18, 1:55 PM - a: m``
(Android, en_US, with a narrow no-break space before PM)... The header format is
learnt from the file's first lines and then matched with one compiled expression;
day-first or month-first is decided per file. Message bodies are parsed, but the
importer stores only participants and their first/last contact unless asked to keep
text (docs/decisions/whatsapp-chat-exports.md).
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
import zlib
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
_MISSING = object()
_INVISIBLE_RE = re.compile("[\u200e\u200f\u202a-\u202e\ufeff\u2068\u2069]")
_SPACE_RE = re.compile("[\u202f\u00a0\u2009]")


def _clean(line: str) -> str:
    """Drop direction marks and turn odd spaces into plain ones (ASCII lines are left alone)."""
    if line.isascii():
        return line
    line = _INVISIBLE_RE.sub("", line)
    # an unsaved number is ASCII once its direction marks are gone: no second pass
    return line if line.isascii() else _SPACE_RE.sub(" ", line)


# A header is a date, a time and a separator, written by each phone locale its own way:
#   19/07/26 16.26 - Nama: teks           Android, Indonesian (dotted time)
#   [14/07/26, 11.12.08] Nama: teks       iOS, seconds, in brackets
#   3/6/18, 1:55 p. m. - a: m             Spanish 12-hour clock, spaced "p. m."
#   13.6.2018 klo 21.25.15 - a: m         Finnish: a word ("klo", "kl.", "um", "à") before the time
#   13. 6. 2018. 21:25:15 a: m            Czech, Slovak: spaced parts, a trailing dot, no dash
#   13.06.18 21.25.15: a: m               older iOS: dotted time with seconds, then a colon
#   [2018/06/13, 21:25:15] a: m           year first
#   [06/2018/13, 21:25:15] a: m           a year in the middle
# The date's parts may be spaced after their dots and end with one; a short word may stand
# between the date and the time; the separator is " - " (or an en dash), "] ", ": " or a
# bare space. Which separator a file uses is learnt from its first lines (_learn).
_DATE = r"(\d{1,4})[./-] ?(\d{1,4})[./-] ?(\d{1,4})\.?"
_JOIN = r",? (?:[^\W\d_]{1,4}\.? )?"
_TIME = r"(\d{1,2})[.:](\d{2})(?:[.:](\d{2}))?"
_AMPM = r"(?:\s?([AaPp])\.?\s?[Mm]\.?)?"
_STAMP = rf"{_DATE}{_JOIN}{_TIME}{_AMPM}"
ANDROID = re.compile(rf"^{_STAMP} [-\u2013] (.*)$")
IOS = re.compile(rf"^\[{_STAMP}\] (.*)$")
COLON = re.compile(rf"^{_STAMP}: (.*)$")
# with no separator, a line is learnt as a header only when an author follows (the parse
# loop then also takes the style's system notices)
BARE = re.compile(rf"^{_STAMP} ([^:]{{1,80}}: .*)$")
# most specific first: a dashed line also matches BARE, so a tie goes to the earlier one
STYLES = (IOS, ANDROID, COLON, BARE)
# The same patterns grouped for the parse loop: 1 the whole stamp, 2 its date, 3 its time
# (with any AM/PM), 4 the rest. The date and time texts are parsed once each, by the two below.
_DATE_TEXT = r"\d{1,4}[./-] ?\d{1,4}[./-] ?\d{1,4}\.?"
_TIME_TEXT = r"\d{1,2}[.:]\d{2}(?:[.:]\d{2})?(?:\s?[AaPp]\.?\s?[Mm]\.?)?"
_LINE_HEAD = rf"(({_DATE_TEXT}){_JOIN}({_TIME_TEXT}))"
ANDROID_LINE = re.compile(rf"^{_LINE_HEAD} [-\u2013] (.*)$")
IOS_LINE = re.compile(rf"^\[{_LINE_HEAD}\] (.*)$")
_LINES = {
    ANDROID: ANDROID_LINE,
    IOS: IOS_LINE,
    COLON: re.compile(rf"^{_LINE_HEAD}: (.*)$"),
    BARE: re.compile(rf"^{_LINE_HEAD} (.*)$"),
}
_DATE_PARTS = re.compile(_DATE)
_TIME_PARTS = re.compile(_TIME + _AMPM)

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
_NOTICES = {
    **dict.fromkeys(MEDIA_TEXT, MessageKind.MEDIA),
    **dict.fromkeys(DELETED_TEXT, MessageKind.DELETED),
}
_MEDIA_ENDINGS = ("omitted", "disertakan")
_CALLS = ("panggilan", "missed")
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
    hits = sum(1 for line in lines if any(style.match(line) for style in STYLES))
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


ZIP_MAGIC = b"PK\x03\x04"
DAMAGED_ZIP = _(
    "The zip file is damaged or incomplete (cut off while it was copied or downloaded). "
    "Export the chat again from WhatsApp and import the new file."
)

READ_BLOCK = 64 * 1024  # <= MAX_LINE: a block that small needs no check for a too long line


def _utf8_blocks(raw, *, bom: bool) -> Iterator[tuple[list[str], int]]:
    """UTF-8 lines in lists, each with the size in bytes of the block they were read from.

    About 64 KiB of whole lines are decoded at once. A block with a bad byte is decoded
    again line by line, so the lines before it are handed over and the error is raised at
    its own line, as if the file had been read line by line.
    """
    pending: list[bytes] = []  # the start of a line that goes on in the next read
    first = True
    while data := raw.read(READ_BLOCK):
        cut = data.rfind(b"\n") + 1
        if not cut:
            pending.append(data)
            continue
        if pending:
            pending.append(data[:cut])
            block = b"".join(pending)
            pending.clear()
        else:
            block = data[:cut] if cut < len(data) else data
        if cut < len(data):
            pending.append(data[cut:])
        if first:
            first = False
            if bom and block.startswith(codecs.BOM_UTF8):
                block = block[3:]
        yield from _utf8_block(block)
    if pending:  # the last line, without a newline
        block = b"".join(pending)
        if first and bom and block.startswith(codecs.BOM_UTF8):
            block = block[3:]
        yield from _utf8_block(block)


def _utf8_block(block: bytes) -> Iterator[tuple[list[str], int]]:
    """The lines of ``block`` (whole lines, or the file's last line) with their newlines,
    a Windows ``\\r\\n`` read as ``\\n`` and nothing else touched."""
    size = len(block)
    if b"\r" in block:
        block = block.replace(b"\r\n", b"\n")  # "\r\n" is only ever a line's end
    if b"\r" in block:  # a lone "\r", which splitlines() would cut at: cut at "\n" only
        pieces = [piece + b"\n" for piece in block.split(b"\n")]
        last = pieces.pop()
        if last != b"\n":
            pieces.append(last[:-1])
    else:
        pieces = block.splitlines(keepends=True) or [block]  # [b""]: a file that is a BOM
    try:
        lines = list(map(bytes.decode, pieces))
    except UnicodeDecodeError:
        lines = []
        for piece in pieces:  # hand over the lines before the bad one, then fail at it
            try:
                lines.append(piece.decode())
            except UnicodeDecodeError:
                yield lines, size
                raise
    yield lines, size


def open_chat(source: Path | bytes, *, max_bytes: int = MAX_CHAT_BYTES) -> Iterator[str]:
    """Yield the chat's lines, decoded, from a .txt or a .zip, without loading it whole."""
    raw: io.BufferedIOBase
    if isinstance(source, bytes | bytearray):
        stream = io.BytesIO(source)
    else:
        stream = open(source, "rb")  # noqa: SIM115 - closed below
    try:
        zipped = stream.read(4) == ZIP_MAGIC
        stream.seek(0)
        if zipfile.is_zipfile(stream):
            stream.seek(0)
            try:
                archive = zipfile.ZipFile(stream)
                member = _chat_member(archive, max_bytes)
                raw = archive.open(member)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError):
                raise RejectedFile(DAMAGED_ZIP) from None
        elif zipped:  # a zip cut short: its table of contents, at the end, is missing
            raise RejectedFile(DAMAGED_ZIP)
        else:
            stream.seek(0)
            raw = stream
        if not hasattr(raw, "peek"):
            raw = io.BufferedReader(raw)
        try:
            encoding = _sniff_encoding(raw.peek(4096)[:4096])
        except (zipfile.BadZipFile, zlib.error, EOFError):
            raise RejectedFile(DAMAGED_ZIP) from None
        blocks: Iterable[tuple[list[str], int]]
        if encoding.startswith("utf-16"):
            text = io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline=None)
            blocks = (([line], len(line)) for line in text)
        else:
            blocks = _utf8_blocks(raw, bom=encoding == "utf-8-sig")
        number = 0
        try:
            for lines, size in blocks:
                if size <= MAX_LINE:  # no line of it can be too long
                    yield from lines  # with their newlines: the parser's patterns stop before
                    number += len(lines)
                    continue
                for line in lines:
                    number += 1
                    if len(line) > MAX_LINE:
                        raise RejectedFile(
                            _("Line %(line)s is far too long for a chat.") % {"line": number}
                        )
                    yield line
        except (zipfile.BadZipFile, zlib.error, EOFError):
            # the zip's own records do not agree with what it holds (a size or checksum
            # rewritten, a member cut short): nothing of it is read
            raise RejectedFile(DAMAGED_ZIP) from None
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
    """'dmy', 'mdy', 'ymd', or with the year in the middle 'dym' or 'myd', for the file."""
    if any(a > 31 for a, _, _ in dates):
        return "ymd"
    if any(b > 31 for _, b, _ in dates):
        if any(c > 12 for _, _, c in dates):
            return "myd"
        if any(a > 12 for a, _, _ in dates):
            return "dym"
        return "dym" if language == "id" else "myd"
    if any(a > 12 for a, _, _ in dates):
        return "dmy"
    if any(b > 12 for _, b, _ in dates):
        return "mdy"
    if language == "id":
        return "dmy"
    # Without evidence: a 12-hour clock in English is most likely en_US.
    return "mdy" if ampm else "dmy"


def day_first_order(order: str, day_first: bool) -> str:
    """The file's order with the day put first or last as the person said (the year stays)."""
    if order == "ymd":
        return order
    if order in ("dym", "myd"):
        return "dym" if day_first else "myd"
    return "dmy" if day_first else "mdy"


def _learn(lines: list[str]) -> tuple[re.Pattern, str, str, str] | None:
    best: list[re.Match] = []
    pattern = ANDROID
    for style in STYLES:
        found = [m for m in (style.match(line) for line in lines) if m]
        if len(found) > len(best):
            best, pattern = found, style
    if not best:
        return None
    # Brackets are iOS and a dash Android; the other styles by their seconds, which iOS
    # always writes and Android never does.
    if pattern is IOS:
        platform = "ios"
    elif pattern is ANDROID:
        platform = "android"
    else:
        platform = "ios" if all(m.group(6) for m in best) else "android"
    text = " ".join(m.group(8) for m in best)
    language = "id" if len(ID_WORDS.findall(text)) >= 2 else ("en" if text else "")
    ampm = any(m.group(7) for m in best)
    order = _infer_order(
        [(int(m.group(1)), int(m.group(2)), int(m.group(3))) for m in best], language, ampm
    )
    return pattern, platform, order, language


def _author_phone(author: str) -> str | None:
    digits = sum(ch.isdigit() for ch in author)
    if digits >= 8 and digits >= len(author.replace(" ", "").replace("-", "")) - 2:
        return normalize_phone(author)
    return None


# A moment as the parse loop carries it: (year, month, day, hour, minute, second). The
# datetime is made only where one is kept (a message, or a participant's first and last).
Stamp = tuple[int, int, int, int, int, int]


def parse_chat(
    lines: Iterable[str],
    *,
    tz: str = "Asia/Jakarta",
    day_first: bool | None = None,
    keep_messages: bool = True,
) -> ChatParse:
    """Parse a chat. ``keep_messages=False`` keeps only participants and counts (what an
    import stores by default), so a million-line chat never sits in memory.

    The loop is the hot path of a large import, so it works from caches that stay small: a
    stamp is parsed once per distinct date text and once per distinct time text (a chat has
    a few hundred days, and a day 1,440 minutes or, with seconds, 86,400), consecutive
    messages of the same minute reuse the previous stamp, and nothing is made for a message
    that is not kept: participants carry plain stamps, made datetimes at the end.
    """
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
    if day_first is not None:
        order = day_first_order(order, day_first)
    result.platform, result.language = platform, language
    result.day_first = order not in ("mdy", "myd")
    match_line = _LINES[pattern].match
    match_other = (ANDROID_LINE if pattern is IOS else IOS_LINE).match

    dates: dict[str, tuple[int, int, int] | None] = {}
    times: dict[str, tuple[int, int, int] | None] = {}
    # author -> [first stamp, last stamp, messages]; Participants are made at the end
    people: dict[str, list] = {}
    phones: dict[str, str | None] = {}
    problems = result.problems
    messages = result.messages
    current: ChatMessage | object | None = None
    continuation: list[str] = []
    clock_12 = False
    attributed_system = platform == "ios"
    last_head: str | None = None
    stamp: Stamp | None = None
    sent_at: datetime | None = None
    count = 0
    system, plain, edited_sub = MessageKind.SYSTEM, MessageKind.MESSAGE, EDITED.sub
    media, deleted, notices_get = MessageKind.MEDIA, MessageKind.DELETED, _NOTICES.get
    media_search, system_search = MEDIA_PATTERN.search, SYSTEM_PATTERN.search

    number = 0
    for number, line in enumerate(chain(cleaned_head, iterator), start=1):
        if not line.isascii():
            line = _clean(line)
        match = match_line(line)
        if match is None:
            if line[:1] in _HEADER_STARTS:
                match = match_other(line)
            if match is None:
                if current is not None:
                    if keep_messages:
                        continuation.append(line.rstrip("\r\n"))
                elif line.strip():  # leading text before any header
                    problems.append(
                        Problem(
                            _("Text before the first message was skipped."),
                            row=number,
                            severity=Severity.WARNING,
                        )
                    )
                continue
        stamp_text, rest = match.group(1, 4)
        if stamp_text != last_head:  # consecutive messages often share the minute
            last_head = stamp_text
            date_text, time_text = match.group(2, 3)
            ymd = dates.get(date_text, _MISSING)
            if ymd is _MISSING:
                ymd = dates[date_text] = _date_value(date_text, order)
            hms = times.get(time_text, _MISSING)
            if hms is _MISSING:
                hms, twelve = _time_value(time_text)
                times[time_text] = hms
                clock_12 = clock_12 or twelve
            if ymd is None or hms is None:
                stamp = sent_at = None
            else:
                stamp = ymd + hms
                if keep_messages:
                    sent_at = datetime(*stamp, tzinfo=zone)
        if stamp is None:
            problems.append(
                Problem(
                    _("Impossible date or time; this message was skipped."),
                    row=number,
                    severity=Severity.WARNING,
                )
            )
            if continuation:
                _join_continuation(current, continuation)
            current = None
            continue
        if continuation:
            _join_continuation(current, continuation)
        count += 1
        # The kind of message, inline as this runs for every message. iOS exports put system
        # notices under a sender's name (attributed_system), so they are told by their text.
        author, sep, text = rest.partition(": ")
        if not sep:
            author, text, kind = None, rest, system
        else:
            author = author.strip()
            if len(text) > 80 and not attributed_system:
                kind = plain  # media and deletion notices are short; a long text is a message
                if "<" in text:
                    text = edited_sub("", text)
            else:
                lowered = text.strip().lower()
                notice = notices_get(lowered)  # the exact deletion and media notices
                if notice is not None:
                    kind, text = (notice, "") if notice is deleted else (notice, text.strip())
                elif (
                    "(" in lowered or "<" in lowered or lowered.endswith(_MEDIA_ENDINGS)
                ) and media_search(lowered):
                    kind, text = media, text.strip()
                elif (attributed_system or lowered.startswith(_CALLS)) and system_search(lowered):
                    kind = system
                else:
                    kind = plain
                    if "<" in text:
                        text = edited_sub("", text)
        if keep_messages:
            if author:
                phone = phones.get(author, False)
                if phone is False:
                    phone = phones[author] = _author_phone(author)
            else:
                phone = None
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
        if author:
            if kind is not system:
                person = people.get(author)
                if person is None:
                    people[author] = [stamp, stamp, 1]
                else:
                    person[1] = stamp
                    person[2] += 1
        elif author is None:
            _members_from_system(text, stamp, people)
    if continuation:
        _join_continuation(current, continuation)
    result.lines = number
    result.count = count
    result.clock = "12h" if clock_12 else "24h"
    moments: dict[Stamp, datetime] = {}

    def moment(stamp: Stamp) -> datetime:
        when = moments.get(stamp)
        if when is None:
            when = moments[stamp] = datetime(*stamp, tzinfo=zone)
        return when

    for name, (first, last, written) in people.items():
        phone = phones.get(name, False)
        result.participants[name] = Participant(
            name=name,
            phone=_author_phone(name) if phone is False else phone,
            first_at=moment(first),
            last_at=moment(last),
            messages=written,
        )
    return result


def _join_continuation(message: ChatMessage, continuation: list[str]) -> None:
    """A message's further lines (only gathered when messages are kept)."""
    message.text = message.text + "\n" + "\n".join(continuation)
    continuation.clear()


def _date_value(text: str, order: str) -> tuple[int, int, int] | None:
    """(year, month, day) of a stamp's date text, or None when there is no such day."""
    a, b, c = _DATE_PARTS.fullmatch(text).groups()
    x, y, z = int(a), int(b), int(c)
    if order == "ymd":
        year, month, day = x, y, z
    elif order == "dmy":
        day, month, year = x, y, z
    elif order == "mdy":
        month, day, year = x, y, z
    elif order == "dym":
        day, year, month = x, y, z
    else:  # myd
        month, year, day = x, y, z
    if year < 100:
        year += 2000
    try:
        datetime(year, month, day)
    except ValueError:
        return None
    return year, month, day


def _time_value(text: str) -> tuple[tuple[int, int, int] | None, bool]:
    """(hour, minute, second) of a stamp's time text on a 24-hour clock, or None when there
    is no such time; and whether the text is on a 12-hour clock."""
    hour, minute, second, ampm = _TIME_PARTS.fullmatch(text).groups()
    h, m, sec = int(hour), int(minute), int(second or 0)
    if ampm:
        if h > 12:
            return None, True
        if ampm in "pP" and h < 12:
            h += 12
        elif ampm in "aA" and h == 12:
            h = 0
    if h > 23 or m > 59 or sec > 59:
        return None, bool(ampm)
    return (h, m, sec), bool(ampm)


def _members_from_system(text: str, when: Stamp, people: dict[str, list]) -> None:
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
        if name not in people:
            people[name] = [when, when, 0]

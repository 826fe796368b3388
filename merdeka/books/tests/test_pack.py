"""The lender's evidence pack: the journal's hash chain, the signed pack, its
verification (any changed byte, an added or removed file, another shop's key), the
shared link (expiry, revocation, audit) and the customer-data canary."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import io
import json
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from merdeka.books import chain, debts
from merdeka.books.chain_mail import month_heads_due
from merdeka.books.chart import accounts_by_key
from merdeka.books.models import (
    ChainMonthHead,
    EvidencePack,
    JournalChain,
    JournalEntry,
    JournalLine,
    PackShare,
    Source,
)
from merdeka.books.pack import (
    MANIFEST,
    SIGNATURE,
    pack_make,
    published_keys,
    signing_key,
    zip_bytes,
)
from merdeka.books.pack_share import share_create, share_find, share_revoke, shares_of
from merdeka.books.pack_verify import verify_files, verify_zip
from merdeka.books.portable import books_export, books_restore
from merdeka.books.posting import Line, entry_post, entry_reverse
from merdeka.core import services
from merdeka.core.ownership import JOURNAL, OwnershipError, owning
from merdeka.core.scoping import shop_scope
from merdeka.customers.services import customer_create
from merdeka.orders import lifecycle
from merdeka.orders.manual import ManualLine, manual_order_create
from merdeka.orders.services import Buyer
from merdeka.privacy.models import AuditEvent
from merdeka.tax.profile import profile_update
from merdeka.tax.services import tax_payment_record

DAY = dt.date(2026, 11, 3)


@pytest.fixture
def acc(ika_shop):
    return accounts_by_key(shop=ika_shop, keys=["cash", "capital", "sales", "expense:rent"])


def post(shop, acc, key, debit, credit, amount, day=DAY):
    return entry_post(
        shop=shop,
        date=day,
        source=Source.MANUAL,
        key=key,
        lines=[Line(acc[debit], debit=amount), Line(acc[credit], credit=amount)],
    )


@pytest.fixture
def books(ika_shop, acc):
    post(ika_shop, acc, "capital", "cash", "capital", 2_000_000, day=dt.date(2026, 9, 1))
    post(ika_shop, acc, "sale", "cash", "sales", 350_000)
    post(ika_shop, acc, "rent", "expense:rent", "cash", 100_000)


# -- the chain --------------------------------------------------------------------------


def test_each_entry_extends_the_chain_and_the_chain_checks(ika_shop, acc, books):
    with shop_scope(ika_shop):
        rows = list(
            JournalEntry.objects.order_by("chain_seq").values_list("chain_seq", "chain_hash")
        )
        head = JournalChain.objects.get(shop=ika_shop)
    assert [seq for seq, _h in rows] == [1, 2, 3]
    assert head.seq == 3 and head.head == rows[-1][1]
    assert len({h for _s, h in rows}) == 3
    entry = JournalEntry.unscoped.filter(shop=ika_shop).order_by("pk").last()
    entry_reverse(shop=ika_shop, entry_id=entry.pk)  # a reversal is chained too
    result = chain.chain_check(shop=ika_shop)
    assert result.ok and result.entries == 4


@pytest.mark.parametrize(
    ("memo", "key", "belongs_to", "order_id", "reverses_id", "lines"),
    [
        ("", "order:12:1", None, 12, None, [(7, 0, 5000), (3, 5000, 0)]),
        ('Kue "lapis" \\ 100%\n\t\u0001', "manual:x", dt.date(2026, 1, 31), None, 4, [(1, 9, 0)]),
        ("Bolu pandan — Rp12.500 ✓ 🍰", "ké y", None, None, None, [(2, 0, 1), (2, 1, 0)]),
        ("\u2028\u2029\x7f\ud7ff", "k", dt.date(2025, 12, 1), 10**12, 10**15, []),
    ],
)
def test_the_quick_canonical_form_is_the_canonical_bytes(
    memo, key, belongs_to, order_id, reverses_id, lines
):
    """Each entry is hashed through ``canonical_quick`` (text built directly): byte for
    byte what ``canonical`` (the JSON encoder) makes, or None, never something else."""
    for source in (Source.ORDER, "manual", "reversal"):
        args = (3, 41, DAY, source, key, memo, belongs_to, order_id, reverses_id, lines)
        assert chain.canonical_quick(*args) == chain.canonical(
            seq=3, entry_id=41, date=DAY, source=source, key=key, memo=memo,
            belongs_to=belongs_to, order_id=order_id, reverses_id=reverses_id, lines=lines,
        )  # fmt: skip
    # values that are not plain ints: left to the encoder
    for odd in ([(1, Decimal(5), 0)], [(1, True, 0)]):
        assert chain.canonical_quick(3, 41, DAY, "manual", key, memo, None, None, None, odd) is None
    assert chain.canonical_quick(True, 41, DAY, "manual", key, memo, None, None, None, []) is None


def test_a_changed_amount_or_date_breaks_the_chain(ika_shop, acc, books):
    with shop_scope(ika_shop):
        line = JournalLine.objects.order_by("pk").first()
        with pytest.raises(OwnershipError), transaction.atomic():  # refused in place...
            JournalLine.objects.filter(pk=line.pk).update(debit=line.debit + 1)
        with owning(JOURNAL):  # ...so write past the guard, as one with the file in hand
            JournalLine.objects.filter(pk=line.pk).update(debit=line.debit + 1)
    result = chain.chain_check(shop=ika_shop)
    assert not result.ok and "differs" in result.problem
    with pytest.raises(CommandError, match="chain broken"):
        call_command("pack", "chain", "--shop", ika_shop.slug)


def test_a_second_shop_has_its_own_chain(ika_shop, citra_shop, acc, books):
    theirs = accounts_by_key(shop=citra_shop, keys=["cash", "capital"])
    post(citra_shop, theirs, "capital", "cash", "capital", 5_000)
    assert chain.chain_check(shop=citra_shop).entries == 1
    assert chain.chain_check(shop=ika_shop).entries == 3


def test_the_head_at_a_months_end_is_kept_when_a_later_month_begins(ika_shop, acc, books):
    current, _ = chain.heads(shop=ika_shop)
    later = timezone.now() + dt.timedelta(days=40)
    chain.month_roll(shop=ika_shop, now=later)
    chain.month_roll(shop=ika_shop, now=later)  # once
    with shop_scope(ika_shop):
        [month] = ChainMonthHead.objects.filter(shop=ika_shop)
    assert (month.head, month.seq) == (current.head, 3)
    assert month.month == current.month


def test_a_restore_chains_the_entries_anew_after_the_old_head(ika_shop, citra, acc, books):
    old, _ = chain.heads(shop=ika_shop)
    _private, public = signing_key(ika_shop)
    exported, journal = books_export(shop=ika_shop)
    with shop_scope(ika_shop):
        journal = list(journal)
    fresh = services.shop_create(name="Toko Baru", owner=citra, slug="toko-baru")
    books_restore(
        shop=fresh, books=json.loads(json.dumps(exported)), journal=journal, had_data=False
    )
    restored, _ = chain.heads(shop=fresh)
    assert restored.genesis == chain.genesis_of(fresh.pk, old.head)
    assert restored.seq == 3 and chain.chain_check(shop=fresh).ok
    assert published_keys(fresh) == [public]  # her old packs still verify
    assert signing_key(fresh)[1] != public  # new packs: a key of its own


# -- the pack ---------------------------------------------------------------------------


@pytest.fixture
def made(ika_shop, books):
    return pack_make(shop=ika_shop, months=12, end=dt.date(2026, 11, 30))


def test_a_pack_holds_the_statements_and_a_signed_manifest(ika_shop, made):
    names = set(made.files)
    assert {"laporan-keuangan.pdf", MANIFEST, SIGNATURE, "data/data.json"} <= names
    assert {"data/posisi-keuangan.csv", "data/laba-rugi.csv", "data/arus-kas.csv"} <= names
    assert "data/konsentrasi-pelanggan.csv" in names and "data/umur-piutang.csv" in names
    manifest = made.manifest
    assert manifest["shop"]["slug"] == "dapur-ika"
    assert manifest["period"] == {"start": "2026-09-01", "end": "2026-11-30"}  # since the start
    current, _ = chain.heads(shop=ika_shop)
    assert manifest["chain"]["head"] == current.head and manifest["chain"]["entries"] == 3
    listed = {f["name"]: f["sha256"] for f in manifest["files"]}
    assert (
        listed["laporan-keuangan.pdf"]
        == hashlib.sha256(made.files["laporan-keuangan.pdf"]).hexdigest()
    )
    text = "\n".join(
        p.extract_text() for p in PdfReader(io.BytesIO(made.files["laporan-keuangan.pdf"])).pages
    )
    assert "Laba Rugi" in text or "Laba rugi" in text
    assert verify_zip(bytes(made.pack.data)).ok


def test_the_pack_holds_the_notes_the_business_profile_and_the_tax_paid(ika, ika_shop, acc, books):
    profile_update(
        shop=ika_shop,
        actor=ika,
        legal_form="cv",
        business_name="CV Dapur Kue Ika",
        nib="1234567890123",
        npwp="01.234.567.8-901.000",
        address="Jl. Melati 5, Bandung",
        started_on=dt.date(2026, 9, 1),
        registered_year=2026,
    )
    tax_payment_record(
        shop=ika_shop,
        key="pph-2026-10",
        month=dt.date(2026, 10, 1),
        amount=1_750,
        paid_on=dt.date(2026, 11, 14),
        paid_from_id=acc["cash"],
    )
    made = pack_make(shop=ika_shop, months=12, end=dt.date(2026, 11, 30))
    assert {"data/catatan.csv", "data/profil-usaha.csv", "data/pajak.csv"} <= set(made.files)
    profile = made.files["data/profil-usaha.csv"].decode("utf-8-sig")
    assert "CV Dapur Kue Ika" in profile and "1234567890123" in profile
    tax_rows = made.files["data/pajak.csv"].decode("utf-8-sig")
    assert "1750" in tax_rows.replace(".", "") and "2026-10" in tax_rows
    text = "\n".join(
        p.extract_text() for p in PdfReader(io.BytesIO(made.files["laporan-keuangan.pdf"])).pages
    )
    assert "CV Dapur Kue Ika" in text and "PPh Final" in text


def test_every_figure_traces_to_journal_lines_by_source_and_chain_place(ika_shop, acc, books):
    made = pack_make(shop=ika_shop, months=12, end=dt.date(2026, 11, 30))
    rows = list(csv.reader(io.StringIO(made.files["data/asal-angka.csv"].decode())))
    body, total = rows[1:-1], rows[-1]
    # capital in September; the sale and the rent in November, both through Kas: one group
    # per month, account and source
    assert len(body) == 5
    kas = next(r for r in body if r[0] == "2026-11 · 1-100 Kas · Jurnal manual")
    assert kas[1:4] == ["2", "350000", "100000"]
    debit = sum(int(r[2]) for r in body)
    assert debit == sum(int(r[3]) for r in body) == 2_000_000 + 350_000 + 100_000
    assert total[2] == total[3] == str(debit)
    with shop_scope(ika_shop):
        seqs = sorted(JournalEntry.objects.values_list("chain_seq", flat=True))
    assert {int(r[4]) for r in body} | {int(r[5]) for r in body} <= set(seqs)


def test_one_changed_byte_in_any_file_fails(ika_shop, made):
    for name, body in made.files.items():
        for at in (0, len(body) // 2, len(body) - 1):
            changed = dict(made.files)
            flipped = bytearray(body)
            flipped[at] ^= 0x01
            changed[name] = bytes(flipped)
            verdict = verify_files(changed)
            assert not verdict.ok, (name, at)
            assert verdict.reason


def test_an_added_or_removed_file_fails_with_its_name(ika_shop, made):
    added = verify_zip(zip_bytes({**made.files, "data/extra.csv": b"a,b\n"}))
    assert not added.ok and "data/extra.csv" in added.reason
    fewer = dict(made.files)
    del fewer["data/laba-rugi.csv"]
    removed = verify_zip(zip_bytes(fewer))
    assert not removed.ok and "data/laba-rugi.csv" in removed.reason
    assert not verify_zip(b"not a zip").ok


def test_a_manifest_signed_by_another_shops_key_fails(ika_shop, citra_shop, made):
    private, public = signing_key(citra_shop)
    manifest = json.loads(made.files[MANIFEST])
    manifest["signature"]["public_key"] = public
    body = json.dumps(manifest).encode()
    forged = {**made.files, MANIFEST: body, SIGNATURE: base64.b64encode(private.sign(body)) + b"\n"}
    verdict = verify_files(forged)
    assert not verdict.ok and "Dapur Kue Bu Ika" in verdict.reason


def test_the_command_makes_and_verifies_a_pack(ika_shop, books, tmp_path, capsys):
    call_command("pack", "make", "--shop", "dapur-ika", "--out", str(tmp_path), "--months", "3")
    [archive] = list(tmp_path.glob("*.zip"))
    call_command("pack", "verify", str(archive))
    assert "INTACT" in capsys.readouterr().out
    folder = tmp_path / archive.stem
    call_command("pack", "verify", str(folder))
    (folder / "data" / "laba-rugi.csv").write_bytes(b"changed\n")
    with pytest.raises(CommandError, match=r"NOT INTACT.*laba-rugi\.csv"):
        call_command("pack", "verify", str(folder))


def test_no_customer_data_is_in_any_file_of_the_pack(ika_shop, ika, acc, books):
    canary = {"name": "Kanari Zulfikar", "phone": "081299887766", "email": "kanari.zz@contoh.id"}
    customer = customer_create(shop=ika_shop, actor=ika, **canary)
    debts.debt_record(
        shop=ika_shop, kind="receivable", key="canary", amount=45_000,
        counter_account_id=acc["sales"], due_date=dt.date(2026, 10, 1),
        customer_id=customer.pk, note="for the cakes", day=dt.date(2026, 9, 15),
    )  # fmt: skip
    order, _made = manual_order_create(
        shop=ika_shop,
        actor=ika,
        buyer=Buyer(name=canary["name"], phone=canary["phone"], email=canary["email"]),
        lines=[ManualLine(quantity=1, name="Bolu Pandan", unit_price=Decimal(80_000))],
        shipping_fee=Decimal(0),
        idempotency_key="canary",
        delivery_method="pickup",
        payment_method="transfer",
    )
    lifecycle.order_payment_record(shop=ika_shop, order_id=order.pk, method="transfer", actor=ika)
    lifecycle.order_complete(shop=ika_shop, order_id=order.pk, actor=ika)
    made = pack_make(shop=ika_shop, months=12)
    needles = [
        canary["name"],
        "Kanari",
        "Zulfikar",
        "99887766",
        "kanari.zz",
        "contoh.id",
    ]
    texts = {name: body.decode("latin-1") for name, body in made.files.items()}
    pdf = PdfReader(io.BytesIO(made.files["laporan-keuangan.pdf"]))
    texts["pdf text"] = "\n".join(page.extract_text() for page in pdf.pages)
    with zipfile.ZipFile(io.BytesIO(bytes(made.pack.data))) as archive:
        assert sorted(archive.namelist()) == sorted(made.files)
    for name, text in texts.items():
        for needle in needles:
            assert needle.lower() not in text.lower(), (needle, name)
    assert "45000" in made.files["data/umur-piutang.csv"].decode()  # aged, not named
    concentration = made.files["data/konsentrasi-pelanggan.csv"].decode()
    assert "80000" in concentration or "80.000" in concentration  # the sale is counted


# -- sharing and the public pages -------------------------------------------------------


def test_a_shared_link_opens_without_an_account_and_is_audited(client, ika_shop, ika, made):
    share, token = share_create(shop=ika_shop, pack_id=made.pack.pk, label="Bank BRI", days=7)
    assert share.token_hash != token and len(token) >= 40
    page = client.get(reverse("pack_shared", args=[token]))
    assert page.status_code == 200
    assert "Dapur Kue Bu Ika" in page.content.decode()
    assert 'data-testid="pack-intact"' in page.content.decode()
    download = client.get(reverse("pack_shared_download", args=[token]))
    assert download["Content-Type"] == "application/zip"
    assert verify_zip(download.content).ok
    [listed] = shares_of(shop=ika_shop)
    assert [o["what"] for o in listed.opens] == ["download", "view"]
    with shop_scope(ika_shop):
        assert AuditEvent.objects.filter(action="books.pack_opened").count() == 2


def test_a_link_expires_and_can_be_revoked(client, ika_shop, made):
    share, token = share_create(shop=ika_shop, pack_id=made.pack.pk, label="Koperasi", days=1)
    assert share_find(token) is not None
    assert share_find(token, now=timezone.now() + dt.timedelta(days=2)) is None
    PackShare.unscoped.filter(pk=share.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    assert client.get(reverse("pack_shared", args=[token])).status_code == 404
    other, token2 = share_create(shop=ika_shop, pack_id=made.pack.pk, label="P2P", days=30)
    assert client.get(reverse("pack_shared", args=[token2])).status_code == 200
    assert share_revoke(shop=ika_shop, share_id=other.pk)
    gone = client.get(reverse("pack_shared_download", args=[token2]))
    assert gone.status_code == 404 and b"pack-gone" in gone.content
    assert client.get(reverse("pack_shared", args=["nonsense"])).status_code == 404


def test_the_owner_makes_shares_and_revokes_on_her_page(ika_client, ika_shop, books):
    page = ika_client.post(reverse("books_pack"), {"months": "12"}, follow=True)
    assert page.status_code == 200
    with shop_scope(ika_shop):
        pack = made_pack(ika_shop)
    answer = ika_client.post(
        reverse("books_pack_share", args=[pack.pk]),
        {"label": "Bank BRI", "days": "14"},
        follow=True,
    )
    body = answer.content.decode()
    assert 'data-testid="pack-link"' in body and "/buku/bukti/" in body
    assert "/buku/bukti/" not in ika_client.get(reverse("books_pack")).content.decode()  # once
    with shop_scope(ika_shop):
        share = PackShare.objects.get()
    ika_client.post(reverse("books_pack_share_revoke", args=[share.pk]))
    share.refresh_from_db()
    assert share.revoked_at is not None
    bad = ika_client.post(reverse("books_pack_share", args=[pack.pk]), {"label": "", "days": "0"})
    assert bad.status_code == 302


def made_pack(shop):
    return EvidencePack.objects.filter(shop=shop).first()


def test_staff_and_other_shops_cannot_reach_the_pack(rina_client, ika_shop, made):
    assert rina_client.get(reverse("books_pack")).status_code == 403
    assert rina_client.get(reverse("books_pack_download", args=[made.pack.pk])).status_code == 403


def test_another_shop_cannot_download_or_share_her_pack(citra_client, ika_shop, made):
    assert citra_client.get(reverse("books_pack_download", args=[made.pack.pk])).status_code == 404
    answer = citra_client.post(
        reverse("books_pack_share", args=[made.pack.pk]), {"label": "x", "days": "3"}
    )
    assert answer.status_code == 404
    assert not PackShare.unscoped.exists()


def test_the_public_page_says_intact_or_why_not(client, ika_shop, made):
    data = bytes(made.pack.data)
    ok = client.post(reverse("pack_verify"), {"pack": SimpleUploadedFile("p.zip", data)})
    assert 'data-testid="pack-intact"' in ok.content.decode()
    assert "Dapur Kue Bu Ika" in ok.content.decode()
    files = dict(made.files)
    files["data/arus-kas.csv"] += b"1"
    bad = client.post(
        reverse("pack_verify"), {"pack": SimpleUploadedFile("p.zip", zip_bytes(files))}
    )
    assert 'data-testid="pack-not-intact"' in bad.content.decode()
    assert "data/arus-kas.csv" in bad.content.decode()
    keys = client.get(reverse("pack_keys", args=["dapur-ika"])).content.decode()
    assert made.manifest["signature"]["public_key"] in keys


# -- the month-end heads to the owner ----------------------------------------------------


def test_the_month_end_head_is_mailed_once_and_shown_on_the_dashboard(
    smtp, ika_client, ika, ika_shop, acc, books
):
    ika.email = "ika@contoh.example"
    ika.save()
    current, _ = chain.heads(shop=ika_shop)
    later = timezone.now() + dt.timedelta(days=40)
    assert month_heads_due(now=later) == 1
    assert month_heads_due(now=later) == 0  # once
    [message] = smtp.messages
    assert current.head in message.get_content()
    home = ika_client.get(reverse("home")).content.decode()
    assert 'data-testid="month-seal"' in home and current.head[:16] in home
    pack = pack_make(shop=ika_shop, months=12, end=(later + dt.timedelta(days=1)).date())
    ends = {m["month"]: m for m in pack.manifest["chain"]["month_ends"]}
    assert ends[current.month.strftime("%Y-%m")]["head"] == current.head
    assert ends[current.month.strftime("%Y-%m")]["complete"]

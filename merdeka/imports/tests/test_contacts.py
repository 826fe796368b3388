from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Customer, Identity
from merdeka.imports import sources
from merdeka.imports.records import RejectedFile

DATA = Path(__file__).parent / "data" / "contacts"


@pytest.fixture(autouse=True)
def _english_messages():
    with translation.override("en"):
        yield


def contacts(name):
    parsed = sources.parse_file(DATA / name, name)
    return parsed, [(c.name, c.phones, c.emails, c.line) for c in parsed.preview["contacts"]]


def test_it_reads_every_number_of_an_android_vcard_with_encoded_names():
    parsed, people = contacts("android_contacts.vcf")
    assert parsed.source == "vcard"
    assert people == [
        ("Siti Nurhaliza 🍪", ["+6281234567801", "+62225550123"], [], 1),
        ("Édi Prásetyo", ["+6285711223344"], ["edi.p@contoh.id"], 9),
    ]
    # the masked number of the courier card is never kept
    assert [(p.row, str(p.severity)) for p in parsed.problems] == [(21, "warning")]


def test_it_reads_iphone_vcards_with_grouped_numbers_photos_and_version_4():
    _, people = contacts("iphone_contacts.vcf")
    assert people == [
        ("Andi Pratama", ["+6285211223344"], ["andi@contoh.id"], 1),
        ("Dewi Anggraini", ["+6285712345678"], [], 15),
    ]


def test_it_reads_both_google_csv_styles():
    parsed, people = contacts("google_contacts_old.csv")
    assert parsed.source == "google-contacts"
    assert people == [
        ("Budi Santoso", ["+6281322334455", "+62215550123"], ["budi@contoh.id"], 2),
        ("Putri Lestari", ["+6281311112222"], [], 3),
    ]
    assert [p.row for p in parsed.problems] == [4]
    _, people = contacts("google_contacts.csv")
    assert people == [
        ("Rina Wulandari", ["+6281255556666"], ["rina@contoh.id"], 2),
        ("Agus", ["+6281277778888"], [], 3),  # the formula-escape apostrophe is gone
    ]


def test_a_utf16_google_csv_reads_the_same(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_bytes((DATA / "google_contacts_old.csv").read_text().encode("utf-16"))
    assert contacts("google_contacts_old.csv")[1] == [
        (c.name, c.phones, c.emails, c.line)
        for c in sources.parse_file(path, path.name).preview["contacts"]
    ]


def test_importing_contacts_makes_customers_once(ika_shop):
    call_command(
        "import",
        str(DATA / "android_contacts.vcf"),
        str(DATA / "iphone_contacts.vcf"),
        "--shop",
        ika_shop.slug,
        "--json",
    )
    with shop_scope(ika_shop):
        assert Customer.objects.count() == 4
        siti = next(c for c in Customer.objects.all() if c.name.startswith("Siti"))
        phones = {i.value for i in Identity.objects.filter(customer=siti, kind="phone")}
        assert phones == {"+6281234567801", "+62225550123"}


@pytest.mark.parametrize(
    "name,data",
    [
        ("kosong.vcf", b""),
        ("biner.vcf", b"\x00\x01\x02BEGIN" * 50),
        ("data.csv", b"Tanggal,Belanja\n01/05,Telur\n"),
    ],
)
def test_bad_contact_files_are_refused(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(RejectedFile):
        sources.parse_file(path, path.name)


def test_a_truncated_vcard_keeps_what_was_read_and_says_so(tmp_path):
    text = (DATA / "iphone_contacts.vcf").read_text()
    path = tmp_path / "potong.vcf"
    path.write_text(text[: text.rindex("END:VCARD")])
    parsed, people = contacts_at(path)
    assert [name for name, *_ in people] == ["Andi Pratama", "Dewi Anggraini"]
    assert any("END:VCARD" in str(p.message) for p in parsed.problems)


def contacts_at(path):
    parsed = sources.parse_file(path, path.name)
    return parsed, [(c.name, c.phones, c.emails, c.line) for c in parsed.preview["contacts"]]


SAMPLE = (DATA / "android_contacts.vcf").read_bytes()


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(st.integers(0, len(SAMPLE) - 1), st.binary(max_size=5)), max_size=8))
def test_mutated_vcards_parse_or_are_rejected_cleanly(tmp_path, edits):
    data = bytearray(SAMPLE)
    for position, replacement in edits:
        data[position : position + len(replacement)] = replacement
    path = tmp_path / "kontak.vcf"
    path.write_bytes(bytes(data))
    with contextlib.suppress(RejectedFile):
        for contact in sources.parse_file(path, path.name).preview["contacts"]:
            assert all(phone.startswith("+") for phone in contact.phones)

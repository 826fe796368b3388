from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from merdeka.core.disclosure import PLACEHOLDER_CONTACT, expires

REQUIRED = ("Contact", "Expires")


def fields(response) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in response.content.decode().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition(": ")
            found.setdefault(name, []).append(value)
    return found


@pytest.fixture
def security_txt(client, db):
    def get(**headers):
        return client.get("/.well-known/security.txt", **headers)

    return get


def test_security_txt_is_plain_text_with_the_fields_rfc_9116_requires(security_txt, settings):
    settings.MERDEKA_SECURITY_CONTACT = [
        "keamanan@toko.example.id",
        "https://toko.example.id/lapor",
    ]
    response = security_txt()
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    found = fields(response)
    assert all(len(found.get(name, [])) >= 1 for name in REQUIRED)
    assert len(found["Expires"]) == 1
    assert found["Contact"] == ["mailto:keamanan@toko.example.id", "https://toko.example.id/lapor"]
    assert found["Preferred-Languages"] == ["id, en"]
    assert found["Policy"] == ["http://testserver/kebijakan-keamanan/"]
    assert "Canonical" not in found  # no public address set: nothing to call canonical
    assert "#" not in response.content.decode()


def test_security_txt_expires_in_the_future_and_within_a_year(security_txt):
    [stamp] = fields(security_txt())["Expires"]
    when = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    now = datetime.now(UTC)
    assert now + timedelta(days=300) < when < now + timedelta(days=365)


def test_an_expiry_date_can_be_set_and_is_given_in_utc(settings):
    settings.MERDEKA_SECURITY_TXT_EXPIRES = datetime.fromisoformat("2027-06-30T12:00:00+07:00")
    assert expires(datetime.now(UTC)) == datetime(2027, 6, 30, 5, tzinfo=UTC)
    settings.MERDEKA_SECURITY_TXT_EXPIRES = datetime.fromisoformat("2027-06-30")
    assert expires(datetime.now(UTC)) == datetime(2027, 6, 30, tzinfo=UTC)


def test_the_public_url_makes_the_canonical_and_policy_addresses(security_txt, settings):
    settings.MERDEKA_PUBLIC_URL = "https://toko.example.id"
    found = fields(security_txt())
    assert found["Canonical"] == ["https://toko.example.id/.well-known/security.txt"]
    assert found["Policy"] == ["https://toko.example.id/kebijakan-keamanan/"]


def test_without_a_contact_the_file_says_its_placeholder_is_one(security_txt, settings):
    settings.MERDEKA_SECURITY_CONTACT = []
    response = security_txt()
    assert fields(response)["Contact"] == [PLACEHOLDER_CONTACT]
    assert response.content.decode().startswith("# Placeholder contact")


def test_security_txt_takes_no_posts(client, db):
    assert client.post("/.well-known/security.txt").status_code == 405


@pytest.mark.parametrize(
    ("language", "heading", "ask"),
    [
        ("id", "Melaporkan masalah keamanan", "Uji hanya dengan akun dan toko milikmu sendiri."),
        ("en", "Reporting a security problem", "Test only with an account and a shop of your own."),
    ],
)
def test_the_disclosure_policy_reads_in_both_languages(
    client, db, settings, language, heading, ask
):
    settings.MERDEKA_SECURITY_CONTACT = ["keamanan@toko.example.id"]
    response = client.get(reverse("security_policy"), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    body = response.content.decode()
    assert f'<html lang="{language}">' in body
    assert f"<h1>{heading}</h1>" in body
    assert ask in body
    assert 'href="mailto:keamanan@toko.example.id"' in body
    assert 'href="/.well-known/security.txt"' in body


def test_the_disclosure_policy_without_a_contact_says_none_is_published(client, db, settings):
    settings.MERDEKA_SECURITY_CONTACT = []
    response = client.get(reverse("security_policy"), HTTP_ACCEPT_LANGUAGE="en")
    assert "has not published a security contact yet" in response.content.decode()


def test_a_signed_in_person_who_must_change_their_password_still_reads_both(client, ika, ika_shop):
    ika.must_change_password = True
    ika.save()
    client.force_login(ika)
    assert client.get("/.well-known/security.txt").status_code == 200
    assert client.get(reverse("security_policy")).status_code == 200


def test_the_icon_browsers_ask_for_by_themselves_is_there(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in b"".join(response.streaming_content)

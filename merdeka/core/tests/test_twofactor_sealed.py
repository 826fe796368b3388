"""Authenticator secrets are kept sealed with the site's key (``core.Authenticator``,
``privacy.sitekeys``): the database holds no TOTP secret a copy could use, the real
sign-in page still takes the app's codes, the migration seals secrets stored before,
and ``merdeka keys rotate`` moves them to a new key (resumable)."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
from base64 import b32encode

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from merdeka.core import twofactor
from merdeka.core.models import Authenticator
from merdeka.core.tests.sqlite_files import sqlite_file_bytes
from merdeka.core.tests.test_twofactor import (
    enrol,
    login,
    next_code,
    shown_key,
    signed_in,
)
from merdeka.privacy import sitekeys
from merdeka.privacy.crypto import DecryptionError
from merdeka.privacy.models import AuditEvent, SiteKey


@pytest.fixture
def rina_client(rina):
    """Rina on a browser of her own (the shared ``client`` is Ika's here)."""
    client = Client()
    client.force_login(rina)
    return client


def forms_of(key: str) -> list[bytes]:
    """Every way the secret could sit in a file: hex (either case), base32, raw."""
    raw = bytes.fromhex(key)
    b32 = b32encode(raw).decode().rstrip("=")
    return [key.encode(), key.upper().encode(), b32.encode(), b32.lower().encode(), raw]


def sign_in_with_code(client, key: str) -> bool:
    """Through the real pages: the password, then a code of the authenticator."""
    client.post(reverse("logout"))
    assert login(client, "ika")["Location"] == reverse("login_verify")
    client.post(reverse("login_verify"), {"code": next_code(key)})
    return signed_in(client)


def stored_key(user) -> str:
    return TOTPDevice.objects.filter(user=user).values_list("key", flat=True).get()


@pytest.mark.django_db(transaction=True)
def test_the_sqlite_file_holds_no_totp_secret_and_the_login_page_takes_its_codes(
    ika_client, ika, ika_shop
):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite file check")
    key, codes = enrol(ika_client)
    assert sign_in_with_code(ika_client, key)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = sqlite_file_bytes(settings.DATABASES["default"]["NAME"])
    assert b"otp_totp_totpdevice" in data and stored_key(ika).encode() in data  # really read
    for form in forms_of(key):
        assert form not in data, form
    for code in codes:  # recovery codes: keyed hashes only
        assert code.replace("-", "").encode() not in data


@pytest.mark.django_db(transaction=True)
def test_a_postgresql_dump_holds_no_totp_secret(ika_client, ika, ika_shop):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL dump check")
    key, codes = enrol(ika_client)
    db = connection.settings_dict
    dump = subprocess.run(
        ["pg_dump", "--data-only", "-h", db["HOST"] or "127.0.0.1", "-p",
         str(db["PORT"] or 5432), "-U", db["USER"], db["NAME"]],
        capture_output=True,
        env={**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""},
        check=True,
    ).stdout  # fmt: skip
    assert stored_key(ika).encode() in dump
    for form in forms_of(key):
        assert form not in dump, form
    for code in codes:
        assert code.replace("-", "").encode() not in dump


def stored_session(client) -> str:
    """The session as the session table holds it, decoded (signed, maybe compressed)."""
    row = Session.objects.get(session_key=client.session.session_key)
    return json.dumps(row.get_decoded())


def test_the_secret_waiting_for_its_first_code_is_sealed_in_the_session_table(
    ika_client, rina_client, ika, rina
):
    page = ika_client.get(reverse("two_factor_enrol"))
    key = shown_key(page)
    stored = stored_session(ika_client)
    assert twofactor.ENROL_KEY in stored  # really read
    for form in forms_of(key):
        assert form.decode("latin-1") not in stored, form
    # a sealed secret moved into another person's session does not open there: she
    # gets a secret of her own, and ika's code does not confirm it
    session = rina_client.session
    session[twofactor.ENROL_KEY] = ika_client.session[twofactor.ENROL_KEY]
    session.save()
    rinas = shown_key(rina_client.get(reverse("two_factor_enrol")))
    assert rinas != key
    answer = rina_client.post(reverse("two_factor_enrol"), {"code": twofactor.code_for(key)})
    assert answer.status_code == 400 and not twofactor.has_two_factor(rina)
    # ika's own enrolment goes on with the secret her app has
    answer = ika_client.post(reverse("two_factor_enrol"), {"code": twofactor.code_for(key)})
    assert answer.status_code == 200 and twofactor.has_two_factor(ika)
    assert twofactor.ENROL_KEY not in stored_session(ika_client)


def test_a_sealed_secret_copied_onto_another_persons_device_does_not_open(
    ika_client, rina_client, ika, rina
):
    enrol(ika_client)
    enrol(rina_client)
    TOTPDevice.objects.filter(user=rina).update(key=stored_key(ika))
    with pytest.raises(DecryptionError):
        _secret = twofactor.authenticator(rina).bin_key
    # and a wrong code is all rina's sign-in sees: no error page, no session
    rina_client.post(reverse("logout"))
    login(rina_client, "rina")
    answer = rina_client.post(reverse("login_verify"), {"code": "123456"})
    assert answer.status_code == 400 and not signed_in(rina_client)


@pytest.mark.django_db(transaction=True)
def test_the_migration_seals_the_secrets_stored_before_and_unseals_them_when_reversed(
    ika_client, ika, ika_shop
):
    key, _codes = enrol(ika_client)
    call_command("migrate", "core", "0004", verbosity=0)
    assert stored_key(ika) == key  # reversed: the plain hex of before
    call_command("migrate", verbosity=0)  # every app: what depends on core came back too
    assert sitekeys.is_sealed(stored_key(ika)) and key not in stored_key(ika)
    assert sign_in_with_code(ika_client, key)


def test_rotation_seals_the_secrets_again_and_destroys_the_old_key(
    ika_client, rina_client, ika, rina, ika_shop
):
    key, _codes = enrol(ika_client)
    enrol(rina_client)
    before = stored_key(ika)
    out = io.StringIO()
    call_command("keys", "rotate", stdout=out)
    assert "site (authenticator secrets): now on key v2; 2 secrets sealed again" in out.getvalue()
    assert "destroyed old key v1" in out.getvalue()
    assert stored_key(ika).startswith("s2:") and stored_key(ika) != before
    old = SiteKey.objects.get(version=1)
    assert old.retired_at is not None and bytes(old.wrapped) == b""
    assert AuditEvent.unscoped.filter(action="keys.site_rotated").count() == 1
    assert sign_in_with_code(ika_client, key)
    status = io.StringIO()
    call_command("keys", "status", stdout=status)
    assert "site (authenticator secrets): key v2, 0 rows on older keys" in status.getvalue()


def test_a_stopped_rotation_resumes_and_only_then_destroys_the_old_key(
    ika_client, rina_client, ika, rina, monkeypatch
):
    key, _codes = enrol(ika_client)
    enrol(rina_client)
    monkeypatch.setattr(sitekeys, "BATCH", 1)

    def stop(_count):
        raise KeyboardInterrupt  # the operator's Ctrl+C after the first batch

    with pytest.raises(KeyboardInterrupt):
        sitekeys.site_keys_rotate(progress=stop)
    assert sorted(k[:3] for k in TOTPDevice.objects.values_list("key", flat=True)) == [
        "s1:",
        "s2:",
    ]
    assert SiteKey.objects.get(version=1).retired_at is None  # still needed
    assert twofactor.authenticator(ika).secret_hex == key  # both keys open meanwhile
    assert len(twofactor.authenticator(rina).secret_hex) == 40

    report = sitekeys.site_keys_rotate()
    assert (report.version, report.rows_resealed, report.resumed) == (2, 1, True)
    assert report.retired_versions == [1]
    assert all(re.match(r"s2:", k) for k in TOTPDevice.objects.values_list("key", flat=True))
    assert sign_in_with_code(ika_client, key)


def test_the_proxy_is_what_django_otp_verifies_with(ika_client, ika):
    enrol(ika_client)
    device = twofactor.authenticator(ika)
    assert isinstance(device, Authenticator)
    assert device.persistent_id.startswith("core.authenticator/")

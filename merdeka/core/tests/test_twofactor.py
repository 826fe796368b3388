"""Two-factor sign-in (merdeka.core.twofactor) with real TOTP codes, computed the way an
authenticator app does (django-otp's own TOTP)."""

from __future__ import annotations

import re
import time
from base64 import b32decode

import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD
from merdeka.core import twofactor
from merdeka.core.models import Membership
from merdeka.core.services import shop_update, staff_password_reset
from merdeka.privacy.models import AuditEvent

STEP = 30


def login(client, username, password=PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def key_from(secret_text: str) -> str:
    """The hex key behind the secret the page shows for typing (base32 in groups)."""
    text = secret_text.replace(" ", "")
    return b32decode(text + "=" * (-len(text) % 8)).hex()


def shown_key(page) -> str:
    """The key of the enrolment page, read from it as a person types it into her app."""
    [secret] = re.findall(r'data-testid="two-factor-secret">([A-Z2-7 ]+)<', page.content.decode())
    return key_from(secret)


def enrol(client) -> tuple[str, list[str]]:
    """Turn two-factor sign-in on for the signed-in client; the key and recovery codes."""
    page = client.get(reverse("two_factor_enrol"))
    assert page.status_code == 200
    key = shown_key(page)
    response = client.post(reverse("two_factor_enrol"), {"code": twofactor.code_for(key)})
    assert response.status_code == 200
    codes = re.findall(r"<code>([a-z2-7]{4}-[a-z2-7]{4})</code>", response.content.decode())
    assert len(codes) == 10
    return key, codes


def next_code(key: str, steps: int = 1) -> str:
    """The code of a later time step (the one just used is never accepted twice)."""
    return twofactor.code_for(key, at=time.time() + steps * STEP)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def ika_2fa(ika_client, ika):
    key, codes = enrol(ika_client)
    ika_client.post(reverse("logout"))
    return {"key": key, "codes": codes}


def test_enrolment_shows_a_qr_code_and_the_secret_and_confirms_with_a_real_code(
    ika_client, ika, ika_shop, in_shop
):
    page = ika_client.get(reverse("two_factor_enrol"))
    body = page.content.decode()
    key = shown_key(page)
    # the same secret until a code confirms it (a reload must not change the QR code)
    assert shown_key(ika_client.get(reverse("two_factor_enrol"))) == key
    # the QR code is an image the CSP allows (data:), no inline script or style
    assert 'src="data:image/svg+xml' in body
    assert "<script>" not in body and "style=" not in body
    assert twofactor.secret_for_typing(key) in body
    assert "no-store" in page["Cache-Control"]
    assert "otpauth://totp/Merdeka%3Aika?" in twofactor.otpauth_uri(ika, key)

    wrong = ika_client.post(reverse("two_factor_enrol"), {"code": "000000"})
    assert wrong.status_code == 400
    assert not TOTPDevice.objects.filter(user=ika).exists()

    response = ika_client.post(reverse("two_factor_enrol"), {"code": twofactor.code_for(key)})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert len(re.findall(r"<code>[a-z2-7]{4}-[a-z2-7]{4}</code>", response.content.decode())) == 10
    device = TOTPDevice.objects.get(user=ika)
    assert device.confirmed and key not in device.key  # sealed (test_twofactor_sealed.py)
    assert twofactor.authenticator(ika).secret_hex == key
    with in_shop(ika_shop):
        assert AuditEvent.objects.filter(action="auth.two_factor_enabled", actor=ika).count() == 1
    # the session that enrolled counts as having given its code
    assert ika_client.get(reverse("customer_list")).status_code == 200


def test_recovery_codes_are_kept_only_as_keyed_hashes(ika_2fa, ika):
    stored = set(StaticToken.objects.filter(device__user=ika).values_list("token", flat=True))
    assert len(stored) == 10
    for code in ika_2fa["codes"]:
        assert code.replace("-", "") not in stored and code not in stored


def test_signing_in_asks_for_the_code_before_the_session_is_signed_in(
    client, ika_2fa, ika, ika_shop, in_shop
):
    response = login(client, "ika")
    assert response.status_code == 302
    assert response["Location"] == reverse("login_verify")
    assert not signed_in(client)
    # nothing else opens on the password alone
    assert client.get(reverse("customer_list"))["Location"].startswith(reverse("login"))
    assert client.get(reverse("two_factor"))["Location"].startswith(reverse("login"))

    page = client.get(reverse("login_verify"))
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in page.content.decode()
    response = client.post(reverse("login_verify"), {"code": next_code(ika_2fa["key"])})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert signed_in(client)
    assert "Dapur Kue Bu Ika" in client.get(reverse("home")).content.decode()
    with in_shop(ika_shop):
        event = AuditEvent.objects.filter(action="auth.login", actor=ika).latest("id")
    assert event.detail == {"second_step": "totp"}


def test_a_code_is_accepted_once(client, ika_2fa):
    code = next_code(ika_2fa["key"])
    login(client, "ika")
    assert client.post(reverse("login_verify"), {"code": code}).status_code == 302
    client.post(reverse("logout"))
    login(client, "ika")
    assert client.post(reverse("login_verify"), {"code": code}).status_code == 400
    assert not signed_in(client)


def test_the_next_address_survives_the_code_step(client, ika_2fa):
    client.post(
        reverse("login"),
        {"username": "ika", "password": PASSWORD, "next": reverse("customer_list")},
    )
    response = client.post(reverse("login_verify"), {"code": next_code(ika_2fa["key"])})
    assert response["Location"] == reverse("customer_list")


def test_wrong_codes_count_as_failed_logins_and_lock_the_username(client, ika_2fa):
    login(client, "ika")
    for _ in range(4):
        response = client.post(reverse("login_verify"), {"code": "000000"})
        assert response.status_code == 400
        assert "Kode itu salah" in response.content.decode()
    response = client.post(reverse("login_verify"), {"code": "000001"})
    assert response.status_code == 429
    assert "15 menit" in response.content.decode()
    # locked: neither the right code nor the password opens it now
    assert client.post(
        reverse("login_verify"), {"code": next_code(ika_2fa["key"])}
    ).status_code in (
        302,
        429,
    )
    assert not signed_in(client)
    assert login(client, "ika").status_code == 429
    assert not signed_in(client)


def test_wrong_passwords_and_wrong_codes_share_one_limit(client, ika_2fa):
    for _ in range(3):
        login(client, "ika", "salah-sekali")
    login(client, "ika")
    client.post(reverse("login_verify"), {"code": "000000"})
    response = client.post(reverse("login_verify"), {"code": "000000"})
    assert response.status_code == 429
    assert not signed_in(client)


def test_a_recovery_code_signs_in_once(client, ika_2fa, ika, ika_shop, in_shop):
    code = ika_2fa["codes"][3]
    login(client, "ika")
    response = client.post(reverse("login_verify"), {"code": code.upper().replace("-", " ")})
    assert response.status_code == 302
    assert signed_in(client)
    assert "9" in client.get(reverse("home")).content.decode()  # the warning: 9 left
    with in_shop(ika_shop):
        used = AuditEvent.objects.get(action="auth.recovery_code_used")
    assert used.detail == {"codes_left": 9}
    client.post(reverse("logout"))

    login(client, "ika")
    assert client.post(reverse("login_verify"), {"code": code}).status_code == 400
    assert not signed_in(client)
    assert twofactor.recovery_codes_left(ika) == 9


def test_the_code_step_waits_ten_minutes_at_most(client, ika_2fa, monkeypatch):
    login(client, "ika")
    later = time.time() + twofactor.PENDING_SECONDS + 1
    monkeypatch.setattr(twofactor.time, "time", lambda: later)
    response = client.post(reverse("login_verify"), {"code": "123456"})
    assert response["Location"] == reverse("login")
    assert not signed_in(client)


def test_a_session_from_before_the_authenticator_must_give_a_code(client, ika, ika_shop):
    other = type(client)()
    other.force_login(ika)
    assert other.get(reverse("home")).status_code == 200
    client.force_login(ika)
    key, _codes = enrol(client)
    response = other.get(reverse("customer_list"))
    assert response["Location"] == reverse("login_verify")
    assert other.post(reverse("login_verify"), {"code": next_code(key)}).status_code == 302
    assert other.get(reverse("customer_list")).status_code == 200


def test_turning_off_and_new_codes_need_the_password_and_a_code(ika_client, ika, ika_shop, in_shop):
    key, codes = enrol(ika_client)
    response = ika_client.post(
        reverse("two_factor_disable"), {"password": "salah-sekali", "code": next_code(key)}
    )
    assert response.status_code == 400
    assert twofactor.has_two_factor(ika)
    response = ika_client.post(
        reverse("two_factor_disable"), {"password": PASSWORD, "code": "000000"}
    )
    assert response.status_code == 400
    assert twofactor.has_two_factor(ika)

    response = ika_client.post(
        reverse("two_factor_recovery_codes"), {"password": PASSWORD, "code": next_code(key)}
    )
    assert response.status_code == 200
    fresh = re.findall(r"<code>([a-z2-7]{4}-[a-z2-7]{4})</code>", response.content.decode())
    assert len(fresh) == 10 and not set(fresh) & set(codes)

    # an old recovery code is gone; a new one turns it off
    response = ika_client.post(
        reverse("two_factor_disable"), {"password": PASSWORD, "code": codes[0]}
    )
    assert response.status_code == 400
    response = ika_client.post(
        reverse("two_factor_disable"), {"password": PASSWORD, "code": fresh[0]}
    )
    assert response.status_code == 302
    assert not twofactor.has_two_factor(ika)
    assert not StaticToken.objects.filter(device__user=ika).exists()
    with in_shop(ika_shop):
        actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "auth.two_factor_enabled",
        "auth.recovery_codes_replaced",
        "auth.recovery_code_used",
        "auth.two_factor_disabled",
    } <= actions


def test_an_owner_turns_on_the_requirement_only_with_two_factor_herself(ika_client, ika, ika_shop):
    data = {"name": "Dapur Kue Bu Ika", "time_zone": "Asia/Jakarta", "require_two_factor": "on"}
    response = ika_client.post(reverse("shop_settings"), data)
    assert response.status_code == 200
    assert "Nyalakan dulu" in response.content.decode()
    ika_shop.refresh_from_db()
    assert not ika_shop.require_two_factor
    enrol(ika_client)
    assert ika_client.post(reverse("shop_settings"), data).status_code == 302
    ika_shop.refresh_from_db()
    assert ika_shop.require_two_factor


def test_a_shop_that_requires_it_sends_a_member_to_enrolment_first(
    client, ika, ika_shop, rina, in_shop
):
    client.force_login(ika)
    enrol(client)
    shop_update(
        shop=ika_shop,
        actor=ika,
        name=ika_shop.name,
        time_zone=ika_shop.time_zone,
        require_two_factor=True,
    )
    client.post(reverse("logout"))

    response = login(client, "rina")
    assert response.status_code == 302
    for name in ("home", "customer_list", "order_list", "product_list"):
        response = client.get(reverse(name))
        assert response.status_code == 302, name
        assert response["Location"] == reverse("two_factor_enrol"), name
    page = client.get(reverse("two_factor_enrol"))
    assert page.status_code == 200
    key = shown_key(page)
    assert (
        client.post(reverse("two_factor_enrol"), {"code": twofactor.code_for(key)}).status_code
        == 200
    )
    assert client.get(reverse("customer_list")).status_code == 200


def test_a_member_who_turns_it_off_in_such_a_shop_is_sent_to_set_it_up_again(
    client, ika, ika_shop, rina
):
    ika_shop.require_two_factor = True
    ika_shop.save()
    client.force_login(rina)
    key, _codes = enrol(client)
    response = client.post(
        reverse("two_factor_disable"), {"password": PASSWORD, "code": next_code(key)}
    )
    assert response["Location"] == reverse("two_factor_enrol")
    assert client.get(reverse("home"))["Location"] == reverse("two_factor_enrol")


def test_a_new_temporary_password_from_the_owner_resets_the_second_step(
    client, ika, ika_shop, rina, in_shop
):
    client.force_login(rina)
    enrol(client)
    with in_shop(ika_shop):
        membership = Membership.objects.get(user=rina)
    staff_password_reset(shop=ika_shop, actor=ika, membership_id=membership.pk)
    assert not twofactor.has_two_factor(rina)
    with in_shop(ika_shop):
        event = AuditEvent.objects.filter(action="auth.two_factor_disabled").get()
    assert event.actor == ika and event.detail == {"by_owner": True}


def test_the_code_page_without_a_pending_sign_in_goes_back_to_the_password(client, db):
    response = client.get(reverse("login_verify"))
    assert response["Location"] == reverse("login")
    response = client.post(reverse("login_verify"), {"code": "123456"})
    assert response["Location"] == reverse("login")

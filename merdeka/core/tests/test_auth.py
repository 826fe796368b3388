from __future__ import annotations

import subprocess
import sys

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.urls import reverse

from conftest import PASSWORD
from merdeka.core.middleware import SESSION_SHOP_KEY
from merdeka.core.services import staff_add
from merdeka.core.tests.test_commands import ROOT, clean_env
from merdeka.privacy.models import AuditEvent


def login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_it_signs_in_and_lands_on_the_shop_home(client, ika, ika_shop, in_shop):
    response = login(client, "ika", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    home = client.get(reverse("home"))
    assert "Dapur Kue Bu Ika" in home.content.decode()
    with in_shop(ika_shop):
        assert AuditEvent.objects.filter(action="auth.login", actor=ika).exists()


def test_a_wrong_password_gets_a_clear_message_in_indonesian(client, ika, ika_shop):
    response = login(client, "ika", "salah-sekali")
    assert response.status_code == 200
    assert "Nama pengguna atau kata sandi salah" in response.content.decode()


def test_it_locks_a_username_after_repeated_failures(client, ika, ika_shop):
    for _ in range(5):
        login(client, "ika", "salah-sekali")
    response = login(client, "ika", PASSWORD)
    assert response.status_code == 429
    assert "15 menit" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_passwords_are_hashed_with_argon2(ika):
    assert ika.password.startswith("argon2$")
    # the suite's cheaper parameters make hashes that Django's own hasher reads
    assert Argon2PasswordHasher().verify(PASSWORD, ika.password)
    assert not Argon2PasswordHasher().verify("salah-sekali", ika.password)


def test_outside_the_test_suite_passwords_get_djangos_own_argon2_cost(tmp_path):
    code = "from django.conf import settings; print(settings.PASSWORD_HASHERS[0])"
    env = clean_env(tmp_path / "var", DJANGO_SETTINGS_MODULE="merdeka.settings")
    shown = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert shown.stdout.strip() == "django.contrib.auth.hashers.Argon2PasswordHasher", shown


def test_signing_out_needs_a_post_and_ends_the_session(ika_client):
    assert ika_client.get(reverse("logout")).status_code == 405
    response = ika_client.post(reverse("logout"))
    assert response.status_code == 302
    assert ika_client.get(reverse("home")).status_code == 302


def test_it_changes_the_password(ika_client, ika):
    response = ika_client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "onde-onde-wijen-77",
            "new_password2": "onde-onde-wijen-77",
        },
    )
    assert response.status_code == 302
    ika.refresh_from_db()
    assert ika.check_password("onde-onde-wijen-77")
    # the session survives its own password change
    assert ika_client.get(reverse("home")).status_code == 200


def test_a_weak_new_password_is_refused_with_a_reason(ika_client, ika):
    response = ika_client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 200
    assert "terlalu" in response.content.decode()  # "terlalu pendek" / "terlalu umum"
    ika.refresh_from_db()
    assert ika.check_password(PASSWORD)


def test_a_new_account_must_change_its_temporary_password_first(client, ika, ika_shop):
    _membership, password = staff_add(
        shop=ika_shop, actor=ika, username="dimas", role="staff", first_name="Dimas"
    )
    assert password
    assert login(client, "dimas", password).status_code == 302
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("password_change")
    client.post(
        reverse("password_change"),
        {
            "old_password": password,
            "new_password1": "klepon-gula-jawa-9",
            "new_password2": "klepon-gula-jawa-9",
        },
    )
    assert client.get(reverse("home")).status_code == 200


def test_a_person_in_two_shops_switches_between_them(ika_client, ika, ika_shop):
    from merdeka.core.services import shop_create

    second = shop_create(name="Warung Kopi Ika", owner=ika)
    assert "Dapur Kue Bu Ika" in ika_client.get(reverse("home")).content.decode()
    response = ika_client.post(reverse("shop_switch"), {"shop_id": second.pk})
    assert response.status_code == 302
    assert ika_client.session[SESSION_SHOP_KEY] == second.pk
    page = ika_client.get(reverse("home")).content.decode()
    assert "<h1>Warung Kopi Ika</h1>" in page


def test_removing_someone_takes_effect_on_their_next_request(client, ika, ika_shop, rina):
    from merdeka.core.models import Membership
    from merdeka.core.scoping import shop_scope
    from merdeka.core.services import staff_remove

    client.force_login(rina)
    assert client.get(reverse("home")).status_code == 200
    with shop_scope(ika_shop):
        membership = Membership.objects.get(user=rina)
    staff_remove(shop=ika_shop, actor=ika, membership_id=membership.pk)
    response = client.get(reverse("customer_list"))
    assert response.status_code == 403
    assert "Dapur Kue Bu Ika" not in response.content.decode()


@pytest.mark.parametrize("language,text", [("id", "Keluar"), ("en", "Sign out")])
def test_the_interface_speaks_indonesian_first_and_english_on_request(ika_client, language, text):
    ika_client.post(reverse("set_language"), {"language": language, "next": "/"})
    page = ika_client.get(reverse("home")).content.decode()
    assert f'<html lang="{language}">' in page
    assert text in page


def test_security_headers_and_cookies(ika_client):
    response = ika_client.get(reverse("home"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    login_page = ika_client.get(reverse("login"))
    assert login_page.status_code in (200, 302)


def test_session_cookie_is_httponly_and_samesite(client, ika, ika_shop):
    response = login(client, "ika", PASSWORD)
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_forms_refuse_posts_without_a_csrf_token(ika, ika_shop):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(ika)
    response = strict.post(reverse("staff"), {"username": "penyusup", "role": "staff"})
    assert response.status_code == 403

from __future__ import annotations

import pytest
from django.urls import reverse

from merdeka.core.models import Membership, User
from merdeka.core.scoping import shop_scope
from merdeka.privacy.models import AuditEvent


def test_the_owner_adds_a_new_staff_member_with_a_one_time_password(ika_client, ika_shop):
    response = ika_client.post(
        reverse("staff"), {"username": "joko", "first_name": "Joko", "role": "staff"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="temporary-password"' in page
    assert response["Cache-Control"] == "no-store"
    joko = User.objects.get(username="joko")
    assert joko.must_change_password
    with shop_scope(ika_shop):
        assert Membership.objects.get(user=joko).role == "staff"
        assert AuditEvent.objects.filter(action="staff.added", target_id=str(joko.pk)).exists()


def test_an_existing_account_joins_without_a_new_password(ika_client, ika_shop, citra):
    page = ika_client.post(reverse("staff"), {"username": "citra", "role": "staff"})
    assert 'data-testid="temporary-password"' not in page.content.decode()
    with shop_scope(ika_shop):
        assert Membership.objects.filter(user=citra).exists()


def test_adding_someone_twice_is_explained(ika_client, rina):
    page = ika_client.post(reverse("staff"), {"username": "rina", "role": "staff"})
    assert "sudah ada di toko ini" in page.content.decode()


def test_a_bad_username_is_explained(ika_client):
    page = ika_client.post(reverse("staff"), {"username": "nama dengan spasi", "role": "staff"})
    assert "tanpa spasi" in page.content.decode()


def test_the_owner_removes_a_staff_member_with_htmx(ika_client, ika_shop, rina):
    with shop_scope(ika_shop):
        membership = Membership.objects.get(user=rina)
    response = ika_client.post(
        reverse("staff_remove", args=[membership.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and response.content == b""
    with shop_scope(ika_shop):
        assert not Membership.objects.filter(user=rina).exists()


def test_the_last_owner_cannot_be_removed_or_demoted(ika_client, ika, ika_shop, rina):
    from merdeka.core import services

    with shop_scope(ika_shop):
        own = Membership.objects.get(user=ika)
    # another owner tries to remove Ika when she is the only owner
    response = ika_client.post(reverse("staff_role", args=[own.pk]), {"role": "staff"})
    assert response.status_code == 302
    with pytest.raises(services.ServiceError):
        services.staff_remove(shop=ika_shop, actor=ika, membership_id=own.pk)
    with shop_scope(ika_shop):
        assert Membership.objects.get(user=ika).role == "owner"


def test_the_owner_promotes_staff_to_owner(ika_client, ika_shop, rina):
    with shop_scope(ika_shop):
        membership = Membership.objects.get(user=rina)
    ika_client.post(reverse("staff_role", args=[membership.pk]), {"role": "owner"})
    membership.refresh_from_db()
    assert membership.role == "owner"


def test_the_owner_changes_the_shop_time_zone(ika_client, ika_shop):
    response = ika_client.post(
        reverse("shop_settings"), {"name": "Dapur Kue Bu Ika", "time_zone": "Asia/Makassar"}
    )
    assert response.status_code == 302
    ika_shop.refresh_from_db()
    assert ika_shop.time_zone == "Asia/Makassar"
    assert ika_shop.time_zone_label == "WITA"


def test_the_owner_gives_a_forgetful_staff_member_a_new_password(ika_client, ika_shop, rina):
    with shop_scope(ika_shop):
        membership = Membership.objects.get(user=rina)
    page = ika_client.post(reverse("staff_password_reset", args=[membership.pk]))
    assert page["Cache-Control"] == "no-store"
    html = page.content.decode()
    password = html.split('data-testid="password">')[1].split("<")[0]
    rina.refresh_from_db()
    assert rina.check_password(password) and rina.must_change_password


def test_an_owner_cannot_reset_the_password_of_someone_who_works_elsewhere(
    ika_client, ika, ika_shop, citra, citra_shop
):
    from merdeka.core.services import staff_add

    membership, _ = staff_add(shop=ika_shop, actor=ika, username="citra", role="staff")
    page = ika_client.post(reverse("staff_password_reset", args=[membership.pk]), follow=True)
    assert "toko lain" in page.content.decode()
    citra.refresh_from_db()
    assert citra.check_password("kue-lapis-legit-2026")

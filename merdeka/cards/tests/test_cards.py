from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from merdeka.cards import services
from merdeka.cards.models import CardBatch, SignUp, SignUpAttempt
from merdeka.cards.wording import WORDING_VERSION
from merdeka.core.scoping import shop_scope
from merdeka.customers.models import Customer, Identity
from merdeka.customers.selectors import customer_list
from merdeka.customers.services import customer_create
from merdeka.privacy import consent
from merdeka.privacy.models import AuditEvent, ConsentEvent


@pytest.fixture
def batch(ika_shop, ika):
    return services.batch_create(
        shop=ika_shop,
        actor=ika,
        label="Paket Shopee Desember",
        channel="shopee",
        count=10,
        voucher_code="KUE10",
    )


def signup_path(batch, *, slug=None, token=None):
    return reverse(
        "signup", kwargs={"shop_slug": slug or batch.shop.slug, "token": token or batch.token}
    )


def form(**overrides):
    data = {"name": "Sari Dewi", "phone": "0812-3456-7890", "email": "", "website": ""}
    data.update(overrides)
    return data


def customers(shop):
    with shop_scope(shop):
        return list(Customer.objects.filter(shop=shop, merged_into__isnull=True))


# -- the seller's side ----------------------------------------------------------------------


def test_the_owner_makes_a_batch_and_is_sent_to_its_printable_cards(ika_client, ika_shop):
    response = ika_client.post(
        reverse("card_batches"),
        {"label": "Paket Shopee Desember", "channel": "shopee", "count": "10"},
    )
    with shop_scope(ika_shop):
        batch = CardBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("card_print", kwargs={"batch_id": batch.pk})
    assert batch.count == 10 and batch.channel == "shopee"
    assert len(batch.token) >= 20 and str(batch.pk) != batch.token
    assert AuditEvent.unscoped.filter(shop=ika_shop, action="cards.batch_created").exists()


def test_a_batch_form_with_bad_values_says_what_is_wrong_and_saves_nothing(ika_client, ika_shop):
    response = ika_client.post(
        reverse("card_batches"), {"label": "", "channel": "nowhere", "count": "2"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Cetak minimal 4 kartu" in body
    with shop_scope(ika_shop):
        assert not CardBatch.objects.exists()


def test_the_print_page_puts_four_cards_with_the_qr_code_on_each_a4_sheet(
    ika_client, batch, settings
):
    response = ika_client.get(reverse("card_print", kwargs={"batch_id": batch.pk}))
    body = response.content.decode()
    assert response.status_code == 200
    sheets = body.split('<section class="sheet"')[1:]
    assert len(sheets) == 3  # 10 cards: 4 + 4 + 2
    assert [s.count('<div class="card">') for s in sheets] == [4, 4, 2]
    assert body.count('<symbol id="qr-') == 1  # drawn once, shown on every card
    assert body.count(f'<use href="#qr-{batch.pk}"/>') == 10
    assert "Dapur Kue Bu Ika" in body
    assert f"http://testserver{signup_path(batch)}" in body
    assert "KUE10" not in body  # the voucher is shown after signing up, not printed


def test_the_qr_code_encodes_the_sign_up_address(batch):
    import segno

    from merdeka.cards.qr import qr_svg

    url = f"http://testserver{signup_path(batch)}"
    svg = qr_svg(url)

    def modules(text):
        return re.findall(r'stroke="#000" d="([^"]+)"', text)

    expected = segno.make(url, error="m").svg_inline(dark="#000", light="#fff", scale=4, border=2)
    assert modules(svg) == modules(expected) != []
    assert modules(qr_svg(url + "x")) != modules(svg)
    assert svg.startswith("<svg") and "<script" not in svg


def test_the_shared_qr_code_draws_the_same_modules(batch):
    from merdeka.cards.qr import qr_shared, qr_svg

    url = f"http://testserver{signup_path(batch)}"
    shared = qr_shared(url, symbol_id="qr-1", label='<b>"Toko"</b>')

    def modules(text):
        return re.findall(r'stroke="#000" d="([^"]+)"', text)

    assert modules(shared.definition) == modules(qr_svg(url)) != []
    assert 'aria-label="&lt;b&gt;&quot;Toko&quot;&lt;/b&gt;"' in shared.use
    assert '<use href="#qr-1"/>' in shared.use


def test_a_hostile_shop_name_is_shown_harmless_on_the_cards(ika_client, ika_shop, batch):
    ika_shop.name = '<script>alert("x")</script>'
    ika_shop.save()
    body = ika_client.get(reverse("card_print", kwargs={"batch_id": batch.pk})).content.decode()
    assert '<script>alert("x")' not in body
    assert "&lt;script&gt;" in body


def test_the_batch_list_counts_sign_ups_per_batch(ika_client, ika_shop, batch):
    customer_create(shop=ika_shop, name="Sari", phone="+6281234567890")
    services.signup_submit(batch=batch, name="Sari Dewi", phone="081234567890")
    services.signup_submit(batch=batch, name="Budi", phone="081355554444")
    body = ika_client.get(reverse("card_batches")).content.decode()
    article = re.search(rf'data-testid="batch-{batch.pk}".*?</article>', body, re.S).group(0)
    assert re.search(r'data-testid="printed">10<', article)
    assert re.search(r'data-testid="signups">2<', article)
    assert re.search(r'data-testid="known">1<', article)
    assert re.search(r'data-testid="conversion">20%<', article)


# -- the buyer's side -----------------------------------------------------------------------


def test_the_public_page_needs_no_account_and_shows_unticked_boxes(client, batch):
    response = client.get(signup_path(batch))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Dapur Kue Bu Ika" in body
    assert 'name="consent_whatsapp"' in body and 'name="consent_email"' in body
    assert "checked" not in body
    assert "BERHENTI" in body
    assert "csrfmiddlewaretoken" in body


def test_a_buyer_signs_up_with_whatsapp_consent_and_sees_the_voucher(client, ika_shop, batch):
    response = client.post(signup_path(batch), form(consent_whatsapp="on"))
    assert response.status_code == 302
    thanks = client.get(response["Location"]).content.decode()
    assert "KUE10" in thanks
    [customer] = customers(ika_shop)
    assert customer.name == "Sari Dewi" and customer.phone == "+6281234567890"
    with shop_scope(ika_shop):
        identity = Identity.objects.get(customer=customer)
        signup = SignUp.objects.get()
        event = ConsentEvent.objects.get(customer=customer)
    assert identity.source == "signup" and identity.kind == "phone"
    assert signup.batch == batch and signup.consent_whatsapp and not signup.consent_email
    assert not signup.known_before
    assert event.source == "signup" and event.granted and event.channel == "whatsapp"
    assert event.evidence["batch"] == batch.pk and event.evidence["wording"] == WORDING_VERSION
    assert consent.consent_allows(shop=ika_shop, customer=customer, channel="whatsapp")
    assert not consent.consent_allows(shop=ika_shop, customer=customer, channel="email")


def test_the_voucher_is_not_shown_without_signing_up(client, batch):
    thanks = reverse("signup_thanks", kwargs={"shop_slug": batch.shop.slug, "token": batch.token})
    assert "KUE10" not in client.get(thanks).content.decode()


def test_a_buyer_the_shop_already_knows_is_joined_not_duplicated(client, ika_shop, batch):
    from merdeka.customers.resolution import Resolver, phone_claim

    with shop_scope(ika_shop):  # known from a Shopee import
        known = Resolver(shop=ika_shop, source="shopee").resolve(
            [phone_claim("0812-3456-7890")], name="Sari (Shopee)"
        )
    client.post(signup_path(batch), form(phone="+62 812 3456 7890", email="Sari@Example.com"))
    client.post(signup_path(batch), form(phone="62812-3456-7890"))
    [customer] = customers(ika_shop)
    assert customer.pk == known.pk
    assert customer.name == "Sari (Shopee)"  # never overwritten
    assert customer.email == "sari@example.com"  # a gap filled
    with shop_scope(ika_shop):
        assert sorted(Identity.objects.values_list("kind", "source")) == [
            ("email", "signup"),
            ("phone", "shopee"),
        ]
        assert list(SignUp.objects.values_list("known_before", flat=True)) == [True, True]


def test_a_customer_added_by_hand_is_joined_by_their_number(client, ika_shop, batch):
    known = customer_create(shop=ika_shop, name="Sari", phone="+6281234567890")
    client.post(signup_path(batch), form(consent_whatsapp="on"))
    [customer] = customers(ika_shop)
    assert customer.pk == known.pk
    assert consent.consent_allows(shop=ika_shop, customer=customer, channel="whatsapp")


def test_the_same_phone_twice_makes_one_customer(client, ika_shop, batch):
    client.post(signup_path(batch), form())
    client.post(signup_path(batch), form(name="Sari D.", phone="+6281234567890"))
    assert len(customers(ika_shop)) == 1
    assert customer_list(shop=ika_shop, phone="0812 3456 7890").count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (form(name=""), "Tulis namamu."),
        (form(phone=""), "Tulis nomor WhatsApp-mu."),
        (form(phone="12345"), "Ini bukan nomor WhatsApp yang benar"),
        (form(phone="0812****7890"), "tanpa *"),
        (form(consent_email="on"), "Tulis emailmu"),
        (form(email="not-an-email"), "Alamat email ini tidak benar."),
        (form(name="x" * 101), "100"),
    ],
)
def test_bad_input_gets_a_clear_indonesian_message_and_writes_nothing(
    client, ika_shop, batch, data, message
):
    response = client.post(signup_path(batch), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert customers(ika_shop) == []
    with shop_scope(ika_shop):
        assert not SignUp.objects.exists() and not ConsentEvent.objects.exists()


def test_hostile_text_is_stored_as_text_and_shown_harmless(client, ika_client, ika_shop, batch):
    client.post(signup_path(batch), form(name='<script>alert(1)</script>=HYPERLINK("x")'))
    [customer] = customers(ika_shop)
    assert customer.name == '<script>alert(1)</script>=HYPERLINK("x")'
    body = ika_client.get(reverse("customer_detail", args=[customer.pk])).content.decode()
    assert "<script>alert(1)" not in body and "&lt;script&gt;" in body


def test_a_filled_honeypot_is_thanked_but_nothing_is_written(client, ika_shop, batch):
    response = client.post(signup_path(batch), form(website="http://spam.example"))
    assert response.status_code == 302
    assert customers(ika_shop) == []
    assert "KUE10" not in client.get(response["Location"]).content.decode()


def test_too_many_submissions_from_one_address_are_refused(client, ika_shop, batch):
    for _ in range(services.RATE_LIMIT):
        assert services.signup_attempt_allowed(batch=batch, ip="127.0.0.1")
    response = client.post(signup_path(batch), form())
    assert response.status_code == 429
    assert "Terlalu banyak pendaftaran" in response.content.decode()
    assert customers(ika_shop) == []
    # another address is not affected, and the window passes
    assert services.signup_attempt_allowed(batch=batch, ip="10.0.0.9")
    later = timezone.now() + services.RATE_WINDOW + timedelta(seconds=1)
    assert services.signup_attempt_allowed(batch=batch, ip="127.0.0.1", now=later)


def test_attempts_keep_only_a_keyed_hash_of_the_address(client, ika_shop, batch):
    client.post(signup_path(batch), form(), REMOTE_ADDR="203.0.113.77")
    with shop_scope(ika_shop):
        [key] = SignUpAttempt.objects.values_list("client_key", flat=True)
    assert "203.0.113.77" not in key and len(key) == 32


def test_an_oversized_submission_is_refused(client, ika_shop, batch):
    response = client.post(signup_path(batch), form(website="", email="a" * 9000 + "@x.id"))
    assert response.status_code == 413
    assert customers(ika_shop) == []


def test_the_sign_up_needs_the_csrf_token(ika_shop, batch):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post(signup_path(batch), form()).status_code == 403
    assert customers(ika_shop) == []


def test_a_failure_midway_writes_nothing(client, ika_shop, batch, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("ledger down")

    monkeypatch.setattr(services, "consent_record", broken)
    with pytest.raises(RuntimeError):
        services.signup_submit(
            batch=batch, name="Sari", phone="081234567890", consent_whatsapp=True
        )
    assert customers(ika_shop) == []
    with shop_scope(ika_shop):
        assert not SignUp.objects.exists() and not Identity.objects.exists()


# -- across shops ---------------------------------------------------------------------------


def test_a_token_under_another_shops_name_or_an_unknown_token_is_404(client, batch, citra_shop):
    assert client.get(signup_path(batch, slug=citra_shop.slug)).status_code == 404
    assert client.post(signup_path(batch, slug=citra_shop.slug), form()).status_code == 404
    assert client.get(signup_path(batch, token="x" * 22)).status_code == 404
    thanks = reverse("signup_thanks", kwargs={"shop_slug": citra_shop.slug, "token": batch.token})
    assert client.get(thanks).status_code == 404


def test_a_batch_token_of_one_shop_never_makes_a_customer_in_another(
    citra_client, ika_shop, citra_shop, batch
):
    """Even a signed-in owner of another shop who opens the card signs up with the
    card's shop, never their own."""
    citra_client.post(signup_path(batch), form())
    assert len(customers(ika_shop)) == 1
    assert customers(citra_shop) == []
    other = services.batch_create(
        shop=citra_shop, actor=None, label="Tokopedia", channel="tokopedia", count=4
    )
    citra_client.post(signup_path(other), form())
    assert len(customers(citra_shop)) == 1
    assert len(customers(ika_shop)) == 1
    [ika_customer], [citra_customer] = customers(ika_shop), customers(citra_shop)
    assert ika_customer.pk != citra_customer.pk


def test_another_shops_batch_is_not_in_the_list(citra_client, batch):
    body = citra_client.get(reverse("card_batches")).content.decode()
    assert f"batch-{batch.pk}" not in body and "KUE10" not in body
    assert citra_client.get(reverse("card_print", args=[batch.pk])).status_code == 404


def test_staff_can_make_and_print_cards(rina_client, ika_shop, batch):
    assert rina_client.get(reverse("card_print", args=[batch.pk])).status_code == 200
    assert rina_client.get(reverse("card_batches")).status_code == 200

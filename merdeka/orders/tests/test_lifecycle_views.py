"""The order page's actions as the seller uses them: forms, proof photos, print pages and
the buyer's messages (through a real SMTP server)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from merdeka.core.scoping import shop_scope
from merdeka.orders import lifecycle
from merdeka.orders.models import Order, OrderEvent, Payment
from merdeka.orders.services import Buyer, LineRequest, order_place
from merdeka.orders.tests.test_lifecycle import SITI, fresh, level, place
from merdeka.outreach.models import Delivery, DeliveryStatus
from merdeka.privacy.models import AuditEvent


def photo(name="bukti.jpg", fmt="JPEG", size=(300, 200), exif=True) -> SimpleUploadedFile:
    image = Image.new("RGB", size, (30, 160, 90))
    out = io.BytesIO()
    kwargs = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "KameraRahasia"  # Make
        data[0x0131] = "AplikasiRahasia"  # Software
        kwargs["exif"] = data
    image.save(out, format=fmt, **kwargs)
    mime = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif"}[fmt]
    return SimpleUploadedFile(name, out.getvalue(), content_type=mime)


@pytest.fixture
def order(ika_shop, lapis):
    _product, variant = lapis
    return place(ika_shop, variant)


def pay(client, order, **data):
    return client.post(
        reverse("order_pay", args=[order.pk]), {"method": "transfer", "amount": "", **data}
    )


# -- payment with a proof photo ---------------------------------------------------------


def test_staff_record_a_payment_with_a_proof_photo_that_loses_its_metadata(
    rina_client, ika_shop, order
):
    response = pay(rina_client, order, amount="Rp185.000", reference="BCA 0931", proof=photo())
    assert response.status_code == 302
    paid = fresh(ika_shop, order)
    assert paid.status == "paid" and paid.paid_at is not None
    with shop_scope(ika_shop):
        payment = Payment.objects.get(order=order)
    assert payment.amount == Decimal(185000) and payment.method == "transfer"
    assert (payment.proof_width, payment.proof_height) == (300, 200)
    url = reverse("order_payment_proof", args=[order.pk, payment.pk])
    served = rina_client.get(url)
    assert served.status_code == 200 and served["Content-Type"] == "image/webp"
    assert "no-store" in served["Cache-Control"]
    body = served.content
    assert b"KameraRahasia" not in body and b"AplikasiRahasia" not in body
    image = Image.open(io.BytesIO(body))
    assert image.format == "WEBP" and image.size == (300, 200)
    assert not image.getexif()
    assert AuditEvent.unscoped.filter(
        shop=ika_shop, action="order.payment_proof_viewed", target_id=str(order.pk)
    ).exists()
    page = rina_client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert "Rp185.000" in page and "Lihat bukti pembayaran" in page and "BCA 0931" in page


def test_the_proof_is_encrypted_in_the_database(rina_client, ika_shop, order):
    from django.db import connection

    pay(rina_client, order, proof=photo())
    with connection.cursor() as cursor:
        cursor.execute("SELECT proof, reference FROM orders_payment")
        [(stored, _reference)] = cursor.fetchall()
    with shop_scope(ika_shop):
        clear = Payment.objects.get(order=order).proof
    assert clear and clear[:20] not in stored


@pytest.mark.parametrize(
    ("upload", "words"),
    [
        (SimpleUploadedFile("bukti.jpg", b"bukan foto sama sekali", "image/jpeg"), "JPEG, PNG"),
        (None, "JPEG, PNG"),  # a GIF, a real image of a type we do not take
        (
            SimpleUploadedFile(
                "besar.jpg", b"\xff\xd8\xff" + b"0" * (5 * 1024 * 1024), "image/jpeg"
            ),
            "5 MB",
        ),
        (
            SimpleUploadedFile(
                "potong.png", photo(fmt="PNG", exif=False).read()[:120], "image/png"
            ),
            "foto",
        ),
    ],
)
def test_a_bad_proof_photo_is_explained_and_nothing_is_written(
    rina_client, ika_shop, order, upload, words
):
    upload = upload or photo(name="bukti.gif", fmt="GIF", exif=False)
    response = pay(rina_client, order, proof=upload)
    assert response.status_code == 400
    assert words in response.content.decode()
    assert fresh(ika_shop, order).status == "awaiting_payment"
    with shop_scope(ika_shop):
        assert not Payment.objects.exists() and not OrderEvent.objects.exists()


def test_a_bad_amount_is_explained(rina_client, ika_shop, order):
    response = pay(rina_client, order, amount="seratus ribu")
    assert response.status_code == 400 and "rupiah bulat" in response.content.decode()
    assert fresh(ika_shop, order).status == "awaiting_payment"


def test_another_shop_and_visitors_never_see_a_proof(
    client, citra, citra_shop, rina_client, ika_shop, order
):
    pay(rina_client, order, proof=photo())
    with shop_scope(ika_shop):
        payment = Payment.objects.get(order=order)
    url = reverse("order_payment_proof", args=[order.pk, payment.pk])
    client.logout()
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    client.force_login(citra)
    assert client.get(url).status_code == 404
    # and not through an order of her own shop either
    with shop_scope(citra_shop):
        own = Order.objects.create(
            shop=citra_shop, channel="manual", external_id="C-1", ordered_at=order.ordered_at
        )
    assert client.get(reverse("order_payment_proof", args=[own.pk, payment.pk])).status_code == 404


# -- shipping, cancelling, the page ------------------------------------------------------


def test_shipping_from_the_page_shows_the_tracking_number_and_moves_stock(
    ika_client, ika_shop, lapis, order
):
    _product, variant = lapis
    pay(ika_client, order)
    response = ika_client.post(
        reverse("order_ship", args=[order.pk]), {"courier": "jnt", "tracking": "JX1234567"}
    )
    assert response.status_code == 302
    assert level(ika_shop, variant) == (3, 0)
    page = ika_client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert "JX1234567" in page and "J&amp;T Express" in page and "Dikirim" in page


def test_a_refused_step_is_explained_on_the_page(ika_client, ika_shop, order):
    response = ika_client.post(
        reverse("order_ship", args=[order.pk]), {"courier": "jne", "tracking": "JP12345"}
    )
    assert response.status_code == 400
    assert "Catat pembayarannya dulu" in response.content.decode()
    assert fresh(ika_shop, order).status == "awaiting_payment"


def test_cancelling_from_the_page_twice_releases_once(ika_client, ika_shop, lapis, order):
    _product, variant = lapis
    url = reverse("order_cancel", args=[order.pk])
    assert ika_client.post(url, {"reason": "Pembeli minta batal"}).status_code == 302
    again = ika_client.post(url, {"reason": "Pembeli minta batal"})
    assert again.status_code == 400 and "sudah dibatalkan" in again.content.decode()
    assert level(ika_shop, variant) == (5, 0)
    page = ika_client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert "Pembeli minta batal" in page and "Dibatalkan" in page


def test_the_actions_need_a_post(ika_client, order):
    for name in ("order_pay", "order_ship", "order_cancel", "order_complete", "order_step"):
        assert ika_client.get(reverse(name, args=[order.pk])).status_code == 405


def test_a_marketplace_order_page_offers_notes_only(ika_client, ika_shop):
    from django.utils import timezone

    with shop_scope(ika_shop):
        shopee = Order.objects.create(
            shop=ika_shop,
            channel="shopee",
            external_id="2412SHP",
            status="paid",
            ordered_at=timezone.now(),
            total=Decimal(50000),
        )
    page = ika_client.get(reverse("order_detail", args=[shopee.pk])).content.decode()
    assert 'data-testid="order-not-managed"' in page and "pay-form" not in page
    response = ika_client.post(reverse("order_note", args=[shopee.pk]), {"note": "Kirim ulang"})
    assert response.status_code == 302
    assert (
        "Kirim ulang" in ika_client.get(reverse("order_detail", args=[shopee.pk])).content.decode()
    )


# -- print pages -------------------------------------------------------------------------


def test_the_invoice_shows_the_shop_lines_rupiah_and_the_buyer_and_is_audited(
    ika_client, ika_shop, order
):
    response = ika_client.get(reverse("order_invoice", args=[order.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Dapur Kue Bu Ika" in body and order.external_id in body
    assert "Kue Lapis Legit" in body and "Rp85.000" in body and "Rp170.000" in body
    assert "Rp15.000" in body and "Rp185.000" in body
    assert "Siti Nurhaliza" in body and "Jl. Melati No. 7" in body
    assert "@media print" not in body  # in the stylesheets, not inline (CSP)
    assert "orders/invoice.css" in body
    assert AuditEvent.unscoped.filter(
        shop=ika_shop, action="order.invoice_printed", target_id=str(order.pk)
    ).exists()


def test_the_packing_slip_has_no_prices(ika_client, ika_shop, order):
    response = ika_client.get(reverse("order_packing_slip", args=[order.pk]))
    body = response.content.decode()
    assert "Kue Lapis Legit" in body and "Siti Nurhaliza" in body and order.external_id in body
    assert "Rp" not in body
    assert "orders/slip.css" in body
    assert AuditEvent.unscoped.filter(shop=ika_shop, action="order.packing_slip_printed").exists()


def test_the_print_stylesheets_set_the_paper_sizes():
    from pathlib import Path

    from django.contrib.staticfiles import finders

    invoice = Path(finders.find("orders/invoice.css")).read_text()
    slip = Path(finders.find("orders/slip.css")).read_text()
    assert "@media print" in invoice and "A4" in invoice
    assert "@media print" in slip and "A6" in slip


def test_print_pages_of_another_shop_give_404(client, citra, citra_shop, order):
    client.force_login(citra)
    for name in ("order_invoice", "order_packing_slip"):
        response = client.get(reverse(name, args=[order.pk]))
        assert response.status_code == 404 and "Siti" not in response.content.decode()


# -- the buyer's messages ------------------------------------------------------------------


def test_the_buyer_gets_an_email_for_payment_shipping_and_completion(
    ika_shop,
    order,
    smtp,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.order_payment_record(shop=ika_shop, order_id=order.pk, method="qris")
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.order_ship(
            shop=ika_shop, order_id=order.pk, courier="sicepat", tracking="004400123456"
        )
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.order_complete(shop=ika_shop, order_id=order.pk)
    assert smtp.recipients() == ["siti@example.id"] * 3
    paid, shipped, done = smtp.messages
    number = order.external_id
    assert paid["Subject"] == f"Pesanan #{number}: pembayaran diterima"
    assert "Halo Siti, pembayaran Rp185.000" in paid.get_content()
    assert shipped["Subject"] == f"Pesanan #{number} sudah dikirim"
    assert "SiCepat" in shipped.get_content() and "004400123456" in shipped.get_content()
    assert "selesai" in done.get_content()
    with shop_scope(ika_shop):
        events = list(OrderEvent.objects.filter(order=order).select_related("delivery"))
    assert all(e.delivery.status == DeliveryStatus.SENT for e in events)
    assert {e.delivery.purpose for e in events} == {"service"}


def test_a_cancelled_buyer_is_told_why(
    ika_shop,
    order,
    smtp,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.order_cancel(shop=ika_shop, order_id=order.pk, reason="Oven rusak")
    [mail] = smtp.messages
    assert mail["Subject"] == f"Pesanan #{order.external_id} dibatalkan"
    assert "Alasan: Oven rusak" in mail.get_content() and "Rp185.000" in mail.get_content()


def test_a_buyer_whose_order_came_back_is_told_why_and_that_her_money_goes_back(
    ika_shop,
    order,
    smtp,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.order_payment_record(shop=ika_shop, order_id=order.pk, method="qris")
        lifecycle.order_ship(
            shop=ika_shop, order_id=order.pk, courier="sicepat", tracking="004400123456"
        )
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.order_return(
            shop=ika_shop, order_id=order.pk, reason="Alamat tidak ditemukan", restock=True
        )
    *_before, mail = smtp.messages
    assert len(smtp.messages) == 3
    assert mail["Subject"] == f"Pesanan #{order.external_id} sudah kembali ke kami"
    text = mail.get_content()
    assert "Halo Siti" in text and "Rp185.000" in text
    assert "Alasan: Alamat tidak ditemukan" in text
    assert "menghubungimu untuk mengembalikan pembayaran" in text
    with shop_scope(ika_shop):
        event = OrderEvent.objects.select_related("delivery").get(order=order, kind="returned")
    assert event.delivery.status == DeliveryStatus.SENT and event.delivery.purpose == "service"


def test_a_restricted_customer_gets_no_message(
    ika_shop,
    ika,
    order,
    smtp,
    django_capture_on_commit_callbacks,
):
    from merdeka.privacy.rights import customer_restrict

    customer_restrict(shop=ika_shop, customer_id=order.customer_id, actor=ika, reason="objection")
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.order_payment_record(shop=ika_shop, order_id=order.pk, method="qris")
    assert smtp.messages == []
    assert fresh(ika_shop, order).status == "paid"
    with shop_scope(ika_shop):
        delivery = OrderEvent.objects.get(order=order).delivery
    assert delivery.status == DeliveryStatus.SKIPPED_NO_CONSENT


def test_an_erased_customer_gets_no_message_and_the_payment_keeps_no_personal_data(
    ika_shop,
    ika,
    order,
    smtp,
    django_capture_on_commit_callbacks,
):
    from merdeka.privacy.rights import customer_erase

    lifecycle.order_payment_record(
        shop=ika_shop, order_id=order.pk, method="transfer", reference="dari Siti N", proof=photo()
    )
    smtp.envelopes.clear()
    customer_erase(shop=ika_shop, customer_id=order.customer_id, actor=ika)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.order_ship(shop=ika_shop, order_id=order.pk, courier="jne", tracking="JP98765")
    assert smtp.messages == []
    with shop_scope(ika_shop):
        payment = Payment.objects.get(order=order)
        assert OrderEvent.objects.get(order=order, kind="shipped").delivery is None
        assert not Delivery.objects.exists()
    assert payment.proof is None and payment.reference is None
    assert payment.amount == Decimal(185000)  # the books keep the money


def test_without_email_the_seller_taps_a_wa_me_link_for_the_buyer(ika_client, ika_shop, lapis):
    _product, variant = lapis
    buyer = Buyer(name="Budi Santoso", phone="0813-3333-4444", street="Jl. Kenanga 1")
    order, _ = order_place(
        shop=ika_shop,
        lines=[LineRequest(variant.pk, 1)],
        buyer=buyer,
        idempotency_key="wa-1",
        delivery_method="courier",
        payment_method="transfer",
        shipping_fee=Decimal(0),
    )
    pay(ika_client, order)
    with shop_scope(ika_shop):
        event = OrderEvent.objects.get(order=order)
    assert event.delivery.channel == "walink" and event.delivery.status == DeliveryStatus.QUEUED
    page = ika_client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert 'data-testid="notify-whatsapp"' in page
    response = ika_client.post(reverse("order_notify_whatsapp", args=[order.pk, event.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith("https://wa.me/6281333334444?text=")
    from urllib.parse import unquote

    assert order.external_id in unquote(response["Location"])
    with shop_scope(ika_shop):
        assert Delivery.objects.get(pk=event.delivery_id).status == DeliveryStatus.SENT


def test_the_wa_me_tap_of_another_shop_gives_404(citra, citra_shop, ika_client, ika_shop, lapis):
    _product, variant = lapis
    buyer = Buyer(name="Budi Santoso", phone="0813-3333-4444")
    order, _ = order_place(
        shop=ika_shop,
        lines=[LineRequest(variant.pk, 1)],
        buyer=buyer,
        idempotency_key="wa-2",
        delivery_method="pickup",
        payment_method="transfer",
    )
    pay(ika_client, order)
    with shop_scope(ika_shop):
        event = OrderEvent.objects.get(order=order)
    ika_client.force_login(citra)
    assert (
        ika_client.post(reverse("order_notify_whatsapp", args=[order.pk, event.pk])).status_code
        == 404
    )


__all__ = ["SITI"]


def test_the_order_page_with_its_history_makes_a_fixed_number_of_queries(
    ika_client, ika_shop, lapis, django_assert_max_num_queries
):
    _product, variant = lapis
    orders = [place(ika_shop, variant, quantity=1, key=f"q-{i}") for i in range(2)]
    for order in orders:
        pay(ika_client, order, proof=photo(exif=False))
        ika_client.post(reverse("order_note", args=[order.pk]), {"note": "Dibungkus kado"})
    lifecycle.order_ship(shop=ika_shop, order_id=orders[1].pk, courier="jne", tracking="JP0001")
    ika_client.get(reverse("order_list"))  # the flash messages of the posts are shown here
    with django_assert_max_num_queries(25) as short:
        ika_client.get(reverse("order_detail", args=[orders[0].pk]))
    with django_assert_max_num_queries(len(short)) as longer:
        ika_client.get(reverse("order_detail", args=[orders[1].pk]))
    assert len(longer) == len(short)  # one more event does not cost another query


def test_the_order_page_lets_its_whatsapp_form_lead_to_wa_me_and_nowhere_else(ika_client, order):
    # the strict policy's form-action holds a form's redirect too: the order page (and
    # the page shown again after a refused form) allows wa.me, and no other site
    for response in (
        ika_client.get(reverse("order_detail", args=[order.pk])),
        ika_client.post(reverse("order_ship", args=[order.pk]), {"courier": ""}),
    ):
        policy = response["Content-Security-Policy"]
        form_action = next(p for p in policy.split(";") if "form-action" in p).split()
        assert form_action[1:] == ["'self'", "https://wa.me", "https://api.whatsapp.com"]
    listing = ika_client.get(reverse("order_list"))["Content-Security-Policy"]
    assert "wa.me" not in listing

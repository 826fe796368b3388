"""An expense from the dashboard: amount, category, the account she paid from (as last
time), an optional photo of the receipt kept encrypted and shown only to her team; the
categories and money accounts are hers to add, rename and switch off."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from merdeka.books import accounts
from merdeka.books.chart import accounts_by_key
from merdeka.books.models import Account, ExpenseReceipt, JournalEntry, Kind
from merdeka.books.posting import today
from merdeka.books.selectors import money_balances
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError


def jpeg(size=(400, 300), colour=(200, 120, 40)) -> tuple[bytes, SimpleUploadedFile]:
    image = Image.new("RGB", size, colour)
    exif = Image.Exif()
    exif[0x010F] = "KameraRahasia"
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    data = out.getvalue()
    return data, SimpleUploadedFile("struk.jpg", data, content_type="image/jpeg")


def record(client, shop, *, key="k1", amount="45.000", category="expense:packaging", **more):
    acc = accounts_by_key(shop=shop, keys=[category, "cash"])
    data = {
        "key": key,
        "amount": amount,
        "category": acc[category],
        "paid_from": more.pop("paid_from", acc["cash"]),
        "from": "home",
        **more,
    }
    return client.post(reverse("books_expense_new"), data)


def test_the_default_categories_are_the_sak_emkm_lines_a_seller_knows(ika_client, ika_shop):
    html = ika_client.get(reverse("home")).content.decode()
    chips = re.search(r'data-testid="category-chips">(.*?)</fieldset>', html, re.S).group(1)
    names = [re.sub(r"<[^>]+>", "", n).strip() for n in re.findall(r"<span>(.*?)</span>", chips)]
    assert names == [
        "Bahan baku",
        "Kemasan",
        "Gaji",
        "Sewa",
        "Listrik dan air",
        "Ongkos kirim",
        "Iklan dan promosi",
        "Biaya marketplace",
        "Lain-lain",
    ]  # not the stock count's differences: the books post those by themselves


def test_an_expense_from_the_dashboard_goes_back_there_and_remembers_the_account(
    ika_client, ika_shop
):
    bank = accounts_by_key(shop=ika_shop, keys=["bank"])["bank"]
    response = record(ika_client, ika_shop, paid_from=bank)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    record(ika_client, ika_shop, paid_from=bank)  # a double tap records once
    with shop_scope(ika_shop):
        assert JournalEntry.objects.filter(source="expense").count() == 1
    accounts_by_key(shop=ika_shop, keys=["marketplace:shopee"])  # her Shopee balance
    html = ika_client.get(reverse("home")).content.decode()
    assert re.search(rf'name="paid_from" value="{bank}" required checked', html)
    assert "Rp45.000" in html
    paid_from = re.search(r'data-testid="paid-from-chips">(.*?)</fieldset>', html, re.S).group(1)
    assert "Shopee" not in paid_from  # a marketplace takes its fees from it by itself


def test_a_receipt_photo_is_stored_encrypted_and_shown_only_to_the_team(
    ika, ika_shop, rina, citra, citra_shop
):
    ika_client, rina_client, client = Client(), Client(), Client()
    ika_client.force_login(ika)
    rina_client.force_login(rina)
    original, upload = jpeg()
    response = record(ika_client, ika_shop, receipt=upload)
    assert response.status_code == 302
    with shop_scope(ika_shop):
        receipt = ExpenseReceipt.objects.get()
        stored = ExpenseReceipt.objects.values_list("photo", flat=True).get()
    token = stored.token  # what the database holds
    for plain in (original[:16], b"RIFF", b"WEBP", b"KameraRahasia", b"\xff\xd8\xff"):
        assert plain not in token.encode()
    for plain in ("UklGR", "/9j/"):  # base64 of a WebP's and a JPEG's first bytes
        assert plain not in token
    url = reverse("books_expense_receipt", args=[receipt.entry_id])
    for member in (ika_client, rina_client):
        served = member.get(url)
        assert served.status_code == 200 and served["Content-Type"] == "image/webp"
        assert served.content[:4] == b"RIFF" and b"KameraRahasia" not in served.content
        assert "no-store" in served["Cache-Control"]
    detail = rina_client.get(reverse("books_expense_detail", args=[receipt.entry_id]))
    assert 'data-testid="receipt-photo"' in detail.content.decode()
    client.logout()
    assert client.get(url).status_code == 302
    client.force_login(citra)
    assert client.get(url).status_code == 404
    assert client.get(reverse("books_expense_detail", args=[receipt.entry_id])).status_code == 404


@pytest.mark.parametrize(
    "upload,words",
    [
        (SimpleUploadedFile("struk.jpg", b"%PDF-1.4 not a photo", "image/jpeg"), "JPEG, PNG"),
        (
            SimpleUploadedFile(
                "struk.svg",
                b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
                "image/svg+xml",
            ),
            "JPEG, PNG",
        ),
        (SimpleUploadedFile("struk.jpg", b"\xff\xd8\xff" + b"\0" * (6 * 1024 * 1024)), "5 MB"),
    ],
)
def test_a_hostile_receipt_is_refused_with_a_clear_message_and_records_nothing(
    ika_client, ika_shop, upload, words
):
    response = record(ika_client, ika_shop, receipt=upload)
    assert response.status_code == 400
    assert words in response.content.decode()
    with shop_scope(ika_shop):
        assert not JournalEntry.objects.exists() and not ExpenseReceipt.objects.exists()


def test_a_pixel_bomb_is_refused(ika_client, ika_shop):
    out = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(out, format="PNG")  # 144 megapixels, tiny file
    upload = SimpleUploadedFile("bom.png", out.getvalue(), content_type="image/png")
    response = record(ika_client, ika_shop, receipt=upload)
    assert response.status_code == 400 and "megapiksel" in response.content.decode()
    with shop_scope(ika_shop):
        assert not JournalEntry.objects.exists()


def test_staff_record_an_expense_and_open_it_but_not_the_list(rina_client, ika_shop):
    assert record(rina_client, ika_shop).status_code == 302
    with shop_scope(ika_shop):
        entry = JournalEntry.objects.get()
    page = rina_client.get(reverse("books_expense_detail", args=[entry.pk]))
    assert page.status_code == 200 and "Rp45.000" in page.content.decode()
    assert rina_client.get(reverse("books_expenses")).status_code == 403
    assert rina_client.get(reverse("books_accounts")).status_code == 403


def test_the_owner_adds_renames_and_switches_off_categories_and_accounts(ika_client, ika_shop):
    response = ika_client.post(
        reverse("books_accounts"), {"do": "add", "group": "expense", "name": "Gas elpiji"}
    )
    assert response.status_code == 302
    response = ika_client.post(
        reverse("books_accounts"), {"do": "add", "group": "money", "name": "BCA Bu Ika"}
    )
    assert response.status_code == 302
    with shop_scope(ika_shop):
        gas = Account.objects.get(name="Gas elpiji")
        bca = Account.objects.get(name="BCA Bu Ika")
    assert gas.kind == Kind.EXPENSE and gas.code.startswith("6-2")
    assert bca.kind == Kind.ASSET and bca.key.startswith("money:")
    html = ika_client.get(reverse("home")).content.decode()
    assert "Gas elpiji" in html and "BCA Bu Ika" in html
    assert any(
        row.account.pk == bca.pk for row in money_balances(shop=ika_shop, at=today(ika_shop))
    )
    # a duplicate name is refused, in her language
    page = ika_client.post(
        reverse("books_accounts"), {"do": "add", "group": "expense", "name": "gas ELPIJI"}
    )
    assert page.status_code == 200 and "Sudah ada" in page.content.decode()
    packaging = accounts_by_key(shop=ika_shop, keys=["expense:packaging"])["expense:packaging"]
    ika_client.post(
        reverse("books_account_change", args=[packaging]), {"name": "Kardus & lakban"}
    )  # no is_active: switched off
    html = ika_client.get(reverse("home")).content.decode()
    chips = re.search(r'data-testid="category-chips">(.*?)</fieldset>', html, re.S).group(1)
    assert "Kardus" not in chips and "Kemasan" not in chips and "Gas elpiji" in chips
    with shop_scope(ika_shop):
        switched = Account.objects.get(pk=packaging)
    assert switched.name == "Kardus & lakban" and not switched.is_active
    assert switched.key == "expense:packaging"  # postings still find it
    # an account of another kind is not edited here
    sales = accounts_by_key(shop=ika_shop, keys=["sales"])["sales"]
    response = ika_client.post(reverse("books_account_change", args=[sales]), {"name": "x"})
    assert response.status_code == 404


def test_the_last_money_account_stays_on(ika_shop):
    money = accounts.chart_accounts(shop=ika_shop, group=accounts.MONEY, active_only=True)
    for account in money[:-1]:
        accounts.account_change(
            shop=ika_shop, account_id=account.pk, name=account.name, is_active=False
        )
    last = money[-1]
    with pytest.raises(ServiceError):
        accounts.account_change(shop=ika_shop, account_id=last.pk, name=last.name, is_active=False)

"""Bu Ika makes an evidence pack of her last months on her phone and gives a lender a
link; the lender, on a phone of his own and without an account, opens it, sees it is
intact, downloads it and checks the file on the public page; a changed file is caught.
Bu Ika then sees that the link was opened, and revokes it."""

from __future__ import annotations

import io
import zipfile

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from merdeka.books.chart import accounts_by_key
from merdeka.books.models import Source
from merdeka.books.posting import Line, entry_post, today
from merdeka.e2e.tests.conftest import no_sideways_scroll, phone_context, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _books(shop):
    day = today(shop)
    acc = accounts_by_key(shop=shop, keys=["cash", "capital", "sales", "expense:rent"])
    for key, debit, credit, amount in [
        ("capital", "cash", "capital", 5_000_000),
        ("sale", "cash", "sales", 1_250_000),
        ("rent", "expense:rent", "cash", 750_000),
    ]:
        entry_post(
            shop=shop,
            date=day,
            source=Source.MANUAL,
            key=key,
            lines=[Line(acc[debit], debit=amount), Line(acc[credit], credit=amount)],
        )


def test_the_owner_shares_a_pack_and_a_lender_verifies_it(
    live_server, page, ika, ika_shop, tmp_path, shot
):
    _books(ika_shop)
    sign_in(page, live_server, "ika", PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/buku/")
    page.get_by_test_id("books-pack-link").click()
    page.get_by_test_id("pack-make").click()
    expect(page.get_by_test_id("pack-download")).to_have_count(1)
    no_sideways_scroll(page)
    page.get_by_test_id("pack-share-open").click()
    page.get_by_label("Nama pemberi pinjaman").fill("Bank BRI Unit Pasar")
    page.get_by_test_id("pack-share").click()
    link = page.get_by_test_id("pack-link").input_value()
    assert "/buku/bukti/" in link
    shot("owner-link")
    no_sideways_scroll(page)

    lender = phone_context(page).new_page()
    lender.goto(link)
    expect(lender.get_by_test_id("pack-intact")).to_be_visible()
    expect(lender.locator("main h1")).to_contain_text("Dapur Kue Bu Ika")
    no_sideways_scroll(lender)
    with lender.expect_download() as got:
        lender.get_by_test_id("pack-shared-download").click()
    saved = tmp_path / "pack.zip"
    got.value.save_as(saved)
    lender.get_by_test_id("pack-verify-link").click()
    lender.set_input_files("#id_pack", str(saved))
    lender.get_by_test_id("pack-verify").click()
    expect(lender.get_by_test_id("pack-intact")).to_be_visible()
    expect(lender.get_by_test_id("pack-verdict")).to_contain_text("Dapur Kue Bu Ika")
    no_sideways_scroll(lender)
    shot("lender-intact", lender)

    # one figure changed in the lender's copy: caught, with the file named
    changed = tmp_path / "changed.zip"
    with zipfile.ZipFile(saved) as original, zipfile.ZipFile(changed, "w") as out:
        for name in original.namelist():
            body = original.read(name)
            if name == "data/laba-rugi.csv":
                body = body.replace(b"1250000", b"9250000") + b"\n"
            out.writestr(name, body)
    lender.set_input_files("#id_pack", str(changed))
    lender.get_by_test_id("pack-verify").click()
    expect(lender.get_by_test_id("pack-not-intact")).to_be_visible()
    expect(lender.get_by_test_id("pack-reason")).to_contain_text("data/laba-rugi.csv")

    # Bu Ika sees it was opened and downloaded, and revokes the link
    page.reload()
    expect(page.get_by_test_id("pack-opens")).to_contain_text("diunduh")
    page.get_by_test_id("pack-revoke").click()
    lender.goto(link)
    expect(lender.get_by_test_id("pack-gone")).to_be_visible()
    assert zipfile.ZipFile(io.BytesIO(saved.read_bytes())).testzip() is None

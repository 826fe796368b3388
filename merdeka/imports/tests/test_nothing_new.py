"""Importing the same files again says so in words, on the command line and on the
web, and offers no review when there is nothing to review."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from merdeka.imports.selectors import run_brought_nothing

DATA = Path(__file__).parent / "data"
SHOPEE = DATA / "marketplaces" / "Order.all.20250401_20250430.xlsx"
CHAT = DATA / "whatsapp" / "Chat WhatsApp dengan Siti Nurhaliza.txt"


def test_the_command_says_nothing_new_when_the_same_files_come_again(ika_shop, capsys, tmp_path):
    call_command("import", str(SHOPEE), str(CHAT), "--shop", ika_shop.slug)
    first = capsys.readouterr().out
    assert "Tidak ada yang baru" not in first
    # the same bytes, and the same orders under another name (read again, all known)
    renamed = tmp_path / "pesanan-april.xlsx"
    shutil.copy(SHOPEE, renamed)
    call_command("import", str(SHOPEE), str(renamed), "--shop", ika_shop.slug)
    again = capsys.readouterr().out
    assert "Tidak ada yang baru: file ini sudah pernah diimpor" in again
    assert "Tidak ada yang baru di file ini: semua pesanan dan pelanggannya sudah ada" in again
    assert "menunggu tinjauanmu" not in again  # no possible duplicates to review
    call_command("import", str(CHAT), "--shop", ika_shop.slug, "--json")
    assert json.loads(capsys.readouterr().out)["nothing_new"] is True


def test_the_web_report_says_nothing_new_and_offers_no_empty_review(
    ika_client, ika_shop, django_capture_on_commit_callbacks
):
    def upload():
        with django_capture_on_commit_callbacks(execute=True):
            response = ika_client.post(
                reverse("import_home"),
                {"files": [SimpleUploadedFile(SHOPEE.name, SHOPEE.read_bytes())]},
            )
        return ika_client.get(response["Location"]).content.decode()

    first = upload()
    assert 'data-testid="nothing-new"' not in first
    assert ">Shopee<" in first  # the channel by its name, not "shopee"
    again = upload()
    assert "Tidak ada yang baru: file ini sudah pernah diimpor" in again
    assert reverse("review_queue") not in again.split("<main", 1)[1]


def test_a_rejected_file_or_a_found_duplicate_is_never_nothing_new():
    imported_nothing = ("imported", {"orders_new": 0, "orders_unchanged": 3})
    assert run_brought_nothing(states_and_reports=[imported_nothing], review_waiting=0)
    assert not run_brought_nothing(states_and_reports=[imported_nothing], review_waiting=1)
    assert not run_brought_nothing(
        states_and_reports=[imported_nothing, ("rejected", {})], review_waiting=0
    )
    assert not run_brought_nothing(
        states_and_reports=[("imported", {"identities_new": 1})], review_waiting=0
    )

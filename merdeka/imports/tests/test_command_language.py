"""``merdeka import`` and ``merdeka export`` speak to the seller in Bahasa Indonesia (the
project's language) unless another language is active; ``--json`` is for programs and
reads the same in every language."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation

from merdeka.imports.tests.test_hostile_files import merdeka

DATA = Path(__file__).parent / "data"
SHOPEE = DATA / "marketplaces" / "Order.all.20250401_20250430.xlsx"


@pytest.mark.django_db(transaction=True)
def test_the_import_and_the_export_speak_indonesian_by_default(ika_shop, tmp_path):
    done = merdeka("import", SHOPEE, "--shop", ika_shop.slug)  # as a seller runs it
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{SHOPEE.name}: Diimpor (shopee)" in done.stdout
    assert re.search(r"baris dibaca \d+; pesanan baru \d+, diperbarui 0;", done.stdout)
    assert re.search(r"pelanggan baru \d+, digabung \d+", done.stdout)
    assert "rows read" not in done.stdout and "Imported" not in done.stdout

    again = merdeka("import", SHOPEE, "--shop", ika_shop.slug)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"{SHOPEE.name}: Sudah pernah diimpor (shopee)" in again.stdout
    assert "Tidak ada yang baru: file ini sudah pernah diimpor" in again.stdout

    exported = merdeka("export", "--shop", ika_shop.slug, "--out", tmp_path / "out")
    assert exported.returncode == 0, exported.stdout + exported.stderr
    assert re.search(r"\d+ pelanggan dan \d+ pesanan diekspor ke ", exported.stdout)
    assert "data pribadi tanpa enkripsi" in exported.stdout

    unknown = merdeka("import", SHOPEE, "--shop", "toko-lain")
    assert unknown.returncode == 1
    assert "Tidak ada toko dengan nama singkat 'toko-lain'." in unknown.stderr
    assert "`merdeka shop list` menampilkan daftar toko." in unknown.stderr


def test_the_import_speaks_english_when_english_is_active(ika_shop, capsys):
    with translation.override("en"):
        call_command("import", str(SHOPEE), "--shop", ika_shop.slug)
    out = capsys.readouterr().out
    assert f"{SHOPEE.name}: Imported (shopee)" in out
    assert re.search(r"rows read \d+; orders new \d+, updated 0; customers new \d+", out)
    assert "baris dibaca" not in out


def test_the_json_report_is_the_same_in_every_language(ika_shop, citra_shop, capsys):
    reports = {}
    for language, shop in (("id", ika_shop), ("en", citra_shop)):
        with translation.override(language):
            call_command("import", str(SHOPEE), "--shop", shop.slug, "--json")
        reports[language] = json.loads(capsys.readouterr().out)
        del reports[language]["run"]
    assert reports["id"] == reports["en"]
    assert reports["id"]["files"][0]["state"] == "imported"  # the state's code, not a label

"""``merdeka receipt read PHOTO... --json``: one object a photo, in order; books nothing."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from merdeka.cli import needs_database

DATA = Path(__file__).parent / "data"


def test_read_prints_each_photo_in_order_as_json(tmp_path):
    photos = sorted(DATA.glob("*-hard.jpg"))[:2]
    out = io.StringIO()
    call_command("receipt", "read", *map(str, photos), "--json", stdout=out)
    results = json.loads(out.getvalue())
    assert [result["file"] for result in results] == list(map(str, photos))
    for photo, result in zip(photos, results, strict=True):
        truth = json.loads(photo.with_suffix(".json").read_text())
        assert set(result) >= {"store", "date", "items", "total", "needs_review"}
        assert result["total"] == truth["total"] or result["needs_review"]
        for item in result["items"]:
            assert set(item) >= {"name", "qty", "unit_price", "total"}


def test_an_unreadable_photo_is_reported_in_its_place_and_fails_the_command(tmp_path):
    bad = tmp_path / "note.jpg"
    bad.write_bytes(b"not a photo at all")
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 photo"):
        call_command("receipt", "read", str(bad), "--json", stdout=out)
    [result] = json.loads(out.getvalue())
    assert result["file"] == str(bad)
    assert result["error"] == "Berkas ini bukan foto yang bisa dibaca."  # in Indonesian


def test_reading_needs_no_database():
    assert needs_database(["receipt", "read", "a.jpg"]) is False

"""Someone who found a weakness reads how to report it, on a phone, in either language."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from merdeka.e2e.tests.conftest import no_sideways_scroll

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_visitor_reads_the_disclosure_policy_on_a_phone_in_both_languages(
    live_server, page, settings, console_errors, shot
):
    settings.MERDEKA_SECURITY_CONTACT = ["keamanan-dan-privasi@dapur-kue-bu-ika.example.id"]
    page.goto(f"{live_server.url}/.well-known/security.txt")
    expect(page.locator("body")).to_contain_text("Contact: mailto:keamanan-dan-privasi@")
    console_errors.clear()  # a text file has no icon link: the browser asks for /favicon.ico
    page.goto(f"{live_server.url}/kebijakan-keamanan/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Melaporkan masalah keamanan")
    expect(page.get_by_test_id("security-contact")).to_be_visible()
    no_sideways_scroll(page)
    shot("id")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Reporting a security problem")
    no_sideways_scroll(page)
    shot("en")
    assert not console_errors, console_errors
    page.get_by_role("link", name="security.txt").click()
    expect(page.locator("body")).to_contain_text("Preferred-Languages: id, en")

"""How to tell this site's operator about a security problem.

``/.well-known/security.txt`` (RFC 9116) is the file that researchers' tools look for;
it names the contacts (``MERDEKA_SECURITY_CONTACT``), when it stops being valid, the
languages reports may be written in and the disclosure policy page, which says the
same to a person, in Bahasa Indonesia or English. Both are public and hold no shop's
data. Without a configured contact the file carries a placeholder that says so.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

# example.invalid can never be delivered to (RFC 2606): a visible "not set yet"
PLACEHOLDER_CONTACT = "mailto:security@example.invalid"
PREFERRED_LANGUAGES = "id, en"


def contacts() -> list[str]:
    """The configured contacts as URIs: a bare email address becomes ``mailto:``."""
    return [
        f"mailto:{value}" if ":" not in value and "@" in value else value
        for value in settings.MERDEKA_SECURITY_CONTACT
    ]


def expires(now: datetime) -> datetime:
    """``MERDEKA_SECURITY_TXT_EXPIRES`` (UTC when no offset is given), or else 364 days
    after today's start: under the year RFC 9116 recommends, renewed as long as the
    site runs, and the same all day long."""
    configured = settings.MERDEKA_SECURITY_TXT_EXPIRES
    if configured is not None:
        return configured if configured.tzinfo else configured.replace(tzinfo=UTC)
    today = datetime.combine(now.astimezone(UTC).date(), time(), tzinfo=UTC)
    return today + timedelta(days=364)


def absolute(request, path: str) -> str:
    """``path`` at the address the public reaches this site at (MERDEKA_PUBLIC_URL)."""
    base = settings.MERDEKA_PUBLIC_URL
    return f"{base}{path}" if base else request.build_absolute_uri(path)


@require_safe
def security_txt(request):
    given = contacts()
    lines = [] if given else ["# Placeholder contact: the operator has not set one yet."]
    lines += [f"Contact: {contact}" for contact in given or [PLACEHOLDER_CONTACT]]
    stamp = expires(timezone.now()).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    lines += [
        f"Expires: {stamp}",
        f"Preferred-Languages: {PREFERRED_LANGUAGES}",
        f"Policy: {absolute(request, reverse('security_policy'))}",
    ]
    if settings.MERDEKA_PUBLIC_URL:
        lines.append(f"Canonical: {settings.MERDEKA_PUBLIC_URL}{reverse('security_txt')}")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


def _shown(contact: str) -> dict[str, str]:
    scheme, _, rest = contact.partition(":")
    label = rest if scheme in ("mailto", "tel") else contact
    return {"href": contact, "label": label}


@require_safe
def security_policy(request):
    return render(
        request, "core/security_policy.html", {"contacts": [_shown(c) for c in contacts()]}
    )

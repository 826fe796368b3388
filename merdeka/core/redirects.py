"""The one place a ``next`` address from a request is read.

A ``next`` parameter is the buyer's or the seller's own input: followed as it is, a
link to our site could send them on to any other (an open redirect, the first step of
phishing a shop's buyers). Every view that honours ``next`` asks ``safe_next``, which
keeps only an address on this site (Django's ``url_has_allowed_host_and_scheme``, the
check of its own login view); ``merdeka.core.tests.test_redirects`` fails if any other
code reads ``next`` from ``request.GET`` or ``request.POST``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.utils.http import url_has_allowed_host_and_scheme

FIELD = "next"


def safe_next(request, fallback: str) -> str:
    """The request's ``next`` (the form's, else the query string's) if it is an address
    on this site, else ``fallback``.

    Only a path (``/s/toko/``) or an absolute URL of this host is taken: a bare word
    such as ``0`` or ``home`` would be looked up by ``redirect`` as a URL name and fail
    (a server error) or lead to a page nobody meant."""
    wanted = request.POST.get(FIELD) or request.GET.get(FIELD) or ""
    here = url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    # urlsplit after the check: it raises on what the check refuses ("http://[")
    return wanted if here and (wanted.startswith("/") or urlsplit(wanted).netloc) else fallback

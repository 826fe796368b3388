"""The address buyers reach this Merdeka at, for every link that leaves the screen.

Printed cards, the shop's link and share links are opened later, on other people's
phones: they use the public address (``MERDEKA_PUBLIC_URL``) when one is set. Without
one they use the address the page was opened at, which is right behind a proxy that
passes the host on, and wrong on the seller's own computer (``127.0.0.1``): the pages
that hand such links out say so before anything is printed or shared
(``core/public_address_warning.html``).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http.request import split_domain_port

LOCAL_NAMES = ("localhost", "localhost.localdomain")
LOCAL_SUFFIXES = (".localhost", ".local", ".lan", ".home.arpa", ".internal")


def public_url(request, path: str) -> str:
    """``path`` at the public address, or else at the address of this request."""
    base = settings.MERDEKA_PUBLIC_URL
    return f"{base}{path}" if base else request.build_absolute_uri(path)


def is_local(host: str) -> bool:
    """Is ``host`` (a request's host, maybe with a port) one that only this computer or
    its own network reaches: loopback, a private or link-local address, a local name?"""
    name, _port = split_domain_port(host)
    name = name.strip("[]").lower()
    if not name:
        return True
    if (
        name in LOCAL_NAMES
        or name.endswith(LOCAL_SUFFIXES)
        or ("." not in name and ":" not in name)
    ):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local


def public_address_context(request) -> dict:
    """What ``core/public_address_warning.html`` needs: nothing once the address is set."""
    if settings.MERDEKA_PUBLIC_URL:
        return {"public_address_missing": False}
    return {
        "public_address_missing": True,
        "links_address": request.build_absolute_uri("/"),
        "links_address_local": is_local(request.get_host()),
    }

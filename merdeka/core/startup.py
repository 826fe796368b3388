"""What ``merdeka run`` says when it starts, and the checks it makes first.

One block, printed once the web server answers, so that it is the last thing on the
screen before the access log: where the data is, the address, how to log in, the
public address (or how to set it) and how to stop.
"""

from __future__ import annotations

import errno
import os
import socket

from django.conf import settings

from merdeka.core.demo import DEMO_SLUG, demo_login
from merdeka.core.models import Shop, User

EXAMPLE_PUBLIC_URL = "https://toko.example.id"


def _bare(host: str) -> str:
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def local_host(host: str) -> str:
    """Where this machine reaches a server bound to ``host`` (all addresses: loopback)."""
    host = _bare(host)
    if host in ("", "0.0.0.0"):  # noqa: S104 - a name for "every address", not a bind
        return "127.0.0.1"
    if host == "::":
        return "::1"
    return host


def address(host: str, port) -> str:
    """The address to open in a browser on this machine."""
    shown = local_host(host)
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def port_taken(host: str, port) -> bool:
    """Is something listening on ``host:port`` already (another Merdeka, another app)?

    Asked before starting, because the web server would only say so among its log lines
    and stop, and a check that the address answers would then find the other program."""
    bind = _bare(host)
    try:
        with socket.create_server((bind, int(port)), family=_family(bind)):
            return False
    except OSError as exc:
        return exc.errno == errno.EADDRINUSE


def answers(host: str, port, *, timeout: float = 0.25) -> bool:
    """Does the web server accept connections yet?"""
    target = local_host(host)
    try:
        with socket.create_connection((target, int(port)), timeout=timeout):
            return True
    except OSError:
        return False


def command_prefix() -> str:
    """How to type a ``merdeka`` command where this one was started from: under ``make``,
    the checkout's virtualenv; elsewhere the ``merdeka`` on the PATH."""
    return ".venv/bin/merdeka" if "MAKELEVEL" in os.environ else "merdeka"


def login_lines() -> list[str]:
    """How to log in: the demo owner's login while it still works, else what to do."""
    from django.contrib.auth.hashers import check_password

    login = demo_login()
    demo = Shop.objects.filter(slug=DEMO_SLUG).first()
    if login is not None and demo is not None:
        owner = User.objects.filter(username=login[0], is_active=True).first()
        # checked without the model's check_password, which may rewrite the hash
        if owner is not None and check_password(login[1], owner.password):
            return [f"  Log in:   {login[0]} / {login[1]}   (owner of the demo shop {demo.name})"]
        if owner is not None:
            return [f"  Log in:   {owner.username}, with the password you chose ({demo.name})"]
    if not Shop.objects.exists():
        return [
            "  Log in:   there is no shop yet. Make one (it prints the owner's login):",
            f'            {command_prefix()} shop create --name "Toko Anda" --owner USERNAME',
        ]
    return ["  Log in:   with your shop owner's username and password"]


def public_address_lines(host: str, port) -> list[str]:
    public = settings.MERDEKA_PUBLIC_URL
    if public:
        return [f"  Public:   {public} (printed cards, shop links and share links use it)"]
    starter = "make run" if "MAKELEVEL" in os.environ else f"{command_prefix()} run"
    return [
        "  Public:   no public address is set. Printed cards, shop links and share links",
        f"            then point to {address(host, port)}, which buyers' phones cannot open.",
        "            Set the address buyers reach this Merdeka at, for example:",
        f"              MERDEKA_PUBLIC_URL={EXAMPLE_PUBLIC_URL} {starter}",
    ]


def startup_block(host: str, port) -> str:
    """The block ``merdeka run`` prints once the web server answers."""
    rule = "-" * 72
    lines = [
        rule,
        "Merdeka is running.",
        f"  Address:  {address(host, port)}",
        *login_lines(),
        f"  Data:     {settings.DATA_DIR}",
        *public_address_lines(host, port),
        "  Stop:     press Ctrl+C",
        rule,
    ]
    return "\n".join(lines)

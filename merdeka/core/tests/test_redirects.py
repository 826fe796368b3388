"""``next`` addresses: followed only to this site, and read only through ``safe_next``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.test import RequestFactory

from merdeka.core.redirects import safe_next

ROOT = Path(__file__).resolve().parents[2]  # the merdeka package
HELPER = ROOT / "core" / "redirects.py"
QUERY_DICTS = {"GET", "POST", "REQUEST", "query_params", "data"}


def ask(method: str, value: str, *, secure: bool = False):
    factory = RequestFactory()
    make = factory.post if method == "post" else factory.get
    return make("/s/toko/keranjang/tambah/", {"next": value}, secure=secure)


@pytest.mark.parametrize(
    "value",
    [
        "https://evil.example/phish",
        "http://evil.example",
        "//evil.example/phish",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "https:evil.example",
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "\x01/s/toko/",
        "0",
        "home",
        "",
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_address_off_this_site_gives_the_fallback(method, value):
    assert safe_next(ask(method, value), "/fallback/") == "/fallback/"


@pytest.mark.parametrize(
    "value", ["/s/toko/", "/s/toko/p/kue/?warna=merah#foto", "http://testserver/s/toko/"]
)
def test_an_address_on_this_site_is_followed(value):
    assert safe_next(ask("post", value), "/fallback/") == value


def test_an_https_site_is_not_sent_back_to_plain_http():
    assert safe_next(ask("get", "http://testserver/s/", secure=True), "/f/") == "/f/"
    assert (
        safe_next(ask("get", "https://testserver/s/", secure=True), "/f/")
        == "https://testserver/s/"
    )


def next_reads(tree: ast.AST) -> list[int]:
    """Lines that read ``next`` from a request's query dict: ``X.GET.get("next")``,
    ``X.POST["next"]``, ``X.GET.getlist("next")``, ``"next" in X.POST``..."""

    def query_dict(node) -> bool:
        return isinstance(node, ast.Attribute) and node.attr in QUERY_DICTS

    def is_next(node) -> bool:
        return isinstance(node, ast.Constant) and node.value == "next"

    def reads(node) -> bool:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            return query_dict(node.func.value) and any(is_next(arg) for arg in node.args)
        if isinstance(node, ast.Subscript):
            return query_dict(node.value) and is_next(node.slice)
        if isinstance(node, ast.Compare):
            return is_next(node.left) and any(query_dict(c) for c in node.comparators)
        return False

    return sorted(node.lineno for node in ast.walk(tree) if reads(node))


def test_the_finder_sees_the_ways_of_reading_next():
    source = """
a = request.POST.get("next") or reverse("x")
b = request.GET["next"]
c = self.request.GET.getlist("next")
d = "next" in request.POST
e = answer.get("paging").get("next")  # not a request
"""
    assert next_reads(ast.parse(source)) == [2, 3, 4, 5]


def test_next_is_read_from_a_request_only_by_safe_next():
    offenders = []
    for path in sorted(ROOT.rglob("*.py")):
        if path == HELPER or "tests" in path.relative_to(ROOT).parts:
            continue
        for line in next_reads(ast.parse(path.read_text(encoding="utf-8"))):
            offenders.append(f"{path.relative_to(ROOT.parent)}:{line}")
    assert offenders == [], "read next through merdeka.core.redirects.safe_next: " + ", ".join(
        offenders
    )

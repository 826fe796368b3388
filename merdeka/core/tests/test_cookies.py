from __future__ import annotations

import json
import subprocess
import sys

import pytest

from merdeka.core.tests.test_commands import ROOT, clean_env

# Signs nobody in: chooses a language and opens the login page, as a phone would, and
# prints the attributes of every cookie that came back.
VISIT = """
import json, django
django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
setup_test_environment()
client = Client()
cookies = {}
for response in (
    client.post("/i18n/setlang/", {"language": "en", "next": "/masuk/"}, secure=True),
    client.get("/masuk/", secure=True),
):
    for name, morsel in response.cookies.items():
        cookies[name] = {key: morsel[key] for key in ("secure", "httponly", "samesite")}
print(json.dumps(cookies))
"""


def cookies_under(tmp_path, **env) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", VISIT],
        cwd=ROOT,
        env=clean_env(tmp_path / "var", MERDEKA_TESTING="1", **env),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_under_https_every_cookie_is_secure_httponly_and_same_site(tmp_path):
    cookies = cookies_under(tmp_path, MERDEKA_HTTPS="1")
    assert set(cookies) == {"merdeka_language", "csrftoken"}
    for name, attributes in cookies.items():
        assert attributes == {"secure": True, "httponly": True, "samesite": "Lax"}, name


@pytest.mark.parametrize("https", ["", "0"])
def test_over_plain_http_the_language_cookie_still_works(tmp_path, https):
    """A local `make run` is plain HTTP: a Secure cookie would never come back."""
    cookies = cookies_under(tmp_path, MERDEKA_HTTPS=https)
    assert cookies["merdeka_language"] == {"secure": "", "httponly": True, "samesite": "Lax"}

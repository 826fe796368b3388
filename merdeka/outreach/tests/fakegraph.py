"""A local stand-in for Meta's Graph API: a real HTTP server on 127.0.0.1.

It implements ``POST /{version}/{phone-number-id}/messages`` as documented: it checks
the bearer token and the payload's shape, answers with the documented success body
(``messaging_product``, ``contacts``, ``messages[0].id``), and can be told to answer
the next requests with documented errors (HTTP status and the ``error`` object with
``message``, ``type``, ``code``, ``error_subcode``, ``fbtrace_id``). Every request is
recorded. The adapter under test is the real one, pointed at this server's URL.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# documented error answers (developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes)
ERRORS = {
    190: (401, "Error validating access token: Session has expired", "OAuthException", 463),
    131047: (
        400,
        "Re-engagement message: more than 24 hours have passed since the recipient last replied",
        "OAuthException",
        2494055,
    ),
    131026: (400, "Message undeliverable", "OAuthException", 2494076),
    130429: (400, "Rate limit hit", "OAuthException", 2494100),
    131056: (
        400,
        "(Business Account, Consumer Account) pair rate limit hit",
        "OAuthException",
        None,
    ),
    131000: (500, "Something went wrong", "OAuthException", None),
    131050: (
        400,
        "Unable to deliver the message. This recipient has chosen to stop receiving marketing messages",
        "OAuthException",
        None,
    ),
    132001: (404, "Template name does not exist in the translation", "OAuthException", 2494073),
}


class FakeGraph:
    def __init__(self, *, token: str = "EAAG-test-token", phone_number_id: str = "106540352242922"):
        self.token = token
        self.phone_number_id = phone_number_id
        self.requests: list[dict] = []
        self.planned: deque = deque()
        self.business_account_id = "102290129340398"
        self.templates: list[dict] = []  # what GET /{waba-id}/message_templates lists
        self.page_size = 2
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                status, body = fake.list_templates(self.path, dict(self.headers))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                status, body = fake.answer(self.path, dict(self.headers), raw)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/v21.0"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def list_templates(self, path: str, headers: dict) -> tuple[int, dict]:
        """``GET /{waba-id}/message_templates`` with cursor paging, as documented."""
        from urllib.parse import parse_qs, urlsplit

        with self._lock:
            self.requests.append({"path": path, "headers": headers, "json": None, "status": 0})
        if headers.get("Authorization") != f"Bearer {self.token}":
            return self.error_body(190)
        url = urlsplit(path)
        if url.path != f"/v21.0/{self.business_account_id}/message_templates":
            return 400, {
                "error": {
                    "message": "Unsupported get request",
                    "type": "GraphMethodException",
                    "code": 100,
                    "fbtrace_id": "x",
                }
            }
        query = parse_qs(url.query)
        start = int(query.get("after", ["0"])[0])
        wanted = query.get("status", [None])[0]
        items = [t for t in self.templates if wanted is None or t["status"] == wanted]
        page = items[start : start + self.page_size]
        body = {
            "data": page,
            "paging": {"cursors": {"before": str(start), "after": str(start + len(page))}},
        }
        if start + self.page_size < len(items):
            next_query = dict(query, after=[str(start + self.page_size)])
            from urllib.parse import urlencode

            body["paging"]["next"] = (
                self.base_url.removesuffix("/v21.0")
                + url.path
                + "?"
                + urlencode(next_query, doseq=True)
            )
        return 200, body

    def fail_next(self, code: int, times: int = 1):
        for _ in range(times):
            self.planned.append(code)

    @staticmethod
    def error_body(code: int) -> tuple[int, dict]:
        status, message, kind, subcode = ERRORS[code]
        error = {"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEf123"}
        if subcode:
            error["error_subcode"] = subcode
        return status, {"error": error}

    @property
    def sent(self) -> list[dict]:
        """Payloads that were accepted."""
        return [r["json"] for r in self.requests if r["status"] == 200]

    def answer(self, path: str, headers: dict, raw: bytes) -> tuple[int, dict]:
        with self._lock:
            record = {"path": path, "headers": headers, "json": None, "status": 0}
            self.requests.append(record)
            status, body = self._answer(path, headers, raw, record)
            record["status"] = status
            return status, body

    def _answer(self, path, headers, raw, record):
        if headers.get("Authorization") != f"Bearer {self.token}":
            return self.error_body(190)
        if path != f"/v21.0/{self.phone_number_id}/messages":
            return 400, {
                "error": {
                    "message": "Unsupported post request",
                    "type": "GraphMethodException",
                    "code": 100,
                    "fbtrace_id": "x",
                }
            }
        try:
            payload = json.loads(raw)
        except ValueError:
            return 400, {
                "error": {
                    "message": "Invalid JSON",
                    "type": "OAuthException",
                    "code": 100,
                    "fbtrace_id": "x",
                }
            }
        record["json"] = payload
        problem = self._invalid(payload)
        if problem:
            return 400, {
                "error": {
                    "message": problem,
                    "type": "OAuthException",
                    "code": 100,
                    "fbtrace_id": "x",
                }
            }
        if self.planned:
            return self.error_body(self.planned.popleft())
        return 200, {
            "messaging_product": "whatsapp",
            "contacts": [{"input": payload["to"], "wa_id": payload["to"]}],
            "messages": [{"id": f"wamid.HBgLNjI4MTIzNDU2Nzg5MBUCABEYEj{next(self._ids):04d}"}],
        }

    @staticmethod
    def _invalid(payload) -> str:
        if payload.get("messaging_product") != "whatsapp":
            return "(#100) The parameter messaging_product is required."
        if not str(payload.get("to", "")).isdigit():
            return "(#100) Invalid parameter: to"
        kind = payload.get("type", "text")
        if kind == "text":
            body = (payload.get("text") or {}).get("body")
            if not body or len(body) > 4096:
                return "(#100) Param text['body'] is required"
        elif kind == "template":
            template = payload.get("template") or {}
            if not template.get("name") or not (template.get("language") or {}).get("code"):
                return "(#100) Param template['name'] and template['language'] are required"
        else:
            return f"(#100) Unsupported message type {kind}"
        return ""

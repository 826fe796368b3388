"""WhatsApp Cloud API (Meta's Graph API): template and text messages, webhooks.

The adapter is a plain HTTP client of the documented endpoint
``POST {base_url}/{phone-number-id}/messages``; the base URL is a setting of the shop
(``https://graph.facebook.com/v21.0`` by default), which is how the tests point it at a
local server that implements the same endpoint and its documented errors.

Rules it follows (Meta's "Send messages", "Error codes" and "Webhooks" pages):

* inside the customer service window (the customer wrote in the last 24 hours) any
  text may be sent; outside it only an approved template;
* errors are classified: throttling and temporary faults are retried with backoff;
  an expired token pauses the shop's sends until a new one is saved; re-engagement
  (131047), undeliverable (131026) and template errors fail the message;
* webhooks are accepted only with a valid ``X-Hub-Signature-256`` (HMAC-SHA256 of the
  raw body with the app secret), compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from django.utils.translation import gettext, override
from django.utils.translation import gettext_lazy as _

from merdeka.core.phone import normalize_phone
from merdeka.core.scoping import shop_scope
from merdeka.outreach.channels.base import Channel, ChannelError, Outgoing, SendResult
from merdeka.outreach.models import WhatsAppCloudSettings
from merdeka.privacy.models import ConsentChannel

SERVICE_WINDOW = timedelta(hours=24)
TIMEOUT = 15

# Meta's error codes (developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes)
RETRYABLE = {
    1,  # API unknown
    2,  # API service temporarily unavailable
    4,  # too many calls (application rate limit)
    80007,  # rate limit issues (business account)
    130429,  # rate limit hit (Cloud API throughput)
    131000,  # something went wrong
    131016,  # service unavailable
    131056,  # (business, consumer) pair rate limit hit
    133004,  # server temporarily unavailable
}
PAUSE = {0, 3, 10, 190, 200}  # the token or the app's permissions need the seller
REENGAGEMENT = 131047
OPTED_OUT = 131050  # the person stopped marketing messages from this business

_MESSAGES = {
    REENGAGEMENT: _(
        "More than 24 hours since the customer last wrote: only a template may be sent."
    ),
    131026: _("WhatsApp could not deliver this message (the number may not use WhatsApp)."),
    131048: _("WhatsApp limited this number because of spam reports; sending stopped."),
    131049: _("WhatsApp chose not to deliver this marketing message now."),
    OPTED_OUT: _("The customer stopped marketing messages in WhatsApp."),
    131051: _("This message type is not supported."),
    132000: _("The number of template values does not match the template."),
    132001: _("This template does not exist in your WhatsApp account (name or language)."),
    133010: _("The phone number of your WhatsApp account is not registered."),
    190: _("The access token has expired. Save a new one in the WhatsApp Cloud API settings."),
}


class GraphError(Exception):
    def __init__(self, status: int, code: int | None, subcode: int | None, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.subcode = subcode
        self.message = message


def _check_url(url: str) -> str:
    if urlsplit(url).scheme not in ("http", "https"):
        raise ValueError("the Graph API address must be http(s)")
    return url


def graph_post(*, base_url: str, path: str, token: str, payload: dict) -> dict:
    """POST JSON to the Graph API; raise GraphError with Meta's error code on failure."""
    url = _check_url(f"{base_url.rstrip('/')}/{path.lstrip('/')}")
    return _call(url, token, data=json.dumps(payload).encode(), method="POST")


def graph_get(*, url: str, token: str) -> dict:
    return _call(_check_url(url), token, data=None, method="GET")


def _call(url: str, token: str, *, data: bytes | None, method: str) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(  # noqa: S310 - scheme checked by the callers
        url, data=data, method=method, headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            error = json.loads(exc.read() or b"{}").get("error") or {}
        except (ValueError, AttributeError):
            error = {}
        raise GraphError(
            exc.code, error.get("code"), error.get("error_subcode"), error.get("message", "")
        ) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise GraphError(0, None, None, type(exc).__name__) from None


def classify(error: GraphError) -> ChannelError:
    """Turn a Graph API error into what the send pipeline should do about it."""
    code = error.code
    label = f"wa_{code}" if code is not None else f"http_{error.status}"
    known = _MESSAGES.get(code)
    if code in PAUSE or error.status == 401:
        refused = _(
            "WhatsApp refused the access token or its permissions. Check the Cloud API settings."
        )
        return ChannelError(label, str(_MESSAGES[190] if code == 190 else refused), pause=True)
    if code in RETRYABLE or error.status >= 500 or error.status in (0, 429):
        return ChannelError(
            label, str(_("WhatsApp is busy or unreachable; trying again later.")), retryable=True
        )
    if code == REENGAGEMENT:
        return ChannelError(label, str(known), window=True)
    if code == OPTED_OUT:
        return ChannelError(label, str(known), opted_out=True)
    return ChannelError(
        label,
        str(
            known
            or _("WhatsApp refused this message (code %(code)s).")
            % {"code": code if code is not None else error.status}
        ),
    )


def text_payload(to: str, body: str) -> dict:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": {"preview_url": True, "body": body},
    }


def template_payload(to: str, *, name: str, language: str, params: list[str]) -> dict:
    template: dict = {"name": name, "language": {"code": language}}
    if params:
        template["components"] = [
            {"type": "body", "parameters": [{"type": "text", "text": p} for p in params]}
        ]
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "template",
        "template": template,
    }


STOP_BUTTONS = {"stop", "berhenti", "stop promotions", "hentikan promosi"}
MAX_TEMPLATE_PAGES = 20


def fetch_templates(*, base_url: str, business_account_id: str, token: str) -> list[dict]:
    """The approved templates of a WhatsApp Business account (Graph API
    ``GET /{waba-id}/message_templates``), as name, language, category, body text, and
    whether the template tells the customer how to stop (its text or a quick reply)."""
    query = urlencode(
        {"fields": "name,language,status,category,components", "status": "APPROVED", "limit": 100}
    )
    url = f"{base_url.rstrip('/')}/{business_account_id}/message_templates?{query}"
    origin = urlsplit(base_url)[:2]
    found = []
    for _page in range(MAX_TEMPLATE_PAGES):
        answer = graph_get(url=url, token=token)
        for item in answer.get("data") or []:
            if not isinstance(item, dict) or item.get("status", "APPROVED") != "APPROVED":
                continue
            body, buttons = "", []
            for component in item.get("components") or []:
                if not isinstance(component, dict):
                    continue
                if component.get("type") == "BODY":
                    body = str(component.get("text", ""))
                elif component.get("type") == "BUTTONS":
                    buttons += [str(b.get("text", "")) for b in component.get("buttons") or []]
            found.append(
                {
                    "name": str(item.get("name", ""))[:512],
                    "language": str(item.get("language", ""))[:15],
                    "category": str(item.get("category", "")),
                    "body": body[:1024],
                    "has_way_out": bool(re.search(r"\b(berhenti|stop)\b", body, re.IGNORECASE))
                    or any(b.strip().casefold() in STOP_BUTTONS for b in buttons),
                }
            )
        following = (answer.get("paging") or {}).get("next")
        # follow Meta's next page only on the same server as the configured address
        if not following or urlsplit(following)[:2] != origin:
            break
        url = following
    return found


def wa_digits(e164: str) -> str:
    return "".join(ch for ch in e164 if ch.isdigit())


def signature_valid(*, app_secret: str, body: bytes, header: str | None) -> bool:
    """``X-Hub-Signature-256: sha256=<hex>``, checked in constant time."""
    if not header or not app_secret or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


def account_for(shop):
    with shop_scope(shop):
        return WhatsAppCloudSettings.objects.filter(shop=shop).first()


class CloudApiChannel(Channel):
    kind = "cloudapi"
    consent_channel = ConsentChannel.WHATSAPP

    def address(self, customer) -> str | None:
        return normalize_phone(customer.phone)

    def unavailable_reason(self, shop) -> str | None:
        account = account_for(shop)
        if account is None:
            return str(_("The WhatsApp Cloud API is not set up for this shop yet."))
        if account.token_invalid_at:
            return str(_MESSAGES[190])
        return None

    def footer(self, unsubscribe_url: str) -> str:
        with override("id"):
            return gettext("Don't want these messages any more? Reply BERHENTI or open %(url)s") % {
                "url": unsubscribe_url
            }

    def send(self, message: Outgoing) -> SendResult:
        account = account_for(message.shop)
        if account is None or account.token_invalid_at:
            raise ChannelError("not_configured", self.unavailable_reason(message.shop), pause=True)
        to = wa_digits(message.address)
        if message.template is not None:
            payload = template_payload(
                to,
                name=message.template.name,
                language=message.template.language,
                params=message.params,
            )
        else:
            payload = text_payload(to, message.body)
        try:
            answer = graph_post(
                base_url=account.base_url,
                path=f"{account.phone_number_id}/messages",
                token=account.access_token,
                payload=payload,
            )
        except GraphError as exc:
            raise classify(exc) from None
        messages = answer.get("messages") or [{}]
        return SendResult(provider_message_id=str(messages[0].get("id", "")))

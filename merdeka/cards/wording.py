"""What a buyer agrees to on the sign-up page, word for word, by version.

The consent ledger stores the version with every choice made on the page (UU PDP art.
22 and 24: consent is recorded and the shop can show what the person saw). Change the
wording only together with a new version.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

WORDING_VERSION = "signup-2026-12"

CONSENT_TEXT = {
    "whatsapp": _(
        "Yes, %(shop)s may send me news and promotions on WhatsApp. I can stop them at any "
        "time by replying BERHENTI."
    ),
    "email": _(
        "Yes, %(shop)s may send me news and promotions by email. I can unsubscribe at any time."
    ),
}

NOTICE_TEXT = _(
    "%(shop)s keeps your name and number encrypted, to know you as a customer and, only if "
    "you tick a box, to send you news on that channel. You may ask %(shop)s at any time to "
    "show, correct or delete your data."
)


def consent_text(channel: str, shop_name: str) -> str:
    return str(CONSENT_TEXT[channel]) % {"shop": shop_name}

"""Exceptions to the strict Content-Security-Policy (settings: ``CONTENT_SECURITY_POLICY``),
named once.

``form_to_whatsapp``: a page whose form is answered with a redirect to WhatsApp (a
wa.me link with the message filled in, for the seller's own phone). Browsers hold the
redirect of a form to the policy's ``form-action`` of the page the form sits on, which
allows only this site; such a page also allows wa.me, which may hand on to
api.whatsapp.com. Nothing else is opened.
"""

from __future__ import annotations

from csp.decorators import csp_update

WHATSAPP = ["https://wa.me", "https://api.whatsapp.com"]

form_to_whatsapp = csp_update({"form-action": WHATSAPP})

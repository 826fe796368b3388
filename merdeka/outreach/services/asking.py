"""Asking customers for consent, one to one, through the wa.me send queue.

Every imported customer starts "not asked": no promotion may reach them. A consent
request is not a promotion: it is a personal message to one customer at a time, from
the seller's own phone (each one a tap in the queue), that carries the link to the
shop's sign-up page (the cards app's page, through the shop's WhatsApp invitation)
and says that ignoring it is fine. It goes as an order-service message (no opt-in
needed, never to a customer on hold), and only to customers who never made a choice
about WhatsApp: a "no" is never asked again. What the customer ticks on the sign-up
page is recorded as every sign-up is (``cards.services.signup_submit``: source
"signup", the batch and the wording version as evidence).

Locks: none of its own; ``campaign_send`` locks the request while it starts.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, override
from django.utils.translation import gettext as _

from merdeka.cards.services import invitation_batch
from merdeka.core.scoping import shop_scope
from merdeka.core.wording import format_date
from merdeka.outreach.models import Campaign, ChannelKind, Purpose
from merdeka.outreach.selectors import not_asked_customers
from merdeka.outreach.services.campaigns import campaign_save, campaign_send
from merdeka.outreach.services.common import OutreachError, public_url

MAX_ASKED = 2000  # one tap each: more than a seller can send in a sitting


def consent_request_text(*, shop) -> str:
    """The message, in Indonesian (it is for the customer), with the sign-up link."""
    batch = invitation_batch(shop=shop)
    link = public_url(reverse("signup", kwargs={"shop_slug": shop.slug, "token": batch.token}))
    with override("id"):
        return gettext(
            "Hi {nama_depan}, this is {toko}. May we send you news and offers on "
            "WhatsApp now and then? If yes, choose what you want here: %(link)s\n"
            "If not, just ignore this message: we will not send you promotions."
        ) % {"link": link}


def consent_request_create(*, shop, actor, customer_ids=None, request=None) -> Campaign:
    """Queue a request for consent to ``customer_ids`` (or, with None, to every
    customer never asked), each as a wa.me link in the send queue. Customers who
    cannot be asked (already chose, no number, on hold, another shop's) are left out.
    Raises ``OutreachError`` when nobody is left. Returns the request (a campaign:
    its queue and its log are the campaign's)."""
    with shop_scope(shop):
        askable = not_asked_customers(shop=shop)
        if customer_ids is not None:
            askable = askable.filter(pk__in=[int(pk) for pk in customer_ids])
        ids = list(askable.values_list("pk", flat=True)[: MAX_ASKED + 1])
    if not ids:
        raise OutreachError(
            _(
                "Nobody to ask: everyone chosen has already said yes or no to WhatsApp "
                "messages, or has no WhatsApp number."
            )
        )
    if len(ids) > MAX_ASKED:
        ids = ids[:MAX_ASKED]
    with override("id"):
        name = gettext("Consent request, %(date)s") % {"date": format_date(timezone.now())}
    campaign = campaign_save(
        shop=shop,
        actor=actor,
        request=request,
        fields={
            "name": name,
            "channel": ChannelKind.WALINK,
            "purpose": Purpose.SERVICE,
            "body": consent_request_text(shop=shop),
            "audience_kind": Campaign.Audience.CHOSEN,
            "audience_ids": ids,
            "consent_request": True,
        },
    )
    campaign_send(shop=shop, campaign=campaign, actor=actor, request=request)
    return campaign

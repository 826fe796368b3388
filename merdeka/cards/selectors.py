from __future__ import annotations

from django.db.models import Count, Q

from merdeka.cards.models import CardBatch, SignUp
from merdeka.core.scoping import shop_scope


def batch_list(*, shop):
    """The shop's batches, newest first, each with its sign-ups (and how many of them
    were buyers the shop already knew)."""
    with shop_scope(shop):
        return list(
            CardBatch.objects.filter(shop=shop, kind=CardBatch.Kind.CARDS)
            .annotate(
                signups_total=Count("signups"),
                signups_known=Count("signups", filter=Q(signups__known_before=True)),
            )
            .order_by("-created_at", "-id")
        )


def batch_get(*, shop, batch_id: int) -> CardBatch:
    with shop_scope(shop):
        return CardBatch.objects.get(shop=shop, pk=batch_id)


def batch_for_signup(*, shop_slug: str, token: str) -> CardBatch:
    """The batch a printed QR code names. The one lookup outside a shop scope, by
    design: the unguessable token (and the shop's short name) is the only way in, and
    a token shown with another shop's name finds nothing."""
    return CardBatch.unscoped.select_related("shop").get(shop__slug=shop_slug, token=token)


def invitation_signups(*, shop) -> int:
    """How many customers signed up through the shop's WhatsApp invitations."""
    with shop_scope(shop):
        return SignUp.objects.filter(shop=shop, batch__kind=CardBatch.Kind.INVITATION).count()

from merdeka.core.selectors import may_export


def shop(request):
    membership = getattr(request, "membership", None)
    return {
        "current_shop": getattr(request, "shop", None),
        "current_membership": membership,
        "is_owner": bool(membership and membership.is_owner),
        "may_export": may_export(membership),
        "user_memberships": getattr(request, "memberships", []),
    }

def shop(request):
    membership = getattr(request, "membership", None)
    return {
        "current_shop": getattr(request, "shop", None),
        "current_membership": membership,
        "is_owner": bool(membership and membership.is_owner),
        "user_memberships": getattr(request, "memberships", []),
    }

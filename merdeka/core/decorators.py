from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from merdeka.core.selectors import may_export


def shop_member(view=None, *, owner: bool = False, export: bool = False):
    """Require a signed-in member of the current shop; ``owner=True`` for owners only,
    ``export=True`` for those who may take personal data out (``selectors.may_export``)."""

    def decorator(func):
        @login_required
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            if request.membership is None:
                return render(request, "core/no_shop.html", status=403)
            if owner and not request.membership.is_owner:
                raise PermissionDenied
            if export and not may_export(request.membership):
                raise PermissionDenied
            return func(request, *args, **kwargs)

        return wrapper

    return decorator(view) if view is not None else decorator

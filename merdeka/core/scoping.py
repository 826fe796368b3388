"""The tenant guard: queries on shop-owned models must run inside a shop scope.

A request gets its scope from ``ShopMiddleware``; commands and tasks open one with
``shop_scope(shop)``. Outside any scope the scoped managers raise ``ScopeError``
instead of returning every shop's rows (fail closed). ``scopes_disabled()`` is the
explicit, greppable escape hatch for cross-shop maintenance (migrations, key
rotation of every shop, the backup check).
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import models

_ALL = object()
_current: contextvars.ContextVar[object | None] = contextvars.ContextVar(
    "merdeka_shop_scope", default=None
)


class ScopeError(RuntimeError):
    """A shop-owned model was queried without a shop scope."""


def current_shop_id() -> int | None:
    value = _current.get()
    if value is None or value is _ALL:
        return None
    return value  # type: ignore[return-value]


@contextmanager
def shop_scope(shop) -> Iterator[None]:
    """Run the block with queries limited to ``shop`` (a Shop or its id)."""
    shop_id = shop if isinstance(shop, int) else shop.pk
    if shop_id is None:
        raise ScopeError("shop_scope() needs a saved shop")
    token = _current.set(shop_id)
    try:
        yield
    finally:
        _current.reset(token)


@contextmanager
def scopes_disabled() -> Iterator[None]:
    token = _current.set(_ALL)
    try:
        yield
    finally:
        _current.reset(token)


class ShopScopedManager(models.Manager):
    """Default manager of every shop-owned model: filters by the scope, or raises."""

    def get_queryset(self):
        scope = _current.get()
        queryset = super().get_queryset()
        if scope is _ALL:
            return queryset
        if scope is None:
            raise ScopeError(
                f"{self.model.__name__} was queried outside a shop scope; "
                "use shop_scope(shop) or a selector that takes shop="
            )
        return queryset.filter(shop_id=scope)


class ShopOwnedModel(models.Model):
    """Base for every tenant-owned table: it carries its shop and is guarded."""

    shop = models.ForeignKey("core.Shop", on_delete=models.CASCADE, related_name="+")

    objects = ShopScopedManager()
    unscoped = models.Manager()

    class Meta:
        abstract = True
        base_manager_name = "unscoped"
        default_manager_name = "objects"

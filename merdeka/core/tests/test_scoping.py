from __future__ import annotations

import pytest
from django.apps import apps
from django.db import models

from merdeka.core.models import Membership
from merdeka.core.scoping import ScopeError, ShopScopedManager, scopes_disabled, shop_scope
from merdeka.customers.models import Customer
from merdeka.customers.services import customer_create


def tenant_models():
    for model in apps.get_models():
        try:
            field = model._meta.get_field("shop")
        except Exception:
            continue
        if isinstance(field, models.ForeignKey):
            yield model


def test_every_shop_owned_model_is_guarded_by_default():
    found = list(tenant_models())
    assert Customer in found and Membership in found
    for model in found:
        assert isinstance(model._default_manager, ShopScopedManager), model


def test_querying_a_shop_owned_model_without_a_shop_is_refused(ika_shop):
    for model in tenant_models():
        with pytest.raises(ScopeError):
            list(model.objects.all())


def test_a_scope_shows_only_that_shops_rows(ika_shop, citra_shop):
    customer_create(shop=ika_shop, name="Pelanggan Ika")
    customer_create(shop=citra_shop, name="Pelanggan Citra")
    with shop_scope(ika_shop):
        assert [c.name for c in Customer.objects.all()] == ["Pelanggan Ika"]
        # even an explicit filter on another shop returns nothing
        assert not Customer.objects.filter(shop=citra_shop).exists()
    with shop_scope(citra_shop):
        assert [c.name for c in Customer.objects.all()] == ["Pelanggan Citra"]
    with scopes_disabled():
        assert Customer.objects.count() == 2


def test_the_scope_ends_with_its_block(ika_shop):
    with shop_scope(ika_shop):
        Customer.objects.count()
    with pytest.raises(ScopeError):
        Customer.objects.count()

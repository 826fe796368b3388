"""Shared fixtures: the personas every test speaks of.

* ``ika`` owns "Dapur Kue Bu Ika" (shop ``ika_shop``);
* ``rina`` is staff in that shop;
* ``citra`` owns another shop, "Toko Citra", and must never see Ika's data.
"""

from __future__ import annotations

import os

import pytest
from django.db import connections

from merdeka.core import services
from merdeka.core.models import Role
from merdeka.core.scoping import shop_scope
from merdeka.core.tests import testdb
from merdeka.privacy import keys

PASSWORD = "kue-lapis-legit-2026"

DATABASE_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "live_server"}


def pytest_collection_modifyitems(config, items):
    """The PostgreSQL half (``MERDEKA_TEST_DATABASE_URL``) runs the tests that reach the
    database. A test that never does (parsers, the OCR, sheets, hypothesis on pure
    functions: pytest-django refuses them a database) gives the same result under
    both, so it runs once, in the SQLite half."""
    if not os.environ.get("MERDEKA_TEST_DATABASE_URL"):
        return
    keep, drop = [], []
    for item in items:
        uses = item.get_closest_marker("django_db") is not None or DATABASE_FIXTURES & set(
            getattr(item, "fixturenames", ())
        )
        (keep if uses else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def django_db_keepdb(request, django_db_modify_db_settings, django_db_blocker):
    """pytest-django's database set-up, on a copy of a template migrated once
    (merdeka/core/tests/testdb.py) instead of migrating in every worker: the copy is handed to it as
    a kept database, and dropped at the end as pytest-django drops the ones it makes.
    ``--reuse-db`` and ``--create-db`` keep their meaning."""
    if request.config.getvalue("reuse_db") or request.config.getvalue("create_db"):
        yield request.config.getvalue("reuse_db")
        return
    with django_db_blocker.unblock():
        testdb.copy_template_to_worker()
    yield True
    with django_db_blocker.unblock():
        connection = connections[testdb.ALIAS]
        connection.close()
        try:
            connection.creation._destroy_test_db(connection.settings_dict["NAME"], verbosity=0)
        except Exception as exc:  # as pytest-django's own teardown: a warning
            request.node.warn(pytest.PytestWarning(f"test database not dropped: {exc!r}"))


@pytest.fixture(autouse=True)
def _fresh_key_cache():
    keys.forget_cached_keys()
    yield
    keys.forget_cached_keys()


def make_user(username: str, first_name: str = ""):
    user, _ = services.user_create(username=username, password=PASSWORD, first_name=first_name)
    return user


@pytest.fixture
def ika(db):
    return make_user("ika", "Ika Rahmawati")


@pytest.fixture
def ika_shop(ika):
    return services.shop_create(name="Dapur Kue Bu Ika", owner=ika, slug="dapur-ika")


@pytest.fixture
def rina(ika, ika_shop):
    user = make_user("rina", "Rina Wulandari")
    services.staff_add(shop=ika_shop, actor=ika, username="rina", role=Role.STAFF)
    return user


@pytest.fixture
def citra(db):
    return make_user("citra", "Citra Kirana")


@pytest.fixture
def citra_shop(citra):
    return services.shop_create(name="Toko Citra", owner=citra, slug="toko-citra")


@pytest.fixture
def ika_client(client, ika, ika_shop):
    client.force_login(ika)
    return client


@pytest.fixture
def rina_client(client, rina):
    client.force_login(rina)
    return client


@pytest.fixture
def citra_client(client, citra, citra_shop):
    client.force_login(citra)
    return client


@pytest.fixture
def in_shop():
    """``with in_shop(shop): ...`` opens a shop scope inside a test."""
    return shop_scope

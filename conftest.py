"""Shared fixtures: the personas every test speaks of.

* ``ika`` owns "Dapur Kue Bu Ika" (shop ``ika_shop``);
* ``rina`` is staff in that shop;
* ``citra`` owns another shop, "Toko Citra", and must never see Ika's data.
"""

from __future__ import annotations

import os

import pytest
from django.db import connections
from pytest_django.plugin import validate_django_db

from merdeka.core import services
from merdeka.core.models import Role
from merdeka.core.scoping import shop_scope
from merdeka.core.tests import testdb
from merdeka.privacy import keys

PASSWORD = "kue-lapis-legit-2026"

DATABASE_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "live_server"}


def _db_group(item) -> int:
    """pytest-django's order (Django's): tests in a transaction that is rolled back (0),
    then tests that commit and flush the database (1), then tests without one (2)."""
    marker = item.get_closest_marker("django_db")
    fixtures = set(getattr(item, "fixturenames", ()))
    flushes = bool({"transactional_db", "live_server", "django_db_reset_sequences"} & fixtures)
    if marker:
        transaction, reset_sequences, *_ = validate_django_db(marker)
        flushes = flushes or transaction or reset_sequences
    if flushes:
        return 1
    return 0 if marker or "db" in fixtures else 2


@pytest.hookimpl(trylast=True)  # after pytest-django's sort, which this keeps
def pytest_collection_modifyitems(config, items):
    """The tests marked ``slow`` first, then the others in their usual order.

    xdist hands the tests out in this order (``-n``'s load scheduling: a first batch to
    each worker, then more to whichever runs short), so a test of a minute handed out
    last leaves the other worker idle for that minute; handed out first, it runs while
    the other worker takes the short ones, and the run ends on short tests. A slow test
    that commits (and so flushes the database after it) goes first among those that
    commit, never before the tests that run in a rolled-back transaction: a flush
    empties the rows the migrations put in, which those may read.

    The PostgreSQL half (``MERDEKA_TEST_DATABASE_URL``) runs the tests that reach the
    database. A test that never does (parsers, the OCR, sheets, hypothesis on pure
    functions: pytest-django refuses them a database) gives the same result under
    both, so it runs once, in the SQLite half."""

    def order(item):
        group, slow = _db_group(item), item.get_closest_marker("slow") is not None
        return (-1 if slow and group != 1 else group, not slow)

    items.sort(key=order)  # stable: the usual order within each group
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

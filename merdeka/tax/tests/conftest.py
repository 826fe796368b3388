import datetime as dt
import itertools

import pytest

from merdeka.books.chart import accounts_by_key
from merdeka.books.models import Source
from merdeka.books.posting import Line, entry_post
from merdeka.outreach.tests.conftest import smtp  # noqa: F401
from merdeka.tax.profile import profile_update

_keys = itertools.count()


def sale(shop, day: dt.date, amount: int, *, shipping: int = 0, discount: int = 0):
    """Revenue as the books post a delivered order: gross sales, shipping, discounts."""
    acc = accounts_by_key(shop=shop, keys=["cash", "sales", "shipping_income", "discounts"])
    lines = [
        Line(acc["cash"], debit=amount + shipping - discount),
        Line(acc["sales"], credit=amount),
    ]
    if shipping:
        lines.append(Line(acc["shipping_income"], credit=shipping))
    if discount:
        lines.append(Line(acc["discounts"], debit=discount))
    return entry_post(
        shop=shop, date=day, source=Source.MANUAL, key=f"sale-{next(_keys)}", lines=lines
    )


def refund(shop, day: dt.date, amount: int):
    """A delivered order returned: its sales reversed on the day it comes back."""
    acc = accounts_by_key(shop=shop, keys=["cash", "sales"])
    return entry_post(
        shop=shop,
        date=day,
        source=Source.MANUAL,
        key=f"refund-{next(_keys)}",
        lines=[Line(acc["sales"], debit=amount), Line(acc["cash"], credit=amount)],
    )


@pytest.fixture
def as_pt(ika_shop):
    return profile_update(shop=ika_shop, legal_form="pt", registered_year=2025)

"""What a seller records by hand: expenses, transfers, the owner's money, opening
balances; each once per tap, balanced, audited, and shown in the reports."""

from __future__ import annotations

import datetime as dt

import pytest

from merdeka.books import services
from merdeka.books.chart import accounts_by_key
from merdeka.books.posting import today
from merdeka.books.selectors import report
from merdeka.core.scoping import shop_scope
from merdeka.core.services import ServiceError
from merdeka.privacy.models import AuditEvent


@pytest.fixture
def acc(ika_shop):
    return accounts_by_key(
        shop=ika_shop,
        keys=["cash", "bank", "marketplace:shopee", "expense:packaging", "payable", "sales"],
    )


def figures(shop):
    day = today(shop)
    return report(shop=shop, date_from=day - dt.timedelta(days=400), date_to=day)


def test_an_expense_from_cash_lowers_profit_and_cash_once_per_tap(ika_shop, rina, acc):
    for _tap in range(2):
        services.expense_record(
            shop=ika_shop, key="form-1", amount=45_000, category_id=acc["expense:packaging"],
            paid_from_id=acc["cash"], actor=rina, note="Kardus 20 lembar",
        )  # fmt: skip
    result = figures(ika_shop)
    assert result["profit_and_loss"]["expenses"] == 45_000
    assert result["balance_sheet"]["assets"] == -45_000
    with shop_scope(ika_shop):
        assert AuditEvent.objects.filter(action="books.expense_recorded").count() == 1


def test_an_expense_needs_an_expense_category_and_a_money_account(ika_shop, acc):
    with pytest.raises(ServiceError, match="kategori"):
        services.expense_record(
            shop=ika_shop, key="k", amount=1000, category_id=acc["sales"],
            paid_from_id=acc["cash"],
        )  # fmt: skip
    with pytest.raises(ServiceError):
        services.expense_record(
            shop=ika_shop, key="k", amount=1000, category_id=acc["expense:packaging"],
            paid_from_id=acc["payable"],
        )  # fmt: skip
    with pytest.raises(ServiceError):
        services.expense_record(
            shop=ika_shop, key="k", amount=-5, category_id=acc["expense:packaging"],
            paid_from_id=acc["cash"],
        )  # fmt: skip
    with pytest.raises(ServiceError, match="masa depan"):
        services.expense_record(
            shop=ika_shop, key="k", amount=5, category_id=acc["expense:packaging"],
            paid_from_id=acc["cash"], day=today(ika_shop) + dt.timedelta(days=2),
        )  # fmt: skip


def test_withdrawing_a_marketplace_balance_to_the_bank_moves_no_profit(ika_shop, acc):
    services.opening_balance_record(
        shop=ika_shop, account_id=acc["marketplace:shopee"], amount=900_000,
        day=today(ika_shop) - dt.timedelta(days=30),
    )  # fmt: skip
    services.transfer_record(
        shop=ika_shop, key="t1", amount=600_000, from_id=acc["marketplace:shopee"],
        to_id=acc["bank"],
    )  # fmt: skip
    result = figures(ika_shop)
    assert result["profit_and_loss"]["profit"] == 0
    assert result["balance_sheet"] == {"assets": 900_000, "liabilities": 0, "equity": 900_000}
    with pytest.raises(ServiceError):
        services.transfer_record(
            shop=ika_shop, key="t2", amount=1, from_id=acc["bank"], to_id=acc["bank"]
        )


def test_the_owners_capital_and_drawings_move_equity_not_profit(ika_shop, ika, acc):
    services.owner_money_record(
        shop=ika_shop, key="in", amount=5_000_000, account_id=acc["bank"], putting_in=True,
        actor=ika,
    )  # fmt: skip
    services.owner_money_record(
        shop=ika_shop, key="out", amount=750_000, account_id=acc["cash"], putting_in=False,
        actor=ika,
    )  # fmt: skip
    result = figures(ika_shop)
    assert result["profit_and_loss"]["profit"] == 0
    assert result["balance_sheet"] == {
        "assets": 4_250_000,
        "liabilities": 0,
        "equity": 4_250_000,
    }
    assert result["trial_balance"]["debit"] == result["trial_balance"]["credit"] == 5_750_000


def test_an_opening_balance_is_recorded_once_per_account(ika_shop, acc):
    first = services.opening_balance_record(
        shop=ika_shop, account_id=acc["payable"], amount=300_000, day=today(ika_shop)
    )
    again = services.opening_balance_record(
        shop=ika_shop, account_id=acc["payable"], amount=999_999, day=today(ika_shop)
    )
    assert first.pk == again.pk
    assert figures(ika_shop)["balance_sheet"] == {
        "assets": 0,
        "liabilities": 300_000,
        "equity": -300_000,
    }

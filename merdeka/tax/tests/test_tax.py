"""PPh Final UMKM to the rupiah: below the allowance, the crossing month, a business
starting mid-year, refunds in a later month, a PT, shops sharing an NPWP; the due
date's holidays; the years a legal form may use the final rate as dated data."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command

from merdeka.books import statements
from merdeka.books.chart import accounts_by_key
from merdeka.core import services as core_services
from merdeka.core.services import ServiceError
from merdeka.tax import rules
from merdeka.tax.profile import npwp_clean, profile_get, profile_update, taxpayer_shops
from merdeka.tax.services import tax_months, tax_paid, tax_payment_record, tax_year
from merdeka.tax.tests.conftest import refund, sale

pytestmark = pytest.mark.django_db
JUTA = 1_000_000


def d(month, day=10, year=2026):
    return dt.date(year, month, day)


def by_month(shop, year=2026):
    return {m.month.month: m for m in tax_months(shop, year)}


def test_a_new_shop_is_an_individual(ika_shop):
    assert profile_get(shop=ika_shop).legal_form == "perorangan"
    assert profile_get(shop=ika_shop).pk is None


def test_below_the_allowance_nothing_is_owed(ika_shop):
    sale(ika_shop, d(1), 100 * JUTA)
    sale(ika_shop, d(2), 150 * JUTA, shipping=2 * JUTA)
    months = by_month(ika_shop)
    assert months[1].turnover == 100 * JUTA and months[1].tax == 0
    assert months[2].turnover == 152 * JUTA and months[2].tax == 0
    assert months[2].year_to_date == 252 * JUTA
    assert len(months) == 12


def test_the_crossing_month_owes_half_a_percent_of_what_passes_the_allowance(ika_shop):
    sale(ika_shop, d(1), 300 * JUTA)
    sale(ika_shop, d(2), 250 * JUTA)
    sale(ika_shop, d(3), 10_000_123)
    months = by_month(ika_shop)
    assert months[1].tax == 0
    assert months[2].tax == 250_000  # 0.5% x (550 juta - 500 juta), not 0.5% x 250 juta
    assert months[3].tax == 50_000  # 50.000,615 rounded down to the rupiah
    assert months[3].base == 10_000_123


def test_discounts_do_not_lower_the_gross_turnover(ika_shop):
    sale(ika_shop, d(4), 10 * JUTA, discount=1 * JUTA)
    profile_update(shop=ika_shop, legal_form="cv", registered_year=2025)
    assert by_month(ika_shop)[4].turnover == 10 * JUTA
    assert by_month(ika_shop)[4].tax == 50_000


def test_a_business_started_mid_year_counts_from_its_first_month(ika_shop):
    profile_update(shop=ika_shop, legal_form="perorangan", started_on=dt.date(2026, 7, 20))
    sale(ika_shop, d(7, 25), 200 * JUTA)
    sale(ika_shop, d(9), 299_999_999)
    sale(ika_shop, d(10), 100_000_401)
    months = tax_months(ika_shop, 2026)
    assert [m.month for m in months] == [dt.date(2026, n, 1) for n in range(7, 13)]
    got = {m.month.month: m.tax for m in months}
    assert got[7] == 0 and got[9] == 0
    assert got[10] == 500_002  # 0.5% x (600.000.400 - 500.000.000) = 500.002
    assert got[11] == 0


def test_refunds_in_a_later_month_lower_that_month_and_carry_on(ika_shop, as_pt):
    sale(ika_shop, d(1), 10 * JUTA)
    sale(ika_shop, d(2), 4 * JUTA)
    refund(ika_shop, d(2, 20), 2 * JUTA)  # part of January's, returned in February
    refund(ika_shop, d(3), 3 * JUTA)  # more back than sold in March
    sale(ika_shop, d(4), 5 * JUTA)
    months = by_month(ika_shop)
    assert months[1].tax == 50_000  # January is never changed
    assert months[2].turnover == 2 * JUTA and months[2].tax == 10_000
    assert months[3].turnover == -3 * JUTA and months[3].tax == 0
    assert months[4].tax == 10_000  # 0.5% x (5 juta - 3 juta carried)
    assert sum(m.tax for m in months.values()) == (19 * JUTA - 5 * JUTA) // 200


def test_a_pt_has_no_allowance(ika_shop, as_pt):
    sale(ika_shop, d(1), 1_234_567)
    assert by_month(ika_shop)[1].tax == 6_172  # 6.172,835 rounded down


def test_shops_under_one_npwp_share_the_allowance(ika, ika_shop, citra, citra_shop):
    second = core_services.shop_create(name="Kue Ika Dua", owner=ika, slug="kue-ika-2")
    for shop in (ika_shop, second, citra_shop):
        profile_update(shop=shop, legal_form="perorangan", npwp="3201234567890001")
    assert [s.pk for s in taxpayer_shops(ika_shop)] == [ika_shop.pk, second.pk]
    assert taxpayer_shops(citra_shop) == [citra_shop]  # another owner's shop is not read
    sale(ika_shop, d(1), 400 * JUTA)
    sale(second, d(1), 200 * JUTA)
    sale(citra_shop, d(1), 200 * JUTA)
    first, other = by_month(ika_shop)[1], by_month(second)[1]
    assert first.taxpayer_tax == other.taxpayer_tax == 500_000
    assert (first.tax, other.tax) == (333_333, 166_667)
    assert by_month(citra_shop)[1].tax == 0


def test_the_due_date_moves_past_weekends_and_holidays():
    assert rules.due_date(dt.date(2026, 3, 1)) == dt.date(2026, 4, 15)
    assert rules.due_date(dt.date(2026, 2, 1)) == dt.date(2026, 3, 16)  # a Sunday
    assert rules.due_date(dt.date(2026, 4, 1)) == dt.date(2026, 5, 18)  # cuti bersama, weekend
    rules.holiday_add(day=dt.date(2026, 4, 15), name="Pemilu")
    assert rules.due_date(dt.date(2026, 3, 1)) == dt.date(2026, 4, 16)


def test_the_years_of_the_final_rate_are_dated_data(ika_shop):
    profile_update(shop=ika_shop, legal_form="perorangan", registered_year=2016)
    sale(ika_shop, d(1, year=2025), 600 * JUTA)
    year = tax_year(shop=ika_shop, year=2025)
    assert year.eligibility.last_year == 2024 and not year.final_rate
    assert year.months[0].tax == 0
    out = StringIO()
    call_command(
        "tax",
        "rules",
        "set",
        "--form",
        "perorangan",
        "--from",
        "2025-01-01",
        "--years",
        "8",
        stdout=out,
    )
    assert "2025-01-01" in out.getvalue()
    assert tax_year(shop=ika_shop, year=2025).months[0].tax == 500_000
    assert not rules.eligibility("pt", 2024, 2027).allowed
    assert rules.eligibility("pt", 2024, 2026).allowed


def test_a_year_after_one_over_the_limit_has_no_final_rate(ika_shop, as_pt):
    sale(ika_shop, d(6, year=2025), 4_800_000_001)
    assert tax_year(shop=ika_shop, year=2025).over_threshold
    assert tax_year(shop=ika_shop, year=2025).months[5].tax == 24_000_000
    sale(ika_shop, d(1), 10 * JUTA)
    assert not tax_year(shop=ika_shop, year=2026).final_rate
    assert by_month(ika_shop)[1].tax == 0


def test_the_owner_is_warned_as_the_year_nears_the_limit(ika_shop):
    sale(ika_shop, d(1), 4_100 * JUTA)
    assert tax_year(shop=ika_shop, year=2026).nearing_threshold


def test_the_recap_command_prints_integer_rupiah(ika_shop):
    sale(ika_shop, d(1), 300 * JUTA)
    sale(ika_shop, d(2), 250 * JUTA)
    out = StringIO()
    call_command("tax", "recap", "--shop", "dapur-ika", "--year", "2026", "--json", stdout=out)
    rows = json.loads(out.getvalue())
    assert rows[1] == {
        "month": "2026-02",
        "turnover": 250_000_000,
        "tax": 250_000,
        "due": "2026-03-16",
        "paid": 0,
        "year_to_date": 550_000_000,
    }
    assert all(isinstance(r["tax"], int) for r in rows)


def test_a_payment_posts_to_the_books_once(ika, ika_shop, as_pt):
    sale(ika_shop, d(1), 10 * JUTA)
    cash = accounts_by_key(shop=ika_shop, keys=["cash"])["cash"]
    for _twice in range(2):
        payment = tax_payment_record(
            shop=ika_shop,
            key="form-1",
            month=dt.date(2026, 1, 1),
            amount=50_000,
            paid_on=dt.date(2026, 2, 12),
            paid_from_id=cash,
            ntpn="0123456789abcdef",
            actor=ika,
        )
    assert payment.ntpn == "0123456789ABCDEF"
    assert by_month(ika_shop)[1].paid == 50_000 and by_month(ika_shop)[1].outstanding == 0
    assert tax_paid(ika_shop, dt.date(2026, 2, 1), dt.date(2026, 2, 28)) == 50_000
    assert tax_paid(ika_shop, dt.date(2026, 3, 1), dt.date(2026, 3, 31)) == 0
    pnl = statements.profit_and_loss(
        shop=ika_shop, date_from=dt.date(2026, 2, 1), date_to=dt.date(2026, 2, 28)
    )
    assert [(r.account.key, r.amount) for r in pnl.expenses] == [("tax_final", 50_000)]


def test_a_bad_ntpn_writes_nothing(ika_shop, as_pt):
    cash = accounts_by_key(shop=ika_shop, keys=["cash"])["cash"]
    with pytest.raises(ServiceError):
        tax_payment_record(
            shop=ika_shop,
            key="x",
            month=dt.date(2026, 1, 1),
            amount=1000,
            paid_on=dt.date(2026, 2, 1),
            paid_from_id=cash,
            ntpn="123",
        )
    assert tax_paid(ika_shop, dt.date(2026, 1, 1), dt.date(2026, 12, 31)) == 0


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("12.345.678.9-012.345", "123456789012345"),
        ("3201 2345 6789 0001", "3201234567890001"),
        ("", ""),
    ],
)
def test_an_npwp_has_15_or_16_digits(text, digits):
    assert npwp_clean(text) == digits


@pytest.mark.parametrize("text", ["12345", "12.345.678.9-012.34x", "12345678901234567"])
def test_a_wrong_npwp_is_refused(text):
    with pytest.raises(ServiceError):
        npwp_clean(text)

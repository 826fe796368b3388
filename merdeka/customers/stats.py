"""The customer list's numbers, kept in ``CustomerStats`` and recomputed set-wise in SQL.

The customers' module of set-wise SQL writes: every statement goes through ``rawsql``
with its shop (reads of these tables for pages are in ``selectors``).

* ``customer_stats_refresh`` — orders (valid ones: not cancelled or returned), spend,
  first and last order, channels, city and province of some or all customers;
* ``rfm_refresh`` — recency, frequency and monetary scores 1-5 by percentile among the
  shop's buying customers (window functions, SQLite >= 3.25 and PostgreSQL), and the
  named group each customer falls in;
* ``name_ranks_refresh`` — each customer's position in the alphabetical order of names
  (names are encrypted, so SQL cannot sort them; see the docstring there).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from merdeka.core import bulk, rawsql
from merdeka.customers.models import UNRANKED, Customer, CustomerStats, RfmGroupCount, RfmGroupDelta
from merdeka.customers.search import customer_fields, live_customer_fields, normalize_words
from merdeka.orders.models import Channel, Order, Status

RANK_SPACING = 1024  # room for hand-added names between two ranked ones
INVALID_STATUSES = (Status.CANCELLED.value, Status.RETURNED.value)
CHANNEL_BITS = {channel: 1 << i for i, channel in enumerate(Channel.values)}


def channel_bit(channel: str) -> int:
    return CHANNEL_BITS[channel]


def channels_of(mask: int) -> list[str]:
    return [channel for channel, bit in CHANNEL_BITS.items() if mask & bit]


def masks_with(bit: int) -> list[int]:
    """Every value of ``channels`` that has ``bit`` set (half of 2**channels)."""
    return [mask for mask in range(1, 1 << len(CHANNEL_BITS)) if mask & bit]


# -- RFM groups ------------------------------------------------------------------------
# (code, label, rule on recency r and frequency f): the first rule that holds names the
# group. Scores are 1-5, 5 = most recent / most often. Monetary is stored and shown
# beside them; the groups follow recency and frequency, as the usual RFM grid does.
RFM_GROUPS = [
    ("champions", _("Best customers"), lambda r, f: r >= 4 and f >= 4),
    ("loyal", _("Loyal customers"), lambda r, f: r >= 3 and f >= 3),
    ("cant_lose", _("Don't lose them"), lambda r, f: r <= 1 and f >= 4),
    ("at_risk", _("Almost lost"), lambda r, f: r <= 2 and f >= 3),
    ("new", _("New"), lambda r, f: r >= 4 and f <= 1),
    ("promising", _("Promising"), lambda r, f: r >= 3),
    ("about_to_sleep", _("Getting quiet"), lambda r, f: r == 2),
    ("hibernating", _("Asleep"), lambda r, f: r <= 1),
]
NO_ORDERS = "none"
RFM_LABELS = {code: label for code, label, _rule in RFM_GROUPS} | {NO_ORDERS: _("No orders yet")}


# The three scores in words, for a customer's page (never "R5 F3 M2" on screen):
# 4-5 high, 3 middle, 1-2 low.
RFM_WORDS = (
    ("rfm_recency", (_("has not bought for a long time"), _("bought a while ago"),
                     _("bought recently"))),
    ("rfm_frequency", (_("bought once or twice"), _("buys now and then"), _("buys often"))),
    ("rfm_monetary", (_("spends little"), _("spends an average amount"), _("spends a lot"))),
)  # fmt: skip


def rfm_words(stats) -> list[str]:
    """``["bought recently", "buys often", "spends a lot"]`` for scores 5, 4, 5."""
    words = []
    for attr, (low, middle, high) in RFM_WORDS:
        score = getattr(stats, attr, None) if stats is not None else None
        if score:
            words.append(str(high if score >= 4 else middle if score == 3 else low))
    return words


def rfm_group(recency: int, frequency: int) -> str:
    for code, _label, rule in RFM_GROUPS:
        if rule(recency, frequency):
            return code
    return NO_ORDERS  # pragma: no cover - the last rule always holds


# -- SQL helpers -------------------------------------------------------------------------


def _tables():
    return (
        CustomerStats._meta.db_table,
        Customer._meta.db_table,
        Order._meta.db_table,
    )


def _counts_table() -> str:
    return RfmGroupCount._meta.db_table


_FIRST_COUNT_LOCK = 0x52464D  # "RFM": the advisory lock space of a shop's first count


def _deltas_table() -> str:
    return RfmGroupDelta._meta.db_table


# -- RFM group counts, kept ------------------------------------------------------------


def group_counts_refresh(cursor, shop_id: int) -> dict[str, int]:
    """Count the shop's list rows per RFM group anew and store the counts (every known
    group, zeros included, so that a stored shop is a counted shop); returns them.

    On PostgreSQL the stored rows are locked before counting: a transaction that moves
    a count by a delta either committed before the count (and is in it) or waits and
    adds its delta after this one commits."""
    stats, table = _tables()[0], _counts_table()
    if connection.vendor == "postgresql":
        rawsql.execute(
            cursor,
            f'SELECT 1 FROM "{table}" WHERE shop_id = %s FOR UPDATE',  # noqa: S608
            [shop_id],
            shop_id=shop_id,
        )
    counts = dict(
        rawsql.fetchall(
            cursor,
            f"SELECT rfm_group, COUNT(*) FROM {stats} WHERE shop_id = %s "  # noqa: S608
            f"GROUP BY rfm_group",
            [shop_id],
            shop_id=shop_id,
        )
    )
    stored = dict.fromkeys(RFM_LABELS, 0) | counts
    rawsql.executemany(
        cursor,
        f'INSERT INTO "{table}" (shop_id, rfm_group, "count") VALUES (%s, %s, %s) '  # noqa: S608
        f'ON CONFLICT (shop_id, rfm_group) DO UPDATE SET "count" = excluded."count"',
        [(shop_id, group, n) for group, n in stored.items()],
        shop_id=shop_id,
    )
    rawsql.execute(
        cursor,
        f'UPDATE "{table}" SET "count" = 0 WHERE shop_id = %s AND "count" <> 0 '  # noqa: S608
        f"AND rfm_group NOT IN ({', '.join(['%s'] * len(stored))})",
        [shop_id, *stored],
        shop_id=shop_id,
    )
    # the deltas are in the count now (their writers hold a share lock on the rows
    # locked above until they commit, so none is half in)
    rawsql.execute(
        cursor,
        f'DELETE FROM "{_deltas_table()}" WHERE shop_id = %s',  # noqa: S608
        [shop_id],
        shop_id=shop_id,
    )
    return counts


def group_counts_add(cursor, shop_id: int, deltas: dict[str, int]) -> None:
    """Move the stored RFM group counts of a shop by ``deltas`` (group -> rows added,
    negative for rows removed), in the caller's transaction. A shop never counted is
    counted whole instead (its new rows included)."""
    deltas = {group: n for group, n in deltas.items() if n}
    if not deltas:
        return
    table = _counts_table()
    counted = f'SELECT 1 FROM "{table}" WHERE shop_id = %s LIMIT 1'  # noqa: S608
    if connection.vendor == "postgresql":
        # a share lock: adders never wait for one another, a whole count waits for them
        counted = f'SELECT 1 FROM "{table}" WHERE shop_id = %s FOR SHARE'  # noqa: S608
    if rawsql.fetchone(cursor, counted, [shop_id], shop_id=shop_id) is None:
        if connection.vendor == "postgresql":
            # two first counts of one shop: one at a time. An advisory lock, not a lock
            # on the shop's row: every order written holds a key-share lock on that row,
            # so two buyers each waiting for the other's to go deadlocked.
            rawsql.execute_unscoped(
                cursor,
                "SELECT pg_advisory_xact_lock(%s, %s)",
                [_FIRST_COUNT_LOCK, shop_id],
                why="a lock keyed by the shop's id, no rows read",
            )
            rawsql.execute(cursor, counted, [shop_id], shop_id=shop_id)
        if cursor.fetchone() is None:
            group_counts_refresh(cursor, shop_id)
            return
    rawsql.executemany(
        cursor,
        f'INSERT INTO "{_deltas_table()}" (shop_id, rfm_group, delta) '  # noqa: S608
        f"VALUES (%s, %s, %s)",
        [(shop_id, group, n) for group, n in sorted(deltas.items())],
        shop_id=shop_id,
    )


@transaction.atomic
def stats_rows_delete(*, shop, customer_ids: Iterable[int]) -> int:
    """Remove the list rows of customers about to be deleted (an erasure), keeping the
    group counts right; returns how many went."""
    stats = _tables()[0]
    shop_id = getattr(shop, "pk", shop)
    gone: Counter = Counter()
    with rawsql.cursor() as cursor:
        for part in bulk.chunks(list(customer_ids)):
            deleted = rawsql.fetchall(
                cursor,
                f"DELETE FROM {stats} WHERE shop_id = %s AND customer_id IN "  # noqa: S608
                f"({', '.join(['%s'] * len(part))}) RETURNING rfm_group",
                [shop_id, *part],
                shop_id=shop_id,
            )
            gone.update(group for (group,) in deleted)
        group_counts_add(cursor, shop_id, {group: -n for group, n in gone.items()})
    return sum(gone.values())


def _ids_clause(column: str, ids: list[int] | None) -> tuple[str, list]:
    if ids is None:
        return "", []
    return f" AND {column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def _channel_mask_sql() -> str:
    return " + ".join(
        f"MAX(CASE WHEN o.channel = '{channel}' THEN {bit} ELSE 0 END)"
        for channel, bit in CHANNEL_BITS.items()
    )


TOTALS = "customers_stats_totals"  # a temporary table of a whole-shop refresh
_TEMPORARY = "this connection's temporary table of one refresh"


def _totals_sql(where_o: str) -> str:
    """Each customer's numbers from their valid orders (cid, n, spend, first_at,
    last_at, mask); parameters: shop id, the ids of ``where_o``, the invalid statuses."""
    _stats, _customers, orders = _tables()
    invalid = ", ".join(["%s"] * len(INVALID_STATUSES))
    return (
        f"SELECT o.customer_id AS cid, COUNT(*) AS n, "  # noqa: S608
        f"CAST(COALESCE(SUM(o.total), 0) AS BIGINT) AS spend, "
        f"MIN(o.ordered_at) AS first_at, MAX(o.ordered_at) AS last_at, "
        f"{_channel_mask_sql()} AS mask "
        f"FROM {orders} o WHERE o.shop_id = %s AND o.customer_id IS NOT NULL{where_o} "
        f"AND o.status NOT IN ({invalid}) GROUP BY o.customer_id"
    )


def _refresh_part(cursor, shop_id: int, ids: list[int] | None) -> Counter:
    """One pass over some customers (or all); returns how the RFM group counts moved.

    The numbers come from a subquery over the orders of these customers, or, for the
    whole shop, from a temporary table computed once (``_totals_create``). A customer
    without a row gets one with their numbers at once (not a row of zeros that is
    then updated: at a million customers that doubled the writes, each through a
    dozen indexes); existing rows are written only where a number changed.
    """
    stats, customers, orders = _tables()
    where_c, args_c = _ids_clause("c.id", ids)
    where_s, args_s = _ids_clause("customer_id", ids)
    if ids is None:
        source, args_a = f"{TOTALS} a", []
    else:
        where_o, args_o = _ids_clause("o.customer_id", ids)
        source = f"({_totals_sql(where_o)}) a"
        args_a = [shop_id, *args_o, *INVALID_STATUSES]
    moved: Counter = Counter()
    # 1. merged-away customers have no row
    deleted = rawsql.fetchall(
        cursor,
        f"DELETE FROM {stats} WHERE shop_id = %s{where_s} AND customer_id IN "  # noqa: S608
        f"(SELECT c.id FROM {customers} c WHERE c.shop_id = %s "
        f"AND c.merged_into_id IS NOT NULL{where_c}) RETURNING rfm_group",
        [shop_id, *args_s, shop_id, *args_c],
        shop_id=shop_id,
    )
    moved.subtract(group for (group,) in deleted)
    # 2. every live customer has one, with their numbers
    rawsql.execute(
        cursor,
        f"INSERT INTO {stats} (customer_id, shop_id, order_count, total_spend, "  # noqa: S608
        f"first_order_at, last_order_at, channels, city_index, province, created_at, "
        f"rfm_group, name_rank) "
        f"SELECT c.id, c.shop_id, COALESCE(a.n, 0), COALESCE(a.spend, 0), a.first_at, "
        f"a.last_at, COALESCE(a.mask, 0), COALESCE(c.city_index, ''), c.province, "
        f"c.created_at, %s, %s "
        f"FROM {customers} c LEFT JOIN {source} ON a.cid = c.id "
        f"WHERE c.shop_id = %s AND c.merged_into_id IS NULL{where_c} "
        # not NOT EXISTS on the table being filled: a planner that takes it for empty
        # (PostgreSQL, right after it was analysed empty) scans it once per customer
        # inserted, quadratic (a 100k shop took minutes)
        f"ON CONFLICT (customer_id) DO NOTHING",
        [NO_ORDERS, UNRANKED, *args_a, shop_id, *args_c],
        shop_id=shop_id,
    )
    moved[NO_ORDERS] += max(cursor.rowcount, 0)
    if ids is None and connection.vendor == "postgresql":
        bulk.analyze(CustomerStats)  # it may have been empty a moment ago
    # 3. the numbers from valid orders, where they changed
    invalid = ", ".join(["%s"] * len(INVALID_STATUSES))
    rawsql.execute(
        cursor,
        f"UPDATE {stats} SET order_count = a.n, total_spend = a.spend, "  # noqa: S608
        f"first_order_at = a.first_at, last_order_at = a.last_at, channels = a.mask "
        f"FROM {source} "
        f"WHERE {stats}.customer_id = a.cid AND {stats}.shop_id = %s "
        f"AND ({stats}.order_count <> a.n OR {stats}.total_spend <> a.spend "
        f"OR {stats}.last_order_at IS NULL OR {stats}.last_order_at <> a.last_at "
        f"OR {stats}.first_order_at <> a.first_at OR {stats}.channels <> a.mask)",
        [*args_a, shop_id],
        shop_id=shop_id,
    )
    # 4. customers whose valid orders are all gone (moved by an undo, cancelled)
    rawsql.execute(
        cursor,
        f"UPDATE {stats} SET order_count = 0, total_spend = 0, first_order_at = NULL, "  # noqa: S608
        f"last_order_at = NULL, channels = 0 WHERE shop_id = %s{where_s} "
        f"AND (order_count <> 0 OR last_order_at IS NOT NULL) AND NOT EXISTS "
        f"(SELECT 1 FROM {orders} o WHERE o.shop_id = %s "
        f"AND o.customer_id = {stats}.customer_id AND o.status NOT IN ({invalid}))",
        [shop_id, *args_s, shop_id, *INVALID_STATUSES],
        shop_id=shop_id,
    )
    # 5. the city (its blind index) and the province, as the customer now has them
    rawsql.execute(
        cursor,
        f"UPDATE {stats} SET city_index = COALESCE(c.city_index, ''), "  # noqa: S608
        f"province = c.province "
        f"FROM {customers} c WHERE c.id = {stats}.customer_id AND {stats}.shop_id = %s"
        f"{where_c} AND ({stats}.city_index <> COALESCE(c.city_index, '') "
        f"OR {stats}.province <> c.province)",
        [shop_id, *args_c],
        shop_id=shop_id,
    )
    return moved


def _totals_create(cursor, shop_id: int) -> None:
    """The numbers of every customer of the shop, computed once into a temporary table
    (one pass over the orders) for the insert and the update of a whole-shop refresh."""
    rawsql.execute_unscoped(cursor, f"DROP TABLE IF EXISTS {TOTALS}", why=_TEMPORARY)
    rawsql.execute(
        cursor,
        f"CREATE TEMPORARY TABLE {TOTALS} AS {_totals_sql('')}",
        [shop_id, *INVALID_STATUSES],
        shop_id=shop_id,
    )
    rawsql.execute_unscoped(
        cursor, f"CREATE UNIQUE INDEX {TOTALS}_cid ON {TOTALS} (cid)", why=_TEMPORARY
    )
    if connection.vendor == "postgresql":
        # autovacuum never sees temporary tables
        rawsql.execute_unscoped(cursor, f"ANALYZE {TOTALS}", why=_TEMPORARY)


@transaction.atomic
def customer_stats_refresh(*, shop, customer_ids: Iterable[int] | None = None) -> None:
    """Recompute the list's numbers of some customers (or, with None, of the whole shop)
    from their orders, set-wise. Customers without orders get zeros; customers merged
    away lose their row; customers without a row get one (and the RFM group counts
    follow: rows gone leave their group, new rows join "no orders yet")."""
    shop_id = getattr(shop, "pk", shop)
    with rawsql.cursor() as cursor:
        if customer_ids is None:
            _analyze(Customer, Order)  # after a big import the planner must know it
            _totals_create(cursor, shop_id)
            _refresh_part(cursor, shop_id, None)
            # on an error the rollback drops it
            rawsql.execute_unscoped(cursor, f"DROP TABLE {TOTALS}", why=_TEMPORARY)
            _analyze(CustomerStats)
            group_counts_refresh(cursor, shop_id)
            return
        ids = list(dict.fromkeys(customer_ids))
        moved: Counter = Counter()
        for part in bulk.chunks(ids, 400):
            moved.update(_refresh_part(cursor, shop_id, list(part)))
        group_counts_add(cursor, shop_id, moved)


def _analyze(*models) -> None:
    """Fresh planner statistics after a whole-shop refresh. PostgreSQL (sampled, a
    fraction of a second): rows loaded by COPY a moment ago are otherwise unknown to the
    planner until autovacuum comes by, and it picks nested loops over a million rows.
    SQLite (a few seconds at a million rows, only for the stats table): without them an
    index looks more selective than it is, and a list page of many matches sorts them
    all instead of walking the order's index."""
    if connection.vendor == "postgresql":
        bulk.analyze(*models)
    elif connection.vendor == "sqlite" and CustomerStats in models:
        bulk.analyze(CustomerStats)


def stats_rows_create(*, shop, rows: Iterable[tuple[int, str, str]]) -> None:
    """Empty stats rows for new customers (id, city, province): they show in the list
    at once, and ``customer_stats_refresh`` fills in their orders. The city is kept as
    its blind index, as the customer row has it."""
    now = timezone.now()
    city_index = Customer._meta.get_field("city_index").indexer(shop.pk)
    made = bulk.insert(
        CustomerStats,
        ("customer", "shop", "city_index", "province", "created_at", "rfm_group"),
        ((pk, shop.pk, city_index(city) or "", (province or "")[:80], now, NO_ORDERS)
         for pk, city, province in rows),
        shop_id=shop.pk,
    )  # fmt: skip
    with rawsql.cursor() as cursor:
        group_counts_add(cursor, shop.pk, {NO_ORDERS: made})


# -- RFM -------------------------------------------------------------------------------


def _boundaries(cursor, stats: str, shop_id: int, column: str, where: str, n: int, skip: int):
    """The four values a score steps up after, as ``PERCENT_RANK`` would place them.

    Score = 1 + floor(5 * (number of smaller values) / (n - 1)), capped at 5: a value
    scores more than k exactly when it is above the t-th smallest value, t = ceil(k(n-1)/5).
    Each boundary is one read at an offset of a covering index (``skip`` values that come
    first in it and are not buyers' are stepped over), not a sort of the whole shop.
    NULLs first (the rows read have none): PostgreSQL then reads the last order's
    ``stats_last_order_pg`` backwards, its only index on it (SQLite's order already is).
    """
    nulls = " NULLS FIRST" if column == "last_order_at" else ""
    found = []
    for k in range(1, 5):
        t = -(-(k * (n - 1)) // 5)  # ceil
        [value] = rawsql.fetchone(
            cursor,
            f"SELECT {column} FROM {stats} WHERE shop_id = %s{where} "  # noqa: S608
            f"ORDER BY {column}{nulls} LIMIT 1 OFFSET %s",
            [shop_id, skip + t - 1],
            shop_id=shop_id,
        )
        found.append(value)
    return found


def _score_sql(column: str, bounds: list) -> tuple[str, list]:
    whens = " ".join(f"WHEN {column} > %s THEN {k + 2}" for k in reversed(range(4)))
    return f"(CASE {whens} ELSE 1 END)", list(reversed(bounds))


@transaction.atomic
def rfm_refresh(*, shop) -> dict[str, int]:
    """Score every buying customer of the shop 1-5 on recency, frequency and monetary
    value by percentile rank among the shop's buyers, name their group; returns
    group -> count.

    The ranks are those of ``PERCENT_RANK()`` (ties share the lowest score of the tie,
    so the many customers with one order all get frequency 1 instead of being split by
    chance as ``NTILE`` would), computed as four boundary values per score read from
    the indexes, then one pass over the narrow stats table that writes only the rows
    whose scores or group changed.
    """
    stats, _customers, _orders = _tables()
    shop_id = getattr(shop, "pk", shop)
    distinct = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    with rawsql.cursor() as cursor:
        [buyers] = rawsql.fetchone(
            cursor,
            f"SELECT COUNT(*) FROM {stats} WHERE shop_id = %s AND order_count > 0",  # noqa: S608
            [shop_id],
            shop_id=shop_id,
        )
        [idle] = rawsql.fetchone(
            cursor,
            f"SELECT COUNT(*) FROM {stats} WHERE shop_id = %s AND order_count = 0",  # noqa: S608
            [shop_id],
            shop_id=shop_id,
        )
        if buyers > 1:
            r_sql, r_args = _score_sql(
                "last_order_at",
                _boundaries(
                    cursor,
                    stats,
                    shop_id,
                    "last_order_at",
                    " AND last_order_at IS NOT NULL",
                    buyers,
                    0,
                ),
            )
            f_sql, f_args = _score_sql(
                "order_count",
                _boundaries(
                    cursor, stats, shop_id, "order_count", " AND order_count > 0", buyers, 0
                ),
            )
            m_sql, m_args = _score_sql(
                "total_spend",
                _boundaries(cursor, stats, shop_id, "total_spend", "", buyers, idle),
            )  # fmt: skip
        else:
            r_sql = f_sql = m_sql = "1"
            r_args = f_args = m_args = []
        groups = " ".join(
            f"WHEN {r * 10 + f} THEN '{rfm_group(r, f)}'" for r in range(1, 6) for f in range(1, 6)
        )
        g_sql = f"(CASE ({r_sql} * 10 + {f_sql}) {groups} ELSE '{NO_ORDERS}' END)"
        g_args = [*r_args, *f_args]
        rawsql.execute(
            cursor,
            f"UPDATE {stats} SET rfm_recency = {r_sql}, rfm_frequency = {f_sql}, "  # noqa: S608
            f"rfm_monetary = {m_sql}, rfm_group = {g_sql} "
            f"WHERE shop_id = %s AND order_count > 0 AND (rfm_recency {distinct} {r_sql} "
            f"OR rfm_frequency {distinct} {f_sql} OR rfm_monetary {distinct} {m_sql} "
            f"OR rfm_group <> {g_sql})",
            [*r_args, *f_args, *m_args, *g_args, shop_id, *r_args, *f_args, *m_args, *g_args],
            shop_id=shop_id,
        )
        rawsql.execute(
            cursor,
            f"UPDATE {stats} SET rfm_recency = NULL, rfm_frequency = NULL, "  # noqa: S608
            f"rfm_monetary = NULL, rfm_group = %s WHERE shop_id = %s AND order_count = 0 "
            f"AND (rfm_recency IS NOT NULL OR rfm_group <> %s)",
            [NO_ORDERS, shop_id, NO_ORDERS],
            shop_id=shop_id,
        )
        return group_counts_refresh(cursor, shop_id)


# -- name order ------------------------------------------------------------------------


def name_sort_key(name: str | None) -> tuple:
    words = normalize_words(name)
    return (0 if words else 1, " ".join(words))


@transaction.atomic
def name_ranks_refresh(*, shop, batch: int = 5000) -> int:
    """Store every customer's position in the alphabetical order of the shop's names.

    Names are encrypted with random nonces, so the database cannot sort them; the
    names are decrypted here in memory, sorted, and only the positions are written.
    The positions reveal the alphabetical order of the customers (not a letter of
    any name) to someone holding the database; it is the price of "sort by name" at
    a million customers. Customers added since the last run sort after the others
    until the next run (after every import and every added customer, in the
    background).
    """
    keys = [
        (name_sort_key(name), pk)
        for pk, name, _phone in live_customer_fields(shop=shop, batch=batch, phone=False)
    ]
    keys.sort()
    spacing = max(1, min(RANK_SPACING, (UNRANKED - 1) // (len(keys) + 1)))
    current = dict(CustomerStats.objects.filter(shop=shop).values_list("customer_id", "name_rank"))
    changed = [
        (i * spacing, pk)
        for i, (_key, pk) in enumerate(keys, start=1)
        if current.get(pk) != i * spacing
    ]
    bulk.update(CustomerStats, ("name_rank",), changed, shop_id=shop.pk)
    return len(changed)


def name_rank_place(*, shop, customer_id: int, name: str | None) -> bool:
    """Give one customer its place in the name order without re-ranking the shop.

    Ranks are spaced (``RANK_SPACING`` apart after a full run), so a customer added or
    renamed by hand slots in between its neighbours, found by a binary search over the
    ranks: about 20 indexed lookups and as many decryptions at a million customers.
    Returns False when the neighbours have no room left (the next full run places it).
    """
    key = name_sort_key(name)
    ranked = CustomerStats.objects.filter(shop=shop, name_rank__lt=UNRANKED).exclude(
        customer_id=customer_id
    )

    def first_at_or_after(rank: int):
        return (
            ranked.filter(name_rank__gte=rank)
            .order_by("name_rank", "customer_id")
            .values_list("name_rank", "customer_id")
            .first()
        )

    def key_of(pk: int):
        [(_pk, other, _phone)] = customer_fields(shop=shop, customer_ids=[pk])
        return (name_sort_key(other), pk)

    # every ranked name at or below `low` sorts before this one, at or above `high` after
    low, high = 0, UNRANKED
    mine = (key, customer_id)
    while True:
        between = first_at_or_after(low + 1)
        if between is None or between[0] >= high:
            break  # nobody between: the place is found
        middle = (low + high) // 2
        found = first_at_or_after(middle)
        if found is None or found[0] >= high:
            high = middle  # nobody in [middle, high)
            continue
        rank, pk = found
        if key_of(pk) < mine:
            low = rank
        else:
            high = rank
    if high - low <= 1:
        return False
    place = low + RANK_SPACING if high == UNRANKED else (low + high) // 2
    CustomerStats.objects.filter(shop=shop, customer_id=customer_id).update(
        name_rank=min(place, UNRANKED - 1)
    )
    return True


def workspace_refresh(*, shop, customer_ids: Iterable[int] | None = None) -> dict:
    """After an import or a batch of changes: the numbers, the RFM groups, name order."""
    customer_stats_refresh(shop=shop, customer_ids=customer_ids)
    groups = rfm_refresh(shop=shop)
    name_ranks_refresh(shop=shop)
    return groups


def advisory_lock(space: int, shop_id: int, *, shared: bool = False) -> None:
    """Hold, until the transaction ends, an advisory lock keyed by ``space`` and the
    shop (shared or exclusive). PostgreSQL only: SQLite writes one transaction at a
    time. (The imported match keys' lock, ``imported_keys.keys_lock``.)"""
    if connection.vendor != "postgresql":
        return
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    with rawsql.cursor() as cursor:
        rawsql.execute_unscoped(
            cursor,
            f"SELECT {function}(%s, %s)",
            [space, shop_id],
            why="a lock keyed by the shop's id, no rows read",
        )

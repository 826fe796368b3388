from __future__ import annotations

from collections.abc import Iterator

from django.db.models import F, Func
from django.urls import reverse

from merdeka.core import bulk, rawsql
from merdeka.core.phone import normalize_phone
from merdeka.core.scoping import shop_scope
from merdeka.core.wording import channel_label
from merdeka.customers import search
from merdeka.customers.forms import CustomerFilterForm
from merdeka.customers.models import (
    Customer,
    CustomerNote,
    CustomerStats,
    CustomerTag,
    Identity,
    IdentityKind,
    MatchKey,
    MatchSuggestion,
    Merge,
    RfmGroupCount,
    RfmGroupDelta,
    SearchToken,
    Segment,
    Tag,
)
from merdeka.customers.stats import RFM_LABELS, channel_bit, masks_with
from merdeka.imports.models import ImportFile
from merdeka.orders.models import Order
from merdeka.privacy import crypto
from merdeka.privacy.consent import consented_customer_ids


def customer_list(*, shop, phone: str | None = None):
    """The shop's customers, newest first; ``phone`` in any format narrows by blind index."""
    with shop_scope(shop):
        customers = Customer.objects.filter(shop=shop, merged_into__isnull=True)
        if phone:
            normalized = normalize_phone(phone)
            if normalized is None:
                return customers.none()
            index = crypto.blind_index(
                normalized, shop_id=shop.pk, purpose=Customer._meta.get_field("phone_index").purpose
            )
            customers = customers.filter(phone_index=index)
        return customers


def customer_get(*, shop, customer_id: int) -> Customer:
    with shop_scope(shop):
        return Customer.objects.get(shop=shop, pk=customer_id, merged_into__isnull=True)


def customer_identities(*, shop, customer):
    with shop_scope(shop):
        return list(Identity.objects.filter(shop=shop, customer=customer).order_by("kind", "id"))


def customer_orders(*, shop, customer):
    with shop_scope(shop):
        return list(
            Order.objects.filter(shop=shop, customer=customer)
            .prefetch_related("lines")
            .order_by("-ordered_at")
        )


def customer_merges(*, shop, customer):
    from django.db.models import Q

    with shop_scope(shop):
        return list(
            Merge.objects.filter(shop=shop, undone_at__isnull=True)
            .filter(Q(survivor=customer) | Q(absorbed=customer))
            .select_related("absorbed", "survivor")
        )


def pending_suggestions(*, shop):
    with shop_scope(shop):
        return MatchSuggestion.objects.filter(
            shop=shop, state=MatchSuggestion.State.PENDING
        ).select_related("customer_a", "customer_b")


# -- the customer workspace ------------------------------------------------------------


class FilterError(ValueError):
    """Filter data that the filter form refuses (a segment saved under older rules)."""


def filters_clean(*, shop, data: dict) -> dict:
    """Raw filter data (a query string, a saved segment) -> the form's cleaned data."""
    with shop_scope(shop):
        form = CustomerFilterForm(data, shop=shop)
        if not form.is_valid():
            raise FilterError(form.errors.as_text())
        return form.cleaned_data


def _day_start(shop, day):
    import datetime as dt
    import zoneinfo

    return dt.datetime.combine(day, dt.time.min, tzinfo=zoneinfo.ZoneInfo(shop.time_zone))


def _next_day_start(shop, day):
    import datetime as dt

    return _day_start(shop, day + dt.timedelta(days=1))


SORT_ORDER = {
    "last": ("-last_order_at", "-customer_id"),
    "spend": ("-total_spend", "-customer_id"),
    "orders": ("-order_count", "-customer_id"),
    "name": ("name_rank", "customer_id"),
    "new": ("-created_at", "-customer_id"),
}


class _NoIndex(Func):
    """SQLite's unary ``+``: the same value, but the planner will not drive the query
    from an index on it."""

    template = "+%(expressions)s"


def _unindexed(name: str):
    from django.db import connection

    if connection.vendor != "sqlite":
        return F(name)
    field = CustomerStats._meta.get_field(name)
    return _NoIndex(F(name), output_field=field)


def _where(rows, col, name: str, lookup: str, value):
    if col is F:
        return rows.filter(**{f"{name}__{lookup}": value})
    alias = f"_{name}"
    return rows.alias(**{alias: col(name)}).filter(**{f"{alias}__{lookup}": value})


def stats_filtered(*, shop, filters: dict, walk_order: bool = False, search_ids=...):
    """The list rows (``CustomerStats``) of the shop's live customers matching cleaned
    ``filters``, in the chosen order. Every filter is one indexed condition on the
    narrow stats table or a subquery on an indexed table (tokens, tags, consent).

    ``walk_order``: the filters match many customers, so read the sort's index in order
    and test each row, stopping after a page, rather than collect every match and sort
    them (SQLite's planner prefers an equality index even when it matches a quarter of
    the shop; PostgreSQL weighs that itself and ignores the hint).

    ``search_ids``: what ``search.matching_customer_ids`` gave for ``filters["q"]``,
    when the caller asks for the same filters twice (a page's count and its walk).
    """
    f = filters
    col = _unindexed if walk_order else F
    with shop_scope(shop):
        rows = CustomerStats.objects.filter(shop=shop)
        if f.get("q"):
            ids = search_ids
            if ids is ...:
                ids = search.matching_customer_ids(shop=shop, query=f["q"])
            rows = rows.none() if ids is None else _where(rows, col, "customer_id", "in", ids)
        if f.get("channel"):
            # every mask holding the channel's bit: seeks in the (shop, channels) index
            # instead of testing the bit of every row of the shop
            masks = masks_with(channel_bit(f["channel"]))
            rows = _where(rows, col, "channels", "in", masks)
        if f.get("province"):
            rows = _where(rows, col, "province", "exact", f["province"])
        if f.get("city"):  # sealed: found through its blind index (any case, any spacing)
            index = Customer._meta.get_field("city_index").index_for(shop.pk, f["city"])
            rows = _where(rows, col, "city_index", "exact", index or "")
        if f.get("first_from"):
            rows = _where(rows, col, "first_order_at", "gte", _day_start(shop, f["first_from"]))
        if f.get("first_to"):
            rows = _where(rows, col, "first_order_at", "lt", _next_day_start(shop, f["first_to"]))
        if f.get("last_from"):
            rows = _where(rows, col, "last_order_at", "gte", _day_start(shop, f["last_from"]))
        if f.get("last_to"):
            rows = _where(rows, col, "last_order_at", "lt", _next_day_start(shop, f["last_to"]))
        if f.get("orders_min") is not None:
            rows = _where(rows, col, "order_count", "gte", f["orders_min"])
        if f.get("orders_max") is not None:
            rows = _where(rows, col, "order_count", "lte", f["orders_max"])
        if f.get("spend_min") is not None:
            rows = _where(rows, col, "total_spend", "gte", f["spend_min"])
        if f.get("spend_max") is not None:
            rows = _where(rows, col, "total_spend", "lte", f["spend_max"])
        if f.get("tag"):
            tagged = CustomerTag.objects.filter(shop=shop, tag_id=int(f["tag"])).values(
                "customer_id"
            )
            rows = _where(rows, col, "customer_id", "in", tagged)
        consent = f.get("consent") or ""
        if consent:
            channel, _sep, negative = consent.partition("_")
            agreed = consented_customer_ids(shop=shop, channel=channel)
            rows = (
                rows.exclude(customer_id__in=agreed)
                if negative
                else _where(rows, col, "customer_id", "in", agreed)
            )
        if f.get("rfm"):  # its index is (group, last order): it serves the default order too
            sort_last = (f.get("sort") or "last") == "last"
            rows = _where(rows, F if sort_last else col, "rfm_group", "exact", f["rfm"])
        order = SORT_ORDER.get(f.get("sort") or "last", SORT_ORDER["last"])
        if order[0] == "-last_order_at":
            order = (F("last_order_at").desc(nulls_last=True), *order[1:])
        return rows.order_by(*order)


def customers_filtered(*, shop, filters: dict):
    """The shop's live customers matching raw ``filters`` (as a query string or a saved
    segment gives them), as a ``Customer`` queryset in the chosen order. For other apps
    (outreach): raises ``FilterError`` on filters the form refuses."""
    cleaned = filters_clean(shop=shop, data=filters)
    with shop_scope(shop):
        rows = stats_filtered(shop=shop, filters=cleaned)
        return Customer.objects.filter(
            shop=shop, merged_into__isnull=True, pk__in=rows.values("customer_id")
        )


def segment_filters(*, segment) -> dict:
    """A saved segment's raw filter data, search words included (decrypted)."""
    data = dict(segment.filters)
    if segment.query:
        data["q"] = segment.query
    return data


def segment_customers(*, shop, segment):
    """The customers of a saved segment now (a ``Customer`` queryset)."""
    if segment.shop_id != shop.pk:
        raise ValueError("the segment belongs to another shop")
    return customers_filtered(shop=shop, filters=segment_filters(segment=segment))


def segment_stats(*, shop, segment):
    cleaned = filters_clean(shop=shop, data=segment_filters(segment=segment))
    return stats_filtered(shop=shop, filters=cleaned)


def segment_get(*, shop, segment_id: int):
    with shop_scope(shop):
        return Segment.objects.get(shop=shop, pk=segment_id)


def segments_with_counts(*, shop) -> list:
    """Every saved segment with its live count (``segment.count``; None if its filters
    no longer validate)."""
    with shop_scope(shop):
        segments = list(Segment.objects.filter(shop=shop))
        for segment in segments:
            try:
                segment.count = segment_stats(shop=shop, segment=segment).count()
            except FilterError:
                segment.count = None
        return segments


def rfm_group_counts(*, shop) -> list[tuple[str, str, int]]:
    """(code, label, count) of every RFM group, in the groups' order: the counts kept
    beside the stats rows (``stats.group_counts_add``), counted live for a shop never
    counted."""
    from django.db.models import Count

    with shop_scope(shop):
        counts = stored_group_counts(shop=shop)
        if counts is None:
            counts = dict(
                CustomerStats.objects.filter(shop=shop)
                .values_list("rfm_group")
                .annotate(n=Count("*"))
                .order_by()
                .values_list("rfm_group", "n")
            )
    return [(code, label, counts.get(code, 0)) for code, label in RFM_LABELS.items()]


def shop_tags(*, shop):
    with shop_scope(shop):
        return list(Tag.objects.filter(shop=shop))


def customer_tags(*, shop, customer) -> list:
    with shop_scope(shop):
        ids = CustomerTag.objects.filter(shop=shop, customer=customer).values("tag_id")
        return list(Tag.objects.filter(shop=shop, pk__in=ids))


def tags_of(*, shop, customer_ids) -> dict[int, list[str]]:
    """customer id -> tag names, for a page or an export chunk."""
    found: dict[int, list[str]] = {}
    with shop_scope(shop):
        for part in bulk.chunks(list(customer_ids)):
            rows = (
                CustomerTag.objects.filter(shop=shop, customer_id__in=part)
                .order_by("tag__name")
                .values_list("customer_id", "tag__name")
            )
            for customer_id, name in rows:
                found.setdefault(customer_id, []).append(name)
    return found


def customer_notes(*, shop, customer) -> list:
    with shop_scope(shop):
        return list(
            CustomerNote.objects.filter(shop=shop, customer=customer).select_related("author")
        )


def customer_stats(*, shop, customer):
    with shop_scope(shop):
        return CustomerStats.objects.filter(shop=shop, customer=customer).first()


# -- raw reads ---------------------------------------------------------------------------
# The customers' hot reads in plain SQL (imports and the review queue read millions of
# rows: no model instances), each bound to its shop through ``rawsql``.


def stored_group_counts(*, shop) -> dict[str, int] | None:
    """group -> count as stored (``stats.group_counts_add``), or None for a shop never
    counted."""
    shop_id = getattr(shop, "pk", shop)
    counts_table, deltas_table = RfmGroupCount._meta.db_table, RfmGroupDelta._meta.db_table
    with rawsql.cursor() as cursor:

        def rows(sql: str) -> list:
            return rawsql.fetchall(cursor, sql, [shop_id], shop_id=shop_id)

        counts = dict(
            rows(f'SELECT rfm_group, "count" FROM "{counts_table}" WHERE shop_id = %s')  # noqa: S608
        )
        if not counts:
            return None
        deltas = rows(
            f'SELECT rfm_group, SUM(delta) FROM "{deltas_table}" '  # noqa: S608
            "WHERE shop_id = %s GROUP BY rfm_group"
        )
        for group, delta in deltas:
            counts[group] = counts.get(group, 0) + int(delta)
    return counts


def identity_owners(*, shop, indexes: list[str]) -> Iterator[tuple[str, int]]:
    """(blind index, customer id) of the shop's identities with these blind indexes:
    resolution's lookup of the claims it is given."""
    sql = (
        f'SELECT "value_index", "customer_id" FROM "{Identity._meta.db_table}" '  # noqa: S608
        'WHERE "shop_id" = %s AND "value_index" IN'
    )
    return rawsql.select_in(sql, [shop.pk], indexes, shop_id=shop.pk)


def match_keys_of(*, shop, customer_ids: list[int]) -> Iterator[tuple[int, str, str]]:
    """(customer id, kind, key) of the stored match keys of these customers."""
    sql = (
        f'SELECT "customer_id", "kind", "key" FROM "{MatchKey._meta.db_table}" '  # noqa: S608
        'WHERE "shop_id" = %s AND "customer_id" IN'
    )
    return rawsql.select_in(sql, [shop.pk], customer_ids, shop_id=shop.pk)


def merged_into(*, shop_id: int, customer_ids: list[int]) -> Iterator[tuple[int, int | None]]:
    """(id, merged into) of these customers (those that exist)."""
    sql = (
        f'SELECT "id", "merged_into_id" FROM "{Customer._meta.db_table}" '  # noqa: S608
        'WHERE "shop_id" = %s AND "id" IN'
    )
    return rawsql.select_in(sql, [shop_id], customer_ids, shop_id=shop_id)


def live_names_and_phones(*, shop_id: int, customer_ids: list[int]) -> Iterator[tuple]:
    """(id, uid, name, phone) of these customers not merged away, sealed as stored."""
    sql = (
        f'SELECT "id", "uid", "name", "phone" FROM "{Customer._meta.db_table}" '  # noqa: S608
        'WHERE "shop_id" = %s AND "merged_into_id" IS NULL AND "id" IN'
    )
    return rawsql.select_in(sql, [shop_id], customer_ids, shop_id=shop_id)


def phone_identities_sealed(*, shop_id: int, customer_ids: list[int]) -> Iterator[tuple]:
    """(customer id, uid, value) of these customers' phone identities, sealed as stored."""
    sql = (
        f'SELECT "customer_id", "uid", "value" FROM "{Identity._meta.db_table}" '  # noqa: S608
        'WHERE "shop_id" = %s AND "kind" = %s AND "customer_id" IN'
    )
    return rawsql.select_in(sql, [shop_id, IdentityKind.PHONE.value], customer_ids, shop_id=shop_id)


def match_key_rows(*, shop_id: int, customer_ids: list[int]) -> Iterator[tuple]:
    """(id, customer id, kind, key) of the match keys these customers hold."""
    sql = (
        f'SELECT "id", "customer_id", "kind", "key" FROM "{MatchKey._meta.db_table}" '  # noqa: S608
        'WHERE "shop_id" = %s AND "customer_id" IN'
    )
    return rawsql.select_in(sql, [shop_id], customer_ids, shop_id=shop_id)


def match_keys_by_pk(*, shop_id: int, ids: list[int]) -> Iterator[tuple[int, str, str]]:
    """(id, kind, key) of these match keys (wherever they are now)."""
    sql = (
        f'SELECT "id", "kind", "key" FROM "{MatchKey._meta.db_table}" '  # noqa: S608
        'WHERE "shop_id" = %s AND "id" IN'
    )
    return rawsql.select_in(sql, [shop_id], ids, shop_id=shop_id)


def token_holders(*, shop_id: int, customer_ids: list[int]) -> set[int]:
    """Which of these customers carry any search token (an index probe per customer)."""
    sql = (
        f'SELECT DISTINCT "customer_id" FROM "{SearchToken._meta.db_table}" '  # noqa: S608
        'WHERE "shop_id" = %s AND "customer_id" IN'
    )
    return {row[0] for row in rawsql.select_in(sql, [shop_id], customer_ids, shop_id=shop_id)}


def search_tokens_of(*, shop_id: int, customer_ids: list[int]) -> Iterator[tuple[int, int]]:
    """(customer id, token) of the search tokens these customers carry."""
    sql = (
        f'SELECT "customer_id", "token" FROM "{SearchToken._meta.db_table}" '  # noqa: S608
        'WHERE "shop_id" = %s AND "customer_id" IN'
    )
    return rawsql.select_in(sql, [shop_id], customer_ids, shop_id=shop_id)


def customer_rows(*, shop, customer_ids: list[int], fields) -> Iterator[tuple]:
    """(id, uid, key_version, *fields) of these customers as stored: a sealed column
    comes back sealed, enough to tell empty from not without opening it."""
    columns = ", ".join(f'"{Customer._meta.get_field(f).column}"' for f in fields)
    sql = (
        f'SELECT "id", "uid", "key_version", {columns} '  # noqa: S608 - our names
        f'FROM "{Customer._meta.db_table}" WHERE "shop_id" = %s AND "id" IN'
    )
    return rawsql.select_in(sql, [shop.pk], customer_ids, shop_id=shop.pk)


def shared_match_keys(*, shop, cap: int) -> Iterator[tuple[str, str, int]]:
    """(kind, key, customer id) of every match key that two to ``cap`` customers of the
    shop share, in (kind, key) order, streamed: a shop has millions of keys."""
    table = MatchKey._meta.db_table
    sql = f"""
        SELECT m.kind, m.key, m.customer_id
        FROM {table} m
        JOIN (SELECT kind, key FROM {table} WHERE shop_id = %s
              GROUP BY kind, key HAVING COUNT(*) BETWEEN 2 AND %s) useful
          ON useful.kind = m.kind AND useful.key = m.key
        WHERE m.shop_id = %s
        ORDER BY m.kind, m.key
    """  # noqa: S608 - the table name is ours, the values are parameters
    with rawsql.cursor() as cursor:
        yield from rawsql.execute(cursor, sql, [shop.pk, cap, shop.pk], shop_id=shop.pk)


# -- how a customer is shown -------------------------------------------------------------

# identities that name a buyer who left no name: a marketplace username, a WhatsApp name
_NAMING_KINDS = ("username", "wa_name")


def with_known_as(*, shop, customers):
    """Set ``known_as`` on each customer without a name: the marketplace username (or
    WhatsApp name) they are known by, so that a buyer whose name the marketplace hid is
    shown as ``dewi.anggraini`` instead of "(no name)". One query for the lot; returns
    the customers (``display_name`` reads it)."""
    nameless = {c.pk: c for c in customers if c is not None and not c.name}
    for customer in nameless.values():
        customer.known_as = ""
    if not nameless:
        return customers
    with shop_scope(shop):
        identities = Identity.objects.filter(
            shop=shop, customer_id__in=list(nameless), kind__in=_NAMING_KINDS
        ).order_by("kind", "created_at", "id")  # "username" sorts before "wa_name"
        for identity in identities:
            customer = nameless[identity.customer_id]
            if not customer.known_as:
                customer.known_as = identity.value or ""
    return customers


def display_name(customer) -> str:
    """The customer's name, else what ``with_known_as`` found, else ""."""
    if customer is None:
        return ""
    return customer.name or getattr(customer, "known_as", "") or ""


INVALID_ORDER_STATUSES = ("cancelled", "returned")


def customer_summary(*, customer, orders) -> dict:
    """The figures of a customer's page, from the orders its timeline lists, so that
    the header and the timeline never disagree: orders that count (not cancelled or
    returned) and their total, those set aside, and since when they are a customer
    (their first order; the day they were added when they have none)."""
    valid = [o for o in orders if o.status not in INVALID_ORDER_STATUSES]
    first = min((o.ordered_at for o in orders), default=None)
    return {
        "order_count": len(valid),
        "spend": sum((o.total or 0) for o in valid),
        "set_aside": len(orders) - len(valid),
        "first_order_at": first,
        "added_at": customer.created_at,
    }


def record_origins(*, shop, customer_ids) -> dict[int, list[dict]]:
    """Where each customer's record came from, for the review queue: every channel or
    file that told the shop about them (``label``), with a link to the import report
    (``url``) where it came from a file. Nothing personal: channel names and the
    seller's own file names."""
    ids = list(dict.fromkeys(customer_ids))
    found: dict[int, dict[tuple, dict]] = {pk: {} for pk in ids}
    with shop_scope(shop):
        identities = (
            Identity.objects.filter(shop=shop, customer_id__in=ids)
            .order_by("created_at", "id")
            .values_list("customer_id", "source", "import_file__run_id", "import_file_id")
        )
        orders = (
            Order.objects.filter(shop=shop, customer_id__in=ids)
            .order_by("ordered_at", "id")
            .values_list("customer_id", "channel", "import_file__run_id", "import_file_id")
        )
        rows = [*identities, *orders]
        # the files' names are sealed (a chat's name may be a person's): opened here
        names = {
            f.pk: f.display_name
            for f in ImportFile.objects.filter(shop=shop, pk__in={r[3] for r in rows if r[3]})
        }
        for customer_id, source, run_id, file_id in rows:
            url = reverse("import_run", args=[run_id]) if run_id else ""
            key = (channel_label(source), url)
            found[customer_id].setdefault(
                key, {"label": key[0], "file": names.get(file_id, ""), "url": url}
            )
    return {
        pk: list(origins.values()) or [{"label": channel_label("manual"), "file": "", "url": ""}]
        for pk, origins in found.items()
    }


# -- the review pass's reads (matching._profiles) ------------------------------------------

WHOLE_SHOP = 20_000  # from this many customers on, one streamed query beats many IN lists


def _of_customers(sql: str, params: list, column: str, ids: list[int], *, shop_id: int):
    """Rows of ``sql`` (``… WHERE "shop_id" = %s …``, led by the customer's id) for the
    customers ``ids``: IN lists for a few, the shop's rows streamed and filtered here
    when they are most of the shop (one statement, not hundreds)."""
    if len(ids) < WHOLE_SHOP:
        yield from rawsql.select_in(f'{sql} AND "{column}" IN', params, ids, shop_id=shop_id)
        return
    wanted = set(ids)
    with rawsql.cursor() as cursor:
        for row in rawsql.execute(cursor, sql, params, shop_id=shop_id):
            if row[0] in wanted:
                yield row


def identity_kinds(*, shop_id: int, customer_ids: list[int]) -> Iterator[tuple[int, str]]:
    """(customer id, kind) of these customers' identities."""
    sql = f'SELECT "customer_id", "kind" FROM "{Identity._meta.db_table}" WHERE "shop_id" = %s'  # noqa: S608
    return _of_customers(sql, [shop_id], "customer_id", customer_ids, shop_id=shop_id)


def match_key_holders(*, shop_id: int, kind: str, customer_ids: list[int]) -> Iterator[tuple]:
    """(customer id,) of each match key of this kind these customers hold."""
    sql = (
        f'SELECT "customer_id" FROM "{MatchKey._meta.db_table}" '  # noqa: S608
        'WHERE "shop_id" = %s AND "kind" = %s'
    )
    return _of_customers(sql, [shop_id, kind], "customer_id", customer_ids, shop_id=shop_id)


def live_profiles_sealed(*, shop_id: int, customer_ids: list[int]) -> Iterator[tuple]:
    """(id, uid, name, city index, address) of these customers not merged away, the
    sealed ones as stored (``""`` or None for none)."""
    sql = (
        f'SELECT "id", "uid", "name", "city_index", "address" '  # noqa: S608
        f'FROM "{Customer._meta.db_table}" WHERE "shop_id" = %s AND "merged_into_id" IS NULL'
    )
    return _of_customers(sql, [shop_id], "id", customer_ids, shop_id=shop_id)


def identity_sources(*, shop_id: int, customer_ids: list[int]) -> Iterator[tuple]:
    """(customer id, kind, channel, source) of these customers' identities."""
    sql = (
        f'SELECT "customer_id", "kind", "channel", "source" '  # noqa: S608
        f'FROM "{Identity._meta.db_table}" WHERE "shop_id" = %s'
    )
    return _of_customers(sql, [shop_id], "customer_id", customer_ids, shop_id=shop_id)


def accounts_and_phones_sealed(*, shop_id: int, customer_ids: list[int]) -> Iterator[tuple]:
    """(customer id, id, kind, channel, value index, uid, value) of these customers'
    username and phone identities, the value sealed as stored."""
    sql = (
        f'SELECT "customer_id", "id", "kind", "channel", "value_index", "uid", "value" '  # noqa: S608
        f'FROM "{Identity._meta.db_table}" WHERE "shop_id" = %s AND "kind" IN (%s, %s)'
    )
    kinds = [IdentityKind.USERNAME.value, IdentityKind.PHONE.value]
    return _of_customers(sql, [shop_id, *kinds], "customer_id", customer_ids, shop_id=shop_id)


def orders_personal_sealed(*, shop_id: int, customer_ids: list[int]) -> Iterator[tuple]:
    """(customer id, channel, id, uid, personal, ordered at) of these customers' orders,
    ``personal`` sealed as stored (in no particular order)."""
    sql = (
        f'SELECT "customer_id", "channel", "id", "uid", "personal", "ordered_at" '  # noqa: S608
        f'FROM "{Order._meta.db_table}" WHERE "shop_id" = %s'
    )
    return _of_customers(sql, [shop_id], "customer_id", customer_ids, shop_id=shop_id)


def customer_cities(*, shop_id: int) -> Iterator[tuple[int, str]]:
    """(id, city index) of every customer of the shop with a city, streamed."""
    sql = (
        f'SELECT "id", "city_index" FROM "{Customer._meta.db_table}" '  # noqa: S608
        """WHERE "shop_id" = %s AND "city_index" IS NOT NULL AND "city_index" <> ''"""
    )
    with rawsql.cursor() as cursor:
        yield from rawsql.execute(cursor, sql, [shop_id], shop_id=shop_id)

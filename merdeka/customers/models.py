from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from merdeka.core.scoping import ShopOwnedModel
from merdeka.core.text import clean_text
from merdeka.privacy.fields import BlindIndexField, EncryptedModel, EncryptedTextField


def normalize_city(value: str | None) -> str | None:
    """A city as its blind index sees it: case and spacing do not matter."""
    return " ".join(clean_text(value or "").casefold().split()) or None


class Customer(ShopOwnedModel, EncryptedModel):
    """A shop's own customer. Name, phone, email and address are encrypted at rest."""

    name = EncryptedTextField(_("name"), null=True, blank=True)
    phone = EncryptedTextField(_("WhatsApp number"), null=True, blank=True)
    email = EncryptedTextField(_("email"), null=True, blank=True)
    address = EncryptedTextField(_("address"), null=True, blank=True)
    # the city narrows an address down: sealed, and found through its blind index (the
    # list's city filter, matching); the province alone names no one and stays plain
    city = EncryptedTextField(_("city"), null=True, blank=True)
    province = models.CharField(_("province"), max_length=80, blank=True)
    phone_index = BlindIndexField(source="phone", normalizer="merdeka.core.phone.normalize_phone")
    email_index = BlindIndexField(source="email", normalizer="merdeka.core.phone.normalize_email")
    city_index = BlindIndexField(
        source="city", normalizer="merdeka.customers.models.normalize_city"
    )
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return f"customer #{self.pk}"


class IdentityKind(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    USERNAME = "username", _("Marketplace username")
    WHATSAPP_NAME = "wa_name", _("WhatsApp name")


class Identity(ShopOwnedModel, EncryptedModel):
    """One way a customer is known: a phone, an email, a marketplace username...

    ``value`` is encrypted; ``value_index`` is a blind index of kind, channel and the
    normalised value, so exact matches are found without plaintext in the database.
    """

    # no index of its own: the unique (shop, value_index) starts with it
    shop = models.ForeignKey(
        "core.Shop", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(max_length=10, choices=IdentityKind.choices)
    channel = models.CharField(max_length=20, blank=True)  # for usernames and WhatsApp names
    value = EncryptedTextField()
    value_index = models.CharField(max_length=32)
    source = models.CharField(max_length=20)  # the channel or "manual" that told us
    import_file = models.ForeignKey(
        "imports.ImportFile", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    first_seen_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # One identity per value in a shop, and how imports, the search and the
            # cards find whom a phone, an email or a username belongs to. The blind
            # index hashes the kind, the channel and the value together
            # (``resolution.identity_index``), so it alone is unique: one index with a
            # random key per identity written, not two (docs/decisions/order-indexes.md).
            models.UniqueConstraint(fields=["shop", "value_index"], name="identity_unique_index")
        ]
        # (shop, customer) beside Django's customer_id (the cascade, no shop): without
        # planner statistics (a fresh SQLite database's first import) SQLite reads
        # "shop = ? AND customer IN (…)" through the shop's whole unique index unless an
        # index holds both (docs/decisions/customer-indexes.md)
        indexes = [models.Index(fields=["shop", "customer"], name="identity_customer")]


class MatchKey(ShopOwnedModel):
    """Evidence that two customers may be one person, as keyed hashes (never plaintext).

    Only exact identities merge automatically; these keys find the *likely* matches for
    the review queue without decrypting every customer: the name (titles dropped), the digits
    a marketplace leaves visible in a masked phone (``0812****7801`` gives 812…7801, as
    does the full number), the normalised street address. Like blind indexes, they
    reveal only that two rows share a value, to someone who holds the database and not
    the shop's index key.
    """

    # no index of its own: (shop, kind, key) and (shop, customer) start with it
    shop = models.ForeignKey(
        "core.Shop", on_delete=models.CASCADE, related_name="+", db_index=False
    )

    class Kind(models.TextChoices):
        NAME = "nm", _("Name")
        NAME_WORD = "nw", _("Word of the name")
        PHONE_MASK = "pm", _("Visible digits of a phone number")
        ADDRESS = "ad", _("Address")
        PHONE_NAME = "pn", _("Visible phone digits with the name's first and last letter")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=2, choices=Kind.choices)
    key = models.CharField(max_length=16)

    class Meta:
        indexes = [
            models.Index(fields=["shop", "kind", "key"], name="matchkey_lookup"),
            # as for identities: beside customer_id, for SQLite without statistics
            models.Index(fields=["shop", "customer"], name="matchkey_customer"),
        ]


class Merge(ShopOwnedModel):
    """A merge of one customer into another, recorded so that it can be undone."""

    class Reason(models.TextChoices):
        SAME_PHONE = "phone", _("Same phone number")
        SAME_EMAIL = "email", _("Same email")
        SAME_USERNAME = "username", _("Same marketplace username")
        REVIEWED = "reviewed", _("Confirmed by a person")
        # evidence as strong as an exact identifier (customers/matching.py, STRONG)
        STRONG = "strong", _("Strong evidence: visible phone digits nobody else has")

    survivor = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    absorbed = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=10, choices=Reason.choices)
    moved_identities = models.JSONField(default=list)
    moved_orders = models.JSONField(default=list)
    moved_keys = models.JSONField(default=list)
    decided_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class MatchSuggestion(ShopOwnedModel):
    """Two customers who are probably the same person, waiting for a person to decide.

    Suggestions with the same kind of evidence share a ``group`` (the id of one of
    them), decided together on one page that shows every member; ``priority`` is how
    much the decision matters (the two customers' spend, weighted by how recently they
    bought), highest first in the queue (customers/review.py). A pair merged
    automatically on strong evidence is kept as a suggestion in state MERGED, so that
    undoing that merge is never followed by the same merge again.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        MERGED = "merged", _("Merged")
        KEPT_APART = "apart", _("Kept apart")

    customer_a = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    customer_b = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    evidence = models.JSONField(default=list)  # codes and scores, never personal data
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    group = models.BigIntegerField(null=True, blank=True)
    priority = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["-priority", "-score", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "customer_a", "customer_b"], name="suggestion_unique_pair"
            )
        ]
        indexes = [
            models.Index(fields=["shop", "state", "group"], name="suggestion_group"),
        ]

    @property
    def pair(self):
        return (self.customer_a, self.customer_b)


class SearchToken(ShopOwnedModel):
    """One keyed hash that finds a customer: a prefix of a word of their name, or a
    prefix or suffix of one of their phone numbers. See ``merdeka.customers.search``
    for what is hashed and what the table reveals (equality and counts, never text).

    ``token`` is the first 64 bits of HMAC-SHA256 under the shop's index key, as a
    signed integer: eight bytes per row and per index entry at a million customers.

    Its shop and customer are no database constraints: SQLite checked both parents of
    every row inserted (an import writes hundreds of thousands; ~8 % of the deferred
    tokens step), for rows derived from the customer that the ORM deletes with her
    (``on_delete`` cascades in Django either way) and that no query reads without a
    live customer's id.
    """

    # no single-column indexes: the two below lead with the shop and serve every query
    shop = models.ForeignKey(
        "core.Shop", on_delete=models.CASCADE, related_name="+", db_index=False,
        db_constraint=False,
    )  # fmt: skip
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", db_index=False,
        db_constraint=False,
    )  # fmt: skip
    token = models.BigIntegerField()

    class Meta:
        indexes = [
            # the search: which customers carry this token (covering: no table reads)
            models.Index(fields=["shop", "token", "customer"], name="searchtoken_lookup"),
            # rebuilding one customer's tokens
            models.Index(fields=["shop", "customer"], name="searchtoken_customer"),
        ]


UNRANKED = 2_000_000_000  # a name not placed in the order yet: sorts after the others


class CustomerStats(ShopOwnedModel):
    """What the customer list filters and sorts on, one narrow row per live customer.

    Denormalised from orders by ``customer_stats_refresh`` (set-wise SQL) and from the
    customer's city (its blind index) and plain province; a merged-away customer has no
    row. Narrow on
    purpose: counting a filter at a million customers scans this table or one of its
    indexes, never the wide encrypted customer rows.
    """

    shop = models.ForeignKey(
        "core.Shop", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    customer = models.OneToOneField(
        Customer, on_delete=models.CASCADE, primary_key=True, related_name="stats"
    )
    order_count = models.PositiveIntegerField(default=0)
    total_spend = models.BigIntegerField(default=0)  # whole rupiah, valid orders only
    first_order_at = models.DateTimeField(null=True, blank=True)
    last_order_at = models.DateTimeField(null=True, blank=True)
    channels = models.PositiveIntegerField(default=0)  # bit per orders.Channel, see stats.py
    city_index = models.CharField(max_length=32, blank=True)  # Customer.city_index or ""
    province = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField()  # the customer's, for "newest first"
    # position of the name in the shop's alphabetical order (see stats.name_ranks_refresh)
    name_rank = models.PositiveIntegerField(default=UNRANKED)
    rfm_recency = models.PositiveSmallIntegerField(null=True, blank=True)
    rfm_frequency = models.PositiveSmallIntegerField(null=True, blank=True)
    rfm_monetary = models.PositiveSmallIntegerField(null=True, blank=True)
    rfm_group = models.CharField(max_length=16, blank=True)

    class Meta:
        indexes = [
            # each sort has its index, the customer id breaking ties (keyset-ready);
            # PostgreSQL has (last_order_at DESC NULLS LAST) twins of stats_last_order
            # and stats_rfm instead (migrations 0007, 0018); each index names its query
            # in docs/decisions/customer-indexes.md
            models.Index(fields=["shop", "last_order_at", "customer"], name="stats_last_order"),
            models.Index(fields=["shop", "first_order_at"], name="stats_first_order"),
            models.Index(fields=["shop", "total_spend", "customer"], name="stats_spend"),
            models.Index(fields=["shop", "order_count", "customer"], name="stats_orders"),
            models.Index(fields=["shop", "name_rank", "customer"], name="stats_name"),
            models.Index(fields=["shop", "created_at", "customer"], name="stats_created"),
            # region filters, covering the usual second filter (orders, spend) for counts
            models.Index(
                fields=["shop", "province", "city_index", "order_count", "total_spend"],
                name="stats_region_counts",
            ),
            models.Index(fields=["shop", "city_index", "order_count"], name="stats_city_counts"),
            models.Index(fields=["shop", "rfm_group", "last_order_at"], name="stats_rfm"),
            models.Index(fields=["shop", "channels"], name="stats_channels"),
        ]


class RfmGroupCount(ShopOwnedModel):
    """How many of a shop's list rows are in each RFM group, so that the segments page
    does not count a million rows each time it opens.

    Written whole by ``stats.rfm_refresh`` and by a whole-shop ``customer_stats_refresh``
    (they count anyway), and moved by a delta wherever a stats row comes or goes (new
    customers, merges, undone merges, erasure): see ``stats.group_counts_add``. A shop
    without rows here has never been counted; the page then counts live.
    """

    shop = models.ForeignKey(
        "core.Shop", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    rfm_group = models.CharField(max_length=16, blank=True)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "rfm_group"], name="rfmgroupcount_unique")
        ]


class RfmGroupDelta(ShopOwnedModel):
    """A change to a shop's stored RFM group counts since they were last counted whole:
    appended, never updated, so that buyers placing orders at the same moment never wait
    for one another on a shared counter row (an upsert of one row per shop serialised
    every new customer and deadlocked against the stock row on PostgreSQL). The stored
    count of a group is its ``RfmGroupCount`` plus its deltas; counting a shop whole
    folds them in and deletes them (``stats.group_counts_refresh``)."""

    shop = models.ForeignKey("core.Shop", on_delete=models.CASCADE, related_name="+")
    rfm_group = models.CharField(max_length=16, blank=True)
    delta = models.BigIntegerField()


class Tag(ShopOwnedModel):
    """A shop's own label for customers ("reseller", "langganan arisan")."""

    name = models.CharField(_("tag"), max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["shop", "name"], name="tag_unique_name")]

    def __str__(self) -> str:
        return self.name


class CustomerTag(ShopOwnedModel):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "tag", "customer"], name="customertag_unique")
        ]
        indexes = [models.Index(fields=["shop", "customer"], name="customertag_customer")]


class CustomerNote(ShopOwnedModel, EncryptedModel):
    """A private note of the shop about a customer: personal data, so encrypted."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    body = EncryptedTextField()
    author = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["shop", "customer"], name="customernote_customer")]


class Segment(ShopOwnedModel, EncryptedModel):
    """A saved filter of the customer list. ``filters`` holds the filter form's data
    except the search words, which may be part of a name and are kept encrypted."""

    name = models.CharField(_("name"), max_length=80)
    filters = models.JSONField(default=dict)
    query = EncryptedTextField(null=True, blank=True)
    created_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["shop", "name"], name="segment_unique_name")]

    def __str__(self) -> str:
        return self.name

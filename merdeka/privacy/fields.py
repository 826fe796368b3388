"""Model fields for personal data: encrypted columns and their blind indexes.

Usage::

    class Customer(EncryptedModel):
        phone = EncryptedTextField()
        phone_index = BlindIndexField(source="phone", normalizer=normalize_phone_for_index)

Reading ``customer.phone`` decrypts on first access (and raises on any tampering);
assigning plain text marks it for encryption; ``save()`` seals every changed value
with the shop's active data key and recomputes the blind indexes. Filtering an
encrypted column by plain text is refused: look rows up through the blind index.

Several values of one row read together are sealed together (``EncryptedBundleField``):
one token, nonce and tag for all of them, each value a property of the model.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

from django.db import models

from merdeka.privacy import crypto


class Sealed:
    """Ciphertext as loaded from the database. Never renders its content."""

    __slots__ = ("token",)

    def __init__(self, token: str):
        self.token = token

    @property
    def key_version(self) -> int:
        return crypto.token_key_version(self.token)

    def __str__(self) -> str:
        return "•••"

    def __repr__(self) -> str:
        return "<Sealed>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sealed) and other.token == self.token

    def __hash__(self) -> int:
        return hash(self.token)


class PlaintextQueryError(ValueError):
    """Encrypted columns cannot be compared with plain text in SQL."""


class _EncryptedAttribute:
    def __init__(self, field: EncryptedTextField):
        self.field = field

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        name = self.field.attname
        value = instance.__dict__.get(name)
        if not isinstance(value, Sealed):
            return value
        cache = instance.__dict__.setdefault("_plaintext_cache", {})
        if name not in cache:
            cache[name] = crypto.decrypt(
                value.token,
                shop_id=instance.shop_id,
                label=instance._meta.label_lower,
                column=name,
                row=str(instance.uid),
            )
        return cache[name]

    def __set__(self, instance, value):
        name = self.field.attname
        instance.__dict__.get("_plaintext_cache", {}).pop(name, None)
        if value is None or isinstance(value, Sealed):
            instance.__dict__[name] = value
        else:
            instance.__dict__[name] = str(value)


class EncryptedTextField(models.TextField):
    """Text encrypted with AES-256-GCM under the row's shop data key."""

    def contribute_to_class(self, cls, name, private_only=False):
        super().contribute_to_class(cls, name, private_only)
        setattr(cls, self.attname, _EncryptedAttribute(self))

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return None
        return Sealed(value)

    def pre_save(self, model_instance, add):
        model_instance.seal()
        value = model_instance.__dict__.get(self.attname)
        return value if isinstance(value, Sealed) else None

    def get_prep_value(self, value):
        if value is None:
            return None
        if isinstance(value, Sealed):
            return value.token
        raise PlaintextQueryError(
            f"{self.model.__name__}.{self.name} is encrypted: query its blind index instead"
        )

    def to_python(self, value):
        return value


_json_text = json.encoder.encode_basestring  # a JSON string, as json.dumps writes it


class EncryptedBundleField(EncryptedTextField):
    """Several values of a row sealed together, once: a JSON array of texts (an absent
    or empty value is null, trailing nulls left out; nothing at all is no value) under
    one nonce and tag, bound to the row like any sealed column. Each of ``members`` is
    a property of the model: read, set, and given to its constructor as before, so
    ``order.street`` stays what it was. The ORM knows only this field: a query cannot
    filter, order or read by a member; a read of many rows takes the field and opens
    each row's values at once (``opener``). See docs/decisions/order-personal-blob.md.
    """

    def __init__(self, *args, members=(), **kwargs):
        self.members = tuple(members)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["members"] = self.members
        return name, path, args, kwargs

    def contribute_to_class(self, cls, name, private_only=False):
        super().contribute_to_class(cls, name, private_only)
        columns = {f.name for f in cls._meta.local_fields}
        for i, member in enumerate(self.members):
            if member not in columns:  # a migration's model that has both, for a while
                setattr(cls, member, self._member(i))

    def _member(self, i: int) -> property:
        def get(instance):
            return self.values_of(instance)[i]

        def set_(instance, value):
            values = list(self.values_of(instance))
            values[i] = None if value is None or value == "" else str(value)
            text = self.encode(values)
            setattr(instance, self.attname, text or None)
            if text:
                instance.__dict__.setdefault("_bundle_cache", {})[self.attname] = (
                    text,
                    tuple(values),
                )

        return property(get, set_, doc=f"{self.members[i]}, sealed in {self.name}")

    def encode(self, values) -> str:
        """The text sealed for ``values`` (in ``members``' order): "" when none is there."""
        if len(values) != len(self.members):
            raise ValueError(f"{self.name} holds {len(self.members)} values")
        kept = [value or None for value in values]
        while kept and kept[-1] is None:
            kept.pop()
        if not kept:
            return ""
        # what json.dumps(kept, ensure_ascii=False, separators=(",", ":")) writes, at a
        # third of its cost (no encoder made per call): the bulk writer seals per order
        return (
            "["
            + ",".join(
                [
                    "null"
                    if value is None
                    else _json_text(value if type(value) is str else str(value))
                    for value in kept
                ]
            )
            + "]"
        )

    def decode(self, text: str | None) -> tuple:
        """The values ``encode`` wrote (absent ones None)."""
        if not text:
            return (None,) * len(self.members)
        values = json.loads(text)
        if not isinstance(values, list) or len(values) > len(self.members):
            raise crypto.DecryptionError(f"{self.name}: not the values of {self.members}")
        return (*values, *(None,) * (len(self.members) - len(values)))

    def values_of(self, instance) -> tuple:
        """The row's values, opened once and kept while the field holds the same text."""
        text = getattr(instance, self.attname)  # opened by _EncryptedAttribute, kept there
        if not text:
            return (None,) * len(self.members)
        cache = instance.__dict__.setdefault("_bundle_cache", {})
        kept = cache.get(self.attname)
        if kept is not None and kept[0] is text:
            return kept[1]
        values = self.decode(text)
        cache[self.attname] = (text, values)
        return values

    def sealed(self, sealer: crypto.Sealer, *, row: str, **values) -> str | None:
        """What ``sealer`` (of this field's model and shop) stores in the field of the row
        whose uid is ``row`` (dashed) for ``values`` (by member; a missing one is absent):
        the bulk writers' twin of setting the members and saving."""
        unknown = values.keys() - set(self.members)
        if unknown:
            raise TypeError(f"{self.name} has no member {sorted(unknown)}")
        text = self.encode([values.get(member) for member in self.members])
        return sealer.seal(text, column=self.attname, row=row)

    def opener(self, shop_id: int):
        """A function ``(token, row) -> values``: the bulk readers' way to open a row's
        values at once (``crypto.Opener``'s checks and errors). ``token`` is the column's
        value as read (a ``Sealed`` value, its text, or None), ``row`` the row's uid (a
        UUID, its dashed text, or that text encoded)."""
        open_ = crypto.Opener(shop_id=shop_id, label=self.model._meta.label_lower).column(
            self.attname
        )
        decode, nothing = self.decode, (None,) * len(self.members)

        def values(token, row) -> tuple:
            if not token:
                return nothing
            if not isinstance(token, str):
                token = token.token
            if not isinstance(row, bytes):
                row = str(row).encode()
            return decode(open_(token, row))

        return values


class BlindIndexField(models.CharField):
    """A keyed hash of the normalised value of another (encrypted) field."""

    def __init__(self, *args, source: str = "", normalizer: Callable | str = "", **kwargs):
        self.source = source
        self.normalizer = normalizer
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        if not self.db_index:  # not this field's default (indexed), so say it
            kwargs["db_index"] = False
        return name, path, args, kwargs

    def normalize(self, value: str) -> str | None:
        if isinstance(self.normalizer, str):  # a dotted path, resolved once
            from django.utils.module_loading import import_string

            self.normalizer = import_string(self.normalizer)
        return self.normalizer(value) if value else None

    def index_for(self, shop_id: int, value: str) -> str | None:
        return self.indexer(shop_id)(value)

    def indexer(self, shop_id: int) -> Callable[[str | None], str | None]:
        """``index_for`` for many values of one shop (bulk writes): normalise, then hash."""
        hash_ = crypto.blind_indexer(shop_id=shop_id, purpose=self.purpose)

        def index(value: str | None) -> str | None:
            normalized = self.normalize(value or "")
            return hash_(normalized) if normalized else None

        return index

    @property
    def purpose(self) -> str:
        return f"{self.model._meta.label_lower}.{self.source}"

    def pre_save(self, model_instance, add):
        model_instance.seal()
        return getattr(model_instance, self.attname)


class EncryptedModel(models.Model):
    """Mixin for shop-owned models with encrypted columns (needs a ``shop`` FK).

    ``uid`` names the row in the associated data before the database assigns an
    id; ``key_version`` says which data key sealed the row, so key rotation can
    find the rows still under an old key and resume where it stopped.
    """

    uid = models.UUIDField(default=uuid.uuid4, editable=False)
    key_version = models.PositiveIntegerField(default=0, editable=False, db_index=True)

    class Meta:
        abstract = True

    @classmethod
    def encrypted_fields(cls) -> list[EncryptedTextField]:
        return [f for f in cls._meta.concrete_fields if isinstance(f, EncryptedTextField)]

    @classmethod
    def blind_index_fields(cls) -> list[BlindIndexField]:
        return [f for f in cls._meta.concrete_fields if isinstance(f, BlindIndexField)]

    @classmethod
    def bundle_members(cls) -> dict[str, EncryptedBundleField]:
        """Each value sealed in a bundle (``EncryptedBundleField``), by its name: its field."""
        return {
            member: f
            for f in cls._meta.concrete_fields
            if isinstance(f, EncryptedBundleField)
            for member in f.members
        }

    def seal(self) -> None:
        """Encrypt changed values (and re-encrypt old-key ones) with the active key."""
        if self.__dict__.get("_sealing_done"):
            return
        active = crypto.active_data_key_version(self.shop_id)
        label = self._meta.label_lower
        bundled = self.bundle_members()
        for index_field in self.blind_index_fields():
            bundle = bundled.get(index_field.source)
            if bundle is None:
                source = self.__dict__.get(index_field.source)
            elif isinstance(self.__dict__.get(bundle.attname), Sealed):
                continue  # as stored: its members did not change
            else:
                source = getattr(self, index_field.source)
            if not isinstance(source, Sealed):
                setattr(
                    self, index_field.attname, index_field.index_for(self.shop_id, source or "")
                )
        for field in self.encrypted_fields():
            name = field.attname
            value = self.__dict__.get(name)
            if isinstance(value, Sealed):
                if self.key_version == active:
                    continue
                value = getattr(self, name)  # decrypt under the old key
            if value is None or value == "":
                self.__dict__[name] = None
                continue
            self.__dict__[name] = Sealed(
                crypto.encrypt(
                    value,
                    shop_id=self.shop_id,
                    label=label,
                    column=name,
                    row=str(self.uid),
                    version=active,
                )
            )
            self.__dict__.setdefault("_plaintext_cache", {})[name] = value
        self.key_version = active
        self.__dict__["_sealing_done"] = True

    def save(self, *args, **kwargs):
        self.__dict__.pop("_sealing_done", None)
        self.seal()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            bundled = self.bundle_members()  # a member is saved as its bundle
            update_fields = {bundled[n].name if n in bundled else n for n in update_fields}
            extra = {"key_version"}
            extra.update(f.name for f in self.encrypted_fields())
            extra.update(f.name for f in self.blind_index_fields())
            kwargs["update_fields"] = set(update_fields) | extra
        try:
            super().save(*args, **kwargs)
        finally:
            self.__dict__.pop("_sealing_done", None)

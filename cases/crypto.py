"""Encryption at rest for the most sensitive text, and a blind index to search it.

Encrypted fields (`EncryptedTextField`, `EncryptedCharField`) keep a Fernet token in
the database and the plaintext in Python: forms, admin pages and services see text,
a database dump or a stolen backup sees tokens. An empty value stays empty. Tokens
are random, so the database cannot compare them: these fields support no lookups but
`isnull` and `= ""` (anything else raises FieldError rather than silently finding
nothing), and must never be in an admin's `search_fields`, `list_filter` or ordering.

Keys come from settings.REUNITE_ENCRYPTION_KEYS (env `REUNITE_ENCRYPTION_KEYS`),
newest first: the first key encrypts, every key decrypts. `rotate_encryption()`
(`manage.py rotate_encryption_keys`) re-encrypts everything under the first key.

The blind index (`BlindIndexField`) holds keyed HMAC-SHA256 digests of the phone
numbers, e-mail addresses and handles in a sibling field, so that a caseworker can
find a person by phone number while the database holds neither the number nor a
digest anyone without settings.REUNITE_BLIND_INDEX_KEY could recompute.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import models, transaction
from django.db.models.lookups import Exact


class DecryptionError(Exception):
    """A stored value that no configured key decrypts. The message never holds the value."""


# --- Encryption -----------------------------------------------------------------


@lru_cache(maxsize=8)
def _fernets(keys: tuple[str, ...]) -> tuple[Fernet, MultiFernet]:
    if not keys:
        raise ImproperlyConfigured("REUNITE_ENCRYPTION_KEYS is empty: no key to encrypt with.")
    fernets = [Fernet(key) for key in keys]
    return fernets[0], MultiFernet(fernets)


def _primary() -> Fernet:
    return _fernets(tuple(settings.REUNITE_ENCRYPTION_KEYS))[0]


def _all_keys() -> MultiFernet:
    return _fernets(tuple(settings.REUNITE_ENCRYPTION_KEYS))[1]


def encrypt(plaintext: str) -> str:
    """A token for `plaintext` under the first key; "" stays "" (a blank field)."""
    if plaintext == "":
        return ""
    return _primary().encrypt(plaintext.encode()).decode("ascii")


def decrypt(token: str) -> str:
    """The plaintext of a token made with any configured key; "" stays ""."""
    if token == "":
        return ""
    try:
        return _all_keys().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError):
        raise DecryptionError(
            "A stored value could not be decrypted with any key in REUNITE_ENCRYPTION_KEYS. "
            "Was the key that encrypted it removed before `manage.py rotate_encryption_keys` "
            "had re-encrypted everything?"
        ) from None


def is_current(token: str) -> bool:
    """Whether `token` is already encrypted under the first (newest) key."""
    try:
        _primary().decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeError):
        return False
    return True


class _EmptyOrNullExact(Exact):
    """`field=""` and `field=None` only: tokens are random, so no other value can match."""

    def get_prep_lookup(self) -> Any:
        if self.rhs not in ("", None):
            raise FieldError(
                f"{self.lhs.output_field.name} is encrypted: it can be compared with "
                "'' only. Search contact details through their blind index."
            )
        return super().get_prep_lookup()


class EncryptedFieldMixin:
    """Encrypt on the way into the database, decrypt on the way out."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        return value if value is None else decrypt(value)

    def get_db_prep_save(self, value: Any, connection: Any) -> Any:
        value = super().get_db_prep_save(value, connection)
        if value is None or hasattr(value, "as_sql"):  # an expression says what it writes
            return value
        return encrypt(value)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "exact":
            return _EmptyOrNullExact
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        return None  # Django raises FieldError: "Unsupported lookup …"

    def get_transform(self, lookup_name: str) -> Any:
        return None


class EncryptedTextField(EncryptedFieldMixin, models.TextField):
    """A TextField stored encrypted (a multi-line input in forms)."""


class EncryptedCharField(EncryptedFieldMixin, models.CharField):
    """A one-line input, `max_length` counted on the plaintext; stored in a text column
    because the token is about twice as long as what it encrypts."""

    def get_internal_type(self) -> str:
        return "TextField"


# --- Blind index ----------------------------------------------------------------

# E-mail addresses, then handles (@name), then phone numbers (7 digits or more, with
# the usual separators, on one line). Each match is cut out before the next pattern runs.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_HANDLE = re.compile(r"(?<![\w@.])@\w[\w.]*\w")
_PHONE = re.compile(r"(?<![\w+])\+?[(]?\d[\d \t().\-]*\d")
_MIN_PHONE_DIGITS = 7


def _normal_phone(match: str) -> str | None:
    digits = "".join(str(unicodedata.decimal(ch)) for ch in match if ch.isdecimal())
    if len(digits) < _MIN_PHONE_DIGITS:
        return None
    return ("+" if match.startswith("+") else "") + digits


def contact_tokens(text: str) -> list[str]:
    """The searchable tokens in contact details, normalised: phone numbers as digits
    with a leading + kept ("+86 555-0101" → "+865550101"), e-mail addresses and
    handles lower-cased. Full-width and Arabic-Indic digits count as digits."""
    text = unicodedata.normalize("NFKC", text)
    tokens: set[str] = set()
    for pattern in (_EMAIL, _HANDLE):
        tokens.update(match.lower() for match in pattern.findall(text))
        text = pattern.sub(" ", text)
    for match in _PHONE.findall(text):
        if phone := _normal_phone(match):
            tokens.add(phone)
    return sorted(tokens)


def blind_digest(token: str) -> str:
    key = settings.REUNITE_BLIND_INDEX_KEY
    if not key:
        raise ImproperlyConfigured("REUNITE_BLIND_INDEX_KEY is not set.")
    return hmac.new(key.encode(), token.encode(), hashlib.sha256).hexdigest()


def contact_index(text: str) -> str:
    """The blind index of contact details: their tokens' digests, sorted, space-separated."""
    return " ".join(sorted(blind_digest(token) for token in contact_tokens(text)))


def search_digest(term: str) -> str | None:
    """The digest to look for when a whole search term is one phone number, e-mail
    address or handle; None for anything else (names, fragments of numbers)."""
    term = unicodedata.normalize("NFKC", term).strip()
    for pattern in (_EMAIL, _HANDLE, _PHONE):
        if pattern.fullmatch(term):
            tokens = contact_tokens(term)
            return blind_digest(tokens[0]) if len(tokens) == 1 else None
    return None


class BlindIndexField(models.TextField):
    """The blind index of the sibling field `source`, recomputed whenever the row is
    saved, as `auto_now` recomputes a timestamp: no save path can forget it.

    Like `auto_now`, it is skipped by `QuerySet.update()` and by `save(update_fields=…)`
    that does not name it: whoever changes `source` that way must update it too
    (`rotate_encryption()` does).
    """

    def __init__(self, *args: Any, source: str, **kwargs: Any) -> None:
        self.source = source
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[str, str, list[Any], dict[str, Any]]:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = contact_index(getattr(model_instance, self.source) or "")
        setattr(model_instance, self.attname, value)
        return value


# --- Rotation -------------------------------------------------------------------


@dataclass
class RotationCount:
    """What rotation did to one field. Counts only, never values."""

    field: str  # app_label.model.field
    changed: int = 0  # re-encrypted under the first key, or index recomputed
    unchanged: int = 0  # already under the first key, or index already right
    blind_index: bool = False


def raw_values(field_name: str) -> models.Expression:
    """A column as stored (the token itself), bypassing the field's decryption."""
    return models.ExpressionWrapper(models.F(field_name), output_field=models.TextField())


def _fields(model: type[models.Model]) -> tuple[list[models.Field], list[BlindIndexField]]:
    concrete = model._meta.concrete_fields
    encrypted = [f for f in concrete if isinstance(f, EncryptedFieldMixin)]
    indexes = [f for f in concrete if isinstance(f, BlindIndexField)]
    return encrypted, indexes


def _locked_batch(
    model: type[models.Model], columns: list[Any], after_pk: Any, batch_size: int
) -> list[tuple[Any, ...]]:
    """The next rows of (pk, *columns) after `after_pk`, locked until the transaction ends."""
    rows = model._base_manager.select_for_update().order_by("pk")
    if after_pk is not None:
        rows = rows.filter(pk__gt=after_pk)
    return list(rows.values_list("pk", *columns)[:batch_size])


def _rotate_model(
    model: type[models.Model], batch_size: int
) -> tuple[dict[str, RotationCount], dict[str, RotationCount]]:
    encrypted, indexes = _fields(model)
    label = model._meta.label_lower
    field_counts = {f.name: RotationCount(f"{label}.{f.name}") for f in encrypted}
    index_counts = {f.name: RotationCount(f"{label}.{f.name}", blind_index=True) for f in indexes}
    # Each row: pk, the stored tokens, then each index's source (decrypted) and value.
    columns: list[Any] = [
        *(raw_values(f.attname) for f in encrypted),
        *(f.source for f in indexes),
        *(f.attname for f in indexes),
    ]
    last_pk = None
    while True:
        with transaction.atomic():  # one batch per transaction: a failure keeps earlier ones
            batch = _locked_batch(model, columns, last_pk, batch_size)
            for pk, *values in batch:
                tokens = values[: len(encrypted)]
                sources = values[len(encrypted) : len(encrypted) + len(indexes)]
                stored = values[len(encrypted) + len(indexes) :]
                updates: dict[str, Any] = {}
                for field, token in zip(encrypted, tokens, strict=True):
                    if not token:
                        continue
                    if is_current(token):
                        field_counts[field.name].unchanged += 1
                        continue
                    try:
                        updates[field.attname] = decrypt(token)  # saved under the first key
                    except DecryptionError as error:
                        raise DecryptionError(f"{label}.{field.name} id {pk}: {error}") from None
                    field_counts[field.name].changed += 1
                for field, source, index in zip(indexes, sources, stored, strict=True):
                    wanted = contact_index(source or "")
                    if wanted == index:
                        index_counts[field.name].unchanged += 1
                        continue
                    updates[field.attname] = wanted
                    index_counts[field.name].changed += 1
                if updates:
                    model._base_manager.filter(pk=pk).update(**updates)
        if not batch:
            return field_counts, index_counts
        last_pk = batch[-1][0]


def rotate_encryption(*, batch_size: int = 500) -> list[RotationCount]:
    """Re-encrypt every encrypted value under the first key and recompute every blind
    index with the current index key. Values already under the first key and indexes
    already right are left alone, so running it again changes nothing.

    Raises DecryptionError (naming the record, never its value) if a value is under
    no configured key; the batches done before it stay done, and are valid.
    """
    counts: list[RotationCount] = []
    for model in apps.get_models():
        if any(_fields(model)):
            field_counts, index_counts = _rotate_model(model, batch_size)
            counts += [*field_counts.values(), *index_counts.values()]
    return counts

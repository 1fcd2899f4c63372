"""The records of many cases, streamed: one query per kind of record, whatever the
number of cases, and memory bounded by the chunk size.

Each kind of record (members, separations, status changes, …) is read by one query
ordered by case, through a database cursor (`QuerySet.iterator`), and walked in step
with the cases, as a merge join. Every case's `CaseRecords` is the same structure
`cases.timeline.case_records()` loads for a single case, so the timeline, the
summaries and every export format read one thing. A row per case reads its few fields
as plain records, named tuples that stand in for the instances (`record_type`).
"""

from __future__ import annotations

import itertools
from collections import namedtuple
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from operator import attrgetter
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import F, Field, Model, QuerySet
from django.db.models.base import ModelState

from cases.models import (
    ConditionChange,
    Family,
    GovernmentContact,
    Membership,
    Person,
    Petition,
    PetitionEvent,
    Separation,
    StatusChange,
    Team,
    TimelineEntry,
)
from cases.timeline import CaseRecords

CHUNK = 2000
User = get_user_model()

# Fields no export shows at any level (`cases.exports.summary`): never read for one, so
# never decrypted either.
NEVER_READ: dict[type[Model], tuple[str, ...]] = {
    Person: ("contact_details", "contact_index", "name_keys"),
    TimelineEntry: ("source_document", "source_document_name"),
}
# Encrypted fields only the internal level shows: not read for the advocacy level, which
# saves decrypting them. (`Person.id_number` is read: advocacy says whether one is held.)
INTERNAL_ONLY: dict[type[Model], tuple[str, ...]] = {
    Person: ("notes", "location_place"),
    Family: ("internal_summary",),
    Separation: ("details", "last_seen_place"),
    StatusChange: ("note",),
    ConditionChange: ("location_place",),
}


def _fields(model: type[Model], private: bool, only: Sequence[str] | None) -> list[Field]:
    """The concrete fields of `model` a query reads: all (or `only` these, with the
    primary key) but those no export shows and, below the internal level, the private
    ones."""
    unread = NEVER_READ.get(model, ()) + (INTERNAL_ONLY.get(model, ()) if not private else ())
    fields = (
        model._meta.concrete_fields
        if only is None
        else [model._meta.pk, *(model._meta.get_field(name) for name in only)]
    )
    return [field for field in fields if field.name not in unread]


@dataclass(frozen=True)
class Join:
    """A model a query reads: its own (`path` "") or one reached through foreign keys
    ("person", "separation__person"), as `select_related` would, with `only` these
    fields (None: every field an export may show), and the `extra` annotations of the
    query set on the instance under their own names."""

    path: str
    model: type[Model]
    only: tuple[str, ...] | None = None
    extra: tuple[str, ...] = ()


# For each join of a query, in order (a parent before the joins through it): its model,
# the attribute names and the slice of the row it is built from, the place of the
# record it hangs from (None: the row's own), and the field it hangs by.
_Plan = list[tuple[type[Model], tuple[str, ...], slice, int | None, Field | None]]


def _plan(joins: Sequence[Join], private: bool) -> tuple[_Plan, list[str]]:
    """How each row of the joined query is cut into records, and the field paths the
    query reads (for `values_list`). Each model's part begins with its primary key."""
    plan: _Plan = []
    names: list[str] = []
    paths = [join.path for join in joins]
    for join in joins:
        fields = _fields(join.model, private, join.only)
        parent_path, _sep, name = join.path.rpartition("__")
        parent, link = None, None
        if join.path:
            parent = paths.index(parent_path)
            if parent >= len(plan):  # its record would be built without this one
                raise ValueError(f"join {join.path!r} comes before {parent_path!r}")
            link = joins[parent].model._meta.get_field(name)
        start = len(names)
        names += [f"{join.path}__{field.name}" if join.path else field.name for field in fields]
        names += join.extra
        attnames = (*(field.attname for field in fields), *join.extra)
        plan.append((join.model, attnames, slice(start, len(names)), parent, link))
    return plan, names


def _instances(queryset: QuerySet, joins: Sequence[Join], *, private: bool) -> Iterator[Model]:
    """The rows of `queryset` as instances of its model, with the related instances of
    `joins` cached on them, read in chunks through a database cursor.

    What `select_related` and `Model.from_db` give, built from `values_list` rows (the
    fields' own conversions, decryption included, applied) without `Model.__init__`'s
    walk over every field of the model: an export of many cases spent most of its time
    there. A field that was not read is deferred, as with `defer()`."""
    plan, names = _plan(joins, private)
    state = _loaded_state(queryset.db)
    root, *related = plan
    model, attnames, part, _parent, _link = root
    for row in queryset.values_list(*names).iterator(chunk_size=CHUNK):
        instance = model.__new__(model)
        instance.__dict__ = dict(zip(attnames, row[part], strict=True), _state=state())
        built: list[Model | None] = [instance]
        for joined, joined_names, joined_part, parent, link in related:
            owner = built[parent]
            related_instance = None
            if owner is not None and row[joined_part.start] is not None:  # else a null key
                related_instance = joined.__new__(joined)
                related_instance.__dict__ = dict(
                    zip(joined_names, row[joined_part], strict=True), _state=state()
                )
            if owner is not None:
                link.set_cached_value(owner, related_instance)
            built.append(related_instance)
        yield instance


def _records(queryset: QuerySet, joins: Sequence[Join], *, private: bool) -> Iterator[Any]:
    """The rows of `queryset` as plain records (`record_type`), each related record
    under the name of the foreign key it hangs by, read as `_instances` reads them.

    A record is a named tuple of the values `values_list` gave (a tuple is made in a
    fifth of the time an instance's dictionary takes), built from the last join back to
    the row's own (a record holds the records it points to)."""
    plan, names = _plan(joins, private)
    # From the last join to the first: its place, its record type, its slice of the row,
    # and the places of the joins through it.
    steps = []
    for place in reversed(range(len(plan))):
        model, attnames, part, _parent, _link = plan[place]
        through = tuple(i for i, step in enumerate(plan) if step[3] == place)
        related = tuple(plan[i][4].name for i in through)
        steps.append((place, record_type(model, attnames + related), part, through))
    new = tuple.__new__
    rows = queryset.values_list(*names).iterator(chunk_size=CHUNK)
    if len(steps) == 1:  # the row's own record alone
        ((_place, record, _part, _through),) = steps
        for row in rows:
            yield new(record, row)
        return
    if len(steps) == 2 and steps[0][3] == ():  # and one record it points to (the most usual)
        (_place, joined, joined_part, _through), (_root, record, part, _via) = steps
        for row in rows:
            values = row[joined_part]
            yield new(record, (*row[part], None if values[0] is None else new(joined, values)))
        return
    for row in rows:
        built: list[Any] = [None] * len(plan)
        for place, record, part, through in steps:
            values = row[part]
            if place and values[0] is None:
                continue  # a null key: its record is None
            built[place] = new(
                record, (*values, *[built[i] for i in through]) if through else values
            )
        yield built[0]


# What a plain record of a model borrows from it: the properties and methods an export
# calls on one (`cases.exports.summary`), which read nothing but fields. A record read
# without a field they need raises AttributeError; an instance would query for it.
BORROWED: dict[type[Model], tuple[str, ...]] = {
    Person: ("__str__", "Consent", "is_named", "consented_name", "unnamed_label", "birth_display"),
    GovernmentContact: ("outcome_label_in",),
}


@cache
def record_type(model: type[Model], names: tuple[str, ...]) -> type[tuple]:
    """A light stand-in for instances of `model` holding these attributes (field
    attribute names, annotations and related records): a named tuple with the model's
    `_meta` (so `cases.choices.choice_label` reads its choices), `pk`, what `BORROWED`
    names, and a `repr` that shows no value but the primary key."""
    base = namedtuple(f"{model.__name__}Record", names)
    namespace = {
        "__slots__": (),
        "_meta": model._meta,
        "pk": property(attrgetter(model._meta.pk.attname)),
        # Not the values (names, decrypted fields), should a record reach a log.
        "__repr__": lambda self: f"<{type(self).__name__} {self.pk}>",
        **{name: vars(model)[name] for name in BORROWED.get(model, ())},
    }
    return type(base.__name__, (base,), namespace)


@cache
def _loaded_state(db: str) -> type[ModelState]:
    """The state of a saved instance loaded from database `db`, as `Model.from_db` sets
    it; without `ModelState.__del__`, which empties the cache of related instances to
    break reference cycles: these instances only cache the ones they point to, and an
    export builds hundreds of thousands of them."""

    def __del__(self: ModelState) -> None:
        pass

    return type("LoadedState", (ModelState,), {"adding": False, "db": db, "__del__": __del__})


class _Groups:
    """Records in order of case: `take(case_id)` returns that case's records."""

    def __init__(self, records: Iterator[Any], key: str = "family_id") -> None:
        by_case = itertools.groupby(records, key=attrgetter(key))
        self._groups = ((case_id, list(group)) for case_id, group in by_case)
        self._next: tuple[float, list[Any]] = _NOT_YET  # read at the first `take`

    def take(self, case_id: int) -> list[Any]:
        key, rows = self._next
        while key < case_id:  # a case filtered out of the main query
            self._next = next(self._groups, _NO_MORE)
            key, rows = self._next
        if key == case_id:
            self._next = next(self._groups, _NO_MORE)
            return rows
        return []


_NOT_YET = (float("-inf"), [])  # before the first group: earlier than any case
_NO_MORE = (float("inf"), [])  # after the last group: later than any case


class _Nothing:
    """A kind of record the export does not read."""

    def take(self, case_id: int) -> list[Any]:
        return []


def _merged(*groups: list[Model]) -> list[Model]:
    """Records reached in more than one way, each once, in order of primary key."""
    if not any(groups):
        return []
    unique = {record.pk: record for group in groups for record in group}
    return sorted(unique.values(), key=lambda record: record.pk)


EVERY_KIND = frozenset(
    {"memberships", "contacts", "status_changes", "conditions", "entries", "petition_events"}
)


def iter_case_records(
    families: QuerySet[Family],
    *,
    private: bool = True,
    read: frozenset[str] = EVERY_KIND,
    fields: Mapping[type[Model], tuple[str, ...]] | None = None,
    plain: bool = False,
) -> Iterator[CaseRecords]:
    """Each case of `families` (already narrowed to what the reader may open) with its
    records, in order of primary key: one query for the cases, one for their
    separations, and one for each kind of record in `read` (`CaseRecords` field names;
    nine queries in all; with `private=False` the memberships always). A kind not read
    is empty.

    Fields no export shows are not loaded (`NEVER_READ`); with `private=False` (the
    advocacy level) nor are the private ones only the internal level shows
    (`INTERNAL_ONLY`); with `fields`, only those of each model it names (and the
    primary key). Reading another field anyway would cost a query per record.

    With `plain`, the records are plain records (`record_type`), not model instances:
    what a row per case is drawn from (`summary.case_brief`), several times faster to
    build; reading a field that was not read raises AttributeError.
    """
    build = _records if plain else _instances
    families = families.order_by("pk")
    ids = families.values("pk")
    fields = fields or {}
    if not private:
        # Below the internal level consent and pseudonyms are made of every member: a
        # case read without them would hold no unnamed member's name to check text by.
        read |= {"memberships"}

    def model(path: str, model: type[Model]) -> Join:
        return Join(path, model, only=fields.get(model))

    def groups(kind: str, queryset: QuerySet, *joins: Join, key: str = "family_id") -> Any:
        if kind not in read and kind != "separations":
            return _Nothing()
        return _Groups(build(queryset, joins, private=private), key)

    person = model("person", Person)
    actor = Join("actor", User, only=(User.USERNAME_FIELD,))
    memberships = groups(
        "memberships",
        Membership.objects.filter(family__in=ids).order_by("family_id", "pk"),
        model("", Membership),
        person,
    )
    separations = groups(
        "separations",
        Separation.objects.filter(family__in=ids).order_by("family_id", "pk"),
        model("", Separation),
        person,
    )
    changes = groups(
        "status_changes",
        StatusChange.objects.filter(family__in=ids).order_by("family_id", "pk"),
        model("", StatusChange),
        actor,
        model("separation", Separation),
        model("separation__person", Person),
    )
    # A person's conditions belong to every case they are on: reached through their
    # memberships and through their separations (one query each).
    member_conditions = groups(
        "conditions",
        ConditionChange.objects.filter(person__memberships__family__in=ids)
        .annotate(case_id=F("person__memberships__family_id"))
        .order_by("case_id", "pk"),
        Join("", ConditionChange, extra=("case_id",)),
        actor,
        key="case_id",
    )
    separated_conditions = groups(
        "conditions",
        ConditionChange.objects.filter(person__separations__family__in=ids)
        .annotate(case_id=F("person__separations__family_id"))
        .order_by("case_id", "pk"),
        Join("", ConditionChange, extra=("case_id",)),
        actor,
        key="case_id",
    )
    contacts = groups(
        "contacts",
        GovernmentContact.objects.filter(family__in=ids).order_by("family_id", "pk"),
        model("", GovernmentContact),
    )
    entries = groups(
        "entries",
        TimelineEntry.objects.filter(family__in=ids).order_by("family_id", "pk"),
        model("", TimelineEntry),
    )
    events = groups(
        "petition_events",
        PetitionEvent.objects.filter(petition__families__in=ids)
        .annotate(case_id=F("petition__families"))
        .order_by("case_id", "pk"),
        Join("", PetitionEvent, extra=("case_id",)),
        Join("petition", Petition),
        key="case_id",
    )
    case_joins = [model("", Family)]
    case_fields = fields.get(Family)
    if case_fields is None or "team" in case_fields:
        case_joins.append(Join("team", Team, only=("name",)))
    if case_fields is None or "reporting_contact" in case_fields:
        case_joins.append(model("reporting_contact", Person))
    cases = build(families, case_joins, private=private)
    for family in cases:
        pk = family.pk
        conditions = _merged(member_conditions.take(pk), separated_conditions.take(pk))
        yield CaseRecords(
            family=family,
            memberships=memberships.take(pk),
            separations=separations.take(pk),
            status_changes=changes.take(pk),
            conditions=conditions,
            contacts=contacts.take(pk),
            entries=entries.take(pk),
            petition_events=events.take(pk),
        )

"""The records of many cases, streamed: one query per kind of record, whatever the
number of cases, and memory bounded by the chunk size.

Each kind of record (members, separations, status changes, …) is read by one query
ordered by case, through a database cursor (`QuerySet.iterator`), and walked in step
with the cases, as a merge join. Every case's `CaseRecords` is the same structure
`cases.timeline.case_records()` loads for a single case, so the timeline, the
summaries and every export format read one thing.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from django.db.models import F, Model, QuerySet

from cases.models import (
    ConditionChange,
    Family,
    GovernmentContact,
    Membership,
    Person,
    PetitionEvent,
    Separation,
    StatusChange,
    TimelineEntry,
)
from cases.timeline import CaseRecords

CHUNK = 500

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


def _unread(private: bool, *paths: tuple[str, type[Model]]) -> list[str]:
    """The fields to defer of each (path, model) a query loads: "" is its own model."""
    fields = []
    for path, model in paths:
        names = NEVER_READ.get(model, ()) + (INTERNAL_ONLY.get(model, ()) if not private else ())
        fields += [f"{path}__{name}" if path else name for name in names]
    return fields


class _Groups:
    """Rows of one query ordered by case: `take(case_id)` returns that case's rows."""

    def __init__(self, queryset: QuerySet, key: str = "family_id") -> None:
        rows = queryset.iterator(chunk_size=CHUNK)
        self._groups = itertools.groupby(rows, key=lambda row: getattr(row, key))
        self._current: tuple[int, list[Any]] | None = None
        self._done = False

    def take(self, case_id: int) -> list[Any]:
        while not self._done:
            if self._current is None:
                try:
                    key, group = next(self._groups)
                except StopIteration:
                    self._done = True
                    break
                self._current = (key, list(group))
            key, rows = self._current
            if key < case_id:
                self._current = None  # a case filtered out of the main query
                continue
            if key == case_id:
                self._current = None
                return rows
            break
        return []


def iter_case_records(families: QuerySet[Family], *, private: bool = True) -> Iterator[CaseRecords]:
    """Each case of `families` (already narrowed to what the reader may open) with its
    records, in reference order of primary key; nine queries in all.

    Fields no export shows are not loaded (`NEVER_READ`); with `private=False` (the
    advocacy level) nor are the private ones only the internal level shows
    (`INTERNAL_ONLY`). Reading one of them anyway would cost a query per record."""
    families = families.order_by("pk")
    ids = families.values("pk")
    memberships = _Groups(
        Membership.objects.filter(family__in=ids)
        .select_related("person")
        .defer(*_unread(private, ("person", Person)))
        .order_by("family_id", "pk")
    )
    separations = _Groups(
        Separation.objects.filter(family__in=ids)
        .select_related("person")
        .defer(*_unread(private, ("", Separation), ("person", Person)))
        .order_by("family_id", "pk")
    )
    changes = _Groups(
        StatusChange.objects.filter(family__in=ids)
        .select_related("actor", "separation__person")
        .defer(
            *_unread(
                private,
                ("", StatusChange),
                ("separation", Separation),
                ("separation__person", Person),
            )
        )
        .order_by("family_id", "pk")
    )
    # A person's conditions belong to every case they are on: reached through their
    # memberships and through their separations (one query each).
    member_conditions = _Groups(
        ConditionChange.objects.filter(person__memberships__family__in=ids)
        .annotate(case_id=F("person__memberships__family_id"))
        .select_related("actor")
        .defer(*_unread(private, ("", ConditionChange)))
        .order_by("case_id", "pk"),
        key="case_id",
    )
    separated_conditions = _Groups(
        ConditionChange.objects.filter(person__separations__family__in=ids)
        .annotate(case_id=F("person__separations__family_id"))
        .select_related("actor")
        .defer(*_unread(private, ("", ConditionChange)))
        .order_by("case_id", "pk"),
        key="case_id",
    )
    contacts = _Groups(GovernmentContact.objects.filter(family__in=ids).order_by("family_id", "pk"))
    entries = _Groups(
        TimelineEntry.objects.filter(family__in=ids)
        .defer(*_unread(private, ("", TimelineEntry)))
        .order_by("family_id", "pk")
    )
    events = _Groups(
        PetitionEvent.objects.filter(petition__families__in=ids)
        .annotate(case_id=F("petition__families"))
        .select_related("petition")
        .order_by("case_id", "pk"),
        key="case_id",
    )
    cases = families.select_related("team", "reporting_contact").defer(
        *_unread(private, ("", Family), ("reporting_contact", Person))
    )
    for family in cases.iterator(chunk_size=CHUNK):
        conditions = {c.pk: c for c in member_conditions.take(family.pk)}
        conditions.update({c.pk: c for c in separated_conditions.take(family.pk)})
        yield CaseRecords(
            family=family,
            memberships=memberships.take(family.pk),
            separations=separations.take(family.pk),
            status_changes=changes.take(family.pk),
            conditions=sorted(conditions.values(), key=lambda c: c.pk),
            contacts=contacts.take(family.pk),
            entries=entries.take(family.pk),
            petition_events=events.take(family.pk),
        )

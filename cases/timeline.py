"""One case's timeline: the family's story as it happened, merged from everything the
case holds that has a date: status changes, what happened to each person (condition,
whereabouts, charge, sentence), when each separation began, government contacts, their
answers and the follow-ups that fell due, and the dated entries caseworkers add.

Order: by the date the thing happened (a status's effective date, never the day it
was typed), at the precision it is known. An item known only to the year comes after
the dated items of that year, and one known to the month after the days of that month:
the record does not say where inside the period it happened, so it claims no place
among them. Items of the same period and precision keep the order they were recorded.

`public=True` is the same function with the public filter, for the petition pages:
see `case_timeline`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple
from urllib.parse import urlsplit

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases.choices import choice_label
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
    status_transition,
)
from cases.partial_dates import PartialDate
from cases.text import isolate

# Tie-break for items that were never "recorded" on their own (a separation's start).
_BEGINNING = dt.datetime.min.replace(tzinfo=dt.UTC)


class ItemKind(StrEnum):
    STATUS = "status"
    CONDITION = "condition"
    SEPARATION = "separation"
    CONTACT = "contact"
    RESPONSE = "response"
    FOLLOW_UP = "follow_up"
    ENTRY = "entry"
    PETITION = "petition"


@dataclass(frozen=True)
class TimelineItem:
    date: PartialDate
    kind: ItemKind
    title: str
    recorded_at: dt.datetime
    detail: str = ""
    who: str = ""  # who changed the status, or the official a contact was with
    outcome: str = ""
    source: str = ""
    source_url: str = ""
    reliability: str = ""
    publishable: bool = False

    @property
    def sort_key(self) -> tuple[tuple[int, int, int], dt.datetime]:
        year, month, day = self.date.year, self.date.month, self.date.day
        # Unknown month after December, unknown day after the 31st (see the docstring).
        return ((year, month or 13, day or 32), self.recorded_at)

    @property
    def recorded_on(self) -> dt.date | None:
        """The day it was recorded here, for staff; None where that is not an event."""
        return None if self.recorded_at == _BEGINNING else timezone.localdate(self.recorded_at)


@dataclass(frozen=True)
class Reader:
    """Who the timeline is for.

    - `public`: outside the organisation (the petition pages).
    - `private`: may see `cases.access.PRIVATE_FIELDS` (notes, exact places).
    - `labels`: how to name each person (by pk), for readers who name people their own
      way (advocates' exports: a name only with consent, else a stable pseudonym); also
      keeps out staff names and entries not marked publishable.
    """

    public: bool = False
    private: bool = True
    labels: Mapping[int, str] | None = None

    @property
    def internal(self) -> bool:
        """Inside the organisation's own case file: staff names, every entry."""
        return not self.public and self.labels is None

    def person_label(self, person: Person) -> str | None:
        """How this reader may name the person; None: not at all (no public consent)."""
        if self.labels is not None:
            label = self.labels.get(person.pk)
            return _("A relative") if label is None else label
        if not self.public:
            return str(person)
        if person.consent == Person.Consent.NAMED:
            return person.consented_name or _("A relative")
        if person.consent == Person.Consent.ANONYMISED:
            return _("A relative")
        return None

    def actor(self, user: object | None) -> str:
        return user.get_username() if self.internal and user is not None else ""


def _web_link(url: str) -> str:
    """The URL if it is a web address; anything else (javascript:, data:) is not a link."""
    return url if urlsplit(url).scheme.lower() in {"http", "https"} else ""


def _status_item(change: StatusChange, reader: Reader) -> TimelineItem:
    if change.separation_id:
        person = change.separation.person
        subject = _("Separation") if reader.public else reader.person_label(person)
    else:
        subject = _("Case")
    if change.from_status:
        title = f"{subject}: {status_transition(change.from_label, change.to_label)}"
    else:
        title = f"{subject}: {change.to_label}"
    return TimelineItem(
        date=change.effective_on,
        kind=ItemKind.STATUS,
        title=title,
        recorded_at=change.changed_at,
        detail=change.note if reader.private and not reader.public else "",
        who=reader.actor(change.actor),
        publishable=True,
    )


def _condition_item(change: ConditionChange, label: str, reader: Reader) -> TimelineItem:
    details = [str(Person.Whereabouts(change.whereabouts).label)]
    if not reader.public or change.publishable:
        if change.charge:
            details.append(_("Charge: %(charge)s") % {"charge": change.charge})
        if change.sentence_years:
            details.append(
                ngettext(
                    "Sentenced to %(years)d year",
                    "Sentenced to %(years)d years",
                    change.sentence_years,
                )
                % {"years": change.sentence_years}
            )
    # The reader first: an export for a reader who may not see the place never loads it.
    if (
        (reader.public and change.publishable) or (not reader.public and reader.private)
    ) and change.location_place:
        details.append(change.location_place)
    condition = choice_label(change, "condition")
    return TimelineItem(
        date=change.effective_on,
        kind=ItemKind.CONDITION,
        title=f"{label}: {status_transition(change.from_label, condition)}"
        if change.from_label and change.from_condition != change.condition
        else f"{label}: {condition}",
        recorded_at=change.recorded_at,
        detail=" · ".join(details),
        who=reader.actor(change.actor),
        source=change.source if not reader.public or change.publishable else "",
        source_url=_web_link(change.source_url) if not reader.public or change.publishable else "",
        publishable=change.publishable,
    )


def _separation_item(separation: Separation, label: str) -> TimelineItem:
    return TimelineItem(
        date=separation.since,
        kind=ItemKind.SEPARATION,
        title=_("%(who)s separated from the family") % {"who": label},
        recorded_at=_BEGINNING,
        detail=choice_label(separation, "circumstance"),
        publishable=True,
    )


def _contact_items(contact: GovernmentContact, reader: Reader) -> list[TimelineItem]:
    items = [
        TimelineItem(
            date=contact.contacted_on,
            kind=ItemKind.CONTACT,
            title=f"{choice_label(contact, 'direction')}: {isolate(contact.body)}",
            recorded_at=contact.created_at,
            detail=contact.summary,
            who=contact.official,
            outcome=contact.outcome_label,
            # Who passed it on stays in the case file: never in an advocate's export.
            source=contact.intermediary if reader.internal else "",
        )
    ]
    if contact.response_on:
        items.append(
            TimelineItem(
                date=contact.response_on,
                kind=ItemKind.RESPONSE,
                title=_("Response from %(body)s") % {"body": isolate(contact.body)},
                recorded_at=contact.created_at,
                outcome=contact.outcome_label,
            )
        )
    elif contact.follow_up_on and contact.follow_up_on <= timezone.localdate():
        items.append(
            TimelineItem(
                date=PartialDate.from_date(contact.follow_up_on),
                kind=ItemKind.FOLLOW_UP,
                title=_("Follow-up due: %(body)s") % {"body": isolate(contact.body)},
                recorded_at=contact.created_at,
                outcome=contact.outcome_label,
            )
        )
    return items


def _petition_item(event: PetitionEvent) -> TimelineItem:
    slug = event.petition.slug
    if event.kind == PetitionEvent.Kind.GOAL:
        title = _("Petition %(slug)s reached %(count)s signatures") % {
            "slug": slug,
            "count": intcomma(event.goal),
        }
    else:
        title = _("Petition %(slug)s: %(status)s") % {
            "slug": slug,
            "status": choice_label(event, "status"),
        }
    return TimelineItem(
        date=PartialDate.from_date(timezone.localdate(event.at)),
        kind=ItemKind.PETITION,
        title=title,
        recorded_at=event.at,
        publishable=True,
    )


def _entry_item(entry: TimelineEntry) -> TimelineItem:
    return TimelineItem(
        date=entry.occurred_on,
        kind=ItemKind.ENTRY,
        title=entry.title,
        recorded_at=entry.created_at,
        detail=entry.description,
        source=entry.source,
        source_url=_web_link(entry.source_url),
        reliability=choice_label(entry, "reliability"),
        publishable=entry.publishable,
    )


class CaseRecords(NamedTuple):
    """Everything one case holds that its timeline (and an export of it) is made of.
    A named tuple: an export makes one a case, and a tuple is made in a fraction of
    the time a frozen dataclass takes."""

    family: Family
    memberships: Sequence[Membership]  # with .person
    separations: Sequence[Separation]  # with .person
    status_changes: Sequence[StatusChange]  # with .actor and .separation.person
    conditions: Sequence[ConditionChange]  # of the people above, with .actor
    contacts: Sequence[GovernmentContact]
    entries: Sequence[TimelineEntry]
    petition_events: Sequence[PetitionEvent]  # with .petition

    @property
    def people(self) -> dict[int, Person]:
        """Members and separated people, by pk (the reporting contact is a member)."""
        people = {m.person_id: m.person for m in self.memberships}
        people.update({s.person_id: s.person for s in self.separations})
        return people


def case_records(family: Family) -> CaseRecords:
    """One case's records, in seven queries."""
    separations = list(family.separations.select_related("person"))
    memberships = list(family.memberships.select_related("person"))
    people = {s.person_id for s in separations} | {m.person_id for m in memberships}
    return CaseRecords(
        family=family,
        memberships=memberships,
        separations=separations,
        status_changes=list(family.status_changes.select_related("actor", "separation__person")),
        conditions=list(ConditionChange.objects.filter(person__in=people).select_related("actor")),
        contacts=list(family.government_contacts.all()),
        entries=list(family.entries.all()),
        petition_events=list(
            PetitionEvent.objects.filter(petition__families=family).select_related("petition")
        ),
    )


def timeline_of(records: CaseRecords, reader: Reader) -> list[TimelineItem]:
    """The timeline of loaded records, oldest first, as `reader` may read it (the rules:
    `case_timeline`)."""
    items = [_status_item(change, reader) for change in records.status_changes]
    labels = {pk: reader.person_label(person) for pk, person in records.people.items()}
    items += [
        _condition_item(change, labels[change.person_id], reader)
        for change in records.conditions
        if labels.get(change.person_id) is not None
    ]
    items += [
        _separation_item(separation, labels[separation.person_id])
        for separation in records.separations
        if separation.since and labels[separation.person_id] is not None
    ]
    if not reader.public:
        for contact in records.contacts:
            items += _contact_items(contact, reader)
    items += [
        _entry_item(entry) for entry in records.entries if entry.publishable or reader.internal
    ]
    items += [_petition_item(event) for event in records.petition_events]
    return sorted(items, key=lambda item: item.sort_key)


def case_timeline(
    family: Family, *, public: bool = False, private: bool = True
) -> list[TimelineItem]:
    """The family's timeline, oldest first (see the module docstring for the order).

    `private=False` drops what `cases.access.PRIVATE_FIELDS` keeps to some roles (the
    notes on status changes, the exact place of a person), for staff who may read the
    case but not its private fields.

    `public=True` keeps only what may be shown outside the organisation: statuses
    without notes, names or who changed them; entries marked publishable; a person's
    condition and separation only with their consent, named only if they agreed to be,
    and the charge, sentence, place and source only where marked publishable. No
    government contacts. Petition milestones (published, goals reached, delivered) are
    public by nature. It is a floor, not the whole rule: the caller still decides
    whether the case is public at all.
    """
    return timeline_of(case_records(family), Reader(public=public, private=private))

"""A case summary at a redaction level: what every export row passes through,
whatever the format.

Every format (CSV, XLSX, JSON, PDF, the dossiers for UN bodies) is drawn from the
nested document of `case_summary` (or, for a row per case, its short form
`case_brief`) and nothing else, so what a level may show is decided here once, by one
class (`_Redactor`) for both.

- Never, at any level: a person's contact details, evidence files, who holds which
  case (caseworkers), the blind search index.
- `internal` (staff who may see private fields): everything else the case holds.
- `advocacy`: a person is named (every script, aliases, full birth date) only with
  their consent "named"; anyone else gets a stable pseudonym such as "Child 2 of
  F-2026-0042" (their role and place among the case's members of that role) and only
  their birth year. No internal summary, notes, separation details, status notes, exact
  places (only the country, and the prefecture inside China), identity document
  numbers (only whether one is held), team, intermediaries or staff names; only
  timeline entries marked publishable. Free text (the case name, the public summary, a
  contact's summary, timeline items, what a separation records for the UN forms) is
  held to `cases.consent`: text that names someone who did not agree to be named is
  left out.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from functools import cached_property, lru_cache
from operator import attrgetter
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _
from django_countries import countries

from cases.choices import choice_label, translated
from cases.consent import Consent
from cases.exports.levels import Level
from cases.models import Family, GovernmentContact, Membership, Person, Separation
from cases.partial_dates import PartialDate
from cases.timeline import CaseRecords, Reader, timeline_of

SCHEMA_VERSION = 1


def _date(value: PartialDate | dt.date | dt.datetime | None) -> str | None:
    if isinstance(value, PartialDate):  # most dates: tested first
        return str(value)
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date().isoformat()
    return value.isoformat() if isinstance(value, dt.date) else str(value)


class Part(StrEnum):
    """The parts of a summary beyond the case's own fields. A layout asks for the parts
    it shows: a row per case reads neither the members' details nor the timeline, and
    what is not asked for is neither loaded (`records_read`) nor redacted."""

    MEMBERS = "members"
    SEPARATIONS = "separations"
    STATUS_HISTORY = "status_history"  # of each separation
    CONTACTS = "government_contacts"
    TIMELINE = "timeline"


EVERY_PART = frozenset(Part)

# What a brief (`case_brief`: a case in one row) is drawn from at the advocacy level:
# these fields of these models and the contacts; no more is loaded. Every name and the
# consent: whether a person is named, and whether the case name names someone unnamed.
ADVOCACY_BRIEF_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    Family: ("reference", "name", "status", "host_country", "reporting_contact"),
    Membership: ("family", "person", "role"),
    Separation: ("family", "person", "status"),
    Person: ("name_latin", "name_uyghur", "name_chinese", "aliases", "consent"),
    GovernmentContact: (
        *("family", "contacted_on", "government", "body", "direction", "outcome"),
        *("response_on", "follow_up_on"),
    ),
}
# The internal level names the separated as the case file does (`Person.__str__`: their
# names, or what someone not yet named is described by), and the case by its own name:
# it reads neither the members nor the reporting contact, which only consent and
# pseudonyms are made of.
INTERNAL_BRIEF_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    **ADVOCACY_BRIEF_FIELDS,
    Family: ("reference", "name", "status", "host_country"),
    Person: (
        *("name_latin", "name_uyghur", "name_chinese"),
        *("description", "birth_date", "birth_date_approximate"),
    ),
}


def brief_reads(level: Level) -> tuple[frozenset[str], dict[type[models.Model], tuple[str, ...]]]:
    """The kinds of `CaseRecords` and the fields of each model a brief at `level` is
    drawn from."""
    if level == Level.INTERNAL:
        return frozenset({"contacts"}), INTERNAL_BRIEF_FIELDS
    return frozenset({"memberships", "contacts"}), ADVOCACY_BRIEF_FIELDS


def records_read(parts: frozenset[Part]) -> frozenset[str]:
    """The kinds of `CaseRecords` a summary of `parts` reads, beyond the case and its
    separations: always the memberships (names, consent and pseudonyms come from
    them)."""
    kinds = {"memberships"}
    if parts & {Part.CONTACTS, Part.TIMELINE}:
        kinds.add("contacts")
    if parts & {Part.STATUS_HISTORY, Part.TIMELINE}:
        kinds.add("status_changes")
    if Part.TIMELINE in parts:
        kinds |= {"conditions", "entries", "petition_events"}
    return frozenset(kinds)


@lru_cache(maxsize=1024)
def _country_name(code: str, language: str | None) -> str:
    return str(countries.name(code))


def _country_code(instance: models.Model, name: str) -> str:
    """A country field's code as loaded: its descriptor builds a `Country` on every
    access (a plain record, `records.record_type`, holds the code itself)."""
    if not isinstance(instance, models.Model):
        return getattr(instance, name) or ""
    if name in instance.__dict__:
        return instance.__dict__[name] or ""
    return getattr(instance, name).code or ""  # not loaded: the descriptor reads it


def _choice(value: str, label: str) -> dict[str, str] | None:
    return {"code": value, "label": str(label)} if value else None


class Pseudonyms:
    """Every person on the case by pk: "Child 2 of F-2026-0042". The same person keeps
    the same pseudonym in every export while the case's members stay the same: the
    number is their place among the members of that role, in the order they were added.
    People on the case only through a separation are numbered as relatives after them.

    Numbered at once, worded when asked for (a row per case names only the separated)."""

    def __init__(self, records: CaseRecords, language: str | None = None) -> None:
        self.reference = records.family.reference
        self.language = language or get_language()
        # pk -> (their first membership, or None for a separated relative; their number)
        self.places: dict[int, tuple[Membership | None, int]] = {}
        seen: dict[str, int] = {}
        for membership in sorted(records.memberships, key=attrgetter("pk")):
            seen[membership.role] = number = seen.get(membership.role, 0) + 1
            self.places.setdefault(membership.person_id, (membership, number))
        relatives = 0
        for separation in sorted(records.separations, key=attrgetter("pk")):
            if separation.person_id not in self.places:
                relatives += 1
                self.places[separation.person_id] = (None, relatives)

    def __getitem__(self, pk: int) -> str:
        membership, number = self.places[pk]
        if membership is None:
            wording = translated(
                gettext_noop("Relative %(number)d of %(reference)s"), self.language
            )
            return wording % {"number": number, "reference": self.reference}
        wording = translated(gettext_noop("%(role)s %(number)d of %(reference)s"), self.language)
        return wording % {
            "role": choice_label(membership, "role", self.language),
            "number": number,
            "reference": self.reference,
        }


def pseudonyms(records: CaseRecords, language: str | None = None) -> dict[int, str]:
    """Every person's pseudonym on the case, by pk (`Pseudonyms`)."""
    every = Pseudonyms(records, language)
    return {pk: every[pk] for pk in every.places}


class _Redactor:
    """One case's summary at one level. What only some parts need (consent, the
    pseudonyms, each person's label) is worked out when first asked for."""

    def __init__(
        self,
        records: CaseRecords,
        level: Level,
        today: dt.date,
        parts: frozenset[Part],
        language: str | None = None,
    ) -> None:
        if level not in (Level.INTERNAL, Level.ADVOCACY):
            raise ValueError(f"no case summary at level {level!r}")
        self.records = records
        self.internal = level == Level.INTERNAL
        self.today = today
        self.parts = parts
        # The active language, read once (a context-local lookup each time): by the
        # caller, once an export, where it is given.
        self.language = language or get_language()
        self.people = records.people
        self._labels: dict[int, str] = {}

    @cached_property
    def separated(self) -> dict[int, int]:
        """Each separation's person, by the separation's pk."""
        return {s.pk: s.person_id for s in self.records.separations}

    @cached_property
    def consent(self) -> Consent:
        people = list(self.people.values())
        contact = self.records.family.reporting_contact
        if contact is not None and contact.pk not in self.people:
            people.append(contact)
        return Consent.of(people)

    @cached_property
    def pseudonyms(self) -> Pseudonyms:
        return Pseudonyms(self.records, self.language)

    @cached_property
    def member_index(self) -> dict[int, int]:
        """Each person's place in "members" (the order `members()` lists them in)."""
        order = [m.person_id for m in sorted(self.records.memberships, key=lambda m: m.pk)]
        order += [s.person_id for s in self.records.separations]
        return {pk: index for index, pk in enumerate(dict.fromkeys(order))}

    def label(self, pk: int) -> str:
        """How the person is called at this level: their name, or their pseudonym."""
        if pk not in self._labels:
            person = self.people[pk]
            name = str(person) if self.internal else person.consented_name
            self._labels[pk] = name or self.pseudonyms[pk]
        return self._labels[pk]

    @property
    def labels(self) -> dict[int, str]:
        return {pk: self.label(pk) for pk in self.people}

    def named(self, person: Person) -> bool:
        return self.internal or person.consent == Person.Consent.NAMED

    def text(self, value: str) -> str:
        """Free text as this level may show it."""
        return value if self.internal or not value else self.consent.allows(value)

    def label_of(self, instance: models.Model, name: str) -> str | None:
        """The label of a choice field's value (None when blank)."""
        return choice_label(instance, name, self.language) if getattr(instance, name) else None

    def choice_of(self, instance: models.Model, name: str) -> dict[str, str] | None:
        value = getattr(instance, name)
        return {"code": value, "label": self.label_of(instance, name)} if value else None

    def country_name(self, instance: models.Model, name: str) -> str | None:
        """The name of the country a country field holds, each looked up once a language:
        django-countries translates it on every call."""
        code = _country_code(instance, name)
        return _country_name(code, self.language) if code else None

    def country(self, instance: models.Model, name: str) -> dict[str, str] | None:
        code = _country_code(instance, name)
        return {"code": code, "name": _country_name(code, self.language)} if code else None

    def person(self, person: Person, role: str, role_label: str) -> dict[str, Any]:
        named = self.named(person)
        birth = person.birth_date
        summary: dict[str, Any] = {
            "label": self.label(person.pk),
            "role": _choice(role, role_label),
            "named": named,
            "names": {
                "latin": person.name_latin,
                "uyghur": person.name_uyghur,
                "chinese": person.name_chinese,
                "aliases": person.alias_list,
            }
            if named
            else None,
            "gender": self.choice_of(person, "gender"),
            "born": _date(birth) if named or birth is None else str(birth.year),
            "born_approximately": person.birth_date_approximate,
            "ethnicity": self.choice_of(person, "ethnicity"),
            "citizenship": self.country(person, "citizenship"),
            "whereabouts": self.choice_of(person, "whereabouts"),
            "country": self.country(person, "location_country"),
            "condition": self.choice_of(person, "condition"),
            "charge": self.text(person.charge),
            "sentence_years": person.sentence_years,
            "sentence_start": _date(person.sentence_start),
            "sentence_end": _date(person.sentence_end),
            "last_contact": _date(person.last_contact),
            "consent": self.choice_of(person, "consent"),
            # Inside the Uyghur region, the prefecture is as fine as advocacy may go.
            "detention_prefecture": self.choice_of(person, "detention_place_prefecture"),
            # Whether one is on file, for the UN forms; the number itself is internal.
            "id_number_held": bool(person.id_number),
        }
        if self.internal:
            summary |= {
                "description": person.description,
                "place": person.location_place,
                "notes": person.notes,
                "id_number": person.id_number,
            }
        return summary

    def members(self) -> list[dict[str, Any]]:
        members = [
            self.person(m.person, m.role, choice_label(m, "role", self.language))
            for m in sorted(self.records.memberships, key=lambda m: m.pk)
        ]
        listed = {m.person_id for m in self.records.memberships}
        for separation in self.records.separations:
            if separation.person_id not in listed:
                listed.add(separation.person_id)
                members.append(self.person(separation.person, "relative", _("Separated relative")))
        return members

    def status_history(self, separation: Separation) -> list[dict[str, Any]]:
        return [
            {
                "from": _choice(change.from_status, change.from_label),
                "to": _choice(change.to_status, change.to_label),
                "effective_on": _date(change.effective_on),
                "recorded_at": change.changed_at.isoformat(),
                **({"note": change.note} if self.internal else {}),
            }
            for change in self.records.status_changes
            if change.separation_id == separation.pk
        ]

    def separation(self, separation: Separation) -> dict[str, Any]:
        summary = {
            "person": self.label(separation.person_id),
            # Their place in "members": labels of unnamed people need not be unique.
            "member": self.member_index[separation.person_id],
            "since": _date(separation.since),
            "circumstance": self.choice_of(separation, "circumstance"),
            "status": self.choice_of(separation, "status"),
            # What the UN Working Groups ask (cases/exports/un.py).
            "last_seen_prefecture": self.choice_of(separation, "last_seen_prefecture"),
            "responsible_forces": self.text(separation.responsible_forces),
            "detention_ordered_by": self.text(separation.detention_ordered_by),
            "detention_legal_basis": self.text(separation.detention_legal_basis),
            "no_inquiry_reason": self.text(separation.no_inquiry_reason),
        }
        if Part.STATUS_HISTORY in self.parts:
            summary["status_history"] = self.status_history(separation)
        if self.internal:
            summary |= {
                "details": separation.details,
                "last_seen_place": separation.last_seen_place,
            }
        return summary

    def awaiting_response(self, contact: GovernmentContact) -> bool:
        return contact.direction == GovernmentContact.Direction.WE_ASKED and not contact.response_on

    def follow_up_overdue(self, contact: GovernmentContact) -> bool:
        return bool(
            contact.follow_up_on and contact.follow_up_on < self.today and not contact.response_on
        )

    def contact(self, contact: GovernmentContact) -> dict[str, Any]:
        about = self.separated.get(contact.separation_id)
        summary = {
            "government": self.country(contact, "government"),
            "body_kind": self.choice_of(contact, "body_kind"),
            "body": contact.body,
            "official": contact.official,
            # From the loaded separations: `contact.separation` would be a query a contact.
            "about": self.label(about) if about is not None else None,
            "contacted_on": _date(contact.contacted_on),
            "direction": self.choice_of(contact, "direction"),
            "channel": self.choice_of(contact, "channel"),
            "summary": self.text(contact.summary),
            "outcome": {"code": contact.outcome, "label": contact.outcome_label_in(self.language)},
            "response_on": _date(contact.response_on),
            "follow_up_on": _date(contact.follow_up_on),
            "awaiting_response": self.awaiting_response(contact),
            "follow_up_overdue": self.follow_up_overdue(contact),
        }
        if self.internal:
            summary["intermediary"] = contact.intermediary
        return summary

    def timeline(self) -> list[dict[str, Any]]:
        reader = Reader(private=self.internal, labels=None if self.internal else self.labels)
        items = []
        for item in timeline_of(self.records, reader):
            title = self.text(item.title)
            if not title:
                continue  # its very title names someone who did not agree to be named
            items.append(
                {
                    "date": _date(item.date),
                    "kind": str(item.kind),
                    "title": title,
                    "detail": self.text(item.detail),
                    "outcome": item.outcome,
                    "source": self.text(item.source),
                    "source_url": self.text(item.source_url),
                    "reliability": item.reliability,
                    **({"by": item.who} if self.internal else {}),
                }
            )
        return items

    def case_name(self) -> str | None:
        family = self.records.family
        if self.internal:
            return family.name
        if not any(map(self.named, self.people.values())):
            return None
        return self.consent.allows(family.name) or None

    def brief(self) -> dict[str, Any]:
        """The case in a row: its separations' latest status, its last government
        contact and what is still open (from what `brief_reads` names only). A loop
        over the contacts, not a pass per column: this runs once per row of an export
        of many cases."""
        family = self.records.family
        # The latest contact by its date (partial dates sort as ISO text); the one
        # recorded last among those of the same date.
        last, last_on = None, ""
        follow_ups: list[str] = []
        awaiting = overdue = False
        for contact in self.records.contacts:
            contacted_on = _date(contact.contacted_on) or ""
            if last is None or contacted_on >= last_on:
                last, last_on = contact, contacted_on
            awaiting = awaiting or self.awaiting_response(contact)
            overdue = overdue or self.follow_up_overdue(contact)
            if contact.follow_up_on and not contact.response_on:
                follow_ups.append(_date(contact.follow_up_on))
        separations = sorted(self.records.separations, key=attrgetter("pk"))
        return {
            "reference": family.reference,
            "name": self.case_name(),
            "host_country": self.country_name(family, "host_country"),
            "status": self.label_of(family, "status"),
            "separated_people": len({s.person_id for s in separations}),
            "separations": [
                (self.label(s.person_id), self.label_of(s, "status")) for s in separations
            ],
            "last_contact": {
                "contacted_on": last_on or None,
                "government": self.country_name(last, "government"),
                "body": last.body,
                "outcome": last.outcome_label_in(self.language),
            }
            if last
            else None,
            "awaiting_response": awaiting,
            "next_follow_up": min(follow_ups, default=None),
            "follow_up_overdue": overdue,
        }

    def summary(self) -> dict[str, Any]:
        family = self.records.family
        summary: dict[str, Any] = {
            "reference": family.reference,
            "name": self.case_name(),
            "status": self.choice_of(family, "status"),
            "host_country": self.country(family, "host_country"),
            "opened_on": _date(family.created_at),
            "updated_on": _date(family.updated_at),
            "public_summary": self.text(family.public_summary),
        }
        if Part.MEMBERS in self.parts:
            summary["members"] = self.members()
        if self.parts & {Part.SEPARATIONS, Part.STATUS_HISTORY}:
            separations = sorted(self.records.separations, key=lambda s: s.pk)
            summary["separations"] = [self.separation(s) for s in separations]
        if Part.CONTACTS in self.parts:
            summary["government_contacts"] = [self.contact(c) for c in self.records.contacts]
        if Part.TIMELINE in self.parts:
            summary["timeline"] = self.timeline()
        if self.internal:
            summary |= {
                "priority": _choice(
                    str(family.priority), choice_label(family, "priority", self.language)
                ),
                "team": family.team.name if family.team else None,
                "restricted": family.restricted,
                "internal_summary": family.internal_summary,
            }
        return summary


def case_summary(
    records: CaseRecords,
    level: Level,
    *,
    today: dt.date | None = None,
    parts: frozenset[Part] = EVERY_PART,
    language: str | None = None,
) -> dict[str, Any]:
    """The case as `level` may show it (the rules: the module docstring), with the
    `parts` asked for (every part: the whole document the JSON schema describes), in
    `language` (the active one: a stream of cases reads it once and passes it)."""
    redactor = _Redactor(records, level, today or timezone.localdate(), parts, language)
    return redactor.summary()


def case_brief(
    records: CaseRecords, level: Level, *, today: dt.date, language: str | None = None
) -> dict[str, Any]:
    """The case in one row as `level` may show it (`_Redactor.brief`), from what
    `brief_reads(level)` names alone: what a row per case needs, read in a fraction of
    the time the whole document takes."""
    return _Redactor(records, level, today, frozenset(), language).brief()

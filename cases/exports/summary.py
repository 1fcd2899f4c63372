"""A case summary at a redaction level: the one function every export row passes
through (`case_summary`), whatever the format.

Every format (CSV, XLSX, JSON, PDF, the dossiers for UN bodies) is drawn from this
nested document and nothing else, so what a level may show is decided here once.

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
from functools import lru_cache
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django_countries import countries

from cases.consent import Consent
from cases.exports.levels import Level
from cases.models import GovernmentContact, Person, Separation
from cases.partial_dates import PartialDate
from cases.timeline import CaseRecords, Reader, choice_label, timeline_of

SCHEMA_VERSION = 1


def _date(value: PartialDate | dt.date | dt.datetime | None) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date().isoformat()
    return value.isoformat() if isinstance(value, dt.date) else str(value)


@lru_cache(maxsize=1024)
def _country_name(code: str, language: str | None) -> str:
    return str(countries.name(code))


def _country(value: Any) -> dict[str, str] | None:
    # Each name looked up once a language: django-countries translates it on every call.
    return (
        {"code": value.code, "name": _country_name(value.code, get_language())} if value else None
    )


def _choice(value: str, label: str) -> dict[str, str] | None:
    return {"code": value, "label": str(label)} if value else None


def _choice_of(instance: models.Model, name: str) -> dict[str, str] | None:
    return _choice(getattr(instance, name), choice_label(instance, name))


def pseudonyms(records: CaseRecords) -> dict[int, str]:
    """Every person on the case by pk: "Child 2 of F-2026-0042". The same person keeps
    the same pseudonym in every export while the case's members stay the same: the
    number is their place among the members of that role, in the order they were added.
    People on the case only through a separation are numbered as relatives after them."""
    reference = records.family.reference
    labels: dict[int, str] = {}
    seen: dict[str, int] = {}
    member = _("%(role)s %(number)d of %(reference)s")  # translated once a case, not a person
    for membership in sorted(records.memberships, key=lambda m: m.pk):
        seen[membership.role] = number = seen.get(membership.role, 0) + 1
        labels.setdefault(
            membership.person_id,
            member
            % {"role": choice_label(membership, "role"), "number": number, "reference": reference},
        )
    relatives = 0
    for separation in sorted(records.separations, key=lambda s: s.pk):
        if separation.person_id not in labels:
            relatives += 1
            labels[separation.person_id] = _("Relative %(number)d of %(reference)s") % {
                "number": relatives,
                "reference": reference,
            }
    return labels


class _Redactor:
    """One case's summary at one level."""

    def __init__(self, records: CaseRecords, level: Level, today: dt.date) -> None:
        if level not in (Level.INTERNAL, Level.ADVOCACY):
            raise ValueError(f"no case summary at level {level!r}")
        self.records = records
        self.internal = level == Level.INTERNAL
        self.today = today
        people = list(records.people.values())
        if records.family.reporting_contact is not None:
            people.append(records.family.reporting_contact)
        self.consent = Consent.of(people)
        self.pseudonyms = pseudonyms(records)
        self.separated = {s.pk: s.person_id for s in records.separations}
        # Each person's place in "members" (the order `members()` lists them in).
        order = [m.person_id for m in sorted(records.memberships, key=lambda m: m.pk)]
        order += [s.person_id for s in records.separations]
        self.member_index = {pk: index for index, pk in enumerate(dict.fromkeys(order))}
        self.labels = {
            pk: str(person) if self.internal or self.named(person) else self.pseudonyms[pk]
            for pk, person in records.people.items()
        }

    def named(self, person: Person) -> bool:
        return self.internal or person.consent == Person.Consent.NAMED

    def text(self, value: str) -> str:
        """Free text as this level may show it."""
        return value if self.internal else self.consent.allows(value)

    def person(self, person: Person, role: str, role_label: str) -> dict[str, Any]:
        named = self.named(person)
        birth = person.birth_date
        summary: dict[str, Any] = {
            "label": self.labels[person.pk],
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
            "gender": _choice_of(person, "gender"),
            "born": _date(birth) if named or birth is None else str(birth.year),
            "born_approximately": person.birth_date_approximate,
            "ethnicity": _choice_of(person, "ethnicity"),
            "citizenship": _country(person.citizenship),
            "whereabouts": _choice_of(person, "whereabouts"),
            "country": _country(person.location_country),
            "condition": _choice_of(person, "condition"),
            "charge": person.charge,
            "sentence_years": person.sentence_years,
            "sentence_start": _date(person.sentence_start),
            "sentence_end": _date(person.sentence_end),
            "last_contact": _date(person.last_contact),
            "consent": _choice_of(person, "consent"),
            # Inside the Uyghur region, the prefecture is as fine as advocacy may go.
            "detention_prefecture": _choice_of(person, "detention_place_prefecture"),
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
            self.person(m.person, m.role, choice_label(m, "role"))
            for m in sorted(self.records.memberships, key=lambda m: m.pk)
        ]
        listed = {m.person_id for m in self.records.memberships}
        for separation in self.records.separations:
            if separation.person_id not in listed:
                listed.add(separation.person_id)
                members.append(self.person(separation.person, "relative", _("Separated relative")))
        return members

    def separation(self, separation: Separation) -> dict[str, Any]:
        history = [
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
        summary = {
            "person": self.labels[separation.person_id],
            # Their place in "members": labels of unnamed people need not be unique.
            "member": self.member_index[separation.person_id],
            "since": _date(separation.since),
            "circumstance": _choice_of(separation, "circumstance"),
            "status": _choice_of(separation, "status"),
            "status_history": history,
            # What the UN Working Groups ask (cases/exports/un.py).
            "last_seen_prefecture": _choice_of(separation, "last_seen_prefecture"),
            "responsible_forces": self.text(separation.responsible_forces),
            "detention_ordered_by": self.text(separation.detention_ordered_by),
            "detention_legal_basis": self.text(separation.detention_legal_basis),
            "no_inquiry_reason": self.text(separation.no_inquiry_reason),
        }
        if self.internal:
            summary |= {
                "details": separation.details,
                "last_seen_place": separation.last_seen_place,
            }
        return summary

    def contact(self, contact: GovernmentContact) -> dict[str, Any]:
        answered = bool(contact.response_on)
        summary = {
            "government": _country(contact.government),
            "body_kind": _choice_of(contact, "body_kind"),
            "body": contact.body,
            "official": contact.official,
            # From the loaded separations: `contact.separation` would be a query a contact.
            "about": self.labels.get(self.separated.get(contact.separation_id)),
            "contacted_on": _date(contact.contacted_on),
            "direction": _choice_of(contact, "direction"),
            "channel": _choice_of(contact, "channel"),
            "summary": self.text(contact.summary),
            "outcome": {"code": contact.outcome, "label": contact.outcome_label},
            "response_on": _date(contact.response_on),
            "follow_up_on": _date(contact.follow_up_on),
            "awaiting_response": contact.direction == GovernmentContact.Direction.WE_ASKED
            and not answered,
            "follow_up_overdue": bool(
                contact.follow_up_on and contact.follow_up_on < self.today and not answered
            ),
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
                    "source_url": item.source_url,
                    "reliability": item.reliability,
                    **({"by": item.who} if self.internal else {}),
                }
            )
        return items

    def case_name(self) -> str | None:
        family = self.records.family
        if self.internal:
            return family.name
        anyone_named = any(self.named(p) for p in self.records.people.values())
        return (self.consent.allows(family.name) or None) if anyone_named else None

    def summary(self) -> dict[str, Any]:
        family = self.records.family
        summary: dict[str, Any] = {
            "reference": family.reference,
            "name": self.case_name(),
            "status": _choice_of(family, "status"),
            "host_country": _country(family.host_country),
            "opened_on": _date(family.created_at),
            "updated_on": _date(family.updated_at),
            "public_summary": self.text(family.public_summary),
            "members": self.members(),
            "separations": [
                self.separation(s) for s in sorted(self.records.separations, key=lambda s: s.pk)
            ],
            "government_contacts": [self.contact(c) for c in self.records.contacts],
            "timeline": self.timeline(),
        }
        if self.internal:
            summary |= {
                "priority": _choice(str(family.priority), choice_label(family, "priority")),
                "team": family.team.name if family.team else None,
                "restricted": family.restricted,
                "internal_summary": family.internal_summary,
            }
        return summary


def case_summary(
    records: CaseRecords, level: Level, *, today: dt.date | None = None
) -> dict[str, Any]:
    """The case as `level` may show it (the rules: the module docstring)."""
    return _Redactor(records, level, today or timezone.localdate()).summary()

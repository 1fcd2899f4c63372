"""A row per case is drawn from plain records (`cases.exports.records.record_type`),
named tuples that stand in for model instances: the brief they give must be the one
the instances give, at every level, since both go through the same redaction
(`summary._Redactor`). Every person here is fictional.
"""

from __future__ import annotations

import datetime as dt
from collections import namedtuple

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.choices import choice_label
from cases.exports.levels import Level
from cases.exports.records import Join, _Groups, _plan, iter_case_records
from cases.exports.summary import brief_reads, case_brief
from cases.models import Family, GovernmentContact, Membership, Person
from cases.partial_dates import PartialDate
from tests.bench.exports import generate_cases
from tests.exports.conftest import consent
from tests.factories import (
    FamilyFactory,
    GovernmentContactFactory,
    MembershipFactory,
    PersonFactory,
    SeparationFactory,
)

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 6, 1)


def read(level: Level, *, plain: bool) -> list:
    reads, fields = brief_reads(level)
    private = level == Level.INTERNAL
    families = Family.objects.all()
    records = iter_case_records(families, private=private, read=reads, fields=fields, plain=plain)
    return list(records)


def briefs(level: Level, *, plain: bool) -> list[dict]:
    cases = read(level, plain=plain)
    return [case_brief(case, level, today=TODAY, language="en") for case in cases]


@pytest.fixture
def varied_cases(marked_case):
    """Beside the marked case: a case whose contacts share a day (one answered, two
    follow-ups open), with a separated relative who is no member and someone known
    only by a description; a case reported by a named person outside its members; and
    generated ones."""
    family = FamilyFactory(name="Tursun family", host_country="SE")
    mother = consent(PersonFactory(name_latin="Gulbahar Tursun"), Person.Consent.NAMED)
    MembershipFactory(family=family, person=mother, role=Membership.Role.MOTHER)
    SeparationFactory(family=family, person=PersonFactory(name_latin="Ilham Tursun"))
    described = PersonFactory(
        name_latin="",
        description="the younger son",
        birth_date=PartialDate.parse("2015"),
        birth_date_approximate=True,
    )
    MembershipFactory(family=family, person=described, role=Membership.Role.CHILD)
    SeparationFactory(family=family, person=described)
    for body, follow_up, response in [
        ("First ministry", dt.date(2026, 7, 1), ""),
        ("Second ministry", dt.date(2026, 5, 1), ""),
        ("Third ministry", None, "2026-04"),
    ]:
        GovernmentContactFactory(
            family=family,
            body=body,
            contacted_on=dt.date(2026, 3, 2),
            follow_up_on=follow_up,
            response_on=response,
        )
    GovernmentContactFactory(family=family, body="Earlier", contacted_on=dt.date(2025, 1, 1))
    reporter = consent(PersonFactory(name_latin="Anwar Reporter"), Person.Consent.NAMED)
    FamilyFactory(name="Reported by Anwar Reporter", reporting_contact=reporter)
    generate_cases(5)
    return family


@pytest.mark.parametrize("level", [Level.INTERNAL, Level.ADVOCACY])
def test_a_brief_from_plain_records_is_the_brief_from_model_instances(varied_cases, level):
    plain = briefs(level, plain=True)

    assert plain == briefs(level, plain=False)
    assert len(plain) == Family.objects.count() == 8


def test_a_brief_takes_the_last_contact_recorded_on_the_latest_day(varied_cases):
    brief = next(b for b in briefs(Level.ADVOCACY, plain=True) if b["name"] == "Tursun family")

    assert brief["last_contact"]["body"] == "Third ministry"
    assert brief["last_contact"]["contacted_on"] == "2026-03-02"
    assert brief["next_follow_up"] == "2026-05-01"  # the earliest still open
    assert brief["follow_up_overdue"] is True  # due 1 May, unanswered on 1 June
    assert brief["awaiting_response"] is True


def test_a_plain_record_holds_only_the_fields_it_was_read_with(varied_cases):
    case = next(c for c in read(Level.ADVOCACY, plain=True) if c.family.pk == varied_cases.pk)
    membership = next(m for m in case.memberships if m.role == Membership.Role.MOTHER)

    with CaptureQueriesContext(connection) as queries:
        with pytest.raises(AttributeError):
            _ = membership.person.notes  # never read below the internal level
        with pytest.raises(AttributeError):
            _ = membership.person.description  # not what a row per case shows

    assert queries.captured_queries == []  # an instance would have queried for each


def test_a_plain_record_answers_as_its_model_does(varied_cases):
    case = next(c for c in read(Level.ADVOCACY, plain=True) if c.family.pk == varied_cases.pk)
    records = [*case.memberships, *case.separations, *case.contacts, case.family]
    instances = {
        (type(instance), instance.pk): instance
        for instance in [
            *Membership.objects.filter(family=varied_cases),
            *varied_cases.separations.all(),
            *GovernmentContact.objects.filter(family=varied_cases),
            varied_cases,
        ]
    }
    names = {"Membership": "role", "Separation": "status", "GovernmentContact": "direction"}

    for record in records:
        instance = instances[(record._meta.model, record.pk)]
        name = names.get(record._meta.model.__name__, "status")
        assert choice_label(record, name) == getattr(instance, f"get_{name}_display")()
    for membership in case.memberships:
        person = Person.objects.get(pk=membership.person_id)
        assert membership.person.consented_name == person.consented_name
    contact = case.contacts[0]
    assert contact.outcome_label_in("en") == GovernmentContact.objects.get(
        pk=contact.pk
    ).outcome_label_in("en")


def test_a_plain_record_shows_no_value_when_printed(varied_cases):
    case = next(c for c in read(Level.INTERNAL, plain=True) if c.family.pk == varied_cases.pk)
    person = case.separations[0].person

    assert repr(person) == f"<PersonRecord {person.pk}>"
    shown = ", ".join(f"<SeparationRecord {separation.pk}>" for separation in case.separations)
    assert repr(case.separations) == f"[{shown}]"
    assert "Tursun" not in repr([case.family, *case.memberships])


def test_a_join_listed_before_the_one_it_hangs_from_is_refused():
    joins = [Join("", Family), Join("reporting_contact__merged_into", Person)]

    with pytest.raises(ValueError, match="comes before"):
        _plan([*joins, Join("reporting_contact", Person)], private=False)


def test_each_case_takes_its_own_records_and_those_of_cases_not_read_are_passed_over():
    Record = namedtuple("Record", "pk family_id")
    keys = [1, 1, 3, 4, 5, 5, 8]
    groups = _Groups(iter([Record(pk, key) for pk, key in enumerate(keys)]))

    taken = {case: [record.pk for record in groups.take(case)] for case in [1, 2, 3, 8, 9]}

    # Cases 4 and 5 were not read (deleted since, say): their records go to no other case.
    assert taken == {1: [0, 1], 2: [], 3: [2], 8: [6], 9: []}


def test_a_plain_record_of_a_case_without_a_reporting_contact_holds_none(varied_cases):
    cases = {case.family.name: case for case in read(Level.ADVOCACY, plain=True)}

    assert cases["Tursun family"].family.reporting_contact is None
    reporter = cases["Reported by Anwar Reporter"].family.reporting_contact
    assert reporter.name_latin == "Anwar Reporter"

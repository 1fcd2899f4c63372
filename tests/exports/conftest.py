"""Fictional cases for the export tests, every restricted field filled with a marker.

`marked_case` is one family with every kind of record a case holds: members with
names in three scripts and aliases, separations, status changes with notes, condition
changes with places, government contacts, timeline entries (publishable and not) and
a petition. Each private value is a marker string (`Markers`), so a test can look for
it in a whole serialised export. Never real people.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from cases import services
from cases.exports.levels import Level
from cases.exports.records import iter_case_records
from cases.exports.summary import case_summary
from cases.models import Family, GovernmentContact, Membership, Person, Separation
from cases.partial_dates import PartialDate
from tests.factories import (
    GovernmentContactFactory,
    MembershipFactory,
    PersonFactory,
    TeamFactory,
    TimelineEntryFactory,
    UserFactory,
)
from tests.public.conftest import make_petition

# Words of the names of the people who did not agree to be named, in every script and
# alias: none may appear in an advocacy export (compared case-insensitively).
UNCONSENTED_NAMES = (
    "Abdurehim",
    "Qurban",
    "ئابدۇرېھىم",
    "قۇربان",
    "阿不都热依木",
    "库尔班",
    "Abdurahim",
    "Mehmetjan",
    "مەھمەتجان",
    "买买提江",
    "Memetjan",
    "Aynur",
    "ئاينۇر",
    "阿依努尔",
    "Aynura",
)
NAMED = {
    "latin": "Gulbahar Hesen",
    "uyghur": "گۈلباھار ھەسەن",
    "chinese": "古丽巴哈尔",
    "alias": "Gülbahar Hasan",
}
UNCONSENTED_BIRTH_DATE = "1979-11-23"
NAMED_BIRTH_DATE = "1984-06-02"


@dataclass
class Markers:
    """The marker strings of one case, by the rule that keeps them out."""

    # Never at any level.
    never: list[str] = field(default_factory=list)
    # Only at the internal level: private fields, internal summaries, unpublished entries.
    internal_only: list[str] = field(default_factory=list)

    def add(self, kind: str, value: str) -> str:
        getattr(self, kind).append(value)
        return value


@dataclass
class MarkedCase:
    family: Family
    people: dict[str, Person]
    separations: dict[str, Separation]
    markers: Markers
    caseworker: Any  # the actor of its status changes
    assigned: Any  # its assigned caseworker, who records nothing


def serialised(document: Any) -> str:
    """An export as one string, to look for a marker anywhere in it."""
    return json.dumps(document, ensure_ascii=False)


def summaries(families, level: Level = Level.ADVOCACY) -> list[dict[str, Any]]:
    """The case summaries of a queryset of families, through the streamed records."""
    return [case_summary(records, level) for records in iter_case_records(families)]


def summary_of(family: Family, level: Level = Level.ADVOCACY) -> dict[str, Any]:
    (summary,) = summaries(Family.objects.filter(pk=family.pk), level)
    return summary


def consent(person: Person, value: str) -> Person:
    return services.person_record_consent(person=person, consent=value, actor=None)


def build_marked_case(*, restricted: bool = False, tag: str = "") -> MarkedCase:
    """A family abroad with three relatives separated inside China. The mother, who
    reported the case, agreed to be named; her husband and son to nothing; her daughter
    to be described without her name. `tag` makes the markers of a second case
    different from the first's."""
    markers = Markers()

    def mark(kind: str, what: str) -> str:
        return markers.add(kind, f"zqx{what}{tag}mark")

    actor = UserFactory(username=f"zqxactor{tag}", is_staff=True)
    assigned = UserFactory(username=f"zqxassigned{tag}", is_staff=True)
    markers.add("never", assigned.username)
    markers.add("internal_only", actor.username)
    team = TeamFactory(name=f"Zqxteam{tag}")
    markers.add("internal_only", team.name)

    def person(key: str, **fields: Any) -> Person:
        return PersonFactory(
            contact_details=f"+32 470 12 34 56 {mark('never', f'contact{key}')}",
            notes=mark("internal_only", f"notes{key}"),
            **fields,
        )

    mother = person(
        "mother",
        name_latin=NAMED["latin"],
        name_uyghur=NAMED["uyghur"],
        name_chinese=NAMED["chinese"],
        aliases=NAMED["alias"],
        birth_date=PartialDate.parse(NAMED_BIRTH_DATE),
        gender=Person.Gender.FEMALE,
        whereabouts=Person.Whereabouts.ABROAD,
        condition=Person.Condition.REFUGEE,
        location_country="BE",
        location_place=mark("internal_only", "placemother"),
    )
    father = person(
        "father",
        name_latin="Abdurehim Qurban",
        name_uyghur="ئابدۇرېھىم قۇربان",
        name_chinese="阿不都热依木·库尔班",
        aliases="Abdurahim Qurbanov",
        description=mark("internal_only", "descriptionfather"),
        id_number=mark("internal_only", "idnumber"),
        birth_date=PartialDate.parse(UNCONSENTED_BIRTH_DATE),
        gender=Person.Gender.MALE,
        location_country="CN",
    )
    son = person(
        "son",
        name_latin="Mehmetjan Qurban",
        name_uyghur="مەھمەتجان قۇربان",
        name_chinese="买买提江",
        aliases="Memetjan",
        gender=Person.Gender.MALE,
        birth_date=PartialDate.parse("2012-02-09"),
        location_country="CN",
    )
    daughter = person(
        "daughter",
        name_latin="Aynur Qurban",
        name_uyghur="ئاينۇر قۇربان",
        name_chinese="阿依努尔",
        aliases="Aynura",
        gender=Person.Gender.FEMALE,
        birth_date=PartialDate.parse("2009-08-17"),
        location_country="CN",
    )
    consent(mother, Person.Consent.NAMED)
    consent(daughter, Person.Consent.ANONYMISED)

    family = services.family_create(
        family=Family(
            name="Qurban",
            status=Family.Status.ADVOCACY,
            host_country="BE",
            team=team,
            restricted=restricted,
            reporting_contact=mother,
            internal_summary=mark("internal_only", "internalsummary"),
            public_summary="The mother abroad has had no news of her family since 2018.",
        ),
        actor=actor,
        note=mark("internal_only", "familystatusnote"),
    )
    family.caseworkers.set([assigned])
    MembershipFactory(family=family, person=mother, role=Membership.Role.MOTHER)
    MembershipFactory(family=family, person=father, role=Membership.Role.FATHER)
    MembershipFactory(family=family, person=son, role=Membership.Role.CHILD)
    MembershipFactory(family=family, person=daughter, role=Membership.Role.CHILD)

    separations = {}
    for key, relative, circumstance, since in [
        ("father", father, Separation.Circumstance.DETAINED, "2018-03"),
        ("son", son, Separation.Circumstance.LEFT_BEHIND, "2018-05"),
        ("daughter", daughter, Separation.Circumstance.LEFT_BEHIND, "2018-05"),
    ]:
        separation = services.separation_create(
            separation=Separation(
                family=family,
                person=relative,
                since=PartialDate.parse(since),
                circumstance=circumstance,
                details=mark("internal_only", f"details{key}"),
                last_seen_place=mark("internal_only", f"lastseen{key}"),
                responsible_forces="Public Security Bureau of Example County",
                # Names the son: withheld at advocacy, like any free text.
                no_inquiry_reason="Relatives were warned after Mehmetjan's school asked."
                if key == "son"
                else "",
            ),
            actor=actor,
            note=mark("internal_only", f"separationnote{key}"),
        )
        separation.separated_from.set([mother])
        separations[key] = separation
    services.separation_change_status(
        separation=separations["father"],
        status=Separation.Status.VERIFIED,
        actor=actor,
        note=mark("internal_only", "verifiednote"),
        effective_on=PartialDate.parse("2019-01"),
    )
    for key, relative, condition in [
        ("father", father, Person.Condition.DETAINED_IN_CAMP),
        ("son", son, Person.Condition.STATE_CARE),
        ("daughter", daughter, Person.Condition.IMPRISONED),
    ]:
        services.person_change_condition(
            person=relative,
            actor=actor,
            effective_on=PartialDate.parse("2018-06"),
            source="A former detainee's testimony",
            condition=condition,
            whereabouts=Person.Whereabouts.UYGHUR_REGION,
            location_place=mark("internal_only", f"place{key}"),
        )

    # Government contacts: one whose summary names the son (withheld at advocacy), one
    # that names nobody (shown), both with an intermediary (internal only).
    GovernmentContactFactory(
        family=family,
        separation=separations["son"],
        government="BE",
        official="Jan Peeters, desk officer",
        summary="Asked where Mehmetjan was taken.",
        intermediary=mark("internal_only", "intermediary"),
        follow_up_on=PartialDate.parse("2024-02-10").first_day,
    )
    GovernmentContactFactory(
        family=family,
        separation=separations["father"],
        government="NL",
        body="Ministry of Foreign Affairs of the Netherlands",
        contacted_on=PartialDate.parse("2024-03-01"),
        direction=GovernmentContact.Direction.THEY_STATED,
        channel=GovernmentContact.Channel.MEETING,
        summary="The ministry will raise the father's case with the embassy.",
        intermediary=mark("internal_only", "intermediarynl"),
        outcome=GovernmentContact.Outcome.PROMISED,
        response_on=PartialDate.parse("2024-03-01"),
    )
    # Timeline entries: unpublished (internal only); published, naming nobody (shown);
    # published with a title or a description naming the daughter (withheld).
    TimelineEntryFactory(
        family=family,
        title=mark("internal_only", "unpublishedtitle"),
        description=mark("internal_only", "unpublisheddescription"),
        source=mark("internal_only", "unpublishedsource"),
        source_document_name=mark("never", "documentname"),
        publishable=False,
    )
    TimelineEntryFactory(
        family=family,
        title="The father's detention reported in the press",
        description="A newspaper described the camp.",
        source="Example Gazette",
        publishable=True,
    )
    TimelineEntryFactory(
        family=family, title="Aynur's school closed", source="Example Gazette", publishable=True
    )
    TimelineEntryFactory(
        family=family,
        title="A letter from the school",
        description="It says Aynur was moved to another town.",
        source="Example Gazette",
        publishable=True,
    )
    make_petition(slug=f"reunite-family{tag}", family=family)

    return MarkedCase(
        family=Family.objects.get(pk=family.pk),
        people={"mother": mother, "father": father, "son": son, "daughter": daughter},
        separations=separations,
        markers=markers,
        caseworker=actor,
        assigned=assigned,
    )


@pytest.fixture
def marked_case(db) -> MarkedCase:
    return build_marked_case()


@pytest.fixture
def restricted_case(db) -> MarkedCase:
    return build_marked_case(restricted=True, tag="restricted")

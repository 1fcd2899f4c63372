import datetime as dt

import pytest
from django.utils import timezone

from cases import services
from cases.models import Family, Separation, StatusChange
from cases.partial_dates import PartialDate
from cases.text import isolate
from cases.timeline import ItemKind, case_timeline
from tests.factories import (
    GovernmentContactFactory,
    MembershipFactory,
    PersonFactory,
    SeparationFactory,
    TimelineEntryFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def family(caseworker):
    family = services.family_create(family=Family(name="Case"), actor=caseworker)
    StatusChange.objects.filter(family=family).update(
        changed_at=dt.datetime(2021, 6, 1, 9, tzinfo=dt.UTC), effective_on="2021-06-01"
    )
    return family


def test_timeline_merges_statuses_contacts_and_entries_by_when_they_happened(family):
    # A month-only item follows the days of its month, a year-only one the rest of its
    # year: the record does not say where inside the period it happened.
    TimelineEntryFactory(family=family, occurred_on="2021", title="Year only")
    TimelineEntryFactory(family=family, occurred_on="2021-06", title="Month only")
    TimelineEntryFactory(family=family, occurred_on="2015-04-02", title="Trip home")
    GovernmentContactFactory(family=family, contacted_on=dt.date(2021, 5, 31), body="Ministry")

    titles = [item.title for item in case_timeline(family)]

    assert titles == [
        "Trip home",
        f"We asked: {isolate('Ministry')}",
        "Case: Intake",
        "Month only",
        "Year only",
    ]


def test_items_on_the_same_day_keep_the_order_they_were_recorded(family, caseworker):
    services.family_change_status(family=family, status="active", actor=caseworker)
    services.family_change_status(family=family, status="advocacy", actor=caseworker)

    statuses = [i.title for i in case_timeline(family) if i.kind == ItemKind.STATUS]

    assert statuses[-2:] == ["Case: Intake → Active", "Case: Active → Advocacy"]


def test_status_items_name_the_separated_person_and_who_changed_it(family, caseworker):
    person = PersonFactory(name_latin="Yaqup Example")
    services.separation_create(
        separation=Separation(family=family, person=person, since="2017", circumstance="detained"),
        actor=caseworker,
    )

    item = case_timeline(family)[-1]

    assert item.title == f"{isolate('Yaqup Example')}: Reported"
    assert item.who == caseworker.username
    assert item.date == PartialDate.from_date(timezone.localdate())


def test_public_timeline_drops_contacts_internal_entries_notes_and_names(family, caseworker):
    person = PersonFactory(name_latin="Secret Name")
    separation = services.separation_create(
        separation=Separation(family=family, person=person, since="2017", circumstance="detained"),
        actor=caseworker,
    )
    services.separation_change_status(
        separation=separation, status="verified", actor=caseworker, note="Private detail"
    )
    TimelineEntryFactory(family=family, title="Public coverage", publishable=True)
    TimelineEntryFactory(family=family, title="Internal testimony", publishable=False)
    GovernmentContactFactory(family=family, body="Embassy")

    items = case_timeline(family, public=True)
    text = " ".join(f"{i.title} {i.detail} {i.who}" for i in items)

    assert "Public coverage" in text
    assert "Separation: Reported → Verified" in text
    for private in ("Internal testimony", "Embassy", "Secret Name", "Private detail", "alice"):
        assert private not in text
    assert {i.kind for i in items} == {ItemKind.STATUS, ItemKind.ENTRY}


def test_timeline_reads_a_case_in_a_fixed_number_of_queries(family, django_assert_num_queries):
    for n in range(5):
        TimelineEntryFactory(family=family)
        GovernmentContactFactory(family=family, body=f"Body {n}")
        separation = SeparationFactory(family=family, since="2019")
        MembershipFactory(family=family, person=separation.person)
        services.person_change_condition(
            person=separation.person,
            actor=None,
            effective_on=PartialDate(2020),
            source="A report",
            condition="missing",
        )

    # Statuses, separations, members, condition changes, contacts, entries, petitions.
    with django_assert_num_queries(7):
        case_timeline(family)

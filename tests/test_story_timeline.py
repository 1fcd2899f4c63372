"""The timeline tells the family's story as it happened (issue 7): statuses dated when
they took effect, what happened to each person, the dates the case already holds, and
contacts at the precision a story gives."""

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import ConditionChange, Family, GovernmentContact, Person, StatusChange
from cases.partial_dates import PartialDate, parse_birth
from cases.text import isolate
from cases.timeline import ItemKind, case_timeline
from tests.factories import (
    FamilyFactory,
    GovernmentContactFactory,
    MembershipFactory,
    PersonFactory,
    SeparationFactory,
)

pytestmark = pytest.mark.django_db

TODAY = PartialDate.from_date(timezone.localdate())


def family_url(family):
    return reverse("admin:cases_family_change", args=[family.pk])


def person_url(person):
    return reverse("admin:cases_person_change", args=[person.pk])


# --- Statuses take effect when they did ----------------------------------------------


def test_a_status_change_keeps_the_date_it_took_effect_and_when_it_was_recorded(
    caseworker_client, admin_form
):
    family = FamilyFactory(status="intake")
    data = admin_form(caseworker_client.get(family_url(family)))
    data.update(status="active", status_effective_on="2021-04")

    response = caseworker_client.post(family_url(family), data)

    assert response.status_code == 302
    change = StatusChange.objects.get(family=family, to_status="active")
    assert str(change.effective_on) == "2021-04"
    assert timezone.now() - change.changed_at < dt.timedelta(minutes=1)
    [item] = [i for i in case_timeline(family) if "Active" in i.title]
    assert (str(item.date), item.recorded_on) == ("2021-04", timezone.localdate())


def test_the_staff_timeline_shows_when_a_back_dated_status_was_recorded(
    caseworker_client, admin_form
):
    family = FamilyFactory(status="intake")
    data = admin_form(caseworker_client.get(family_url(family)))
    data.update(status="active", status_effective_on="2021-04")
    caseworker_client.post(family_url(family), data)

    html = caseworker_client.get(family_url(family)).content.decode()

    assert '<time datetime="2021-04">April 2021</time><br><small>recorded' in html


def test_a_status_without_a_date_took_effect_today(caseworker):
    family = services.family_create(family=Family(name="Yasin"), actor=caseworker)

    assert StatusChange.objects.get(family=family).effective_on == TODAY


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"status": "active", "status_effective_on": str(timezone.localdate().year + 1)},
            "status_effective_on",
            "future",
        ),
        ({"status_effective_on": "2021"}, "status_effective_on", "goes with a status change"),
        ({"status": "active", "status_effective_on": "April"}, "status_effective_on", "real date"),
    ],
)
def test_a_wrong_status_date_gets_a_clear_error_and_changes_nothing(
    caseworker_client, admin_form, fields, field, message
):
    family = FamilyFactory(status="intake")
    data = admin_form(caseworker_client.get(family_url(family)))
    data.update(fields)

    response = caseworker_client.post(family_url(family), data)

    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors[field])
    assert StatusChange.objects.filter(family=family).count() == 0
    family.refresh_from_db()
    assert family.status == "intake"


def test_a_separation_status_set_on_the_family_page_takes_its_date(caseworker_client, admin_form):
    family = FamilyFactory()
    separation = SeparationFactory(family=family, status="reported")
    data = admin_form(caseworker_client.get(family_url(family)))
    data.update({"separations-0-status": "verified", "separations-0-status_effective_on": "2019"})

    response = caseworker_client.post(family_url(family), data)

    assert response.status_code == 302
    change = StatusChange.objects.get(separation=separation)
    assert (change.to_status, str(change.effective_on)) == ("verified", "2019")


def test_the_migration_dates_existing_status_changes_on_the_day_they_were_recorded(caseworker):
    family = services.family_create(family=Family(name="Yasin"), actor=caseworker)
    StatusChange.objects.filter(family=family).update(
        effective_on="", changed_at=dt.datetime(2020, 3, 4, 22, tzinfo=dt.UTC)
    )
    migration = importlib.import_module(
        "cases.migrations.0008_effective_dates_conditions_partial_contact_dates"
    )

    migration.effective_on_from_recorded_time(apps, None)

    assert str(StatusChange.objects.get(family=family).effective_on) == "2020-03-04"


# --- What happened to the person -----------------------------------------------------


@pytest.fixture
def muherrem_like(caseworker):
    """A fictional mother inside China, on one case, not heard of since 2017."""
    family = FamilyFactory(name="Tursun")
    person = PersonFactory(
        name_latin="Aygul Tursun", whereabouts="uyghur_region", condition="missing"
    )
    MembershipFactory(family=family, person=person, role="mother")
    SeparationFactory(family=family, person=person, since="2017-04", circumstance="document_trip")
    return family, person


def test_a_condition_change_through_the_admin_goes_on_the_timeline_with_date_and_source(
    caseworker_client, admin_form, muherrem_like
):
    family, person = muherrem_like
    data = admin_form(caseworker_client.get(person_url(person)))
    data.update(
        condition="imprisoned",
        charge="Inciting ethnic hatred",
        sentence_years="9",
        condition_effective_on="2021-04-02",
        condition_source="Government statement to a broadcaster",
    )

    response = caseworker_client.post(person_url(person), data)

    assert response.status_code == 302
    change = ConditionChange.objects.get(person=person)
    assert (change.from_condition, change.condition, change.sentence_years) == (
        "missing",
        "imprisoned",
        9,
    )
    [item] = [i for i in case_timeline(family) if i.kind == ItemKind.CONDITION]
    assert item.title == f"{isolate('Aygul Tursun')}: Missing → Imprisoned"
    assert "Charge: Inciting ethnic hatred" in item.detail
    assert "Sentenced to 9 years" in item.detail
    assert (str(item.date), item.source) == ("2021-04-02", "Government statement to a broadcaster")


@pytest.mark.parametrize(
    ("missing", "field"),
    [
        ("condition_effective_on", "condition_effective_on"),
        ("condition_source", "condition_source"),
    ],
)
def test_a_condition_change_needs_a_date_and_a_source(
    caseworker_client, admin_form, muherrem_like, missing, field
):
    _family, person = muherrem_like
    data = admin_form(caseworker_client.get(person_url(person)))
    data.update(
        condition="imprisoned",
        condition_effective_on="2021",
        condition_source="Government statement",
    )
    data[missing] = ""

    response = caseworker_client.post(person_url(person), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field]
    person.refresh_from_db()
    assert person.condition == "missing"
    assert not ConditionChange.objects.exists()


def test_the_service_refuses_a_condition_change_without_a_source(muherrem_like):
    _family, person = muherrem_like

    with pytest.raises(ValidationError):
        services.person_change_condition(
            person=person, actor=None, effective_on=PartialDate(2021), condition="imprisoned"
        )

    person.refresh_from_db()
    assert person.condition == "missing"


def _record(person, *, publishable=False, **changes):
    return services.person_change_condition(
        person=person,
        actor=None,
        effective_on=PartialDate(2021, 4),
        source="CHARGE-SOURCE",
        publishable=publishable,
        **changes,
    )


def public_text(family) -> str:
    return " ".join(
        f"{i.title} {i.detail} {i.source} {i.who}" for i in case_timeline(family, public=True)
    )


def test_without_consent_a_persons_condition_never_reaches_the_public_timeline(muherrem_like):
    family, person = muherrem_like
    _record(person, condition="imprisoned", charge="SECRET-CHARGE", publishable=True)

    text = public_text(family)

    assert "Imprisoned" not in text
    assert "Aygul" not in text
    assert "SECRET-CHARGE" not in text
    assert "separated" not in text


def test_with_consent_to_be_named_the_condition_is_public_but_not_the_charge_or_place(
    muherrem_like,
):
    family, person = muherrem_like
    services.person_record_consent(person=person, consent="named", actor=None)
    _record(person, condition="imprisoned", charge="SECRET-CHARGE", location_place="SECRET-PRISON")

    text = public_text(family)

    assert f"{isolate('Aygul Tursun')}: Missing → Imprisoned" in text
    for private in ("SECRET-CHARGE", "SECRET-PRISON", "CHARGE-SOURCE", "Sentenced"):
        assert private not in text


def test_marked_publishable_the_charge_and_place_are_public_too(muherrem_like):
    family, person = muherrem_like
    services.person_record_consent(person=person, consent="named", actor=None)
    _record(person, condition="imprisoned", charge="PUBLIC-CHARGE", publishable=True)

    assert "Charge: PUBLIC-CHARGE" in public_text(family)


def test_an_anonymised_person_appears_without_their_name(muherrem_like):
    family, person = muherrem_like
    services.person_record_consent(person=person, consent="anonymised", actor=None)
    _record(person, condition="imprisoned")

    text = public_text(family)

    assert "A relative: Missing → Imprisoned" in text
    assert "Aygul" not in text


def test_staff_without_private_rights_do_not_see_the_place(muherrem_like):
    family, person = muherrem_like
    _record(person, condition="imprisoned", location_place="SECRET-PRISON")

    [item] = [i for i in case_timeline(family, private=False) if i.kind == ItemKind.CONDITION]

    assert "SECRET-PRISON" not in item.detail
    [item] = [i for i in case_timeline(family) if i.kind == ItemKind.CONDITION]
    assert "SECRET-PRISON" in item.detail


# --- Dates the case already holds ----------------------------------------------------


def test_the_timeline_holds_when_a_separation_began_a_response_and_a_follow_up_that_fell_due(
    muherrem_like,
):
    family, _person = muherrem_like
    GovernmentContactFactory(
        family=family,
        body="Ministry",
        contacted_on="2021-03",
        response_on="2021-05-20",
        outcome="statement",
    )
    GovernmentContactFactory(
        family=family,
        body="Embassy",
        contacted_on="2022-01-05",
        follow_up_on=dt.date(2022, 2, 5),
    )
    GovernmentContactFactory(
        family=family,
        body="Parliament",
        contacted_on=TODAY,
        follow_up_on=timezone.localdate() + dt.timedelta(days=30),
    )

    items = [(i.kind, str(i.date)) for i in case_timeline(family) if i.kind != ItemKind.STATUS]

    assert items == [
        (ItemKind.SEPARATION, "2017-04"),
        (ItemKind.CONTACT, "2021-03"),
        (ItemKind.RESPONSE, "2021-05-20"),
        (ItemKind.CONTACT, "2022-01-05"),
        (ItemKind.FOLLOW_UP, "2022-02-05"),
        (ItemKind.CONTACT, str(TODAY)),  # its follow-up has not fallen due yet
    ]


# --- Contacts at the precision a story gives -----------------------------------------


CONTACT_FIELDS = {
    "direction": "we_asked",
    "channel": "intermediary",
    "intermediary": "A broadcaster",
    "body_kind": "chinese_authorities",
    "body": "Information Office",
    "summary": "Asked through a broadcaster for a response.",
}


def add_contact(client, admin_form, family, **fields):
    data = admin_form(client.get(family_url(family)))
    data.add_inline("government_contacts", **{**CONTACT_FIELDS, **fields})
    return client.post(family_url(family), data)


@pytest.mark.parametrize("when", ["2021", "2021-03", "2021-03-15"])
def test_a_contact_takes_a_year_a_month_or_a_day(caseworker_client, admin_form, when):
    family = FamilyFactory()

    response = add_contact(caseworker_client, admin_form, family, contacted_on=when)

    assert response.status_code == 302
    assert str(GovernmentContact.objects.get().contacted_on) == when


@pytest.mark.parametrize(
    ("contacted_on", "response_on", "accepted"),
    [
        ("2021-05-02", "2021", True),  # "they answered in 2021": may be after 2 May
        ("2021-05-02", "2021-05", True),
        ("2021-05-02", "2021-04", False),
        ("2021", "2020-12-31", False),
    ],
)
def test_a_response_cannot_come_before_the_contact_at_either_precision(
    caseworker_client, admin_form, contacted_on, response_on, accepted
):
    family = FamilyFactory()

    response = add_contact(
        caseworker_client,
        admin_form,
        family,
        contacted_on=contacted_on,
        response_on=response_on,
    )

    assert (response.status_code == 302) is accepted
    assert GovernmentContact.objects.exists() is accepted


@pytest.mark.parametrize(
    ("outcome", "response_on", "label"),
    [
        ("", "", "No response yet"),
        ("", "2021-05", "Responded"),
        ("statement", "2021-05", "Made a statement"),
        ("refused", "", "Refused"),
    ],
)
def test_the_outcome_is_derived_from_the_response_date_unless_given(outcome, response_on, label):
    contact = GovernmentContactFactory(
        contacted_on="2021-03", outcome=outcome, response_on=response_on
    )

    assert contact.outcome_label == label


# --- People entered as the story tells them ------------------------------------------


PERSON_ADD = reverse("admin:cases_person_add")


def test_a_person_whose_name_is_not_known_is_entered_with_a_description(
    caseworker_client, admin_form
):
    data = admin_form(caseworker_client.get(PERSON_ADD))
    data.update(name_latin="", description="son of Memet", gender="male", birth_date="about 2015")

    response = caseworker_client.post(PERSON_ADD, data)

    assert response.status_code == 302
    person = Person.objects.get()
    assert str(person) == f"{isolate('son of Memet')}, born about 2015"
    assert not person.is_named


def test_a_person_needs_a_name_or_a_description(caseworker_client, admin_form):
    data = admin_form(caseworker_client.get(PERSON_ADD))
    data.update(name_latin="", description="")

    response = caseworker_client.post(PERSON_ADD, data)

    assert response.status_code == 200
    assert "a description" in str(response.context["errors"])
    assert not Person.objects.exists()


@pytest.mark.parametrize(
    ("typed", "stored", "approximate", "shown"),
    [
        ("10 years old in 2021", "2011", True, "about 2011"),
        ("aged 17 in 2021", "2004", True, "about 2004"),
        ("about 2015", "2015", True, "about 2015"),
        ("2015-06", "2015-06", False, "June 2015"),
    ],
)
def test_an_age_or_an_estimate_fits_a_birth_date(
    caseworker_client, admin_form, typed, stored, approximate, shown
):
    data = admin_form(caseworker_client.get(PERSON_ADD))
    data.update(name_latin="Ayshe Tursun", birth_date=typed)

    response = caseworker_client.post(PERSON_ADD, data)

    assert response.status_code == 302
    person = Person.objects.get()
    assert (str(person.birth_date), person.birth_date_approximate) == (stored, approximate)
    assert person.birth_display == shown


def test_an_age_without_a_year_counts_from_this_year():
    assert parse_birth("10 years old", today=dt.date(2026, 12, 2)) == (PartialDate(2016), True)


def test_the_people_list_shows_an_estimated_birth_as_about(caseworker_client):
    PersonFactory(name_latin="Ayshe Tursun", birth_date="2011", birth_date_approximate=True)

    page = caseworker_client.get(reverse("admin:cases_person_changelist")).content.decode()

    assert "about 2011" in page


def test_the_people_list_shows_an_unnamed_person_by_their_description(caseworker_client):
    PersonFactory(name_latin="", description="daughter of Memet", birth_date="2012")

    page = caseworker_client.get(reverse("admin:cases_person_changelist")).content.decode()

    assert f"{isolate('daughter of Memet')}, born 2012" in page

"""Wrong input gets a clear error on the field it concerns, never a server error,
and nothing of it is saved."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import (
    Family,
    GovernmentContact,
    Person,
    Separation,
    StatusChange,
    TimelineEntry,
)
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

PERSON_ADD = reverse("admin:cases_person_add")
REAL_DATE_PLEASE = "Enter a real date as YYYY, YYYY-MM or YYYY-MM-DD, for example 2015-06."
BIRTH_DATE_PLEASE = (
    "Enter a year, month or day (2011, 2011-04, 2011-04-02), or an estimate: "
    "“about 2011” or “10 years old in 2021”."
)
# What a change of condition, place, charge or sentence must say (cases/admin/people.py).
KNOWN_FROM = {"condition_effective_on": "2019", "condition_source": "Family testimony"}


def form_errors(response) -> dict[str, list[str]]:
    assert response.status_code == 200, "expected the form again, with errors"
    return response.context["adminform"].form.errors


def inline_errors(response, prefix: str) -> list[dict[str, list[str]]]:
    assert response.status_code == 200, "expected the form again, with errors"
    [inline] = [
        inline
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == prefix
    ]
    return inline.formset.errors


@pytest.fixture
def family(caseworker):
    return services.family_create(family=Family(name="Yaqup", host_country="DE"), actor=caseworker)


@pytest.fixture
def family_url(family):
    return reverse("admin:cases_family_change", args=[family.pk])


@pytest.fixture
def new_person(caseworker_client, admin_form):
    """The person add form, filled in as far as a name."""
    data = admin_form(caseworker_client.get(PERSON_ADD))
    data["name_latin"] = "Qeyser Yaqup"
    return data


def test_a_sentence_that_ends_before_it_starts_is_refused_on_its_end(caseworker_client, new_person):
    new_person.update(
        whereabouts=Person.Whereabouts.UYGHUR_REGION,
        condition=Person.Condition.IMPRISONED,
        sentence_years="10",
        sentence_start="2018",
        sentence_end="2017",
        **KNOWN_FROM,
    )

    response = caseworker_client.post(PERSON_ADD, new_person)

    assert form_errors(response) == {"sentence_end": ["The sentence cannot end before it starts."]}
    assert not Person.objects.exists()


def test_a_sentence_ending_in_the_year_it_started_is_accepted(caseworker_client, new_person):
    new_person.update(sentence_start="2018-06", sentence_end="2018")

    response = caseworker_client.post(PERSON_ADD, new_person)

    assert response.status_code == 302, response.context["errors"]
    assert str(Person.objects.get().sentence_end) == "2018"


def test_an_unknown_status_on_the_family_form_is_refused_and_changes_nothing(
    caseworker_client, admin_form, family, family_url
):
    data = admin_form(caseworker_client.get(family_url))
    data.update(status="vanished", status_note="Typed by hand.", name="Renamed")

    response = caseworker_client.post(family_url, data)

    assert form_errors(response) == {
        "status": ["Select a valid choice. vanished is not one of the available choices."]
    }
    family.refresh_from_db()
    assert (family.status, family.name) == (Family.Status.INTAKE, "Yaqup")
    assert StatusChange.objects.count() == 1  # the opening one


def test_the_family_status_service_refuses_an_unknown_status_and_writes_nothing(caseworker, family):
    with pytest.raises(ValidationError) as refused:
        services.family_change_status(family=family, status="vanished", actor=caseworker)

    assert refused.value.message_dict == {"status": ["“vanished” is not a known status."]}
    assert Family.objects.get().status == Family.Status.INTAKE
    assert StatusChange.objects.count() == 1


def test_the_separation_status_service_refuses_an_unknown_status_and_writes_nothing(
    caseworker, family
):
    separation = services.separation_create(
        separation=Separation(family=family, person=PersonFactory(), circumstance="detained"),
        actor=caseworker,
    )

    with pytest.raises(ValidationError) as refused:
        services.separation_change_status(separation=separation, status="intake", actor=caseworker)

    assert refused.value.message_dict == {"status": ["“intake” is not a known status."]}
    assert Separation.objects.get().status == Separation.Status.REPORTED
    assert StatusChange.objects.count() == 2


def test_recording_a_separation_with_an_unknown_status_saves_nothing(caseworker, family):
    separation = Separation(
        family=family, person=PersonFactory(), circumstance="detained", status="vanished"
    )

    with pytest.raises(ValidationError) as refused:
        services.separation_create(separation=separation, actor=caseworker)

    assert refused.value.message_dict == {"status": ["“vanished” is not a known status."]}
    assert not Separation.objects.exists()
    assert StatusChange.objects.count() == 1


def test_opening_a_family_with_an_unknown_status_saves_nothing(caseworker):
    with pytest.raises(ValidationError) as refused:
        services.family_create(family=Family(name="Yaqup", status="vanished"), actor=caseworker)

    assert refused.value.message_dict == {"status": ["“vanished” is not a known status."]}
    assert not Family.objects.exists()
    assert not StatusChange.objects.exists()


@pytest.mark.parametrize(
    ("birth_date", "error"),
    [
        pytest.param("2015-13", BIRTH_DATE_PLEASE, id="month 13"),
        pytest.param("2015-02-30", BIRTH_DATE_PLEASE, id="30 February"),
        pytest.param("15/06/2015", BIRTH_DATE_PLEASE, id="day first"),
        pytest.param("2015-6", BIRTH_DATE_PLEASE, id="one-digit month"),
        pytest.param("1850", BIRTH_DATE_PLEASE, id="before 1900"),
        pytest.param(
            f"{timezone.localdate().year + 1}", "This date is in the future.", id="next year"
        ),
        pytest.param(
            (timezone.localdate() + dt.timedelta(days=1)).isoformat(),
            "This date is in the future.",
            id="tomorrow",
        ),
    ],
)
def test_an_impossible_birth_date_is_refused_with_a_clear_message(
    caseworker_client, new_person, birth_date, error
):
    new_person["birth_date"] = birth_date

    response = caseworker_client.post(PERSON_ADD, new_person)

    assert form_errors(response) == {"birth_date": [error]}
    assert not Person.objects.exists()


def test_a_government_response_dated_before_the_contact_is_refused(
    caseworker_client, admin_form, family_url
):
    data = admin_form(caseworker_client.get(family_url))
    data.add_inline(
        "government_contacts",
        contacted_on="2024-03-10",
        direction=GovernmentContact.Direction.WE_ASKED,
        channel=GovernmentContact.Channel.LETTER,
        government="DE",
        body_kind=GovernmentContact.BodyKind.FOREIGN_MINISTRY,
        body="Auswärtiges Amt",
        summary="Asked about the exit ban.",
        outcome=GovernmentContact.Outcome.DECLINED,
        response_on="2024-03-01",
    )

    response = caseworker_client.post(family_url, data)

    assert inline_errors(response, "government_contacts") == [
        {"__all__": ["A response cannot come before the contact."]}
    ]
    assert not GovernmentContact.objects.exists()


def test_a_timeline_entry_without_any_source_is_refused(caseworker_client, admin_form, family_url):
    data = admin_form(caseworker_client.get(family_url))
    data.add_inline(
        "entries",
        occurred_on="2021-03",
        kind=TimelineEntry.Kind.TESTIMONY,
        title="Neighbour saw him taken",
        description="Told to a relative by phone.",
        reliability=TimelineEntry.Reliability.UNVERIFIED,
        source="",
        source_url="",
    )

    response = caseworker_client.post(family_url, data)

    assert inline_errors(response, "entries") == [
        {"__all__": ["Every entry needs a source: a source description, a link or a document."]}
    ]
    assert not TimelineEntry.objects.exists()


@pytest.mark.parametrize(
    ("whereabouts", "condition", "error"),
    [
        (
            Person.Whereabouts.UYGHUR_REGION,
            Person.Condition.REFUGEE,
            "This condition applies to someone abroad.",
        ),
        (
            Person.Whereabouts.ELSEWHERE_IN_CHINA,
            Person.Condition.CITIZEN,
            "This condition applies to someone abroad.",
        ),
        (
            Person.Whereabouts.ABROAD,
            Person.Condition.DETAINED_IN_CAMP,
            "This condition applies to someone inside China.",
        ),
    ],
)
def test_a_condition_that_contradicts_where_the_person_is_is_refused_on_the_condition(
    caseworker_client, new_person, whereabouts, condition, error
):
    new_person.update(whereabouts=whereabouts, condition=condition, **KNOWN_FROM)

    response = caseworker_client.post(PERSON_ADD, new_person)

    assert form_errors(response) == {"condition": [error]}
    assert not Person.objects.exists()


def test_a_condition_change_that_contradicts_whereabouts_leaves_the_person_unchanged(
    caseworker_client, admin_form
):
    person = PersonFactory(whereabouts="uyghur_region", condition="detained_in_camp")
    url = reverse("admin:cases_person_change", args=[person.pk])
    data = admin_form(caseworker_client.get(url))
    data.update(condition=Person.Condition.ASYLUM_SEEKER, **KNOWN_FROM)

    response = caseworker_client.post(url, data)

    assert form_errors(response) == {"condition": ["This condition applies to someone abroad."]}
    person.refresh_from_db()
    assert person.condition == Person.Condition.DETAINED_IN_CAMP


def test_separating_a_person_from_themselves_is_refused(
    caseworker_client, admin_form, family, family_url
):
    son = PersonFactory(name_latin="Ekrem Yaqup")
    data = admin_form(caseworker_client.get(family_url))
    data.add_inline(
        "separations",
        person=str(son.pk),
        status=Separation.Status.REPORTED,
        separated_from=[str(son.pk)],
        since="2017",
        circumstance=Separation.Circumstance.DETAINED,
    )

    response = caseworker_client.post(family_url, data)

    assert inline_errors(response, "separations") == [
        {"separated_from": ["A person cannot be separated from themselves."]}
    ]
    assert not Separation.objects.exists()
    assert StatusChange.objects.filter(separation__isnull=False).count() == 0


def test_a_status_note_without_a_status_change_is_refused_not_dropped(
    caseworker_client, admin_form, family, family_url
):
    data = admin_form(caseworker_client.get(family_url))
    data["status_note"] = "Spoke to the embassy today."

    response = caseworker_client.post(family_url, data)

    assert "change the status, or clear the note" in form_errors(response)["status_note"][0]
    assert StatusChange.objects.filter(family=family).count() == 1

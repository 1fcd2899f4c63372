"""The caseworkers' admin, driven as a caseworker drives it: real pages, real form posts."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import Family, GovernmentContact, Membership, Person, Separation, StatusChange
from cases.partial_dates import PartialDate
from cases.text import isolate
from tests.factories import (
    FamilyFactory,
    GovernmentContactFactory,
    MembershipFactory,
    PersonFactory,
    SeparationFactory,
    TimelineEntryFactory,
)

pytestmark = pytest.mark.django_db

FAMILY_LIST = reverse("admin:cases_family_changelist")


def family_change_url(family: Family) -> str:
    return reverse("admin:cases_family_change", args=[family.pk])


def opened_family(actor, **fields) -> Family:
    """A family opened the way the admin opens one, so its timeline starts with a status."""
    return services.family_create(family=Family(**fields), actor=actor)


def timeline_html(response) -> str:
    """The timeline table of a family page, without the inline forms above it."""
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index('id="timeline-heading"') :]


def listed_references(response) -> set[str]:
    assert response.status_code == 200
    return {family.reference for family in response.context["cl"].result_list}


def test_adding_a_family_with_members_and_a_separation_creates_them_all_and_opens_the_timeline(
    caseworker, caseworker_client, admin_form
):
    mother = PersonFactory(name_latin="Gulnar Yaqup", whereabouts="abroad", condition="refugee")
    son = PersonFactory(name_latin="Ekrem Yaqup")
    add_url = reverse("admin:cases_family_add")
    data = admin_form(caseworker_client.get(add_url))
    data.update(
        name="Yaqup",
        status=Family.Status.ACTIVE,
        priority=str(Family.Priority.HIGH),
        host_country="NL",
        status_note="Mother came to the Monday clinic.",
        reporting_contact=str(mother.pk),
    )
    data.add_inline("memberships", person=str(mother.pk), role=Membership.Role.MOTHER)
    data.add_inline("memberships", person=str(son.pk), role=Membership.Role.CHILD)
    data.add_inline(
        "separations",
        person=str(son.pk),
        status=Separation.Status.REPORTED,
        separated_from=[str(mother.pk)],
        since="2017-04",
        circumstance=Separation.Circumstance.DETAINED,
        details="Taken from school.",
    )

    response = caseworker_client.post(add_url, data)

    assert response.status_code == 302, response.context["errors"]
    family = Family.objects.get()
    assert family.reference == f"F-{timezone.localdate().year}-0001"
    assert family.status == Family.Status.ACTIVE
    assert family.reporting_contact == mother
    assert set(family.memberships.values_list("person__name_latin", "role")) == {
        ("Gulnar Yaqup", "mother"),
        ("Ekrem Yaqup", "child"),
    }
    separation = family.separations.get()
    assert separation.person == son
    assert list(separation.separated_from.all()) == [mother]
    assert separation.since == PartialDate(2017, 4)
    assert set(
        StatusChange.objects.values_list(
            "family", "separation", "from_status", "to_status", "actor"
        )
    ) == {
        (family.pk, None, "", "active", caseworker.pk),
        (family.pk, separation.pk, "", "reported", caseworker.pk),
    }
    assert StatusChange.objects.get(separation=None).note == "Mother came to the Monday clinic."
    page = timeline_html(caseworker_client.get(family_change_url(family)))
    assert "Case: Active" in page
    assert "Mother came to the Monday clinic." in page
    assert f"{isolate('Ekrem Yaqup')}: Reported" in page


def test_changing_a_familys_status_records_who_and_why_and_puts_it_first_on_the_timeline(
    caseworker, caseworker_client, admin_form
):
    family = opened_family(caseworker, name="Abdulla")
    TimelineEntryFactory(family=family, occurred_on="2019-05", title="Article in Example News")
    url = family_change_url(family)
    data = admin_form(caseworker_client.get(url))
    data.update(status=Family.Status.ADVOCACY, status_note="Letters to the ministry go out.")

    response = caseworker_client.post(url, data)

    assert response.status_code == 302, response.context["errors"]
    family.refresh_from_db()
    assert family.status == Family.Status.ADVOCACY
    change = StatusChange.objects.latest()
    assert (change.family, change.separation, change.from_status, change.to_status) == (
        family,
        None,
        "intake",
        "advocacy",
    )
    assert (change.actor, change.note) == (caseworker, "Letters to the ministry go out.")
    page = caseworker_client.get(url)
    timeline = page.context["timeline"]
    assert [item.title for item in timeline] == [
        "Case: Intake → Advocacy",
        "Case: Intake",
        "Article in Example News",
    ]
    html = timeline_html(page)
    assert html.index("Case: Intake → Advocacy") < html.index("Letters to the ministry go out.")
    assert html.index("Letters to the ministry go out.") < html.index("Article in Example News")


def test_saving_a_family_without_changing_its_status_records_no_status_change(
    caseworker, caseworker_client, admin_form
):
    family = opened_family(caseworker, name="Abdulla")
    url = family_change_url(family)
    data = admin_form(caseworker_client.get(url))
    data.update(name="Abdulla-Hoshur")

    response = caseworker_client.post(url, data)

    assert response.status_code == 302, response.context["errors"]
    assert Family.objects.get().name == "Abdulla-Hoshur"
    assert StatusChange.objects.count() == 1


def test_changing_a_separations_status_in_the_family_page_records_a_status_change(
    caseworker, caseworker_client, admin_form
):
    family = opened_family(caseworker, name="Memet")
    separation = services.separation_create(
        separation=Separation(
            family=family, person=PersonFactory(name_latin="Aygul Memet"), circumstance="detained"
        ),
        actor=caseworker,
    )
    url = family_change_url(family)
    data = admin_form(caseworker_client.get(url))
    assert data["separations-0-id"] == str(separation.pk)
    data["separations-0-status"] = Separation.Status.VERIFIED

    response = caseworker_client.post(url, data)

    assert response.status_code == 302, response.context["errors"]
    separation.refresh_from_db()
    assert separation.status == Separation.Status.VERIFIED
    change = StatusChange.objects.latest()
    assert (change.family, change.separation, change.actor) == (family, separation, caseworker)
    assert (change.from_status, change.to_status) == ("reported", "verified")
    assert Family.objects.get().status == Family.Status.INTAKE
    assert StatusChange.objects.filter(separation=None).count() == 1
    assert f"{isolate('Aygul Memet')}: Reported → Verified" in timeline_html(
        caseworker_client.get(url)
    )


def test_changing_a_persons_consent_records_who_recorded_it_and_when(
    caseworker, caseworker_client, admin_form
):
    person = PersonFactory(name_latin="Mihrigul Yaqup", name_uyghur="مىھرىگۈل تۇرسۇن")
    url = reverse("admin:cases_person_change", args=[person.pk])
    data = admin_form(caseworker_client.get(url))
    assert data["consent"] == Person.Consent.NONE
    data["consent"] = Person.Consent.NAMED
    before = timezone.now()

    response = caseworker_client.post(url, data)

    assert response.status_code == 302, response.context["errors"]
    person.refresh_from_db()
    assert person.consent == Person.Consent.NAMED
    assert person.consent_recorded_by == caseworker
    assert before <= person.consent_recorded_at <= timezone.now()
    assert person.name_uyghur == "مىھرىگۈل تۇرسۇن"


@pytest.fixture
def families_to_search():
    gulnar = PersonFactory(
        name_latin="Gulnar Omer",
        name_uyghur="گۈلنار ئۆمەر",
        name_chinese="古丽娜尔·吾买尔",
        aliases="Gulnara Umer\nGu Li Na Er",
    )
    tursun = PersonFactory(
        name_latin="Yaqup Ablet", name_uyghur="تۇرسۇن ئابلەت", name_chinese="吐尔逊·阿布来提"
    )
    sought = MembershipFactory(person=gulnar, family__reference="F-2026-0007").family
    MembershipFactory(person=tursun, family__reference="F-2026-0070")
    FamilyFactory(reference="F-2025-0700", name="Sadiq")
    return sought


@pytest.mark.parametrize(
    "term",
    [
        pytest.param("Gulnara Umer", id="alias"),
        pytest.param("Gu Li Na Er", id="alias on a later line"),
        pytest.param("گۈلنار", id="Uyghur script"),
        pytest.param("古丽娜尔", id="Chinese"),
        pytest.param("F-2026-0007", id="reference"),
    ],
)
def test_searching_the_family_list_finds_the_family_by_any_members_name_or_its_reference(
    caseworker_client, families_to_search, term
):
    response = caseworker_client.get(FAMILY_LIST, {"q": term})

    assert listed_references(response) == {families_to_search.reference}


@pytest.mark.parametrize(
    ("model_name", "field_name"),
    [("family", "reporting_contact"), ("membership", "person"), ("separation", "person")],
)
def test_the_person_autocomplete_finds_people_by_a_uyghur_script_term(
    caseworker_client, model_name, field_name
):
    gulnar = PersonFactory(name_latin="Gulnar Omer", name_uyghur="گۈلنار ئۆمەر")
    PersonFactory(name_latin="Yaqup Ablet", name_uyghur="تۇرسۇن ئابلەت")

    response = caseworker_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "cases",
            "model_name": model_name,
            "field_name": field_name,
            "term": "گۈلنار",
        },
    )

    assert response.status_code == 200
    assert response.json()["results"] == [{"id": str(gulnar.pk), "text": str(gulnar)}]


@pytest.fixture
def families_with_follow_ups():
    today = timezone.localdate()
    asked = today - dt.timedelta(days=60)

    def family_following_up(reference: str, in_days: int, **contact) -> Family:
        return GovernmentContactFactory(
            family__reference=reference,
            contacted_on=asked,
            follow_up_on=today + dt.timedelta(days=in_days),
            **contact,
        ).family

    family_following_up("F-2026-0001", -1)  # overdue
    family_following_up("F-2026-0002", 0)  # due today
    family_following_up("F-2026-0003", 7)  # due within the week
    family_following_up("F-2026-0004", 8)  # later
    family_following_up("F-2026-0005", -10, response_on=asked + dt.timedelta(days=5))  # answered
    FamilyFactory(reference="F-2026-0006")  # nothing to follow up


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("due", {"F-2026-0001", "F-2026-0002", "F-2026-0003"}),
        ("overdue", {"F-2026-0001"}),
    ],
)
def test_the_follow_up_filter_lists_families_with_unanswered_follow_ups_that_are_due(
    caseworker_client, families_with_follow_ups, choice, expected
):
    response = caseworker_client.get(FAMILY_LIST, {"follow_up": choice})

    assert listed_references(response) == expected


def test_the_no_contact_filter_lists_families_not_heard_from_for_90_days_or_ever(
    caseworker_client,
):
    today = timezone.localdate()

    def family_last_heard(reference: str, last_contact: str, **separation) -> None:
        SeparationFactory(
            family__reference=reference, person__last_contact=last_contact, **separation
        )

    family_last_heard("F-2026-0001", "")  # never
    family_last_heard("F-2026-0002", "2016-11")
    family_last_heard("F-2026-0003", (today - dt.timedelta(days=91)).isoformat())
    family_last_heard("F-2026-0004", (today - dt.timedelta(days=89)).isoformat())
    family_last_heard("F-2026-0005", f"{today:%Y-%m}")  # this month, day unknown
    family_last_heard("F-2026-0006", f"{today:%Y}")  # this year, month unknown
    family_last_heard("F-2026-0007", "2016", status=Separation.Status.REUNITED)
    FamilyFactory(reference="F-2026-0008")  # no separation recorded

    response = caseworker_client.get(FAMILY_LIST, {"no_contact": "90"})

    assert listed_references(response) == {"F-2026-0001", "F-2026-0002", "F-2026-0003"}


@pytest.mark.parametrize(
    ("last_contact", "shown"),
    [("2016", "2016"), ("2016-11", "November 2016"), ("2016-11-05", "Nov. 5, 2016")],
)
def test_the_family_list_shows_the_last_contact_at_the_precision_it_is_known(
    caseworker_client, last_contact, shown
):
    SeparationFactory(family__reference="F-2026-0001", person__last_contact=last_contact)

    response = caseworker_client.get(FAMILY_LIST)

    assert response.status_code == 200
    assert f'<td class="field-last_contact">{shown}</td>' in response.content.decode()


def test_the_family_list_shows_the_oldest_last_contact_of_a_family(caseworker_client):
    family = SeparationFactory(person__last_contact="2019-03-02").family
    SeparationFactory(family=family, person__last_contact="2016-11")

    response = caseworker_client.get(FAMILY_LIST)

    assert '<td class="field-last_contact">November 2016</td>' in response.content.decode()


def test_the_family_list_is_right_to_left_in_uyghur(caseworker_client):
    FamilyFactory()

    response = caseworker_client.get(FAMILY_LIST, headers={"accept-language": "ug"})

    assert response.status_code == 200
    assert '<html lang="ug" dir="rtl">' in response.content.decode()


def test_the_family_list_is_left_to_right_in_english(caseworker_client):
    response = caseworker_client.get(FAMILY_LIST, headers={"accept-language": "en"})

    assert '<html lang="en" dir="ltr">' in response.content.decode()


def test_the_family_page_shows_status_changes_contacts_and_entries_in_one_timeline(
    caseworker, caseworker_client
):
    family = opened_family(caseworker, name="Kerim")
    GovernmentContact.objects.create(
        family=family,
        government="AU",
        body_kind=GovernmentContact.BodyKind.HOME_AFFAIRS,
        body="Department of Home Affairs",
        official="A. Officer, Assistant Secretary",
        contacted_on=dt.date(2023, 2, 14),
        direction=GovernmentContact.Direction.WE_ASKED,
        channel=GovernmentContact.Channel.LETTER,
        summary="Asked the department to raise the case with Beijing.",
        outcome=GovernmentContact.Outcome.PROMISED,
    )
    TimelineEntryFactory(
        family=family,
        occurred_on="2021-03",
        title="Testimony recorded in Almaty",
        source="Interview by a caseworker",
        source_url="https://example.org/testimony",
    )

    response = caseworker_client.get(family_change_url(family))

    assert response.status_code == 200
    assert [(item.kind, item.title) for item in response.context["timeline"]] == [
        ("status", "Case: Intake"),
        ("contact", f"We asked: {isolate('Department of Home Affairs')}"),
        ("entry", "Testimony recorded in Almaty"),
    ]
    html = timeline_html(response)
    assert '<time datetime="2023-02-14">Feb. 14, 2023</time>' in html
    assert "Asked the department to raise the case with Beijing." in html
    assert "Outcome: Promised action" in html
    assert '<time datetime="2021-03">March 2021</time>' in html
    assert (
        '<a href="https://example.org/testimony" rel="noopener noreferrer nofollow" '
        'target="_blank">Interview by a caseworker</a>'
    ) in html


def test_adding_a_government_contact_on_its_own_page_records_who_and_when(
    caseworker, caseworker_client, admin_form
):
    family = opened_family(caseworker, name="Kerim")
    add_url = reverse("admin:cases_governmentcontact_add")
    data = admin_form(caseworker_client.get(add_url))
    data.update(
        family=str(family.pk),
        government="CA",
        body_kind=GovernmentContact.BodyKind.PARLIAMENT,
        body="Subcommittee on International Human Rights",
        contacted_on="2025-05-06",
        direction=GovernmentContact.Direction.WE_ASKED,
        channel=GovernmentContact.Channel.PARLIAMENTARY,
        summary="Testimony on the case at a hearing.",
        outcome="",
    )
    before = timezone.now()

    response = caseworker_client.post(add_url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    contact = GovernmentContact.objects.get()
    assert (contact.family, contact.created_by) == (family, caseworker)
    assert before - dt.timedelta(seconds=1) <= contact.created_at <= timezone.now()

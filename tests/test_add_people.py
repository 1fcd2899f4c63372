"""Many children, few clicks (issue 7): several people of a case added in one step, with
the separation and the condition they share, and contacts and entries that name the
separated person, so a new case is saved with its separations and contacts at once.

Every family and person here is fictional."""

import re

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from cases import services
from cases.models import (
    AuditEvent,
    ConditionChange,
    Family,
    GovernmentContact,
    Person,
    Separation,
    StatusChange,
    TimelineEntry,
)
from cases.partial_dates import PartialDate
from cases.text import isolate
from cases.timeline import ItemKind
from tests.factories import (
    FamilyFactory,
    GovernmentContactFactory,
    MembershipFactory,
    PersonFactory,
    SeparationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

FAMILY_ADD = reverse("admin:cases_family_add")
CHILDREN = "\n".join(
    [
        "Ayshe Tohti, about 2009",
        "",  # blank lines are skipped
        "Ekrem Tohti, 2011-04",
        "ئەركىن تۇختى, 10 years old in 2021",
        "(son of Erkin)",
    ]
)
SEPARATED_TOGETHER = {
    "circumstance": "detained",
    "since": "2017-05",
    "status": "verified",
    "status_effective_on": "2018",
}
IN_AN_ORPHANAGE = {
    "condition": "state_care",
    "whereabouts": "uyghur_region",
    "location_place": "Orphanage No. 3",
    "condition_effective_on": "2018-09",
    "condition_source": "Testimony of an aunt",
}


def family_url(family):
    return reverse("admin:cases_family_change", args=[family.pk])


def add_people_url(family):
    return reverse("admin:cases_family_add_people", args=[family.pk])


@pytest.fixture
def tohti(caseworker):
    """A fictional case: a mother abroad, her four children inside China not yet entered."""
    family = services.family_create(family=Family(name="Tohti"), actor=caseworker)
    mother = PersonFactory(name_latin="Dilnur Tohti", whereabouts="abroad", condition="refugee")
    MembershipFactory(family=family, person=mother, role="mother")
    return family


def post_people(client, admin_form, family, **fields):
    data = admin_form(client.get(add_people_url(family)))
    data.update(fields)
    return client.post(add_people_url(family), data)


def nothing_was_added(family) -> bool:
    return (
        family.memberships.count() == 1
        and not Person.objects.filter(name_latin="Ayshe Tohti").exists()
        and not Separation.objects.exists()
        and not ConditionChange.objects.exists()
        and StatusChange.objects.filter(separation__isnull=False).count() == 0
    )


# --- Several people in one step --------------------------------------------------------


def test_four_children_are_added_in_one_step_with_the_separation_and_condition_they_share(
    caseworker, caseworker_client, admin_form, tohti
):
    mother = tohti.members.get()

    response = post_people(
        caseworker_client,
        admin_form,
        tohti,
        people=CHILDREN,
        role="child",
        separated_from=[str(mother.pk)],
        **SEPARATED_TOGETHER,
        **IN_AN_ORPHANAGE,
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert response.url == family_url(tohti)
    children = Person.objects.filter(memberships__family=tohti, memberships__role="child")
    assert sorted(
        (
            p.name_latin,
            p.name_uyghur,
            p.description,
            str(p.birth_date or ""),
            p.birth_date_approximate,
        )
        for p in children
    ) == [
        ("", "", "son of Erkin", "", False),
        ("", "ئەركىن تۇختى", "", "2011", True),
        ("Ayshe Tohti", "", "", "2009", True),
        ("Ekrem Tohti", "", "", "2011-04", False),
    ]
    separations = Separation.objects.filter(family=tohti)
    assert sorted(s.person_id for s in separations) == sorted(c.pk for c in children)
    for separation in separations:
        assert (str(separation.since), separation.circumstance, separation.status) == (
            "2017-05",
            "detained",
            "verified",
        )
        assert list(separation.separated_from.all()) == [mother]
        change = separation.status_changes.get()
        assert (change.to_status, str(change.effective_on), change.actor) == (
            "verified",
            "2018",
            caseworker,
        )
    for child in children:
        assert (child.condition, child.whereabouts, child.location_place) == (
            "state_care",
            "uyghur_region",
            "Orphanage No. 3",
        )
        condition = child.condition_changes.get()
        assert (str(condition.effective_on), condition.source) == (
            "2018-09",
            "Testimony of an aunt",
        )


def test_people_can_be_added_without_a_separation_or_a_condition(
    caseworker_client, admin_form, tohti
):
    response = post_people(
        caseworker_client, admin_form, tohti, people="Ayshe Tohti\nEkrem Tohti", role="sibling"
    )

    assert response.status_code == 302
    assert set(tohti.memberships.values_list("person__name_latin", "role")) == {
        ("Dilnur Tohti", "mother"),
        ("Ayshe Tohti", "sibling"),
        ("Ekrem Tohti", "sibling"),
    }
    assert not Separation.objects.exists()
    assert not ConditionChange.objects.exists()


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        pytest.param("Ekrem Tohti, sometime", "is not a birth date", id="not a date"),
        pytest.param("Ekrem Tohti,", "after the comma", id="comma without a date"),
        pytest.param("Ekrem Tohti, 2090", "future", id="born in the future"),
        pytest.param("son of Erkin, 2011", "put it in brackets: (son of Erkin)", id="lower case"),
        pytest.param("\u0410dil Tohti", "one script", id="a Cyrillic look-alike letter"),
        pytest.param("Ekrem\u202e Tohti", "U+202E", id="a direction override"),
        pytest.param("()", "a description", id="empty brackets"),
    ],
)
def test_a_bad_line_is_named_with_what_is_wrong_and_no_one_is_added(
    caseworker_client, admin_form, tohti, line, problem
):
    response = post_people(
        caseworker_client,
        admin_form,
        tohti,
        people=f"Ayshe Tohti, about 2009\n{line}",
        **SEPARATED_TOGETHER,
    )

    assert response.status_code == 200
    [error] = response.context["adminform"].form.errors["people"]
    assert error.startswith(f"Line 2 (“{isolate(line)}”): ")  # shown isolated, as names are
    assert problem in error
    assert nothing_was_added(tohti)


def test_more_than_twenty_people_at_once_are_refused(caseworker_client, admin_form, tohti):
    people = "\n".join(f"Child {number}" for number in range(21))

    response = post_people(caseworker_client, admin_form, tohti, people=people)

    assert response.status_code == 200
    assert "At most 20 people" in str(response.context["adminform"].form.errors["people"])
    assert nothing_was_added(tohti)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"since": "2017"}, "circumstance", "Say how they were separated"),
        (
            {"circumstance": "detained", "status_effective_on": "2090"},
            "status_effective_on",
            "future",
        ),
        ({"condition": "state_care", "condition_source": "An aunt"}, "condition_effective_on", ""),
        ({"condition": "state_care", "condition_effective_on": "2018"}, "condition_source", ""),
        ({"condition_source": "An aunt"}, "condition", "Choose the condition"),
        (
            {**IN_AN_ORPHANAGE, "whereabouts": "abroad"},
            "condition",
            "someone inside China",
        ),
    ],
)
def test_a_shared_separation_or_condition_that_is_not_whole_is_refused(
    caseworker_client, admin_form, tohti, fields, field, message
):
    response = post_people(caseworker_client, admin_form, tohti, people="Ayshe Tohti", **fields)

    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors[field])
    assert nothing_was_added(tohti)


def test_only_members_of_this_case_are_offered_or_accepted_as_separated_from(
    caseworker_client, admin_form, tohti
):
    stranger = MembershipFactory(person__name_latin="Someone Else").person
    page = caseworker_client.get(add_people_url(tohti)).content.decode()
    assert "Dilnur Tohti" in page
    assert "Someone Else" not in page

    response = post_people(
        caseworker_client,
        admin_form,
        tohti,
        people="Ayshe Tohti",
        separated_from=[str(stranger.pk)],
        **SEPARATED_TOGETHER,
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["separated_from"]
    assert nothing_was_added(tohti)


def test_the_service_adds_no_one_when_one_person_is_invalid(caseworker, tohti):
    people = [Person(name_latin="Ayshe Tohti"), Person(name_latin="Ekrem\u202e Tohti")]

    with pytest.raises(ValidationError):
        services.family_add_people(
            family=tohti,
            people=people,
            role="child",
            actor=caseworker,
            separation=services.SeparatedTogether(circumstance="detained"),
        )

    assert nothing_was_added(tohti)


def test_the_service_refuses_to_separate_people_from_someone_not_on_the_case(caseworker, tohti):
    stranger = PersonFactory()

    with pytest.raises(ValidationError, match="members of this case"):
        services.family_add_people(
            family=tohti,
            people=[Person(name_latin="Ayshe Tohti")],
            role="child",
            actor=caseworker,
            separation=services.SeparatedTogether(
                circumstance="detained", separated_from=[stranger]
            ),
        )

    assert nothing_was_added(tohti)


# --- Possible duplicates, as on the add-person form ---------------------------------------


def test_people_who_may_be_on_record_already_are_listed_with_score_and_reason_first(
    caseworker_client, admin_form, tohti
):
    recorded = PersonFactory(
        name_latin="Memetjan Tursun", name_uyghur="مەمەتجان تۇرسۇن", birth_date="1990"
    )
    elsewhere = FamilyFactory(reference="F-2026-0301")
    MembershipFactory(family=elsewhere, person=recorded)

    response = post_people(
        caseworker_client, admin_form, tohti, people="Ayshe Tohti\n买买提江·吐尔逊, 1991"
    )

    assert response.status_code == 200
    [heading, line] = response.context["adminform"].form.errors["not_a_duplicate"]
    assert heading.startswith("Possible duplicates")
    assert line.startswith(f"{isolate('买买提江·吐尔逊')}: ")  # which line it is about
    assert "Memetjan Tursun" in line
    assert "F-2026-0301" in line
    assert "90%" in line
    assert "birth year differs by 1" in line
    assert "birth year differs by 1" in response.text  # on the page, before anything is saved
    assert nothing_was_added(tohti)


def test_people_confirmed_as_someone_else_are_added(caseworker_client, admin_form, tohti):
    MembershipFactory(person=PersonFactory(name_latin="Memetjan Tursun"))

    response = post_people(
        caseworker_client,
        admin_form,
        tohti,
        people="Ayshe Tohti\nMamutjan Tursun",
        not_a_duplicate="on",
    )

    assert response.status_code == 302
    assert Person.objects.filter(name_latin="Mamutjan Tursun").exists()
    assert tohti.memberships.count() == 3


def test_a_match_on_a_case_one_cannot_open_shows_no_name_reference_or_detail(
    as_user, worker, other_worker, admin_form
):
    mine = FamilyFactory(name="Tohti")
    mine.caseworkers.add(worker)
    hidden = FamilyFactory(name="Qadir", reference="F-2026-0302", restricted=True)
    hidden.caseworkers.add(other_worker)
    someone = PersonFactory(
        name_latin="Ablikim Qadir",
        name_uyghur="ئابلىكىم قادىر",
        birth_date="2001",
        location_place="Camp near Aksu",
    )
    MembershipFactory(family=hidden, person=someone)

    response = post_people(as_user(worker), admin_form, mine, people="Ablekim Kadir, 2001")

    assert response.status_code == 200
    [_heading, line] = response.context["adminform"].form.errors["not_a_duplicate"]
    assert line == (
        f"{isolate('Ablekim Kadir')}: "
        "A possible match exists in a case you cannot open; ask a supervisor."
    )
    page = response.text
    assert "ask a supervisor" in page
    form = page.split('id="family_add_people_form"')[1]
    for detail in ("Ablikim", "ئابلىكىم", "Qadir", "F-2026-0302", "Aksu"):
        assert detail not in form, detail
    assert not re.search(r"\d%", form)  # no score either
    assert not mine.memberships.exists()


# --- Checked like the case's own page ---------------------------------------------------


def test_the_family_page_links_to_adding_several_people(caseworker_client, tohti):
    html = caseworker_client.get(family_url(tohti)).content.decode()

    assert f'<a href="{add_people_url(tohti)}">Add several people</a>' in html


def test_a_case_one_may_not_open_is_absent_and_the_attempt_is_logged(
    as_user, worker, other_worker, admin_form
):
    hidden = FamilyFactory(name="Hidden", restricted=True)
    hidden.caseworkers.add(other_worker)
    client = as_user(worker)

    get = client.get(add_people_url(hidden))
    post = client.post(add_people_url(hidden), {"people": "Ayshe Tohti", "role": "child"})

    assert (get.status_code, post.status_code) == (404, 404)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ACCESS_REFUSED).count() == 2
    assert not Person.objects.filter(name_latin="Ayshe Tohti").exists()


def test_staff_who_may_only_read_the_case_cannot_add_people_and_see_no_link(
    as_user, advocate, tohti
):
    client = as_user(advocate)

    assert client.get(family_url(tohti)).status_code == 200
    assert "Add several people" not in client.get(family_url(tohti)).content.decode()
    assert client.get(add_people_url(tohti)).status_code == 403
    response = client.post(add_people_url(tohti), {"people": "Ayshe Tohti", "role": "child"})
    assert response.status_code == 403
    assert not Person.objects.filter(name_latin="Ayshe Tohti").exists()


def test_a_caseworker_adds_people_to_a_case_assigned_to_them(as_user, worker, admin_form):
    family = FamilyFactory(name="Tohti")
    family.caseworkers.add(worker)

    response = post_people(as_user(worker), admin_form, family, people="Ayshe Tohti")

    assert response.status_code == 302
    assert family.members.get().name_latin == "Ayshe Tohti"


def test_opening_and_saving_the_page_are_audited_and_kept_in_the_case_history(
    caseworker_client, admin_form, tohti
):
    response = post_people(
        caseworker_client, admin_form, tohti, people="Ayshe Tohti", **SEPARATED_TOGETHER
    )

    assert response.status_code == 302
    events = AuditEvent.objects.exclude(action=AuditEvent.Action.VIEW)
    assert sorted((e.action, e.object_type) for e in events) == [
        ("create", "cases.membership"),
        ("create", "cases.person"),
        ("create", "cases.separation"),
    ]
    viewed = AuditEvent.objects.get(action=AuditEvent.Action.VIEW, detail="add people")
    assert viewed.case_reference == tohti.reference
    entry = LogEntry.objects.get(object_id=str(tohti.pk))
    assert "Ayshe Tohti" in entry.get_change_message()


def test_the_same_page_posted_twice_adds_the_people_once(caseworker_client, admin_form, tohti):
    data = admin_form(caseworker_client.get(add_people_url(tohti)))
    data.update(people="Ayshe Tohti\nEkrem Tohti", **SEPARATED_TOGETHER)

    first = caseworker_client.post(add_people_url(tohti), data)
    second = caseworker_client.post(add_people_url(tohti), data)

    assert first.status_code == 302
    assert second.status_code == 200
    assert "Someone else saved this record after you opened it" in second.content.decode()
    assert tohti.memberships.count() == 3
    assert Separation.objects.count() == 2


def test_the_place_is_neither_offered_to_nor_taken_from_staff_without_private_rights(
    client, login, admin_form, tohti
):
    user = UserFactory(username="norah", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="cases").exclude(
            codename="view_private_fields"
        )
    )
    login(client, user)
    data = admin_form(client.get(add_people_url(tohti)))
    assert "location_place" not in data
    data.update(people="Ayshe Tohti", **IN_AN_ORPHANAGE)

    response = client.post(add_people_url(tohti), data)

    assert response.status_code == 302
    child = Person.objects.get(name_latin="Ayshe Tohti")
    assert (child.condition, child.location_place) == ("state_care", "")


# --- Contacts and entries name the separated person -------------------------------------


CONTACT = {
    "contacted_on": "2019-06",
    "direction": "we_asked",
    "channel": "letter",
    "body_kind": "foreign_ministry",
    "body": "Ministry of Foreign Affairs",
    "summary": "Asked about the four children.",
}
ENTRY = {
    "occurred_on": "2019-07",
    "kind": "testimony",
    "title": "Aunt's testimony",
    "reliability": "first_hand",
}


def test_a_new_case_is_saved_with_its_separation_and_a_contact_and_entry_about_it_at_once(
    caseworker_client, admin_form
):
    ayshe = PersonFactory(name_latin="Ayshe Tohti")
    data = admin_form(caseworker_client.get(FAMILY_ADD))
    data.update(name="Tohti")
    data.add_inline("memberships", person=str(ayshe.pk), role="child")
    data.add_inline(
        "separations",
        person=str(ayshe.pk),
        status="reported",
        since="2017",
        circumstance="detained",
    )
    data.add_inline("government_contacts", separated_person=str(ayshe.pk), **CONTACT)
    data.add_inline(
        "entries", separated_person=str(ayshe.pk), source="Interview by a caseworker", **ENTRY
    )

    response = caseworker_client.post(FAMILY_ADD, data)

    assert response.status_code == 302, response.context["errors"]
    family = Family.objects.get()
    separation = family.separations.get()
    assert GovernmentContact.objects.get().separation == separation
    assert TimelineEntry.objects.get().separation == separation
    contact_row = AuditEvent.objects.get(object_type="cases.governmentcontact")
    assert contact_row.case_reference == family.reference


def test_a_contact_about_someone_not_separated_in_this_case_is_refused_and_nothing_saved(
    caseworker_client, admin_form
):
    ayshe = PersonFactory(name_latin="Ayshe Tohti")
    SeparationFactory(person=ayshe)  # separated, but in another case
    data = admin_form(caseworker_client.get(FAMILY_ADD))
    data.update(name="Tohti")
    data.add_inline("memberships", person=str(ayshe.pk), role="child")
    data.add_inline("government_contacts", separated_person=str(ayshe.pk), **CONTACT)

    response = caseworker_client.post(FAMILY_ADD, data)

    assert response.status_code == 200
    [contacts] = [
        f
        for f in response.context["inline_admin_formsets"]
        if f.formset.prefix == "government_contacts"
    ]
    assert "has no separation in this case" in str(contacts.formset.errors)
    assert not Family.objects.filter(name="Tohti").exists()
    assert not GovernmentContact.objects.exists()


def test_a_contact_cannot_name_someone_whose_separation_is_deleted_in_the_same_save(
    caseworker_client, admin_form
):
    separation = SeparationFactory(person__name_latin="Ayshe Tohti")
    family = separation.family
    data = admin_form(caseworker_client.get(family_url(family)))
    data["separations-0-DELETE"] = "on"
    data.add_inline("government_contacts", separated_person=str(separation.person_id), **CONTACT)

    response = caseworker_client.post(family_url(family), data)

    assert response.status_code == 200
    assert Separation.objects.filter(pk=separation.pk).exists()
    assert not GovernmentContact.objects.exists()


def test_a_hidden_person_cannot_be_named_in_a_contact(as_user, worker, other_worker, admin_form):
    own = SeparationFactory(family__name="Own case")
    own.family.caseworkers.add(worker)
    hidden = SeparationFactory(family__restricted=True, person__name_latin="Hidden Person")
    hidden.family.caseworkers.add(other_worker)
    client = as_user(worker)
    data = admin_form(client.get(family_url(own.family)))
    data.add_inline("government_contacts", separated_person=str(hidden.person_id), **CONTACT)

    response = client.post(family_url(own.family), data)

    assert response.status_code == 200
    assert "Hidden Person" not in response.content.decode()
    assert not GovernmentContact.objects.exists()


def test_a_contact_saved_unchanged_keeps_its_separation_and_cleared_loses_it(
    caseworker_client, admin_form
):
    first = SeparationFactory(person__name_latin="Ayshe Tohti", since="2015")
    family, ayshe = first.family, first.person
    SeparationFactory(family=family, person=ayshe, since="2019")  # a later one of hers
    contact = GovernmentContactFactory(family=family, separation=first)
    data = admin_form(caseworker_client.get(family_url(family)))
    assert data["government_contacts-0-separated_person"] == str(ayshe.pk)

    data["government_contacts-0-summary"] = "Asked again."
    assert caseworker_client.post(family_url(family), data).status_code == 302
    contact.refresh_from_db()
    assert (contact.summary, contact.separation) == ("Asked again.", first)

    data = admin_form(caseworker_client.get(family_url(family)))
    data["government_contacts-0-separated_person"] = ""
    assert caseworker_client.post(family_url(family), data).status_code == 302
    contact.refresh_from_db()
    assert contact.separation is None


def test_a_contact_names_a_person_with_two_separations_by_the_latest(caseworker_client, admin_form):
    first = SeparationFactory(person__name_latin="Ayshe Tohti", since="2015")
    latest = SeparationFactory(family=first.family, person=first.person, since="2019")
    data = admin_form(caseworker_client.get(family_url(first.family)))
    data.add_inline("government_contacts", separated_person=str(first.person_id), **CONTACT)

    assert caseworker_client.post(family_url(first.family), data).status_code == 302
    assert GovernmentContact.objects.get().separation == latest


def test_staff_who_may_only_read_the_case_see_whom_a_contact_is_about(as_user, advocate):
    separation = SeparationFactory(person__name_latin="Ayshe Tohti")
    GovernmentContactFactory(family=separation.family, separation=separation)

    html = as_user(advocate).get(family_url(separation.family)).content.decode()

    assert f'<div class="readonly">{isolate("Ayshe Tohti")}</div>' in html


# --- The whole story, as the browser test enters it -------------------------------------


def test_a_multi_child_case_entered_through_the_admin_tells_its_story_in_order(
    caseworker_client, admin_form
):
    client = caseworker_client
    data = admin_form(client.get(FAMILY_ADD))
    data.update(name="Tohti", status="active", status_effective_on="2018-03")
    response = client.post(FAMILY_ADD, data)
    assert response.status_code == 302, response.context["errors"]
    family = Family.objects.get()

    response = post_people(
        client, admin_form, family, people=CHILDREN, **SEPARATED_TOGETHER, **IN_AN_ORPHANAGE
    )
    assert response.status_code == 302

    ayshe = Person.objects.get(name_latin="Ayshe Tohti")
    data = admin_form(client.get(family_url(family)))
    data.add_inline("government_contacts", separated_person=str(ayshe.pk), **CONTACT)
    assert client.post(family_url(family), data).status_code == 302
    assert GovernmentContact.objects.get().separation == ayshe.separations.get()

    response = client.get(family_url(family))
    newest_first = [(item.kind, str(item.date)) for item in response.context["timeline"]]
    assert newest_first == [
        (ItemKind.CONTACT, "2019-06"),
        *[(ItemKind.STATUS, "2018")] * 4,  # known to the year: after 2018's dated items
        *[(ItemKind.CONDITION, "2018-09")] * 4,
        (ItemKind.STATUS, "2018-03"),
        *[(ItemKind.SEPARATION, "2017-05")] * 4,
    ]
    html = response.content.decode()
    recorded = f"recorded {date_format(timezone.localdate(), 'DATE_FORMAT')}"
    assert f'<time datetime="2018-03">March 2018</time><br><small>{recorded}</small>' in html
    assert '<time datetime="2019-06">June 2019</time>' in html
    assert f"{isolate('son of Erkin')}, born" not in html  # no birth date given
    assert f"{isolate('son of Erkin')}: In a state orphanage or boarding school" in html
    assert StatusChange.objects.get(separation=None).effective_on == PartialDate(2018, 3)

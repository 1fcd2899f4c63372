"""Posting the id of a record one may not see, to link it into a case one may edit.

The autocomplete never offers hidden records; these tests post their ids by hand, as an
attacker would, and expect a form error, no link and no way to read the record after.
"""

import pytest
from django.urls import reverse

from cases.models import GovernmentContact, Membership, Person, Separation
from tests.factories import FamilyFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_case(worker):
    family = FamilyFactory(name="Own case")
    family.caseworkers.add(worker)
    return family


@pytest.fixture
def hidden_person(restricted_case):
    person = Person.objects.get(memberships__family=restricted_case)
    person.contact_details = "SECRET-PHONE"
    person.save()
    return person


def assert_still_hidden(client, person):
    assert client.get(reverse("admin:cases_person_change", args=[person.pk])).status_code == 404


def test_a_hidden_person_cannot_be_made_a_member_of_ones_own_case(
    as_user, worker, own_case, hidden_person, admin_form
):
    client = as_user(worker)
    url = reverse("admin:cases_family_change", args=[own_case.pk])
    data = admin_form(client.get(url))
    data.add_inline("memberships", person=str(hidden_person.pk), role="child")

    response = client.post(url, data)

    assert response.status_code == 200
    assert not Membership.objects.filter(family=own_case).exists()
    assert_still_hidden(client, hidden_person)


@pytest.mark.parametrize("field", ["reporting_contact"])
def test_a_hidden_person_cannot_be_made_ones_reporting_contact(
    as_user, worker, own_case, hidden_person, admin_form, field
):
    client = as_user(worker)
    url = reverse("admin:cases_family_change", args=[own_case.pk])
    data = admin_form(client.get(url))
    data[field] = str(hidden_person.pk)

    response = client.post(url, data)

    assert response.status_code == 200
    own_case.refresh_from_db()
    assert own_case.reporting_contact is None
    assert_still_hidden(client, hidden_person)


@pytest.mark.parametrize("side", ["person", "separated_from"])
def test_a_hidden_person_cannot_be_named_in_a_separation(
    as_user, worker, own_case, hidden_person, admin_form, side
):
    visible = MembershipFactory(family=own_case).person
    fields = {"person": visible.pk, "separated_from": []}
    fields[side] = hidden_person.pk if side == "person" else [str(hidden_person.pk)]
    client = as_user(worker)
    url = reverse("admin:cases_family_change", args=[own_case.pk])
    data = admin_form(client.get(url))
    data.add_inline(
        "separations",
        person=str(fields["person"]),
        separated_from=fields["separated_from"],
        circumstance="detained",
        status="reported",
    )

    response = client.post(url, data)

    assert response.status_code == 200
    assert not Separation.objects.filter(family=own_case).exists()


@pytest.mark.parametrize("model_name", ["separation", "governmentcontact"])
def test_nothing_can_be_added_to_a_restricted_case_by_posting_its_id(
    as_user, worker, restricted_case, admin_form, model_name
):
    client = as_user(worker)
    url = reverse(f"admin:cases_{model_name}_add")
    data = admin_form(client.get(url))
    data.update(
        family=str(restricted_case.pk),
        person=str(Person.objects.get(memberships__family=restricted_case).pk),
        circumstance="detained",
        status="reported",
        contacted_on="2024-01-01",
        direction="we_asked",
        channel="letter",
        body_kind="embassy",
        body="Embassy",
        summary="s",
        outcome="",
    )
    before = (Separation.objects.count(), GovernmentContact.objects.count())

    response = client.post(url, data)

    assert response.status_code == 200
    assert (Separation.objects.count(), GovernmentContact.objects.count()) == before


def test_the_contact_form_offers_no_separation_of_a_hidden_case(as_user, worker, restricted_case):
    html = as_user(worker).get(reverse("admin:cases_governmentcontact_add")).content.decode()

    assert "Hidden Person" not in html

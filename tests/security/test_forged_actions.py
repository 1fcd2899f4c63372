"""A low-privilege user forging an admin action or a write it was never offered."""

import pytest
from django.urls import reverse

from cases.models import Family, Person
from tests.factories import FamilyFactory, PersonFactory

pytestmark = pytest.mark.django_db


def test_an_advocate_cannot_delete_cases_with_a_forged_bulk_action(as_user, advocate):
    family = FamilyFactory()

    response = as_user(advocate).post(
        reverse("admin:cases_family_changelist"),
        {"action": "delete_selected", "_selected_action": [family.pk], "post": "yes"},
    )

    assert response.status_code in {403, 200}
    assert Family.objects.filter(pk=family.pk).exists()


def test_an_advocate_cannot_change_a_case_by_posting_the_form(as_user, advocate):
    family = FamilyFactory(name="Before")

    response = as_user(advocate).post(
        reverse("admin:cases_family_change", args=[family.pk]), {"name": "After"}
    )

    assert response.status_code == 403
    family.refresh_from_db()
    assert family.name == "Before"


def test_a_caseworker_cannot_delete_a_person_they_can_see(as_user, worker):
    person = PersonFactory()  # on no case yet, so visible to every caseworker

    response = as_user(worker).post(
        reverse("admin:cases_person_delete", args=[person.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert Person.objects.filter(pk=person.pk).exists()


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:cases_family_changelist",
        "admin:cases_person_changelist",
        "admin:cases_family_add",
        "admin:cases_auditevent_changelist",
    ],
)
def test_a_petition_editor_has_no_access_to_case_data(as_user, petition_editor, url_name):
    assert as_user(petition_editor).get(reverse(url_name)).status_code == 403

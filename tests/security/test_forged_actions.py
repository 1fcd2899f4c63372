"""A low-privilege user forging an admin action or a write it was never offered."""

import pytest
from django.urls import reverse

from cases.models import AuditEvent, Family, Person
from tests.factories import FamilyFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_an_advocate_cannot_delete_cases_with_a_forged_bulk_action(as_user, advocate):
    family = FamilyFactory()

    response = as_user(advocate).post(
        reverse("admin:cases_family_changelist"),
        {"action": "delete_selected", "_selected_action": [family.pk], "post": "yes"},
    )

    # 403, the list again, or (now that advocates have an action of their own, the
    # export) the admin's "no such action" redirect: never a deletion.
    assert response.status_code in {403, 200, 302}
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


def test_a_supervisor_cannot_make_anyone_a_superuser(as_user, supervisor, admin_form):
    client = as_user(supervisor)
    url = reverse("admin:auth_user_change", args=[supervisor.pk])
    data = admin_form(client.get(url))
    data.update(is_superuser="on", first_name="Sara")

    response = client.post(url, data)

    supervisor.refresh_from_db()
    assert response.status_code == 302
    assert supervisor.first_name == "Sara"
    assert supervisor.is_superuser is False
    change = AuditEvent.objects.get(action="change", object_type="auth.user")
    assert change.fields == ["first_name"]


def test_a_supervisor_cannot_change_a_superusers_account_or_password(as_user, supervisor):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = as_user(supervisor)

    password = client.post(
        reverse("admin:auth_user_password_change", args=[root.pk]),
        {"password1": "a new long passphrase 1", "password2": "a new long passphrase 1"},
    )
    change = client.post(reverse("admin:auth_user_change", args=[root.pk]), {"username": "x"})

    root.refresh_from_db()
    assert password.status_code == 403
    assert change.status_code == 403
    assert root.check_password("correct horse battery staple")


def test_a_supervisors_password_reset_for_a_caseworker_is_audited(as_user, supervisor, worker):
    response = as_user(supervisor).post(
        reverse("admin:auth_user_password_change", args=[worker.pk]),
        {"password1": "a new long passphrase 1", "password2": "a new long passphrase 1"},
    )

    assert response.status_code == 302
    event = AuditEvent.objects.get(object_type="auth.user", object_id=str(worker.pk))
    assert event.fields == ["password"]


def test_caseworkers_cannot_read_the_staff_directory(as_user, worker):
    assert as_user(worker).get(reverse("admin:auth_user_changelist")).status_code == 403

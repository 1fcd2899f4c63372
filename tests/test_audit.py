"""The audit trail: who did what to which record; append-only, in the app and the database."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from cases.audit import audit_record
from cases.models import AuditEvent, Person
from tests.factories import FamilyFactory, GovernmentContactFactory, PersonFactory

pytestmark = pytest.mark.django_db


def events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def test_opening_a_case_records_a_view(caseworker_client, caseworker):
    family = FamilyFactory(reference="F-2026-0007")

    caseworker_client.get(reverse("admin:cases_family_change", args=[family.pk]))

    [view] = events(AuditEvent.Action.VIEW)
    assert (view.actor, view.object_type, view.object_id) == (
        caseworker,
        "cases.family",
        str(family.pk),
    )
    assert view.case_reference == "F-2026-0007"


def test_a_change_records_the_field_names_never_their_values(
    caseworker_client, caseworker, admin_form
):
    person = PersonFactory(contact_details="+86 555 0199")
    url = reverse("admin:cases_person_change", args=[person.pk])
    data = admin_form(caseworker_client.get(url))
    data.update(contact_details="+86 555 0123", name_chinese="某某")

    caseworker_client.post(url, data)

    [change] = events(AuditEvent.Action.CHANGE)
    assert change.fields == ["contact_details", "name_chinese"]
    row = str(AuditEvent.objects.filter(pk=change.pk).values().get())
    assert "555" not in row
    assert "某某" not in row


def test_inline_records_created_and_deleted_from_the_family_page_are_recorded(
    caseworker_client, admin_form
):
    family = FamilyFactory()
    contact = GovernmentContactFactory(family=family)
    url = reverse("admin:cases_family_change", args=[family.pk])
    data = admin_form(caseworker_client.get(url))
    data["government_contacts-0-DELETE"] = "on"
    data.add_inline(
        "entries",
        occurred_on="2022",
        kind="media",
        title="T",
        source="Paper",
        reliability="unverified",
    )

    response = caseworker_client.post(url, data)

    assert response.status_code == 302, response.context["errors"]
    [deleted] = events(AuditEvent.Action.DELETE)
    assert (deleted.object_type, deleted.object_id) == ("cases.governmentcontact", str(contact.pk))
    created = [e.object_type for e in events(AuditEvent.Action.CREATE)]
    assert created == ["cases.timelineentry"]


def test_the_bulk_delete_action_records_each_deletion(caseworker_client):
    people = [PersonFactory(), PersonFactory()]

    response = caseworker_client.post(
        reverse("admin:cases_person_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [p.pk for p in people],
            "post": "yes",
        },
    )

    assert response.status_code == 302
    assert not Person.objects.exists()
    assert sorted(e.object_id for e in events(AuditEvent.Action.DELETE)) == sorted(
        str(p.pk) for p in people
    )


def test_the_trail_cannot_be_changed_or_deleted_through_the_app(caseworker):
    event = audit_record(action=AuditEvent.Action.LOGIN, actor=caseworker)

    event.detail = "rewritten"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(detail="rewritten")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()

    assert AuditEvent.objects.get(pk=event.pk).detail == ""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE cases_auditevent SET detail = 'rewritten'",
        "DELETE FROM cases_auditevent",
    ],
)
def test_postgresql_refuses_to_alter_the_trail_even_in_raw_sql(caseworker, sql, database_owner):
    # As the tables' owner: the app's role has no UPDATE or DELETE on the trail at all
    # (tests/security/test_database_roles.py); the trigger stops even the owner.
    event = audit_record(action=AuditEvent.Action.LOGIN, actor=caseworker)

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)

    assert AuditEvent.objects.get(pk=event.pk).detail == ""


def test_supervisors_read_the_trail_but_nobody_can_edit_it(as_user, supervisor, caseworker):
    event = audit_record(action=AuditEvent.Action.LOGIN, actor=caseworker)
    client = as_user(supervisor)

    listing = client.get(reverse("admin:cases_auditevent_changelist"))
    change = client.post(reverse("admin:cases_auditevent_change", args=[event.pk]), {})
    add = client.get(reverse("admin:cases_auditevent_add"))

    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 1
    assert add.status_code == 403
    assert change.status_code == 403
    assert AuditEvent.objects.count() == 1  # reading the trail adds nothing to it


def test_caseworkers_cannot_read_the_trail(as_user, worker):
    assert as_user(worker).get(reverse("admin:cases_auditevent_changelist")).status_code == 403


def test_lists_and_searches_are_recorded_without_the_search_term(caseworker_client, caseworker):
    caseworker_client.get(reverse("admin:cases_person_changelist"))
    caseworker_client.get(reverse("admin:cases_person_changelist"), {"q": "Gulnar"})

    details = [e.detail for e in events(AuditEvent.Action.VIEW)]
    assert details == ["cases.person list", "cases.person list search"]
    assert "Gulnar" not in str(list(AuditEvent.objects.values()))


def test_the_recorded_address_is_the_one_the_trusted_proxy_saw(rf, caseworker, settings):
    settings.REUNITE_TRUSTED_PROXIES = 1
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    request.user = caseworker

    event = audit_record(action=AuditEvent.Action.VIEW, request=request)

    assert event.ip_address == "203.0.113.9"

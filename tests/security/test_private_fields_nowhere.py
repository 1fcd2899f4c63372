"""Private fields appear nowhere they must not: pages for roles without them, the public
timeline, the audit trail, the logs, the database at rest. New surfaces join this file."""

import logging

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse

from cases import services
from cases.models import Family, Separation, StatusChange
from cases.timeline import case_timeline
from tests.factories import MembershipFactory
from tests.security.hostile import assert_no_markers, plant_markers

pytestmark = pytest.mark.django_db


@pytest.fixture
def case_with_secrets(supervisor):
    family = services.family_create(family=Family(name="Secrets"), actor=supervisor)
    person = MembershipFactory(family=family).person
    separation = services.separation_create(
        separation=Separation(family=family, person=person, circumstance="detained"),
        actor=supervisor,
    )
    services.family_change_status(family=family, status="active", actor=supervisor, note="x")
    markers = plant_markers(family, person, separation, *StatusChange.objects.all())
    return family, person, markers


def test_markers_were_planted_in_every_private_text_field(case_with_secrets):
    _family, _person, markers = case_with_secrets

    fields = {key.split("#")[0] for key in markers.by_field}
    assert fields >= {
        "cases.person.contact_details",
        "cases.person.location_place",
        "cases.person.notes",
        "cases.family.internal_summary",
        "cases.separation.details",
        "cases.statuschange.note",
    }


def test_an_advocate_sees_no_private_field_on_any_admin_page(as_user, advocate, case_with_secrets):
    family, person, markers = case_with_secrets
    client = as_user(advocate)
    urls = [
        reverse("admin:cases_family_changelist"),
        reverse("admin:cases_family_change", args=[family.pk]),
        reverse("admin:cases_family_history", args=[family.pk]),
        reverse("admin:cases_person_changelist"),
        reverse("admin:cases_person_change", args=[person.pk]),
        reverse("admin:cases_separation_changelist"),
        reverse("admin:cases_separation_change", args=[family.separations.get().pk]),
    ]

    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_markers(response.content, markers, where=url)


def test_the_public_timeline_carries_no_private_field(case_with_secrets):
    family, _person, markers = case_with_secrets

    for items in (case_timeline(family, public=True), case_timeline(family, private=False)):
        text = " ".join(f"{i.title} {i.detail} {i.who} {i.source}" for i in items)
        assert_no_markers(text, markers, where="timeline")


def test_the_audit_trail_and_the_logs_carry_no_private_field(
    as_user, supervisor, case_with_secrets, caplog, admin_form
):
    family, person, markers = case_with_secrets
    client = as_user(supervisor)
    url = reverse("admin:cases_person_change", args=[person.pk])
    caplog.set_level(logging.DEBUG)

    data = admin_form(client.get(url))
    data["notes"] = data["notes"] + " and more"
    client.post(url, data)
    client.get(reverse("admin:cases_family_change", args=[family.pk]))
    client.get(reverse("admin:cases_person_changelist"), {"q": person.contact_details})
    client.get("/admin/cases/person/999999/change/")

    trail = apps.get_model("cases", "AuditEvent").objects.values()
    assert len(trail) >= 3
    assert_no_markers(str(list(trail)), markers, where="the audit trail")
    assert_no_markers(caplog.text, markers, where="the logs")


def test_the_database_at_rest_holds_no_private_field_in_clear(case_with_secrets):
    _family, _person, markers = case_with_secrets

    with connection.cursor() as cursor:
        for model in apps.get_app_config("cases").get_models():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(model._meta.db_table)}")
            assert_no_markers(str(cursor.fetchall()), markers, where=model._meta.db_table)

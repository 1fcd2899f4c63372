"""Stored XSS: script written into any free-text field stays text wherever it is shown."""

import pytest
from django.db import models
from django.urls import reverse

from cases import services
from cases.models import Family, GovernmentContact, Person, Separation, StatusChange, TimelineEntry
from tests.factories import GovernmentContactFactory, MembershipFactory, TimelineEntryFactory
from tests.security.hostile import XSS, assert_inert

pytestmark = pytest.mark.django_db

PAYLOAD = XSS[0] + XSS[1] + XSS[3]  # the three shapes that need a `<` to be live


def free_text_fields(model):
    return [
        f.name
        for f in model._meta.get_fields()
        if isinstance(f, (models.CharField, models.TextField))
        and not f.choices
        and f.editable
        and f.name not in {"reference", "source_url"}
    ]


@pytest.fixture
def poisoned_case(caseworker):
    family = services.family_create(family=Family(name="x"), actor=caseworker)
    person = MembershipFactory(family=family).person
    separation = services.separation_create(
        separation=Separation(family=family, person=person, circumstance="detained"),
        actor=caseworker,
    )
    services.family_change_status(family=family, status="active", actor=caseworker, note="n")
    contact = GovernmentContactFactory(family=family, separation=separation)
    entry = TimelineEntryFactory(family=family, separation=separation)
    for obj in (family, person, separation, contact, entry, *StatusChange.objects.all()):
        for name in free_text_fields(type(obj)):
            setattr(obj, name, PAYLOAD[: obj._meta.get_field(name).max_length or None])
        StatusChange.objects.filter(pk=obj.pk).update(note=PAYLOAD) if isinstance(
            obj, StatusChange
        ) else obj.save()
    return family


def test_every_free_text_field_is_covered():
    for model in (Family, Person, Separation, GovernmentContact, TimelineEntry):
        assert free_text_fields(model), model


def test_hostile_text_stays_text_on_every_admin_page(caseworker_client, poisoned_case):
    person = poisoned_case.members.get()
    pages = [
        reverse("admin:cases_family_changelist"),
        reverse("admin:cases_family_change", args=[poisoned_case.pk]),
        reverse("admin:cases_family_history", args=[poisoned_case.pk]),
        reverse("admin:cases_person_changelist"),
        reverse("admin:cases_person_change", args=[person.pk]),
        reverse("admin:cases_separation_changelist"),
        reverse("admin:cases_governmentcontact_changelist"),
        reverse("admin:cases_family_changelist") + "?q=%3Cscript%3E",
    ]
    for url in pages:
        response = caseworker_client.get(url)
        assert response.status_code == 200, url
        assert_inert(response.content)


def test_a_javascript_link_is_never_rendered_as_a_link(caseworker_client, caseworker):
    family = services.family_create(family=Family(name="Links"), actor=caseworker)
    TimelineEntryFactory(family=family, source_url="javascript:alert(document.cookie)")

    html = caseworker_client.get(
        reverse("admin:cases_family_change", args=[family.pk])
    ).content.decode()

    assert 'href="javascript:' not in html


def test_a_javascript_link_is_refused_as_a_source(caseworker_client, caseworker, admin_form):
    family = services.family_create(family=Family(name="Links"), actor=caseworker)
    url = reverse("admin:cases_family_change", args=[family.pk])
    data = admin_form(caseworker_client.get(url))
    data.add_inline(
        "entries",
        occurred_on="2022",
        kind="media",
        title="t",
        source_url="javascript:alert(1)",
        reliability="unverified",
    )

    response = caseworker_client.post(url, data)

    assert response.status_code == 200
    assert not TimelineEntry.objects.exists()

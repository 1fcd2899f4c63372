"""Nothing private about a linked case reaches a public page, a JSON document or the
cached copy of a page: every private field holds a marker, the people who did not agree
to be named are named everywhere a caseworker might write, and none of it may appear."""

import pickle

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from cases import petitions, services
from cases.models import Person, Separation, StatusChange, TimelineEntry
from cases.partial_dates import PartialDate
from tests.factories import GovernmentContactFactory, TimelineEntryFactory
from tests.public.conftest import make_petition, sign
from tests.security.hostile import Markers, assert_no_markers, plant_markers

pytestmark = pytest.mark.django_db

# The anonymised son and the aunt who consented to nothing, in every script and alias.
UNNAMED = ["Ilham", "伊力哈木", "Ayshem", "Kadir", "Aysham", "Qadir", "ئايشەم", "قادىر"]


@pytest.fixture
def case_with_secrets(family, supervisor):
    son, aunt = family.people["son"], family.people["aunt"]
    services.family_change_status(family=family, status="active", actor=supervisor, note="n")
    separation = family.separations.get()
    services.separation_change_status(
        separation=separation, status="verified", actor=supervisor, note="n"
    )
    services.person_change_condition(
        person=aunt,
        actor=supervisor,
        effective_on=PartialDate(2018),
        source="Ayshem's neighbour",
        publishable=True,
        condition=Person.Condition.DETAINED_IN_CAMP,
        charge="Ayshem charged",
    )
    services.person_change_condition(
        person=son,
        actor=supervisor,
        effective_on=PartialDate(2019),
        source="Internal informant Ilham",
        publishable=False,
        condition=Person.Condition.IMPRISONED,
        charge="UNPUBLISHED-CHARGE",
        location_place="UNPUBLISHED-PLACE",
    )
    TimelineEntryFactory(family=family, title="UNPUBLISHED-ENTRY", description="internal")
    TimelineEntryFactory(
        family=family, title="Ilham seen at a hearing", description="x", publishable=True
    )
    TimelineEntryFactory(
        family=family, title="A hearing", description="Kadir testified", publishable=True
    )
    TimelineEntryFactory(
        family=family, title="Press report", description="Reported", publishable=True
    )
    GovernmentContactFactory(
        family=family, official="UNPUBLISHED-OFFICIAL", summary="UNPUBLISHED-CONTACT about Ilham"
    )
    petition = make_petition(family=family)
    sign(petition, 6, show_publicly=True, postcode="UNPUB-POSTCODE")
    markers = plant_markers(
        family,
        *family.people.values(),
        *Separation.objects.filter(family=family),
        *StatusChange.objects.filter(family=family),
        *TimelineEntry.objects.filter(family=family),
    )
    markers.by_field.update(
        {name: name for name in ("UNPUBLISHED-CHARGE", "UNPUBLISHED-PLACE", "UNPUBLISHED-ENTRY")}
    )
    markers.by_field.update(
        {name: name for name in ("UNPUBLISHED-OFFICIAL", "UNPUBLISHED-CONTACT")}
    )
    markers.by_field["UNPUB-POSTCODE"] = "UNPUB-POSTCODE"
    markers.by_field.update({f"name {name}": name for name in UNNAMED})
    return petition, markers


def public_urls(petition) -> list[str]:
    urls = []
    for code, _name in settings.PUBLIC_LANGUAGES:
        with translation.override(code):
            urls.append(reverse("public:petition_list"))
            urls.append(reverse("public:petition_detail", kwargs={"slug": petition.slug}))
    urls.append(reverse("public_data:count", kwargs={"slug": petition.slug}))
    urls.append(reverse("public_data:open_data", kwargs={"slug": petition.slug}))
    return urls


def cached_text() -> str:
    """Everything in the local-memory cache, as text."""
    return " ".join(repr(pickle.loads(value)) for value in cache._cache.values())


def assert_private_nowhere(client, petition, markers: Markers) -> None:
    for url in public_urls(petition):
        for attempt in ("rendered", "cached"):
            response = client.get(url)
            assert response.status_code == 200, url
            assert_no_markers(response.content, markers, where=f"{url} ({attempt})")
    assert_no_markers(cached_text(), markers, where="the cache")


def test_markers_were_planted_in_every_private_field(case_with_secrets):
    _petition, markers = case_with_secrets

    assert {key.split("#")[0] for key in markers.by_field} >= {
        "cases.person.contact_details",
        "cases.person.location_place",
        "cases.person.notes",
        "cases.family.internal_summary",
        "cases.separation.details",
        "cases.statuschange.note",
        "cases.timelineentry.source_document_name",
    }


def test_no_private_field_or_unconsented_name_reaches_any_public_page(client, case_with_secrets):
    petition, markers = case_with_secrets

    assert_private_nowhere(client, petition, markers)
    content = client.get(
        reverse("public:petition_detail", kwargs={"slug": petition.slug})
    ).content.decode()
    assert "Gulnar Tursun has not heard from her son" in content  # the story is there
    assert "Press report" in content


def test_nor_once_the_petition_is_answered(client, case_with_secrets):
    petition, markers = case_with_secrets
    petitions.petition_close(petition=petition, actor=None)
    petitions.petition_record_delivery(
        petition=petition, actor=None, delivered_on=PartialDate(2026)
    )
    response = GovernmentContactFactory(
        family=petition.families.get(),
        official="UNPUBLISHED-OFFICIAL",
        summary="The ministry asked about Ayshem.",
        contacted_on=PartialDate(2026),
        response_on=PartialDate(2026),
    )
    petitions.petition_record_response(petition=petition, contact=response, actor=None)

    assert_private_nowhere(client, petition, markers)


def test_a_summary_naming_the_aunt_stays_off_every_page(client, case_with_secrets):
    petition, markers = case_with_secrets
    family = petition.families.get()
    family.public_summary = "Gulnar's sister Ayshem Kadir was taken too."
    family.save()

    assert_private_nowhere(client, petition, markers)

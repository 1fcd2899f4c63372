"""A linked family's story on a petition page: only what its people consented to."""

import pytest
from django.urls import reverse
from django.utils import translation

from cases import petitions, services
from cases.models import Person
from cases.partial_dates import PartialDate
from cases.public import pages
from tests.factories import (
    FamilyFactory,
    GovernmentContactFactory,
    MembershipFactory,
    PersonFactory,
    TimelineEntryFactory,
)
from tests.public.conftest import consent, make_petition

pytestmark = pytest.mark.django_db


def page_of(client, petition, language="en"):
    with translation.override(language):
        url = reverse("public:petition_detail", kwargs={"slug": petition.slug})
    return client.get(url).content.decode()


def story(family):
    return pages.family_story(family)


def test_a_family_nobody_consented_for_has_no_story_on_the_page(client):
    family = FamilyFactory(public_summary="A father searches for his daughter.")
    MembershipFactory(family=family, person=PersonFactory(name_latin="Rustam Ablet"))
    TimelineEntryFactory(family=family, title="Reported in the press", publishable=True)
    petition = make_petition(family=family)

    content = page_of(client, petition)

    assert story(family) is None
    assert "A father searches for his daughter." not in content
    assert "Reported in the press" not in content
    assert "The family's story" not in content


def test_a_family_whose_only_consent_is_anonymised_shows_its_summary(family):
    consent(family.people["mother"], Person.Consent.NONE)
    family.public_summary = "A mother has not heard from her son since 2017."
    family.save()

    assert story(family).summary == "A mother has not heard from her son since 2017."


def test_a_summary_naming_someone_without_consent_is_withheld_the_timeline_stays(family):
    family.public_summary = "Gulnar Tursun and her sister Ayshem are looking for him."
    family.save()

    shown = story(family)

    assert shown.summary == ""
    assert [item.title for item in shown.timeline][:1] == ["A relative separated from the family"]
    assert "names someone who did not agree" in pages.story_withheld_reason(family)


@pytest.mark.parametrize(
    "summary",
    [
        "His cousin Ilham was taken in 2017.",  # anonymised: agreed to a story, not a name
        "The aunt, AYSHEM, wrote to us.",  # any case
        "Aysham's letter reached us.",  # an alias, with a suffix
        "ئايشەمنىڭ خېتى كەلدى.",  # the Uyghur name with a case suffix
        "他的名字是伊力哈木。",  # the Chinese name inside Chinese text
        "Kadir family members abroad",  # a family name nobody named shares
        "Ay\u3164shem wrote to us.",  # with a Hangul filler inside, drawn as nothing
    ],
)
def test_every_way_of_naming_an_unconsented_person_withholds_the_summary(family, summary):
    family.public_summary = summary
    family.save()

    assert story(family).summary == ""


def test_a_family_name_shared_with_someone_named_does_not_withhold_the_summary(family):
    # "Tursun" is the anonymised son's family name too, but also his named mother's.
    assert story(family).summary == "Gulnar Tursun has not heard from her son since 2017."
    assert pages.story_withheld_reason(family) == ""


def test_a_publishable_entry_naming_someone_without_consent_is_left_out(family):
    TimelineEntryFactory(family=family, title="Ilham seen in a camp", publishable=True)
    TimelineEntryFactory(family=family, title="A relative seen in a camp", publishable=True)
    TimelineEntryFactory(family=family, title="Internal lead", publishable=False)

    titles = [item.title for item in story(family).timeline]

    assert "A relative seen in a camp" in titles
    assert "Ilham seen in a camp" not in titles
    assert "Internal lead" not in titles


def test_conditions_appear_only_with_consent_and_without_names(family):
    for who in ("son", "aunt"):
        services.person_change_condition(
            person=family.people[who],
            actor=None,
            effective_on=PartialDate(2019),
            source="A report",
            publishable=True,
            condition=Person.Condition.IMPRISONED,
            charge="Separatism",
        )

    titles = [item.title for item in story(family).timeline]

    assert titles.count("A relative: At home → Imprisoned") == 1  # the son; not the aunt


def test_the_response_summary_is_held_to_the_same_rule(client, family):
    petition = make_petition(family=family)
    petitions.petition_close(petition=petition, actor=None)
    petitions.petition_record_delivery(
        petition=petition, actor=None, delivered_on=PartialDate(2026)
    )
    contact = GovernmentContactFactory(
        family=family,
        summary="We have asked about Ayshem Kadir.",
        outcome="statement",
        contacted_on=PartialDate(2026),
        response_on=PartialDate(2026),
    )
    petitions.petition_record_response(petition=petition, contact=contact, actor=None)

    content = page_of(client, petition)

    assert "Made a statement" in content
    assert "Ayshem" not in content


def test_a_publishable_entry_whose_source_link_names_someone_without_consent_is_left_out(
    family,
):
    TimelineEntryFactory(
        family=family,
        title="Reported in the press",
        source="A newspaper",
        source_url="https://news.example/2019/ilham-tursun-sentenced",
        publishable=True,
    )

    assert "Reported in the press" not in [item.title for item in story(family).timeline]


def test_someone_named_by_consent_but_known_only_by_a_description_is_a_relative(family):
    # The description is the case file's own words, and names the son who did not consent.
    cousin = PersonFactory(name_latin="", description="cousin of Ilham, held with him")
    MembershipFactory(family=family, person=cousin, role="other")
    consent(cousin, Person.Consent.NAMED)
    services.person_change_condition(
        person=cousin,
        actor=None,
        effective_on=PartialDate(2019),
        source="A report",
        publishable=True,
        condition=Person.Condition.IMPRISONED,
    )

    items = story(family).timeline
    shown = " ".join(f"{item.title} {item.detail}" for item in items)

    assert "A relative: At home → Imprisoned" in [item.title for item in items]
    assert "cousin" not in shown
    assert "Ilham" not in shown

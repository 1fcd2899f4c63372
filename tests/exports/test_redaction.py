"""The one redaction function (`case_summary`), through the streamed records: what each
level shows, and what it must never show, of a case whose every restricted field holds
a marker string (tests/exports/conftest.py)."""

import pytest

from cases.exports.levels import Level
from cases.exports.records import iter_case_records
from cases.exports.summary import case_summary, pseudonyms
from cases.models import Family, Membership, Person
from cases.timeline import case_records
from tests.exports.conftest import (
    NAMED,
    NAMED_BIRTH_DATE,
    UNCONSENTED_BIRTH_DATE,
    UNCONSENTED_NAMES,
    build_marked_case,
    consent,
    serialised,
    summaries,
    summary_of,
)
from tests.factories import MembershipFactory, PersonFactory, SeparationFactory

pytestmark = pytest.mark.django_db


def present(needles, document) -> list[str]:
    """The needles found anywhere in the serialised document, case-insensitively."""
    text = serialised(document).casefold()
    return [needle for needle in needles if needle.casefold() in text]


def member(summary, reference_label):
    (found,) = [m for m in summary["members"] if m["label"] == reference_label]
    return found


def reference_of(case) -> str:
    return case.family.reference


# --- What the advocacy level never shows ------------------------------------------------


def test_an_advocacy_summary_holds_no_private_marker_anywhere(marked_case):
    summary = summary_of(marked_case.family, Level.ADVOCACY)

    assert present(marked_case.markers.internal_only + marked_case.markers.never, summary) == []


def test_an_advocacy_summary_holds_no_word_of_an_unconsented_name_in_any_script(marked_case):
    summary = summary_of(marked_case.family, Level.ADVOCACY)

    assert present(UNCONSENTED_NAMES, summary) == []


def test_an_advocacy_summary_gives_an_unconsented_person_only_their_birth_year(marked_case):
    summary = summary_of(marked_case.family, Level.ADVOCACY)
    father = member(summary, f"Father 1 of {reference_of(marked_case)}")

    assert father["born"] == UNCONSENTED_BIRTH_DATE[:4]
    assert father["names"] is None
    assert father["named"] is False
    assert present([UNCONSENTED_BIRTH_DATE], summary) == []


def test_the_internal_level_holds_every_private_detail_but_never_contact_details(marked_case):
    summary = summary_of(marked_case.family, Level.INTERNAL)

    assert present(marked_case.markers.internal_only, summary) == marked_case.markers.internal_only
    assert present(UNCONSENTED_NAMES, summary) == list(UNCONSENTED_NAMES)
    assert present(marked_case.markers.never, summary) == []
    assert "+32 470" not in serialised(summary)


def test_no_level_has_a_key_for_contact_details_or_the_search_index(marked_case):
    def keys(value):
        if isinstance(value, dict):
            for key, item in value.items():
                yield key
                yield from keys(item)
        elif isinstance(value, list):
            for item in value:
                yield from keys(item)

    for level in (Level.INTERNAL, Level.ADVOCACY):
        found = set(keys(summary_of(marked_case.family, level)))
        assert not found & {"contact_details", "contact_index", "caseworkers", "source_document"}


def test_case_summary_refuses_the_public_level(marked_case):
    records = case_records(marked_case.family)

    with pytest.raises(ValueError, match="public"):
        case_summary(records, Level.PUBLIC)


# --- Names with consent, pseudonyms without --------------------------------------------


def test_a_person_who_consented_to_be_named_appears_with_every_name_and_birth_date(marked_case):
    summary = summary_of(marked_case.family, Level.ADVOCACY)
    (mother,) = [m for m in summary["members"] if m["named"]]

    assert mother["names"] == {
        "latin": NAMED["latin"],
        "uyghur": NAMED["uyghur"],
        "chinese": NAMED["chinese"],
        "aliases": [NAMED["alias"]],
    }
    assert mother["born"] == NAMED_BIRTH_DATE
    assert NAMED["latin"] in mother["label"]


def test_everyone_else_gets_a_pseudonym_by_role_and_place_among_that_role(marked_case):
    reference = reference_of(marked_case)
    summary = summary_of(marked_case.family, Level.ADVOCACY)

    assert [m["label"] for m in summary["members"] if not m["named"]] == [
        f"Father 1 of {reference}",
        f"Child 1 of {reference}",
        f"Child 2 of {reference}",
    ]
    assert [s["person"] for s in summary["separations"]] == [
        f"Father 1 of {reference}",
        f"Child 1 of {reference}",
        f"Child 2 of {reference}",
    ]


def test_pseudonyms_are_the_same_in_two_exports_and_in_every_part_of_one(marked_case):
    first, second = (summary_of(marked_case.family, Level.ADVOCACY) for _ in range(2))
    son = f"Child 1 of {reference_of(marked_case)}"

    assert first == second
    assert [c["about"] for c in first["government_contacts"]].count(son) == 1
    assert any(item["title"].startswith(son) for item in first["timeline"])


def test_a_pseudonym_stays_when_members_of_other_roles_join_and_new_children_come_last(
    marked_case,
):
    reference = reference_of(marked_case)
    before = pseudonyms(case_records(marked_case.family))
    MembershipFactory(family=marked_case.family, role=Membership.Role.SIBLING)
    newcomer = MembershipFactory(family=marked_case.family, role=Membership.Role.CHILD)
    outsider = SeparationFactory(family=marked_case.family).person

    after = pseudonyms(case_records(marked_case.family))

    assert {pk: after[pk] for pk in before} == before
    assert after[newcomer.person_id] == f"Child 3 of {reference}"
    assert after[outsider.pk] == f"Relative 1 of {reference}"


def test_a_consent_given_shows_the_name_at_once_and_a_consent_withdrawn_hides_it(marked_case):
    son = marked_case.people["son"]
    consent(son, Person.Consent.NAMED)

    named = summary_of(marked_case.family, Level.ADVOCACY)
    consent(son, Person.Consent.NONE)
    withdrawn = summary_of(marked_case.family, Level.ADVOCACY)

    assert "Mehmetjan Qurban" in [m["names"]["latin"] for m in named["members"] if m["named"]]
    assert "Asked where Mehmetjan was taken." in [
        contact["summary"] for contact in named["government_contacts"]
    ]
    assert present(["Mehmetjan", "买买提江", "Memetjan"], withdrawn) == []


# --- Free text that names someone who did not consent ----------------------------------


def test_a_public_summary_naming_an_unconsented_person_is_withheld(marked_case):
    family = marked_case.family
    shown = summary_of(family, Level.ADVOCACY)["public_summary"]
    family.public_summary = "ئاينۇرنىڭ ئانىسى ئۇنى ئىزدەۋاتىدۇ."  # Aynur's mother, with a suffix
    family.save()

    assert shown == "The mother abroad has had no news of her family since 2018."
    assert summary_of(family, Level.ADVOCACY)["public_summary"] == ""


def test_a_contact_summary_naming_an_unconsented_person_is_withheld_others_are_kept(
    marked_case,
):
    contacts = summary_of(marked_case.family, Level.ADVOCACY)["government_contacts"]

    assert sorted(c["summary"] for c in contacts) == [
        "",
        "The ministry will raise the father's case with the embassy.",
    ]


def test_timeline_items_naming_an_unconsented_person_lose_their_text_or_are_left_out(
    marked_case,
):
    timeline = summary_of(marked_case.family, Level.ADVOCACY)["timeline"]
    titles = [item["title"] for item in timeline]
    letter = next(item for item in timeline if item["title"] == "A letter from the school")

    assert "The father's detention reported in the press" in titles
    assert "Aynur's school closed" not in titles
    assert letter["detail"] == ""


def test_the_case_name_is_withheld_when_it_is_the_name_of_people_who_did_not_consent(
    marked_case,
):
    family = marked_case.family
    withheld = summary_of(family, Level.ADVOCACY)["name"]
    family.name = "Hesen"  # the family name of the mother, who agreed to be named
    family.save()

    assert withheld is None
    assert summary_of(family, Level.ADVOCACY)["name"] == "Hesen"
    assert summary_of(family, Level.INTERNAL)["name"] == "Hesen"


def test_a_case_where_nobody_agreed_to_be_named_has_no_case_name(marked_case):
    family = marked_case.family
    consent(marked_case.people["mother"], Person.Consent.ANONYMISED)
    family.name = "Example"
    family.save()

    assert summary_of(family, Level.ADVOCACY)["name"] is None


def test_only_publishable_entries_reach_the_advocacy_timeline(marked_case):
    advocacy = summary_of(marked_case.family, Level.ADVOCACY)["timeline"]
    internal = summary_of(marked_case.family, Level.INTERNAL)["timeline"]

    assert "zqxunpublishedtitlemark" not in [item["title"] for item in advocacy]
    assert "zqxunpublishedtitlemark" in [item["title"] for item in internal]


# --- Whose cases --------------------------------------------------------------------------


def test_a_restricted_case_never_reaches_someone_who_cannot_open_it(
    marked_case, restricted_case, advocate, worker
):
    # The caseworker is in both cases' teams: a team does not open a restricted case.
    marked_case.family.team.members.add(worker)
    restricted_case.family.team.members.add(worker)
    restricted = restricted_case.markers.internal_only + restricted_case.markers.never
    for reader in (advocate, worker):
        exported = summaries(Family.objects.visible_to(reader), Level.ADVOCACY)

        assert [s["reference"] for s in exported] == [marked_case.family.reference]
        assert present([restricted_case.family.reference, *restricted], exported) == []


def test_a_restricted_case_reaches_its_assigned_caseworker_and_supervisors(
    restricted_case, worker, supervisor
):
    restricted_case.family.caseworkers.add(worker)
    reference = restricted_case.family.reference

    for reader in (worker, supervisor):
        exported = summaries(Family.objects.visible_to(reader), Level.INTERNAL)
        assert [s["reference"] for s in exported] == [reference]


# --- The streamed records are the single case's records --------------------------------


def test_the_streamed_records_of_each_case_are_those_of_the_case_alone(marked_case):
    other = build_marked_case(tag="second")
    # A person on two cases: their conditions belong to both.
    shared = PersonFactory(name_latin="Shared Relative")
    MembershipFactory(family=marked_case.family, person=shared, role=Membership.Role.SIBLING)
    SeparationFactory(family=other.family, person=shared)
    empty = build_marked_case(tag="third").family
    empty.memberships.all().delete()

    def ids(records):
        return {
            kind: sorted(row.pk for row in getattr(records, kind))
            for kind in (
                "memberships",
                "separations",
                "status_changes",
                "conditions",
                "contacts",
                "entries",
                "petition_events",
            )
        }

    streamed = list(iter_case_records(Family.objects.all()))

    assert [r.family.pk for r in streamed] == sorted(f.pk for f in Family.objects.all())
    for records in streamed:
        alone = case_records(records.family)
        assert ids(records) == ids(alone)


def test_the_un_fields_of_a_separation_are_free_text_held_to_consent(marked_case):
    separations = summary_of(marked_case.family, Level.ADVOCACY)["separations"]

    assert {s["responsible_forces"] for s in separations} == {
        "Public Security Bureau of Example County"
    }
    assert [s["no_inquiry_reason"] for s in separations] == ["", "", ""]
    assert "last_seen_place" not in separations[0]


def test_below_the_internal_level_the_members_are_read_even_when_not_asked_for(marked_case):
    # Consent and pseudonyms are made of them: without them the case name would be
    # checked against nobody's name.
    (records,) = iter_case_records(
        Family.objects.all(), private=False, read=frozenset({"contacts"})
    )

    assert {m.person_id for m in records.memberships} == {
        m.person_id for m in marked_case.family.memberships.all()
    }
    assert records.memberships

"""The export filters (`CaseExportFilter`) on three cases whose answers are known by
hand, free text in every script, invalid input, and the audit text (`described`)."""

import datetime as dt
import unicodedata

import pytest
from django.utils import timezone

from cases.exports.filters import CaseExportFilter, described
from cases.models import Family, GovernmentContact, Person, Petition, Separation
from tests.factories import (
    FamilyFactory,
    GovernmentContactFactory,
    MembershipFactory,
    PersonFactory,
    SeparationFactory,
    TeamFactory,
    UserFactory,
)
from tests.public.conftest import make_petition

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def moment(year: int, month: int, day: int) -> dt.datetime:
    return dt.datetime(year, month, day, 12, tzinfo=dt.UTC)


@pytest.fixture
def cases():
    """Three cases, A, B and C, that differ in every filter.

    A: active, Belgium, team North, caseworker "kamila"; one separation reported of a
       man detained in a camp; asked Belgium, no answer, follow-up overdue; a published
       petition; opened 2024-01-15, updated 2024-02-01.
    B: advocacy, Netherlands, team South, caseworker "yusup"; verified separation of a
       woman imprisoned elsewhere in China; the Netherlands stated something; a draft
       petition; opened 2025-06-01, updated 2025-07-01.
    C: intake, Belgium, no team, nobody assigned; two separations, one reported of
       someone at home, one verified of someone detained in a camp; asked the United
       States, answered, follow-up due later; opened 2026-01-10, updated today.
    """
    north, south = TeamFactory(name="North"), TeamFactory(name="South")
    kamila, yusup = UserFactory(username="kamila"), UserFactory(username="yusup")
    a = FamilyFactory(reference="T-A", status=Family.Status.ACTIVE, host_country="BE", team=north)
    b = FamilyFactory(reference="T-B", status=Family.Status.ADVOCACY, host_country="NL", team=south)
    c = FamilyFactory(reference="T-C", name="Sawut", status=Family.Status.INTAKE, host_country="BE")
    a.caseworkers.set([kamila])
    b.caseworkers.set([yusup])

    MembershipFactory(family=a, person=PersonFactory(name_latin="Mähmut Ömer"))
    camp, region = Person.Condition.DETAINED_IN_CAMP, Person.Whereabouts.UYGHUR_REGION
    reported, verified = Separation.Status.REPORTED, Separation.Status.VERIFIED
    for family, status, condition, whereabouts, names in [
        (a, reported, camp, region, {}),
        (
            b,
            verified,
            Person.Condition.IMPRISONED,
            Person.Whereabouts.ELSEWHERE_IN_CHINA,
            {"name_latin": "", "name_uyghur": "ئابلەت تۇرسۇن", "name_chinese": "阿布来提"},
        ),
        (c, reported, Person.Condition.AT_HOME, region, {}),
        (c, verified, camp, region, {"name_latin": "Abliz Qadir", "aliases": "Ablez Kadirov"}),
    ]:
        relative = PersonFactory(condition=condition, whereabouts=whereabouts, **names)
        SeparationFactory(family=family, person=relative, status=status)

    GovernmentContactFactory(
        family=a, government="BE", follow_up_on=dt.date(2024, 2, 1), response_on=""
    )
    GovernmentContactFactory(
        family=b, government="NL", direction=GovernmentContact.Direction.THEY_STATED
    )
    GovernmentContactFactory(
        family=c,
        government="US",
        response_on="2024-03",
        follow_up_on=TODAY + dt.timedelta(days=10),
    )
    make_petition("for-a", family=a)
    make_petition("for-b", family=b, publish=False)
    assert Petition.objects.get(slug="for-a").status == Petition.Status.PUBLISHED

    for family, opened, updated in [
        (a, moment(2024, 1, 15), moment(2024, 2, 1)),
        (b, moment(2025, 6, 1), moment(2025, 7, 1)),
        (c, moment(2026, 1, 10), timezone.now()),
    ]:
        Family.objects.filter(pk=family.pk).update(created_at=opened, updated_at=updated)
    return {"a": a, "b": b, "c": c, "north": north, "kamila": kamila}


def matching(data) -> list[str]:
    filterset = CaseExportFilter(data, queryset=Family.objects.all())
    assert filterset.is_valid(), filterset.errors
    return sorted(filterset.qs.values_list("reference", flat=True))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, ["T-A", "T-B", "T-C"]),
        ({"status": ["active", "intake"]}, ["T-A", "T-C"]),
        ({"separation_status": ["verified"]}, ["T-B", "T-C"]),
        ({"condition": ["detained_in_camp"]}, ["T-A", "T-C"]),
        ({"condition": ["imprisoned", "missing"]}, ["T-B"]),
        ({"whereabouts": ["elsewhere_in_china"]}, ["T-B"]),
        # One separation must match every separation filter given: C's reported
        # relative is at home, its relative in a camp is verified.
        ({"separation_status": ["reported"], "condition": ["detained_in_camp"]}, ["T-A"]),
        ({"separation_status": ["verified"], "whereabouts": ["uyghur_region"]}, ["T-C"]),
        ({"host_country": ["BE"]}, ["T-A", "T-C"]),
        ({"host_country": ["NL", "BE"]}, ["T-A", "T-B", "T-C"]),
        ({"government": ["US"]}, ["T-C"]),
        ({"government": ["BE", "NL"]}, ["T-A", "T-B"]),
        ({"opened_after": "2025-01-01"}, ["T-B", "T-C"]),
        ({"opened_after": "2024-01-15", "opened_before": "2024-01-15"}, ["T-A"]),
        ({"updated_before": "2025-07-01"}, ["T-A", "T-B"]),
        ({"updated_after": "2025-07-02"}, ["T-C"]),
        ({"open_petition": "true"}, ["T-A"]),
        ({"open_petition": "false"}, ["T-B", "T-C"]),
        ({"awaiting_response": "true"}, ["T-A"]),
        ({"awaiting_response": "false"}, ["T-B", "T-C"]),
        ({"follow_up_overdue": "true"}, ["T-A"]),
        ({"follow_up_overdue": "false"}, ["T-B", "T-C"]),
        ({"references": "T-A,T-C"}, ["T-A", "T-C"]),
        ({"references": "T-B", "host_country": ["BE"]}, []),
    ],
)
def test_each_filter_narrows_to_the_cases_known_by_hand(cases, data, expected):
    assert matching(data) == expected


def test_the_team_and_caseworker_filters_narrow_to_their_cases(cases):
    assert matching({"team": cases["north"].pk}) == ["T-A"]
    assert matching({"caseworker": cases["kamila"].pk}) == ["T-A"]


def test_a_case_with_several_matching_records_is_counted_once(cases):
    GovernmentContactFactory(family=cases["a"], government="BE")

    filterset = CaseExportFilter({"government": ["BE"]}, queryset=Family.objects.all())

    assert filterset.qs.count() == 1


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("Mähmut", ["T-A"]),  # Latin, with diacritics
        (unicodedata.normalize("NFD", "Mähmut Ömer"), ["T-A"]),  # typed decomposed
        ("ئابلەت", ["T-B"]),  # Uyghur script
        (unicodedata.normalize("NFD", "ئابلەت"), ["T-B"]),  # ئ as ي + hamza above
        ("阿布来提", ["T-B"]),  # Chinese
        ("布来", ["T-B"]),  # part of a Chinese name
        ("Kadirov", ["T-C"]),  # an alias
        ("Sawut", ["T-C"]),  # the case name
        ("t-b", ["T-B"]),  # the reference
        ("Nobody Known", []),
        ("\u200f  ", ["T-A", "T-B", "T-C"]),  # only a direction mark and spaces: no filter
    ],
)
def test_free_text_finds_a_person_by_any_name_in_any_script(cases, term, expected):
    assert matching({"q": term}) == expected


def test_names_are_stored_composed_so_a_decomposed_search_has_something_to_find(cases):
    names = Person.objects.values_list("name_latin", "name_uyghur")

    assert ("Mähmut Ömer", "") in names
    assert all(unicodedata.is_normalized("NFC", name) for pair in names for name in pair)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"status": ["nonsense"]}, "status"),
        ({"separation_status": ["gone"]}, "separation_status"),
        ({"condition": ["happy"]}, "condition"),
        ({"host_country": ["XX"]}, "host_country"),
        ({"government": ["ZZ"]}, "government"),
        ({"opened_after": "not a date"}, "opened"),
        ({"updated_before": "2024-13-45"}, "updated"),
        ({"team": "999999"}, "team"),
        ({"team": "north"}, "team"),
        ({"caseworker": "abc"}, "caseworker"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_an_invalid_value_is_a_form_error_not_an_exception(cases, data, field):
    filterset = CaseExportFilter(data, queryset=Family.objects.all())

    assert not filterset.is_valid()
    assert field in filterset.errors
    filterset.qs.count()  # evaluates without raising


def test_the_audit_text_names_the_filters_but_never_the_typed_name(cases):
    filterset = CaseExportFilter(
        {
            "q": "Abliz Qadir",
            "status": ["active", "intake"],
            "host_country": ["BE"],
            "opened_after": "2024-01-01",
            "team": cases["north"].pk,
            "awaiting_response": "true",
        },
        queryset=Family.objects.all(),
    )
    assert filterset.is_valid()

    text = described(filterset)

    assert "Abliz" not in text
    assert "Qadir" not in text
    assert text == (
        "awaiting_response=True host_country=BE opened=2024-01-01.. "
        f"q=<11 characters> status=active,intake team={cases['north'].pk}"
    )


def test_the_audit_text_of_no_filter_is_empty(cases):
    filterset = CaseExportFilter({}, queryset=Family.objects.all())
    assert filterset.is_valid()

    assert described(filterset) == ""

"""Possible duplicates: the same relative entered twice, under another spelling or
script, is found with a score and the reason; a match on a case the reader cannot open
says only that it exists. Every person here is fictional."""

import pytest
from django.urls import reverse

from cases.matching import THRESHOLD, duplicates_of, possible_duplicates, score
from cases.models import Person
from tests.factories import FamilyFactory, MembershipFactory, PersonFactory

pytestmark = pytest.mark.django_db


def person(**names):
    return PersonFactory(**{"name_latin": "", **names})


def on_case_of(user, someone, **family):
    family = FamilyFactory(**family)
    family.caseworkers.add(user)
    MembershipFactory(family=family, person=someone)
    return family


def test_the_same_name_in_uyghur_script_scores_highest_and_says_so(worker):
    recorded = person(name_uyghur="مەمەتجان تۇرسۇن", birth_date="1990")
    on_case_of(worker, recorded)

    [match] = possible_duplicates(user=worker, names=["مەمەتجان تۇرسۇن"], birth_year=1990)

    assert match.person == recorded
    assert match.score == 100
    assert match.reasons[0] == "same name in Uyghur script"
    assert "born the same year" in match.reasons


def test_another_spelling_in_another_script_is_found_with_its_reason(worker):
    recorded = person(name_latin="Memetjan Tursun", name_chinese="买买提江·吐尔逊")
    on_case_of(worker, recorded)

    [match] = possible_duplicates(user=worker, names=["Mamutjan Tursun"], birth_year=None)

    assert match.person == recorded
    assert match.score == 90
    assert match.reasons == ("same name in another spelling (Mamutjan Tursun, Memetjan Tursun)",)


def test_a_birth_year_one_apart_is_named_as_a_reason_and_costs_nothing(worker):
    recorded = person(name_latin="Gulnar Abdurehim", birth_date="1986")
    on_case_of(worker, recorded)

    [match] = possible_duplicates(user=worker, names=["Gülnar Abdurahim"], birth_year=1987)

    assert match.score == 90
    assert "birth year differs by 1" in match.reasons


def test_a_birth_year_far_apart_lowers_the_score(worker):
    recorded = person(name_latin="Gulnar Abdurehim", birth_date="1950")

    near, _reasons = score(["Gulnar Abdurehim"], recorded, birth_year=1951)
    far, reasons = score(["Gulnar Abdurehim"], recorded, birth_year=1990)

    assert far == near - 15
    assert "born 40 years apart" in reasons


def test_a_different_name_is_not_a_possible_duplicate(worker):
    on_case_of(worker, person(name_latin="Yunus Tursun"))

    assert possible_duplicates(user=worker, names=["Abdukerim Memet"]) == []


def test_a_similar_but_different_spelling_scores_below_the_same_key(worker):
    # Turghun and 吐尔洪 (Tu-er-hong) do not fold onto one key: fuzzy comparison finds them.
    recorded = person(name_latin="Turghun Ehmet")
    on_case_of(worker, recorded)

    [match] = possible_duplicates(user=worker, names=["吐尔洪·艾合买提"])

    assert THRESHOLD <= match.score < 90
    assert match.reasons[0].startswith("similar name")


def test_a_match_on_a_case_the_reader_cannot_open_shows_no_name_or_reason(worker, other_worker):
    hidden = person(name_latin="Memetjan Tursun", name_uyghur="مەمەتجان تۇرسۇن")
    on_case_of(other_worker, hidden, restricted=True)

    [match] = possible_duplicates(user=worker, names=["Memetjan Tursun"], birth_year=1990)

    assert match.hidden
    assert match.person is None
    assert match.reasons == (
        "A possible match exists in a case you cannot open; ask a supervisor.",
    )
    shown = repr(match)
    assert "Memetjan" not in shown
    assert "مەمەتجان" not in shown


def test_duplicates_of_a_recorded_person_leave_out_that_person(worker):
    one = person(name_latin="Ablikim Qadir", birth_date="2001")
    other = person(name_latin="Ablekim Kadir", birth_date="2001")
    on_case_of(worker, one)
    on_case_of(worker, other)

    [match] = duplicates_of(one, user=worker)

    assert match.person == other


def test_name_keys_are_kept_on_every_save():
    someone = person(name_latin="Yusup", aliases="Юсуп\n玉素甫")
    assert someone.name_keys == " ysp "

    someone.name_latin = "Yusup Memet"
    someone.save()
    someone.refresh_from_db()

    assert someone.name_keys == " mmt ysp "
    assert Person.objects.filter(name_keys__contains=" mmt ").get() == someone


# --- In the admin -------------------------------------------------------------------------

PERSON_ADD = reverse("admin:cases_person_add")


@pytest.fixture
def recorded_on_my_case(caseworker):
    someone = person(name_latin="Memetjan Tursun", name_uyghur="مەمەتجان تۇرسۇن", birth_date="1990")
    on_case_of(caseworker, someone)
    return someone


def test_adding_a_person_recorded_under_another_spelling_asks_first(
    caseworker_client, admin_form, recorded_on_my_case
):
    data = admin_form(caseworker_client.get(PERSON_ADD))
    data.update(name_chinese="买买提江·吐尔逊", birth_date="1991")

    response = caseworker_client.post(PERSON_ADD, data)

    assert response.status_code == 200
    [heading, line] = response.context["adminform"].form.errors["not_a_duplicate"]
    assert heading.startswith("Possible duplicates")
    assert "Memetjan Tursun" in line
    assert "90%" in line
    assert "birth year differs by 1" in line
    assert Person.objects.count() == 1


def test_a_person_confirmed_as_someone_else_is_saved(
    caseworker_client, admin_form, recorded_on_my_case
):
    data = admin_form(caseworker_client.get(PERSON_ADD))
    data.update(name_chinese="买买提江·吐尔逊", not_a_duplicate="on")

    response = caseworker_client.post(PERSON_ADD, data)

    assert response.status_code == 302
    assert Person.objects.count() == 2


def test_a_person_page_lists_their_possible_duplicates(caseworker_client, caseworker):
    one = person(name_latin="Ablikim Qadir")
    other = person(name_uyghur="ئابلىكىم قادىر")
    on_case_of(caseworker, one)
    on_case_of(caseworker, other)

    response = caseworker_client.get(reverse("admin:cases_person_change", args=[one.pk]))

    [match] = response.context["possible_duplicates"]
    assert match.person == other
    assert reverse("admin:cases_person_change", args=[other.pk]) in response.text


@pytest.mark.parametrize("term", ["Mamutjan", "买买提江", "Мәмәтжан турсун"])
def test_the_admin_searches_find_a_person_under_any_spelling(
    caseworker_client, recorded_on_my_case, term
):
    people = caseworker_client.get(reverse("admin:cases_person_changelist"), {"q": term})
    families = caseworker_client.get(reverse("admin:cases_family_changelist"), {"q": term})

    assert list(people.context["cl"].result_list) == [recorded_on_my_case]
    assert [f.pk for f in families.context["cl"].result_list] == [
        recorded_on_my_case.families.get().pk
    ]

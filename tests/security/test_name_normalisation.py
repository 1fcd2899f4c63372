"""Text that means the same is stored the same; a name holds only what a name may hold;
every name is shown isolated. Found by an outside attack run (issue 6)."""

import importlib
import json
import unicodedata

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from cases.models import Family, GovernmentContact, Person, Team
from cases.text import FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE, isolate
from tests.factories import FamilyFactory, MembershipFactory, PersonFactory, TeamFactory

pytestmark = pytest.mark.django_db

PERSON_ADD = reverse("admin:cases_person_add")
FAMILY_ADD = reverse("admin:cases_family_add")

# ئادىل with its first letter typed as YEH + HAMZA ABOVE (NFD), as some keyboards send it.
UYGHUR_NFC = "ئادىل"
UYGHUR_NFD = unicodedata.normalize("NFD", UYGHUR_NFC)
LATIN_NFD = unicodedata.normalize("NFD", "Gülnar Éhmet")


def test_the_two_uyghur_spellings_really_differ_before_normalisation():
    assert UYGHUR_NFD != UYGHUR_NFC
    assert "\u0654" in UYGHUR_NFD


@pytest.fixture
def post_form(caseworker_client, admin_form):
    def post(url, **fields):
        data = admin_form(caseworker_client.get(url))
        data.update(fields)
        return caseworker_client.post(url, data)

    return post


def test_a_name_typed_in_nfd_is_stored_in_nfc(post_form):
    response = post_form(
        PERSON_ADD, name_latin=LATIN_NFD, name_uyghur=UYGHUR_NFD, aliases=f"{UYGHUR_NFD}\nAdili"
    )

    assert response.status_code == 302
    person = Person.objects.get()
    assert person.name_uyghur == UYGHUR_NFC
    assert person.name_latin == "Gülnar Éhmet"
    assert person.aliases == f"{UYGHUR_NFC}\nAdili"


def test_a_name_saved_from_code_is_stored_in_nfc():
    person = PersonFactory(name_latin=LATIN_NFD, name_uyghur=UYGHUR_NFD)

    person.refresh_from_db()
    assert person.name_uyghur == UYGHUR_NFC
    assert Family.objects.filter(pk=FamilyFactory(name=LATIN_NFD).pk, name="Gülnar Éhmet").exists()


@pytest.mark.parametrize(
    ("stored", "searched"), [(UYGHUR_NFD, UYGHUR_NFC), (UYGHUR_NFC, UYGHUR_NFD)]
)
def test_search_finds_a_name_whichever_form_either_was_typed_in(
    caseworker_client, post_form, stored, searched
):
    post_form(PERSON_ADD, name_latin="Adil Yasin", name_uyghur=stored)
    family = FamilyFactory()
    MembershipFactory(family=family, person=Person.objects.get())

    people = caseworker_client.get(reverse("admin:cases_person_changelist"), {"q": searched})
    families = caseworker_client.get(reverse("admin:cases_family_changelist"), {"q": searched})

    assert list(people.context["cl"].result_list) == [Person.objects.get()]
    assert list(families.context["cl"].result_list) == [family]


def test_search_ignores_hidden_characters_in_the_term(caseworker_client):
    person = PersonFactory(name_latin="Adil Yasin")

    response = caseworker_client.get(
        reverse("admin:cases_person_changelist"), {"q": "Ad\u200bil\u200f"}
    )

    assert list(response.context["cl"].result_list) == [person]


def test_existing_rows_are_normalised_by_the_migration():
    person = PersonFactory(name_latin="Adil")
    family = FamilyFactory()
    with connection.cursor() as cursor:  # as rows stood before: written as typed
        cursor.execute(
            "UPDATE cases_person SET name_uyghur = %s, aliases = %s WHERE id = %s",
            [UYGHUR_NFD, f"  {UYGHUR_NFD}\u00a0x \r\n\r\nAdili", person.pk],
        )
        cursor.execute(
            "UPDATE cases_family SET name = %s WHERE id = %s", [f"\u200f{LATIN_NFD}", family.pk]
        )
    migration = importlib.import_module(
        "cases.migrations.0007_normalise_names_edit_versions_submission_keys"
    )

    migration.normalise_stored_names(apps, None)

    with connection.cursor() as cursor:
        cursor.execute("SELECT name_uyghur, aliases FROM cases_person WHERE id = %s", [person.pk])
        assert cursor.fetchone() == (UYGHUR_NFC, f"{UYGHUR_NFC} x\nAdili")
        cursor.execute("SELECT name FROM cases_family WHERE id = %s", [family.pk])
        assert cursor.fetchone() == ("Gülnar Éhmet",)


# What the attack run got stored in person names, and what each must become.
REFUSED_IN_NAMES = {
    "\u034f": "combining grapheme joiner",
    "\ufe0f": "variation selector",
    "\U000e0061": "tag letter a",
    "\u17b4": "Khmer inherent vowel (invisible)",
    "\u2800": "braille blank",
    "\u2028": "line separator",
    "\u200b": "zero-width space",
    "\u202e": "right-to-left override",
    "\u0007": "control character",
    "<": "markup",
}
DROPPED_FROM_NAMES = ["\u200e", "\u200f", "\u061c"]  # direction marks: LRM, RLM, ALM


@pytest.mark.parametrize("char", REFUSED_IN_NAMES, ids=REFUSED_IN_NAMES.values())
@pytest.mark.parametrize("field", ["name_latin", "name_uyghur", "name_chinese", "aliases"])
def test_characters_no_name_holds_are_refused_with_their_code_point(post_form, field, char):
    value = {
        "name_latin": "Adil",
        "name_uyghur": "ئادىل",
        "name_chinese": "阿迪力",
        "aliases": "Adili",
    }
    typed = value[field][:2] + char + value[field][2:]

    response = post_form(PERSON_ADD, **{"name_latin": "Adil Yasin", field: typed})

    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.errors[field])
    assert f"U+{ord(char):04X}" in errors
    assert not Person.objects.exists()


@pytest.mark.parametrize("char", DROPPED_FROM_NAMES)
def test_direction_marks_are_dropped_from_names(post_form, char):
    response = post_form(
        PERSON_ADD,
        name_latin=f"Adil{char} Yasin",
        name_uyghur=f"ئادىل{char}",
        aliases=f"{char}Adili",
    )

    assert response.status_code == 302
    person = Person.objects.get()
    assert (person.name_latin, person.name_uyghur, person.aliases) == (
        "Adil Yasin",
        "ئادىل",
        "Adili",
    )


def test_every_kind_of_space_is_stored_as_one_plain_space(post_form):
    response = post_form(
        PERSON_ADD, name_latin=" Adil\u00a0\u00a0Yasin\u3000", name_chinese="阿迪力\u2009"
    )

    assert response.status_code == 302
    person = Person.objects.get()
    assert (person.name_latin, person.name_chinese) == ("Adil Yasin", "阿迪力")


def test_zwnj_which_uyghur_and_persian_spellings_need_is_kept(post_form):
    name = "می\u200cخواهم"

    response = post_form(PERSON_ADD, name_latin="Adil Yasin", name_uyghur=name)

    assert response.status_code == 302
    assert Person.objects.get().name_uyghur == name


@pytest.mark.parametrize(
    ("value", "code_point"),
    [
        ("Yasin\u202e family", "U+202E"),
        ("Ya\u200bsin family", "U+200B"),
        ("Yаsin family", "U+0430"),  # a Cyrillic а among Latin letters
        ("Yasin\u2028family", "U+2028"),
    ],
)
def test_the_case_name_refuses_hidden_characters_and_mixed_scripts(post_form, value, code_point):
    response = post_form(FAMILY_ADD, name=value, status="intake")

    assert response.status_code == 200
    assert code_point in " ".join(response.context["adminform"].form.errors["name"])
    assert not Family.objects.exists()


def test_a_case_name_may_use_several_scripts_word_by_word(post_form):
    response = post_form(FAMILY_ADD, name="Yasin ياسىن Ясин 雅辛", status="intake")

    assert response.status_code == 302
    assert Family.objects.get().name == "Yasin ياسىن Ясин 雅辛"


@pytest.mark.parametrize(
    ("model", "field", "others"),
    [
        (GovernmentContact, "official", {}),
        (GovernmentContact, "body", {}),
        (Team, "name", {}),
        (Person, "aliases", {}),
    ],
)
@pytest.mark.parametrize("value", ["Min\u202eister", "Minister \U000e0061", "Мinister"])
def test_every_name_like_field_refuses_the_same(model, field, others, value):
    with pytest.raises(ValidationError) as refused:
        model._meta.get_field(field).clean(value, None)

    assert refused.value.messages


def test_a_name_like_field_normalises_what_code_saves():
    team = TeamFactory(name=f"Team\u00a0{LATIN_NFD}\u200e")

    team.refresh_from_db()
    assert team.name == "Team Gülnar Éhmet"


def _text_between(html: str, start: str, end: str) -> str:
    return html.split(start, 1)[1].split(end, 1)[0]


def test_a_case_name_is_shown_isolated_in_title_breadcrumb_heading_list_and_autocomplete(
    caseworker_client,
):
    # Stored before the validators existed (or imported): an override inside.
    family = FamilyFactory(name="Yasin")
    Family.objects.filter(pk=family.pk).update(name="Yasin\u202etsila")
    family.refresh_from_db()
    shown = isolate("Yasintsila")

    change = caseworker_client.get(reverse("admin:cases_family_change", args=[family.pk]))
    listing = caseworker_client.get(reverse("admin:cases_family_changelist"))
    autocomplete = caseworker_client.get(
        reverse("admin:autocomplete"),
        {"app_label": "cases", "model_name": "separation", "field_name": "family", "term": "Yas"},
    )

    page = change.content.decode()
    # Only the name's own input shows it as stored, for the caseworker to correct.
    assert page.count("\u202e") == 1
    assert 'value="Yasin\u202etsila"' in page
    assert shown in _text_between(page, "<title>", "</title>")
    assert shown in _text_between(page, '<ol class="breadcrumbs">', "</ol>")
    assert shown in _text_between(page, "<h2>", "</h2>")
    assert shown in listing.content.decode()
    assert "\u202e" not in listing.content.decode()
    results = json.loads(autocomplete.content)["results"]
    assert [item["text"] for item in results] == [str(family)]
    assert (
        str(family)
        == f"{family.reference} {FIRST_STRONG_ISOLATE}Yasintsila{POP_DIRECTIONAL_ISOLATE}"
    )


def test_people_names_in_the_list_are_isolated(caseworker_client):
    person = PersonFactory(name_latin="Adil", name_uyghur="ئادىل", name_chinese="阿迪力")

    page = caseworker_client.get(reverse("admin:cases_person_changelist")).content.decode()

    for name in (person.name_latin, person.name_uyghur, person.name_chinese):
        assert isolate(name) in page


@pytest.mark.parametrize(("typed", "error"), [("Sa\u202era", "U+202E"), ("Sаra", "U+0430")])
def test_staff_names_are_checked_like_every_other_name(
    client, login, supervisor, admin_form, typed, error
):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create(username="newcomer", is_staff=True)
    login(client, supervisor)
    url = reverse("admin:auth_user_change", args=[user.pk])
    data = admin_form(client.get(url))
    data["first_name"] = typed

    response = client.post(url, data)

    assert response.status_code == 200
    assert error in " ".join(response.context["adminform"].form.errors["first_name"])


def test_a_staff_name_is_stored_normalised():
    from django.contrib.admin.sites import site
    from django.contrib.auth import get_user_model

    field = site._registry[get_user_model()].formfield_for_dbfield(
        get_user_model()._meta.get_field("first_name"), request=None
    )

    assert field.clean(f"  {LATIN_NFD}\u200f ") == "Gülnar Éhmet"

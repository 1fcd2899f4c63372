"""Unicode abuse in names: direction overrides, invisible characters, look-alike letters."""

import pytest
from django.urls import reverse

from cases.models import Person
from cases.text import isolate
from tests.factories import FamilyFactory, MembershipFactory
from tests.security.hostile import BIDI_CONTROLS, LOOKALIKE_LATIN_NAME, RLO, ZERO_WIDTH

pytestmark = pytest.mark.django_db

PERSON_ADD = reverse("admin:cases_person_add")


@pytest.fixture
def person_form(caseworker_client, admin_form):
    data = admin_form(caseworker_client.get(PERSON_ADD))

    def post(**fields):
        data.update(fields)
        return caseworker_client.post(PERSON_ADD, data)

    return post


@pytest.mark.parametrize("char", BIDI_CONTROLS + ZERO_WIDTH)
@pytest.mark.parametrize("field", ["name_latin", "name_uyghur", "aliases"])
def test_hidden_characters_in_a_name_get_a_clear_error(person_form, char, field):
    value = {"name_latin": "Adil Yasin", "name_uyghur": "ئادىل", "aliases": "Adili"}[field]

    response = person_form(**{"name_latin": "Adil Yasin", field: value[:2] + char + value[2:]})

    assert response.status_code == 200
    error = response.context["adminform"].form.errors[field][0]
    assert f"U+{ord(char):04X}" in error
    assert not Person.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "letter"),
    [
        ("name_latin", LOOKALIKE_LATIN_NAME, "U+0410"),
        ("name_latin", "Adil Υasin", "U+03A5"),  # Greek capital upsilon
        ("name_uyghur", "ئادىل Adil", "U+0041"),
        ("name_chinese", "阿迪力·Adil", "U+0041"),
    ],
)
def test_a_letter_from_another_script_gets_a_clear_error(person_form, field, value, letter):
    response = person_form(**{"name_latin": "Adil Yasin", field: value})

    assert response.status_code == 200
    assert letter in response.context["adminform"].form.errors[field][0]
    assert not Person.objects.exists()


def test_real_names_in_each_script_are_accepted(person_form):
    response = person_form(
        name_latin="Gülnar Éhmet-Ötkür",
        name_uyghur="گۈلنار ئەھمەت",
        name_chinese="古丽娜尔·艾合买提",
        aliases="Гульнар Ахмет\nGulnar Ehmet",  # Cyrillic spellings are real aliases
    )

    assert response.status_code == 302
    assert Person.objects.get().name_uyghur == "گۈلنار ئەھمەت"


def test_a_stored_override_cannot_reorder_the_text_around_a_name(caseworker_client):
    # A name that arrived before the validators (or through an import) still shows safely.
    family = FamilyFactory()
    person = MembershipFactory(family=family, person__name_latin=f"Adil{RLO}nisaY").person

    html = caseworker_client.get(
        reverse("admin:cases_family_change", args=[family.pk])
    ).content.decode()

    assert RLO not in html
    assert str(person) == isolate("AdilnisaY")
    assert str(person).startswith("\u2068")
    assert str(person).endswith("\u2069")

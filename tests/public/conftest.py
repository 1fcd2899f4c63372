"""Fictional petitions and families for the public pages' tests. Never real people."""

import pytest

from cases import petitions, services
from cases.models import Person, Petition, PetitionText, Signature
from tests.factories import FamilyFactory, MembershipFactory, PersonFactory, SeparationFactory

UG_TITLE = "ئائىلىلەرنى قايتا ئۇچراشتۇرۇڭ"


def consent(person: Person, value: str) -> Person:
    return services.person_record_consent(person=person, consent=value, actor=None)


@pytest.fixture
def family():
    """A family abroad: the mother agreed to be named, her son inside China to be
    described without his name, her sister to nothing at all."""
    family = FamilyFactory(
        name="Tursun",
        public_summary="Gulnar Tursun has not heard from her son since 2017.",
    )
    mother = PersonFactory(name_latin="Gulnar Tursun", name_uyghur="گۈلنار تۇرسۇن")
    son = PersonFactory(name_latin="Ilham Tursun", name_chinese="伊力哈木")
    aunt = PersonFactory(
        name_latin="Ayshem Kadir", name_uyghur="ئايشەم قادىر", aliases="Aysham Qadir"
    )
    MembershipFactory(family=family, person=mother, role="mother")
    MembershipFactory(family=family, person=son, role="child")
    MembershipFactory(family=family, person=aunt, role="other")
    consent(mother, Person.Consent.NAMED)
    consent(son, Person.Consent.ANONYMISED)
    SeparationFactory(family=family, person=son, since="2017")
    family.people = {"mother": mother, "son": son, "aunt": aunt}
    return family


def make_petition(slug="reunite-the-tursuns", *, family=None, publish=True, **fields):
    petition = Petition.objects.create(
        slug=slug,
        addressee_name="Minister Example",
        addressee_title="Minister for Foreign Affairs",
        addressee_body="Department of Foreign Affairs",
        addressee_government="BE",
        addressee_address="Rue Exemple 1\n1000 Brussels",
        salutation="Dear Minister",
        goal=None,
        **fields,
    )
    PetitionText.objects.create(
        petition=petition,
        language="en",
        title="Reunite the Tursun family",
        summary="A mother in Belgium asks for news of her son.",
        letter="We write to you about a family kept apart.\n\nPlease act.",
        demands="Ask for proof of life\nRaise the case publicly",
    )
    PetitionText.objects.create(
        petition=petition,
        language="ug",
        title=UG_TITLE,
        summary="بىر ئانا ئوغلىدىن خەۋەر سورايدۇ.",
        letter="بىز سىزگە يازىمىز.",
        demands="",
    )
    if family is not None:
        petition.families.add(family)
    if publish:
        petitions.petition_publish(petition=petition, actor=None)
    return petition


@pytest.fixture
def petition(family):
    return make_petition(family=family)


def sign(petition, n, *, country="BE", state=Signature.State.CONFIRMED, start=0, **fields):
    return Signature.objects.bulk_create(
        Signature(
            petition=petition,
            name=f"Signer{start + i} Quellstrom",
            email=f"signer{start + i}.{country.lower()}@example.org",
            email_canonical=f"signer{start + i}.{country.lower()}@example.org",
            country=country,
            state=state,
            **fields,
        )
        for i in range(n)
    )

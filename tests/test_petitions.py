"""Petitions on the staff side: status changes through services, on the linked cases'
timelines; delivery as a government contact; moderation; batch counting."""

import pytest
from django.core.exceptions import ValidationError

from cases import petitions
from cases.models import (
    AuditEvent,
    GovernmentContact,
    Petition,
    PetitionEvent,
    PetitionText,
    Signature,
    SignatureInvalidation,
    goals_reached,
    next_goal,
)
from cases.partial_dates import PartialDate
from cases.public import counting
from cases.timeline import ItemKind, case_timeline
from tests.factories import FamilyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def petition(caseworker):
    petition = Petition.objects.create(
        slug="bring-them-home",
        addressee_name="Minister Example",
        addressee_title="Minister for Foreign Affairs",
        addressee_body="Department of Foreign Affairs",
        addressee_government="AU",
    )
    PetitionText.objects.create(
        petition=petition, language="en", title="Bring them home", summary="S", letter="L"
    )
    petition.families.add(FamilyFactory())
    return petition


def sign(petition, n, state=Signature.State.CONFIRMED, domain="example.org", country="AU"):
    return Signature.objects.bulk_create(
        Signature(
            petition=petition,
            name=f"Signer {i}",
            email=f"signer{i}@{domain}",
            email_canonical=f"signer{i}@{domain}",
            country=country,
            state=state,
        )
        for i in range(n)
    )


@pytest.mark.parametrize(
    ("count", "explicit", "goal"),
    [
        (0, None, 100),
        (99, None, 100),
        (100, None, 500),
        (7_400, None, 7_500),
        (0, 300, 300),
        (300, 300, 500),
        (120_000, None, 200_000),
    ],
)
def test_goals_step_up_as_they_are_reached(count, explicit, goal):
    assert next_goal(count, explicit) == goal


def test_goals_reached_include_the_petitions_own():
    assert goals_reached(650, 600) == [100, 500, 600]


def test_publishing_puts_the_petition_on_the_cases_timeline(petition, caseworker):
    petitions.petition_publish(petition=petition, actor=caseworker)

    family = petition.families.get()
    [item] = [i for i in case_timeline(family, public=True) if i.kind == ItemKind.PETITION]
    assert item.title == "Petition bring-them-home: Published"
    assert AuditEvent.objects.filter(object_type="cases.petition", fields=["status"]).exists()


def test_a_petition_without_a_text_in_its_fallback_language_cannot_be_published(petition):
    petition.texts.all().delete()

    with pytest.raises(ValidationError):
        petitions.petition_publish(petition=petition, actor=None)

    petition.refresh_from_db()
    assert petition.status == Petition.Status.DRAFT
    assert not PetitionEvent.objects.exists()


def test_a_draft_cannot_be_delivered(petition):
    with pytest.raises(ValidationError):
        petitions.petition_record_delivery(
            petition=petition, actor=None, delivered_on=PartialDate(2026, 11)
        )

    assert not GovernmentContact.objects.exists()


def test_delivery_is_a_government_contact_on_every_linked_case(petition, caseworker):
    petition.families.add(FamilyFactory())
    petitions.petition_publish(petition=petition, actor=caseworker)
    petitions.petition_close(petition=petition, actor=caseworker)

    contacts = petitions.petition_record_delivery(
        petition=petition, actor=caseworker, delivered_on=PartialDate(2026, 11, 20)
    )

    assert {c.family for c in contacts} == set(petition.families.all())
    assert all(c.official == "Minister Example, Minister for Foreign Affairs" for c in contacts)
    petition.refresh_from_db()
    assert petition.status == Petition.Status.DELIVERED


def test_the_response_must_be_a_contact_on_a_linked_case(petition, caseworker):
    petitions.petition_publish(petition=petition, actor=caseworker)
    petitions.petition_close(petition=petition, actor=caseworker)
    [contact] = petitions.petition_record_delivery(
        petition=petition, actor=caseworker, delivered_on=PartialDate(2026, 11)
    )
    elsewhere = GovernmentContact.objects.create(
        family=FamilyFactory(),
        body_kind="other",
        body="Other",
        contacted_on="2026",
        direction="they_stated",
        channel="letter",
        summary="x",
    )

    with pytest.raises(ValidationError):
        petitions.petition_record_response(petition=petition, contact=elsewhere, actor=None)
    petitions.petition_record_response(petition=petition, contact=contact, actor=caseworker)

    petition.refresh_from_db()
    assert (petition.status, petition.response) == (Petition.Status.RESPONDED, contact)


def test_counting_counts_confirmed_signatures_only_and_records_goals_once(petition):
    sign(petition, 120)
    sign(petition, 7, state=Signature.State.PENDING, domain="pending.example")
    sign(petition, 3, state=Signature.State.SUSPECT, domain="suspect.example")

    assert counting.count_signatures.call(petition_id=petition.pk) == 120
    assert counting.count_signatures.call(petition_id=petition.pk) == 120

    petition.refresh_from_db()
    assert petition.signature_count == 120
    assert list(petition.events.filter(kind="goal").values_list("goal", flat=True)) == [100]


def test_invalidating_by_rule_keeps_the_rows_records_the_rule_and_recounts(
    petition, caseworker, django_capture_on_commit_callbacks
):
    sign(petition, 5)
    sign(petition, 4, domain="spam.example")

    with django_capture_on_commit_callbacks(execute=True):
        record = petitions.signatures_invalidate(
            petition=petition, rule={"email_domain": "spam.example"}, actor=caseworker
        )

    assert record.count == 4
    assert Signature.objects.filter(petition=petition).count() == 9
    assert Signature.objects.filter(state="invalidated").count() == 4
    invalidation = SignatureInvalidation.objects.get()
    assert (invalidation.rule, invalidation.actor) == ({"email_domain": "spam.example"}, caseworker)
    petition.refresh_from_db()
    assert petition.signature_count == 5


@pytest.mark.parametrize("rule", [{}, {"name_pattern": "("}, {"unknown": "x"}])
def test_a_rule_that_names_nothing_or_is_broken_is_refused(petition, caseworker, rule):
    sign(petition, 2)

    with pytest.raises(ValidationError):
        petitions.signatures_invalidate(petition=petition, rule=rule, actor=caseworker)

    assert not Signature.objects.filter(state="invalidated").exists()


def test_accepting_suspect_signatures_counts_the_confirmed_ones(petition, caseworker):
    [confirmed, unconfirmed] = sign(petition, 2, state=Signature.State.SUSPECT)
    Signature.objects.filter(pk=confirmed.pk).update(confirmed_at="2026-11-30T10:00:00Z")

    accepted = petitions.signatures_accept(
        signatures=Signature.objects.filter(petition=petition), actor=caseworker
    )

    assert accepted == 2
    states = dict(Signature.objects.values_list("pk", "state"))
    assert states == {confirmed.pk: "confirmed", unconfirmed.pk: "pending"}


@pytest.mark.parametrize("slug", ["resend", "Confirm", "erase", "unsubscribe"])
def test_a_petition_address_cannot_be_a_word_the_public_urls_use(slug):
    petition = Petition(slug=slug, addressee_name="Minister")

    with pytest.raises(ValidationError) as refused:
        petition.full_clean()

    assert "slug" in refused.value.message_dict

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from cases import services
from cases.models import Family, Person, Separation, StatusChange
from tests.factories import FamilyFactory, PersonFactory, SeparationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_family_create_gives_consecutive_references_for_this_year(caseworker):
    first = services.family_create(family=Family(name="A"), actor=caseworker)
    second = services.family_create(family=Family(name="B"), actor=caseworker)

    year = first.created_at.year
    assert first.reference == f"F-{year}-0001"
    assert second.reference == f"F-{year}-0002"


def test_family_create_puts_the_opening_status_on_the_timeline(caseworker):
    family = services.family_create(family=Family(name="A"), actor=caseworker, note="Intake call")

    change = StatusChange.objects.get(family=family)
    assert (change.from_status, change.to_status) == ("", Family.Status.INTAKE)
    assert (change.actor, change.note) == (caseworker, "Intake call")


def test_references_continue_past_four_digits(caseworker, settings):
    services.family_create(family=Family(name="A"), actor=caseworker)
    year = Family.objects.get().reference.split("-")[1]
    FamilyFactory(reference=f"F-{year}-9999")

    family = services.family_create(family=Family(name="B"), actor=caseworker)
    after = services.family_create(family=Family(name="C"), actor=caseworker)

    assert family.reference == f"F-{year}-10000"
    assert after.reference == f"F-{year}-10001"


def test_family_change_status_records_who_when_from_to_and_why(caseworker):
    family = services.family_create(family=Family(name="A"), actor=caseworker)

    services.family_change_status(
        family=family, status=Family.Status.ADVOCACY, actor=caseworker, note="Letter sent"
    )

    family.refresh_from_db()
    change = StatusChange.objects.latest()
    assert family.status == Family.Status.ADVOCACY
    assert (change.from_status, change.to_status) == (Family.Status.INTAKE, "advocacy")
    assert (change.actor, change.note, change.separation) == (caseworker, "Letter sent", None)
    assert change.to_label == "Advocacy"


def test_setting_the_same_status_again_records_nothing(caseworker):
    family = services.family_create(family=Family(name="A"), actor=caseworker)

    services.family_change_status(family=family, status=Family.Status.INTAKE, actor=caseworker)

    assert StatusChange.objects.filter(family=family).count() == 1


def test_an_unknown_status_is_refused_and_nothing_is_written(caseworker):
    family = services.family_create(family=Family(name="A"), actor=caseworker)

    with pytest.raises(ValidationError) as error:
        services.family_change_status(family=family, status="vanished", actor=caseworker)

    family.refresh_from_db()
    assert "vanished" in error.value.message_dict["status"][0]
    assert family.status == Family.Status.INTAKE
    assert StatusChange.objects.filter(family=family).count() == 1


def test_a_failure_while_recording_the_change_leaves_the_status_unchanged(caseworker):
    family = services.family_create(family=Family(name="A"), actor=caseworker)
    unsaved_actor = UserFactory.build(username="ghost")  # the timeline row cannot be written

    with pytest.raises(ValueError, match="unsaved related object"):
        services.family_change_status(family=family, status="active", actor=unsaved_actor)

    family.refresh_from_db()
    assert family.status == Family.Status.INTAKE
    assert StatusChange.objects.filter(family=family).count() == 1


def test_a_failed_family_create_leaves_no_family_and_no_timeline(caseworker):
    with pytest.raises(ValueError, match="unsaved related object"):
        services.family_create(family=Family(name="A"), actor=UserFactory.build(username="x"))

    assert not Family.objects.exists()
    assert not StatusChange.objects.exists()


def test_family_create_refuses_a_family_that_already_exists(caseworker):
    family = FamilyFactory()

    with pytest.raises(ValueError, match="not saved yet"):
        services.family_create(family=family, actor=caseworker)


def test_reference_collisions_are_retried(caseworker, monkeypatch):
    taken = FamilyFactory(reference="F-2000-0001")
    calls = []

    def stale_then_fresh(year, count):
        calls.append(year)
        return [taken.reference if len(calls) == 1 else "F-2000-0002"]

    monkeypatch.setattr(services, "_next_references", stale_then_fresh)

    family = services.family_create(family=Family(name="B"), actor=caseworker)

    assert family.reference == "F-2000-0002"
    assert len(calls) == 2


def test_separation_status_changes_land_on_the_family_timeline(caseworker):
    family = FamilyFactory()
    separation = services.separation_create(
        separation=Separation(
            family=family, person=PersonFactory(), since="2019-05", circumstance="exit_blocked"
        ),
        actor=caseworker,
    )

    services.separation_change_status(
        separation=separation, status=Separation.Status.VERIFIED, actor=caseworker
    )

    rows = list(StatusChange.objects.filter(family=family).values_list("from_status", "to_status"))
    assert rows == [("", "reported"), ("reported", "verified")]
    assert StatusChange.objects.latest().to_label == "Verified"


def test_separation_change_status_refuses_a_family_status(caseworker):
    separation = SeparationFactory()

    with pytest.raises(ValidationError):
        services.separation_change_status(
            separation=separation, status=Family.Status.MONITORING, actor=caseworker
        )

    separation.refresh_from_db()
    assert separation.status == Separation.Status.REPORTED


def test_recording_consent_keeps_who_and_when(caseworker):
    person = PersonFactory()

    services.person_record_consent(person=person, consent=Person.Consent.NAMED, actor=caseworker)

    person.refresh_from_db()
    assert person.consent == Person.Consent.NAMED
    assert person.consent_recorded_by == caseworker
    assert person.consent_recorded_at is not None


def test_consent_without_a_record_is_refused_by_the_database():
    with pytest.raises(IntegrityError):
        PersonFactory(consent=Person.Consent.NAMED)

"""Every state change that belongs on a case's timeline happens here.

Each function is atomic: the change and the `StatusChange` row that records it are
written together or not at all.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import ConditionChange, Family, Membership, Person, Separation, StatusChange
from cases.partial_dates import PartialDate

_REFERENCE_ATTEMPTS = 5


def _next_reference(year: int) -> str:
    prefix = f"{settings.REUNITE_CASE_REFERENCE_PREFIX}-{year}-"
    last = (
        Family.objects.filter(reference__startswith=prefix)
        .order_by(Length("reference").desc(), "-reference")
        .values_list("reference", flat=True)
        .first()
    )
    number = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{number:04d}"


def _check_status(value: str, choices: type[Family.Status] | type[Separation.Status]) -> None:
    if value not in choices.values:
        raise ValidationError(
            {"status": _("“%(value)s” is not a known status.") % {"value": value}},
            code="invalid_status",
        )


class AlreadySubmitted(Exception):
    """The form that creates this record was submitted before: `existing` is what it made."""

    def __init__(self, existing: Family) -> None:
        super().__init__(existing.reference)
        self.existing = existing


def _created_from(submission_key: uuid.UUID | None) -> Family | None:
    if submission_key is None:
        return None
    return Family.objects.filter(submission_key=submission_key).first()


@transaction.atomic
def family_create(
    *,
    family: Family,
    actor: AbstractBaseUser | None,
    note: str = "",
    submission_key: uuid.UUID | None = None,
    effective_on: PartialDate | None = None,
) -> Family:
    """Save a new family under the next free reference and open its timeline.

    A creator who cannot see every case is assigned to it, so it stays in their sight.
    `submission_key` identifies the form it comes from: if that form was saved before
    (a double click, a retry, concurrent posts), nothing is saved and `AlreadySubmitted`
    names the case it made. The unique key settles a race between concurrent posts.
    """
    if family.pk is not None:
        raise ValueError("family_create() takes a family that is not saved yet")
    _check_status(family.status, Family.Status)
    if (existing := _created_from(submission_key)) is not None:
        raise AlreadySubmitted(existing)
    family.submission_key = submission_key
    year = timezone.localdate().year
    for attempt in range(_REFERENCE_ATTEMPTS):
        family.reference = _next_reference(year)
        try:
            with transaction.atomic():
                family.save(force_insert=True)
        except IntegrityError:
            if (existing := _created_from(submission_key)) is not None:
                raise AlreadySubmitted(existing) from None
            # Another caseworker took this reference a moment ago: take the next one.
            if attempt == _REFERENCE_ATTEMPTS - 1:
                raise
        else:
            break
    _record_status(family, "", family.status, actor, note, effective_on)
    if actor is not None and not actor.has_perm("cases.view_all_cases"):
        family.caseworkers.add(actor)
    return family


def _today() -> PartialDate:
    return PartialDate.from_date(timezone.localdate())


def _record_status(
    subject: Family | Separation,
    from_status: str,
    to_status: str,
    actor: AbstractBaseUser | None,
    note: str,
    effective_on: PartialDate | None,
) -> StatusChange:
    """The timeline row of a status: when it took effect (today unless said), who
    recorded it and when."""
    if effective_on is not None and effective_on.first_day > timezone.localdate():
        raise ValidationError(
            {"status_effective_on": _("A status cannot take effect in the future.")},
            code="future",
        )
    is_family = isinstance(subject, Family)
    return StatusChange.objects.create(
        family_id=subject.pk if is_family else subject.family_id,
        separation=None if is_family else subject,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        note=note,
        effective_on=effective_on or _today(),
    )


def _change_status(
    subject: Family | Separation,
    status: str,
    actor: AbstractBaseUser | None,
    note: str,
    effective_on: PartialDate | None,
) -> None:
    """Lock the row, change its status and record the change, unless it is unchanged."""
    model = type(subject)
    _check_status(status, model.Status)
    current = model.objects.select_for_update().only("status").get(pk=subject.pk).status
    subject.status = status
    if status == current:
        return
    subject.save(update_fields=["status", "updated_at"] if model is Family else ["status"])
    _record_status(subject, current, status, actor, note, effective_on)


@transaction.atomic
def family_change_status(
    *,
    family: Family,
    status: str,
    actor: AbstractBaseUser | None,
    note: str = "",
    effective_on: PartialDate | None = None,
) -> Family:
    _change_status(family, status, actor, note, effective_on)
    return family


@transaction.atomic
def separation_create(
    *,
    separation: Separation,
    actor: AbstractBaseUser | None,
    note: str = "",
    effective_on: PartialDate | None = None,
) -> Separation:
    """Save a new separation and put its first status on the family's timeline."""
    if separation.pk is not None:
        raise ValueError("separation_create() takes a separation that is not saved yet")
    _check_status(separation.status, Separation.Status)
    separation.save(force_insert=True)
    _record_status(separation, "", separation.status, actor, note, effective_on)
    return separation


@transaction.atomic
def separation_change_status(
    *,
    separation: Separation,
    status: str,
    actor: AbstractBaseUser | None,
    note: str = "",
    effective_on: PartialDate | None = None,
) -> Separation:
    _change_status(separation, status, actor, note, effective_on)
    return separation


# What `person_change_condition` records: the person's fields that tell what happened
# to them. A change to any of them is a timeline item with a date and a source.
CONDITION_FIELDS = ("condition", "whereabouts", "location_place", "charge", "sentence_years")


@transaction.atomic
def person_change_condition(
    *,
    person: Person,
    actor: AbstractBaseUser | None,
    effective_on: PartialDate,
    source: str = "",
    source_url: str = "",
    publishable: bool = False,
    **changes: object,
) -> ConditionChange:
    """Set the person's condition, whereabouts, place, charge or sentence as of
    `effective_on`, and put it on the timeline with its source. Fields not named keep
    their values; the row records the whole state after the change."""
    unknown = set(changes) - set(CONDITION_FIELDS)
    if unknown:
        raise ValueError(f"not condition fields: {sorted(unknown)}")
    if not (source.strip() or source_url.strip()):
        raise ValidationError(
            {"condition_source": _("Say where this is known from: a source or a link.")},
            code="no_source",
        )
    if effective_on.first_day > timezone.localdate():
        raise ValidationError(
            {"condition_effective_on": _("This date is in the future.")}, code="future"
        )
    from_condition = (
        ""
        if person._state.adding
        else Person.objects.select_for_update()
        .values_list("condition", flat=True)
        .get(pk=person.pk)
    )
    for name, value in changes.items():
        setattr(person, name, value)
    person.full_clean(exclude=[f.name for f in Person._meta.fields if f.name not in changes])
    person.save()
    return ConditionChange.objects.create(
        person=person,
        effective_on=effective_on,
        from_condition=from_condition,
        actor=actor,
        source=source.strip(),
        source_url=source_url.strip(),
        publishable=publishable,
        **{name: getattr(person, name) for name in CONDITION_FIELDS},
    )


@transaction.atomic
def person_record_consent(
    *, person: Person, consent: str, actor: AbstractBaseUser | None
) -> Person:
    """Record what the person agreed may be published about them, by whom and when."""
    if consent not in Person.Consent.values:
        raise ValidationError(
            {"consent": _("“%(value)s” is not a known consent.") % {"value": consent}},
            code="invalid_consent",
        )
    person.consent = consent
    person.consent_recorded_by = actor
    person.consent_recorded_at = timezone.now()
    if person._state.adding:
        person.save()
    else:
        person.save(update_fields=["consent", "consent_recorded_by", "consent_recorded_at"])
    return person


@dataclass(frozen=True)
class SeparatedTogether:
    """One separation that several people went through together (four children taken to
    one orphanage): each of them gets a `Separation` of their own, with these values."""

    circumstance: str
    since: PartialDate | None = None
    status: str = Separation.Status.REPORTED
    status_effective_on: PartialDate | None = None
    separated_from: Sequence[Person] = ()


@dataclass(frozen=True)
class ConditionUpdate:
    """What `person_change_condition` records for each of several people: the condition
    fields (`CONDITION_FIELDS`) in `changes`, as of `effective_on`, from a source."""

    effective_on: PartialDate
    source: str = ""
    source_url: str = ""
    changes: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class AddedPerson:
    person: Person
    membership: Membership
    separation: Separation | None


@transaction.atomic
def family_add_people(
    *,
    family: Family,
    people: Sequence[Person],
    role: str,
    actor: AbstractBaseUser | None,
    separation: SeparatedTogether | None = None,
    condition: ConditionUpdate | None = None,
) -> list[AddedPerson]:
    """Put several new people on a case in one step: each saved, a member in `role`,
    separated as `separation` says (a `Separation` each, its first status on the
    timeline) and in the condition `condition` says (a `ConditionChange` each).

    `people` are unsaved. Everything is saved or nothing is: a person who fails
    validation raises `ValidationError` and rolls back the others.
    """
    if not people:
        raise ValidationError(_("Name at least one person."), code="no_people")
    if any(person.pk is not None for person in people):
        raise ValueError("family_add_people() takes people who are not saved yet")
    if role not in Membership.Role.values:
        raise ValidationError(
            {"role": _("“%(value)s” is not a known role.") % {"value": role}}, code="invalid_role"
        )
    if separation is not None:
        _check_status(separation.status, Separation.Status)
        members = set(family.memberships.values_list("person_id", flat=True))
        if any(person.pk not in members for person in separation.separated_from):
            raise ValidationError(
                {"separated_from": _("Only members of this case can be chosen here.")},
                code="not_a_member",
            )
    added = []
    for person in people:
        changes = dict(condition.changes) if condition is not None else {}
        for name, value in changes.items():
            setattr(person, name, value)
        person.full_clean()
        if condition is not None:
            person_change_condition(
                person=person,
                actor=actor,
                effective_on=condition.effective_on,
                source=condition.source,
                source_url=condition.source_url,
                **changes,
            )
        else:
            person.save()
        membership = Membership.objects.create(family=family, person=person, role=role)
        separated = None
        if separation is not None:
            separated = Separation(
                family=family,
                person=person,
                since=separation.since,
                circumstance=separation.circumstance,
                status=separation.status,
            )
            separated.full_clean(exclude=["family", "person", "separated_from"])
            separation_create(
                separation=separated, actor=actor, effective_on=separation.status_effective_on
            )
            separated.separated_from.set(separation.separated_from)
        added.append(AddedPerson(person=person, membership=membership, separation=separated))
    return added

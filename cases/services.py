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
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import ConditionChange, Family, Membership, Person, Separation, StatusChange
from cases.partial_dates import PartialDate
from cases.validation import full_clean_all

_REFERENCE_ATTEMPTS = 5
# Rows an INSERT: few statements for an import of 10,000 rows, none too large.
_BATCH = 1000


def _next_references(year: int, count: int = 1) -> list[str]:
    """The next `count` free references of `year`, consecutive, from one query: a case
    entered by hand takes one, a spreadsheet import all of its cases' at once."""
    prefix = f"{settings.REUNITE_CASE_REFERENCE_PREFIX}-{year}-"
    last = (
        Family.objects.filter(reference__startswith=prefix)
        .order_by(Length("reference").desc(), "-reference")
        .values_list("reference", flat=True)
        .first()
    )
    first = int(last.removeprefix(prefix)) + 1 if last else 1
    return [f"{prefix}{number:04d}" for number in range(first, first + count)]


def _insert_under_new_references(
    families: Sequence[Family], submission_key: uuid.UUID | None = None
) -> None:
    """Insert `families`, each under the next free reference of this year.

    Another caseworker may take one of those references between the query and the
    insert: the unique reference then refuses the insert, which is undone to its
    savepoint and tried again under the references free by then."""
    year = timezone.localdate().year
    for attempt in range(_REFERENCE_ATTEMPTS):
        references = _next_references(year, len(families))
        for family, reference in zip(families, references, strict=True):
            family.reference = reference
        try:
            with transaction.atomic():
                Family.objects.bulk_create(families, batch_size=_BATCH)
        except IntegrityError:
            for family in families:  # the rows of a batch that went in are undone
                family.pk, family._state.adding = None, True
            if (existing := _created_from(submission_key)) is not None:
                raise AlreadySubmitted(existing) from None
            # Another caseworker took one of these references a moment ago.
            if attempt == _REFERENCE_ATTEMPTS - 1:
                raise
        else:
            return


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
    if (existing := _created_from(submission_key)) is not None:
        raise AlreadySubmitted(existing)
    family.submission_key = submission_key
    _open_cases([family], [note], actor, effective_on, submission_key)
    return family


@transaction.atomic
def families_create(
    *, families: Sequence[Family], notes: Sequence[str], actor: AbstractBaseUser | None
) -> list[Family]:
    """Save several new families at once, as `family_create` saves one, each with the
    note of its opening status: consecutive references reserved together, and one
    INSERT a model (a batch of rows each) however many families there are.

    A reporting contact not saved yet is saved with them, validated as a person."""
    if len(notes) != len(families):
        raise ValueError("families_create() takes a note for each family")
    new_contacts = {
        id(family.reporting_contact): (family.reporting_contact, family)
        for family in families
        if family.reporting_contact is not None and family.reporting_contact.pk is None
    }
    contacts = [contact for contact, _family in new_contacts.values()]
    if refused := full_clean_all(contacts):
        cases = [family for _contact, family in new_contacts.values()]
        raise _refusal(
            [
                (_("The reporting contact of %(case)s") % {"case": cases[i].name}, Person, error)
                for i, error in refused.items()
            ]
        )
    Person.objects.bulk_create(contacts, batch_size=_BATCH)
    _open_cases(families, notes, actor)
    return list(families)


def _open_cases(
    families: Sequence[Family],
    notes: Sequence[str],
    actor: AbstractBaseUser | None,
    effective_on: PartialDate | None = None,
    submission_key: uuid.UUID | None = None,
) -> None:
    """What creating a case writes: the family, its opening status on the timeline and,
    for a creator who cannot see every case, their assignment to it."""
    if any(family.pk is not None for family in families):
        raise ValueError("family_create() takes a family that is not saved yet")
    for family in families:
        _check_status(family.status, Family.Status)
    opened = [
        _status_row(family, "", family.status, actor, note, effective_on)
        for family, note in zip(families, notes, strict=True)
    ]
    _insert_under_new_references(families, submission_key)
    StatusChange.objects.bulk_create(opened, batch_size=_BATCH)
    if actor is not None and not actor.has_perm("cases.view_all_cases"):
        assigned = Family.caseworkers.through
        assigned.objects.bulk_create(
            [assigned(family_id=family.pk, user_id=actor.pk) for family in families],
            batch_size=_BATCH,
        )


def _today() -> PartialDate:
    return PartialDate.from_date(timezone.localdate())


def _check_effective_on(effective_on: PartialDate | None) -> None:
    if effective_on is not None and effective_on.first_day > timezone.localdate():
        raise ValidationError(
            {"status_effective_on": _("A status cannot take effect in the future.")},
            code="future",
        )


def _status_row(
    subject: Family | Separation,
    from_status: str,
    to_status: str,
    actor: AbstractBaseUser | None,
    note: str,
    effective_on: PartialDate | None,
) -> StatusChange:
    """The timeline row of a status, unsaved: when it took effect (today unless said),
    who recorded it and when. Its subject may be unsaved too, until the row is."""
    _check_effective_on(effective_on)
    of = (
        {"family": subject}
        if isinstance(subject, Family)
        else {"family_id": subject.family_id, "separation": subject}
    )
    return StatusChange(
        **of,
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
    _status_row(subject, current, status, actor, note, effective_on).save()


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
    _status_row(separation, "", separation.status, actor, note, effective_on).save()
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
    update = ConditionUpdate(
        effective_on=effective_on,
        source=source,
        source_url=source_url,
        changes=changes,
        publishable=publishable,
    )
    _check_condition(update)
    from_condition = (
        ""
        if person._state.adding
        else Person.objects.select_for_update()
        .values_list("condition", flat=True)
        .get(pk=person.pk)
    )
    change = _condition_row(person, update, actor, from_condition)
    person.full_clean(exclude=[f.name for f in Person._meta.fields if f.name not in changes])
    person.save()
    change.save()
    return change


def _check_condition(update: ConditionUpdate) -> None:
    """What every condition change needs: condition fields only, a source, a date."""
    unknown = set(update.changes) - set(CONDITION_FIELDS)
    if unknown:
        raise ValueError(f"not condition fields: {sorted(unknown)}")
    if not (update.source.strip() or update.source_url.strip()):
        raise ValidationError(
            {"condition_source": _("Say where this is known from: a source or a link.")},
            code="no_source",
        )
    if update.effective_on.first_day > timezone.localdate():
        raise ValidationError(
            {"condition_effective_on": _("This date is in the future.")}, code="future"
        )


def _condition_row(
    person: Person, update: ConditionUpdate, actor: AbstractBaseUser | None, from_condition: str
) -> ConditionChange:
    """`update` set on the person, and its timeline row, unsaved (as the person may be
    still): the whole state after the change."""
    for name, value in update.changes.items():
        setattr(person, name, value)
    return ConditionChange(
        person=person,
        effective_on=update.effective_on,
        from_condition=from_condition,
        actor=actor,
        source=update.source.strip(),
        source_url=update.source_url.strip(),
        publishable=update.publishable,
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
    publishable: bool = False


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
    if separation is not None and separation.separated_from:
        members = set(family.memberships.values_list("person_id", flat=True))
        if any(person.pk not in members for person in separation.separated_from):
            raise ValidationError(
                {"separated_from": _("Only members of this case can be chosen here.")},
                code="not_a_member",
            )
    return members_add(
        members=[
            NewMember(
                family=family, person=person, role=role, separation=separation, condition=condition
            )
            for person in people
        ],
        actor=actor,
    )


# A record refused: who (as an error names them), its model, why.
Refused = tuple[str, type[models.Model], ValidationError]


@dataclass(frozen=True)
class NewMember:
    """A person put on a case by `members_add`: a member in `role`, separated as
    `separation` says and, for a new person (unsaved), in the condition `condition`
    says. `label` names them in an error ("Row 7"); by default, their place in the list.
    """

    family: Family
    person: Person
    role: str
    separation: SeparatedTogether | None = None
    condition: ConditionUpdate | None = None
    label: str = ""


@transaction.atomic
def members_add(
    *, members: Sequence[NewMember], actor: AbstractBaseUser | None
) -> list[AddedPerson]:
    """Put people on saved cases, as `family_add_people` puts them and a spreadsheet
    import puts 10,000: new people saved (a person given twice is saved once), each a
    member, separated and in their condition, with the timeline rows of both.

    Every record is validated by its model's rules (`cases.validation.full_clean_all`)
    and written with one INSERT a model (a batch of rows each): the number of queries
    does not grow with the number of people. Everything is saved or nothing is; what is
    refused raises one `ValidationError` naming each member refused."""
    refused: list[Refused] = []
    labels = [m.label or _("Person %(number)d") % {"number": i} for i, m in enumerate(members, 1)]
    people: dict[int, tuple[Person, str]] = {}  # the new, by identity: each saved once
    conditions: list[ConditionChange] = []
    separations: list[Separation | None] = []
    for member, label in zip(members, labels, strict=True):
        person = member.person
        if member.condition is not None and (person.pk is not None or id(person) in people):
            raise ValueError("members_add() sets the condition of a new person, once")
        if person.pk is None:
            people.setdefault(id(person), (person, label))
        if member.condition is not None:
            try:
                _check_condition(member.condition)
            except ValidationError as error:
                refused.append((label, Person, error))
            else:
                conditions.append(_condition_row(person, member.condition, actor, ""))
        separations.append(_separation(member, label, refused))
    new = [person for person, _label in people.values()]
    new_labels = [label for _person, label in people.values()]
    separated = [(s, label) for s, label in zip(separations, labels, strict=True) if s]
    refused += [(new_labels[i], Person, e) for i, e in full_clean_all(new).items()]
    refused += [
        (separated[i][1], Separation, e)
        for i, e in full_clean_all(
            [s for s, _label in separated], exclude=["family", "person", "separated_from"]
        ).items()
    ]
    if refused:
        raise _refusal(refused)
    Person.objects.bulk_create(new, batch_size=_BATCH)
    ConditionChange.objects.bulk_create(conditions, batch_size=_BATCH)
    memberships = [Membership(family=m.family, person=m.person, role=m.role) for m in members]
    if refused_members := full_clean_all(memberships):  # a member twice; the keys exist
        raise _refusal([(labels[i], Membership, e) for i, e in refused_members.items()])
    Membership.objects.bulk_create(memberships, batch_size=_BATCH)
    Separation.objects.bulk_create([s for s, _label in separated], batch_size=_BATCH)
    StatusChange.objects.bulk_create(
        [
            _status_row(s, "", s.status, actor, "", m.separation.status_effective_on)
            for m, s in zip(members, separations, strict=True)
            if s is not None and m.separation is not None
        ],
        batch_size=_BATCH,
    )
    separated_from = Separation.separated_from.through
    separated_from.objects.bulk_create(
        [
            separated_from(separation_id=s.pk, person_id=other.pk)
            for m, s in zip(members, separations, strict=True)
            if s is not None and m.separation is not None
            for other in {o.pk: o for o in m.separation.separated_from}.values()
        ],
        batch_size=_BATCH,
    )
    return [
        AddedPerson(person=m.person, membership=membership, separation=s)
        for m, membership, s in zip(members, memberships, separations, strict=True)
    ]


def _separation(
    member: NewMember,
    label: str,
    refused: list[Refused],
) -> Separation | None:
    """The member's separation, unsaved, with its status checked (none if not separated)."""
    together = member.separation
    if together is None:
        return None
    try:
        _check_status(together.status, Separation.Status)
        _check_effective_on(together.status_effective_on)
    except ValidationError as error:
        refused.append((label, Separation, error))
    return Separation(
        family=member.family,
        person=member.person,
        since=together.since,
        circumstance=together.circumstance,
        status=together.status,
    )


def _refusal(refused: Sequence[Refused]) -> ValidationError:
    """One error naming each refused record and field: "Row 7, born: This date is in
    the future."."""
    messages = []
    for who, model, error in refused:
        by_field = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
        for name, found in by_field.items():
            try:
                where = f"{who}, {model._meta.get_field(name).verbose_name}"
            except FieldDoesNotExist:  # NON_FIELD_ERRORS, or a service's own key
                where = who
            messages.extend(f"{where}: {message}" for message in found)
    return ValidationError(messages)
